"""Writing outputs without ever losing what the user made.

A folder dripcourse writes (out/, an export folder, a new course) is staged beside its place and swapped in whole.
dripcourse treats a folder as its own only when it holds the marker file `.dripcourse-out`: a random id chosen at
the folder's first write, kept by every later one, what kind of output it is (`build`, `export:TARGET`) and the
course it was made from (its folder and its title), and the sha256 of every file written, all signed with an
HMAC-SHA256 under a secret key of the user's, kept outside every output (`key_file`). Equal hashes prove equal bytes,
not authorship: only the signature shows that this user's dripcourse wrote the marker, so a marker without a valid
one (made by hand, or by another user or machine) is refused and nothing it lists is deleted. A later write must be
of the same kind and of the same course (the same folder, or the same title, so a course moved or renamed keeps its
output), and deletes a file only while its content is still what dripcourse wrote. A `manifest.json` proves
nothing, so a folder of the user's that happens to hold one is refused like any other. A folder that is not
dripcourse's own and not empty is refused; in its own folder, anything it did not write (a file, a link, an empty
folder) is refused too, so nothing is deleted that dripcourse did not create. Runs on one folder take turns
through a lock on its parent folder (fcntl.flock); a run that cannot get it within a few seconds refuses.
Single files (plan.csv, a source, a syllabus) go through a temporary file and os.replace in their own folder,
keeping the permissions of the file they replace (a new one gets the umask's) and writing through a link to a file.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from dripcourse.errors import OutputError, Problem

MARKER = ".dripcourse-out"
MARKER_FORMAT = "dripcourse-output/2"
OLD_MARKER_FORMAT = "dripcourse-output/1"  # no kinds or hashes recorded: nothing in such a folder can be proved ours
PARTIAL_MARKER = MARKER + ".partial"  # written first, renamed to MARKER once every file is whole
LOCK_WAIT = 15.0  # seconds a second run waits for the first before refusing
MAX_NAME_BYTES = 200  # the staging folder's name adds a few bytes; most file systems stop at 255
SHOWN = 5
KEY_BYTES = 32


@dataclass(frozen=True)
class Ownership:
    """What an earlier write of dripcourse's left in a folder: its id, kind and course, and each file's sha256."""

    token: str
    kind: str
    course: str | None
    title: str | None
    hashes: Mapping[str, str]

    @property
    def files(self) -> frozenset[str]:
        return frozenset(self.hashes)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unchanged(path: Path, recorded: str) -> bool:
    """`path` is a regular file (no link) still holding the content dripcourse recorded for it."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return digest(path.read_bytes()) == recorded
    except OSError:
        return False


def refused(path: Path, exc: OSError) -> OutputError:
    """The one message for a write the system refused (a full or read-only disk, no permission, a missing folder)."""
    return OutputError(Problem(path, f"the system refused it: {(exc.strerror or str(exc)).lower()}"))


def shown(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


@dataclass(frozen=True)
class Key:
    """The user's secret marker key, or why there is none (then no folder can be proved dripcourse's own)."""

    secret: bytes | None
    problem: str = ""


def key_file() -> Path:
    """Where the key lives: $XDG_STATE_HOME/dripcourse/key, else ~/.local/state/dripcourse/key (the XDG default)."""
    state = os.environ.get("XDG_STATE_HOME", "")
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "dripcourse" / "key"


def read_key(path: Path) -> Key:
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        info = os.fstat(handle)
        secret = os.read(handle, KEY_BYTES + 1)
    finally:
        os.close(handle)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return Key(None, f"{path} must be a file of yours that only you can read (mode 600)")
    if len(secret) != KEY_BYTES:
        return Key(None, f"{path} is not a dripcourse key ({KEY_BYTES} bytes); delete it and run again")
    return Key(secret)


def signing_key() -> Key:
    """The user's key, made (mode 600, random) on first use. A key another run made meanwhile is kept: the new one is
    linked into place, which never replaces a file."""
    path = key_file()
    try:
        return read_key(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return Key(None, f"{path} cannot be read: {(exc.strerror or str(exc)).lower()}")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".key.", dir=path.parent)  # mode 600
        try:
            os.write(handle, secrets.token_bytes(KEY_BYTES))
            os.fsync(handle)
            os.close(handle)
            with suppress(FileExistsError):
                os.link(name, path)
        finally:
            os.unlink(name)
        return read_key(path)
    except OSError as exc:
        return Key(None, f"{path} cannot be created: {(exc.strerror or str(exc)).lower()}")


def signature(secret: bytes, record: Mapping[str, object]) -> str:
    """HMAC-SHA256 of everything a marker records, in one canonical JSON form."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def marker_data(folder: Path, name: str = MARKER) -> dict[str, object] | None:
    marker = folder / name
    if marker.is_symlink() or not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_marker(folder: Path, key: Key, name: str = MARKER) -> Ownership | None:
    """The marker of a folder dripcourse wrote, or None (no marker, a link, or a file it did not write: one without
    a valid signature under the user's key)."""
    data = marker_data(folder, name)
    if key.secret is None or data is None or data.get("format") != MARKER_FORMAT:
        return None
    record = {field: data.get(field) for field in ("format", "id", "kind", "course", "title", "files")}
    claimed = data.get("hmac")
    if not isinstance(claimed, str) or not hmac.compare_digest(claimed, signature(key.secret, record)):
        return None
    token, kind, course, title, hashes = (record[f] for f in ("id", "kind", "course", "title", "files"))
    if not isinstance(token, str) or len(token) != 32 or not isinstance(kind, str):
        return None
    if not (course is None or isinstance(course, str)) or not (title is None or isinstance(title, str)):
        return None
    if not isinstance(hashes, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in hashes.items()):
        return None
    return Ownership(token, kind, course, title, hashes)


def marker_bytes(
    key: Key, token: str, kind: str, course: str | None, title: str | None, files: Mapping[str, bytes]
) -> bytes:
    hashes = {name: digest(files[name]) for name in sorted(files)}
    record: dict[str, object] = {
        "format": MARKER_FORMAT,
        "id": token,
        "kind": kind,
        "course": course,
        "title": title,
        "files": hashes,
    }
    if key.secret is not None:  # without a key the marker proves nothing, and the next write refuses the folder
        record["hmac"] = signature(key.secret, record)
    return (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode()


def described(kind: str) -> str:
    """`build` -> "a build", `export:eml` -> "an export for eml", `new` -> "a new course"."""
    if kind.startswith("export:"):
        return f"an export for {kind.partition(':')[2]}"
    return "a new course" if kind == "new" else f"a {kind}"


def refuse_other_output(out: Path, owned: Ownership, kind: str, course: str | None, title: str | None) -> None:
    """An output folder is rewritten only by the same kind of write from the same course: the same course folder,
    or the same course title (a course moved or renamed keeps its output; one retitled in place too)."""
    if owned.kind != kind:
        raise OutputError(
            Problem(out, f"holds {described(owned.kind)}, not {described(kind)}; choose another output folder")
        )
    if owned.course != course and owned.title != title:
        raise OutputError(
            Problem(
                out,
                f"holds {described(kind)} of another course{f' ({owned.course})' if owned.course else ''}"
                f"{f', titled {owned.title!r}' if owned.title else ''}; choose another output folder",
            )
        )


def raise_error(exc: OSError) -> None:
    raise exc


def foreign_entries(folder: Path, owned: Ownership) -> list[str]:
    """Everything in `folder` that dripcourse did not write: files, links and folders (shown with a slash), and any
    file it wrote whose content has changed since."""
    files = owned.files | {MARKER}
    folders = {str(Path(f).parent) for f in files} - {"."}
    folders |= {str(p) for f in folders for p in Path(f).parents if str(p) != "."}
    stray = []
    # A subfolder that cannot be listed stops the write: what it holds is unknown, so it may be the user's.
    for root, dirs, names in os.walk(folder, onerror=raise_error):
        base = Path(root).relative_to(folder)
        for name in sorted(dirs):
            relative = str(base / name)
            if relative not in folders or (Path(root) / name).is_symlink():
                stray.append(relative + "/")
        dirs[:] = sorted(d for d in dirs if str(base / d) in folders and not (Path(root) / d).is_symlink())
        for name in sorted(names):
            relative = str(base / name)
            if relative == MARKER:
                continue
            # A link in place of a file dripcourse wrote is the user's (it points at something of theirs), and so is
            # a file whose content is no longer what dripcourse recorded: edited since, or listed by a marker of the
            # user's own making.
            if relative not in owned.hashes or not unchanged(Path(root) / name, owned.hashes[relative]):
                stray.append(relative)
    return stray


def settle(out: Path, option: str) -> Path:
    """The real folder to write for `out`: a link to a folder is written through, never replaced."""
    if len(os.fsencode(out.name)) > MAX_NAME_BYTES:
        raise OutputError(Problem(out, f"the folder name is longer than {MAX_NAME_BYTES} bytes; choose a shorter one"))
    if out.is_symlink():
        if not out.exists():
            raise OutputError(
                Problem(
                    out, f"is a link to {os.readlink(out)}, which does not exist; create it or choose another {option}"
                )
            )
        if not out.is_dir():
            raise OutputError(Problem(out, f"is a link to a file, not a folder; choose another {option}"))
    place = Path(os.path.realpath(out))
    if place.parent == place:
        raise OutputError(Problem(out, f"is the root folder; choose another {option}"))
    if place.exists() and not place.is_dir():
        raise OutputError(Problem(out, f"exists and is not a folder; choose another {option}"))
    if len(os.fsencode(place.name)) > MAX_NAME_BYTES:
        raise OutputError(Problem(out, f"the folder name is longer than {MAX_NAME_BYTES} bytes; choose a shorter one"))
    for ancestor in place.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise OutputError(Problem(out, f"cannot be created: {ancestor} is a file, not a folder"))
            break
    return place


def refuse_inputs(out: Path, place: Path, course_dir: Path | None, inputs: Iterable[Path], option: str) -> None:
    """An output folder may not be the course folder, hold it or any of its files, or sit in its sources/ or
    templates/ (where a build would read it back as input)."""
    inputs = list(inputs)
    if course_dir is not None:
        course = Path(os.path.realpath(course_dir))
        if place == course:
            raise OutputError(Problem(out, f"is the course folder; choose a {option} outside it"))
        for part in ("sources", "templates"):
            if course / part == place or course / part in place.parents:
                raise OutputError(Problem(out, f"is inside the course's {part} folder; choose a {option} outside it"))
        inputs = [course_dir, *inputs]
    for item in inputs:
        real = Path(os.path.realpath(item))
        if place == real or place in real.parents:
            raise OutputError(Problem(out, f"would hold {item}, which the build reads; choose another {option}"))


@contextmanager
def locked(folder: Path, out: Path) -> Iterator[None]:
    """Hold the lock of `folder` (the parent of the output); another run waits up to LOCK_WAIT, then refuses."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OutputError(
                        Problem(out, "another dripcourse run is writing here; try again when it has finished")
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(handle)


def remove_owned(folder: Path, key: Key) -> None:
    """Delete what dripcourse wrote in `folder` (per its marker), then the folder if nothing else is left.

    A file goes only while it holds what the marker recorded. The one exception is a staging folder of a run killed
    while writing (it has only the partial marker, written before any file): its last file may be cut short, and the
    folder is one mkdtemp made, so every regular file it lists goes."""
    owned = read_marker(folder, key)
    cut_short = read_marker(folder, key, PARTIAL_MARKER) if owned is None else None
    for name, recorded in (owned or cut_short or Ownership("", "", None, None, {})).hashes.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            continue
        path = folder / name
        if unchanged(path, recorded) or (cut_short and path.is_file() and not path.is_symlink()):
            path.unlink()
    if owned is not None:
        (folder / MARKER).unlink(missing_ok=True)
    if owned is not None or cut_short is not None:
        (folder / PARTIAL_MARKER).unlink(missing_ok=True)
    for root, dirs, _ in os.walk(folder, topdown=False):
        for name in dirs:
            with suppress(OSError):  # a folder still holding something dripcourse did not write stays
                os.rmdir(Path(root) / name)
    with suppress(OSError):
        os.rmdir(folder)


def write_bytes(path: Path, data: bytes) -> None:
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask, as any new file
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def write_folder(
    out: Path,
    files: Mapping[str, bytes],
    course_dir: Path | None = None,
    inputs: Iterable[Path] = (),
    option: str = "--out",
    mark: bool = True,
    kind: str = "build",
    title: str | None = None,
) -> None:
    """Write `files` (relative path -> bytes) as the folder `out`, staged beside it and swapped in whole. `kind`
    (`build`, `export:TARGET`, `new`) and the course are recorded, and a folder holding another kind or another
    course's output (another folder and another `title`) is refused. Without `mark` (a new course folder, which is
    the user's from then on) the marker is left out."""
    place = settle(out, option)
    refuse_inputs(out, place, course_dir, inputs, option)
    course = None if course_dir is None else os.path.realpath(course_dir)
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        with locked(place.parent, out):
            swap(out, place, files, mark, kind, course, title)
    except OSError as exc:
        raise refused(out, exc) from None


def swap(
    out: Path, place: Path, files: Mapping[str, bytes], mark: bool, kind: str, course: str | None, title: str | None
) -> None:
    key = signing_key()
    owned = read_marker(place, key) if place.is_dir() else None
    stray = sorted(p.name + "/" * p.is_dir() for p in place.iterdir()) if place.is_dir() else []
    found = (marker_data(place) or {}).get("format") if owned is None and place.is_dir() else None
    if stray and key.secret is None:
        raise OutputError(
            Problem(
                out,
                f"is not empty, and without its key dripcourse cannot prove any of it is its own ({key.problem}); "
                "choose an empty or new output folder",
            )
        )
    if found == MARKER_FORMAT:
        raise OutputError(
            Problem(
                out,
                f"holds a {MARKER} that dripcourse's key ({key_file()}) did not sign: made by hand, or by another "
                "user or machine; keep anything of yours from it and delete the folder, or choose another output "
                "folder",
            )
        )
    if found == OLD_MARKER_FORMAT:
        raise OutputError(
            Problem(
                out,
                f"holds a marker in the format of an earlier dripcourse ({OLD_MARKER_FORMAT}), which did not record "
                "what it wrote; keep anything of yours from it and delete the folder, or choose another output folder",
            )
        )
    if owned is not None:
        refuse_other_output(out, owned, kind, course, title)
        stray = foreign_entries(place, owned)
    if stray:
        raise OutputError(
            Problem(out, f"holds files dripcourse did not write ({shown(stray)}); choose an empty or new output folder")
        )
    for leftover in place.parent.glob(f".{place.name}.dripcourse-*"):
        if leftover.is_dir() and not leftover.is_symlink():
            remove_owned(leftover, key)  # a killed run's staging folder: only what it wrote goes
    staging = Path(tempfile.mkdtemp(prefix=f".{place.name}.dripcourse-", dir=place.parent))
    swapped = False
    try:
        token = owned.token if owned else secrets.token_hex(16)
        write_bytes(staging / PARTIAL_MARKER, marker_bytes(key, token, kind, course, title, files))
        made: set[Path] = set()
        for relative, data in files.items():
            target = staging / relative
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            write_bytes(target, data)
        os.rename(staging / PARTIAL_MARKER, staging / MARKER)  # every file is whole
        staging.chmod(0o777 & ~current_umask())  # mkdtemp made it 0o700; the output gets a new folder's mode
        if owned is None:
            os.rename(staging, place)  # onto nothing, or onto the empty folder given
            if not mark:
                (place / MARKER).unlink()
            return
        if not exchange(staging, place):
            old = staging.with_name(staging.name + "-old")
            os.rename(place, old)
            os.rename(staging, place)
            os.rename(old, staging)
        swapped = True
    finally:
        if swapped:
            remove_owned(staging, key)  # the old output: only what dripcourse wrote in it goes
        elif staging.exists():
            shutil.rmtree(staging, ignore_errors=True)  # this run's own staging folder, made by mkdtemp above


RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders with Linux renameat2(RENAME_EXCHANGE); False where that is not available."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    if result != 0 and ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return bool(result == 0)


def destination(path: Path) -> Path:
    """The file a write of `path` replaces. A link to a file is written through and stays a link (the user put it
    there, as for an output folder); a link to nothing, or to something that is not a file, is refused."""
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if not target.exists():
        raise OutputError(
            Problem(path, f"is a link to {os.readlink(path)}, which does not exist; create it or remove the link")
        )
    if not target.is_file():
        raise OutputError(Problem(path, f"is a link to {os.readlink(path)}, which is not a file; remove the link"))
    return target


def file_mode(target: Path) -> int:
    """The permissions a replaced file keeps, or those a new file gets from the user's umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    umask = os.umask(0o022)  # reading it means setting it; it is put back at once
    os.umask(umask)
    return umask


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside the file `path` stands for; fill it in the block. When the block ends without an
    error it takes that file's place with the file's own permissions, so a failure leaves the old file whole."""
    target = destination(path)
    temporary = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".partial", dir=target.parent)
        os.close(handle)
        temporary = Path(name)
        yield temporary
        os.chmod(temporary, file_mode(target))
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise refused(path, exc) from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def write_file(path: Path, data: bytes) -> None:
    """Replace one file (every single-file writer comes here: a syllabus, a source, a plan, the push state). The
    new content is on disk before it takes the old file's place, so a crash leaves one or the other, never an
    empty file."""
    with replacing(path) as temporary, temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
