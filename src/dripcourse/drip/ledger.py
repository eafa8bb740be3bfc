"""The ledger: what was planned, claimed, sent, failed or skipped, per subscriber and lesson.

SQLite by default (a file beside the course), PostgreSQL when several senders share the work. Every subscriber
row carries a cursor (`next_position`) and the time its next lesson is due (`next_due_at`); lessons go out in
order, so deciding what is due is one indexed range scan, however long the list.

A send moves `claimed` -> `sending` -> `sent` | `failed` | `deferred` (a transient error, tried again later);
`skipped` records a lesson that will not go out and why. `sending` is written, durably, before the provider is
called: a row left in `sending` by a dead sender is a send whose outcome is unknown, and is resolved by the
provider's lookup or reported as `unresolved`, never retried blindly.

Why no message can go out twice, with one flush to disk per batch rather than per message (SQLite): the claim of
a batch is flushed (synchronous = FULL); each `sending` mark is then an ordinary WAL commit, written to the file
before the provider is called but not flushed. A process that is killed loses nothing it committed (the
operating system still holds the write), so a claim it left untouched was never handed over and is given back.
Only a machine that stops (power loss, kernel crash) can lose unflushed commits; the ledger then still holds the
flushed claims, and a claim whose sender ran under another boot of the machine (`boot_id`, from Linux's
/proc/sys/kernel/random/boot_id) is reported as unresolved, not given back. Where the boot cannot be told, every
`sending` mark is flushed as before. A PostgreSQL commit is flushed by the server itself.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dripcourse.errors import DripcourseError, OutputError, Problem

#: email key, address, first name, signup (epoch), zone, plan text, digest of the list's row (None: not from a CSV)
Row = tuple[str, str, str, int, str, str, int | None]
# Plans are stored as fixed-width due times (10 digits and a comma per lesson), so SQL can read the due time of
# any position with substr(); -1 marks "no send" (never written today, kept for lessons that do not apply).
SLOT_WIDTH = 11
DUE_INDEX = "CREATE INDEX subscribers_due ON subscribers (next_due_at) WHERE listed = 1 AND next_due_at IS NOT NULL"
FINAL_STATES = ("sent", "failed", "skipped")
OPEN_STATES = ("claimed", "sending", "unresolved")
ADVISORY_CLASS = 0x44524950  # "DRIP": the first key of dripcourse's PostgreSQL advisory locks
SYNC_LOCK = 1
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def schema(big: str, key: str) -> tuple[str, ...]:
    return (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"""CREATE TABLE subscribers (
            id {key},
            email TEXT NOT NULL UNIQUE,
            address TEXT NOT NULL,
            first_name TEXT NOT NULL,
            signed_up_at {big} NOT NULL,
            time_zone TEXT NOT NULL,
            plan TEXT NOT NULL,
            listed INTEGER NOT NULL,
            busy INTEGER NOT NULL DEFAULT 0,
            next_position INTEGER NOT NULL DEFAULT 0,
            next_due_at {big}
        )""",
        DUE_INDEX,
        f"""CREATE TABLE sends (
            subscriber_id {big} NOT NULL REFERENCES subscribers (id),
            position INTEGER NOT NULL,
            lesson TEXT NOT NULL,
            due_at {big} NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('claimed', 'sending', 'sent', 'failed', 'skipped', 'deferred', 'unresolved')),
            sender TEXT,
            provider TEXT,
            send_key TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            provider_id TEXT,
            reason TEXT,
            updated_at {big} NOT NULL,
            PRIMARY KEY (subscriber_id, position)
        )""",
        "CREATE INDEX sends_open ON sends (state) WHERE state IN ('claimed', 'sending', 'unresolved')",
        f"CREATE TABLE suppressions (email TEXT PRIMARY KEY, reason TEXT NOT NULL, at {big} NOT NULL)",
        f"""CREATE TABLE senders (
            id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started_at {big} NOT NULL,
            lock_key INTEGER NOT NULL
        )""",
    )


SECOND = Migration(
    2,
    "boot of each sender, digest of each subscriber's row",
    (
        "ALTER TABLE senders ADD COLUMN boot_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE subscribers ADD COLUMN line_digest BIGINT",
    ),
)
MIGRATIONS = {
    "sqlite": (
        Migration(1, "subscribers, sends, suppressions, senders", schema("INTEGER", "INTEGER PRIMARY KEY")),
        SECOND,
    ),
    "postgresql": (
        Migration(1, "subscribers, sends, suppressions, senders", schema("BIGINT", "BIGSERIAL PRIMARY KEY")),
        SECOND,
    ),
}


def boot_id() -> str | None:
    """This boot of this machine (Linux), or None where it cannot be told."""
    try:
        return BOOT_ID.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


@dataclass(frozen=True)
class Due:
    """A claimed send: the subscriber's values and the lesson at their cursor."""

    subscriber_id: int
    email: str
    address: str
    first_name: str
    signed_up_at: int
    plan: str
    position: int
    suppressed: str | None

    def due_at(self, position: int | None = None) -> int | None:
        return slot_at(self.plan, self.position if position is None else position)


@dataclass(frozen=True)
class OpenSend:
    """A send left claimed, in flight or unresolved."""

    subscriber_id: int
    email: str
    address: str
    position: int
    lesson: str
    state: str
    sender: str | None
    provider: str | None
    send_key: str
    attempts: int
    updated_at: int
    plan: str


def plan_text(due_times: Iterable[int]) -> str:
    return "".join(f"{due:010d}," for due in due_times)


def slot_at(plan: str, position: int) -> int | None:
    text = plan[position * SLOT_WIDTH : position * SLOT_WIDTH + 10]
    return int(text) if text else None


def next_due_sql(plan: str, position: str) -> str:
    return f"CAST(NULLIF(substr({plan}, {position} * {SLOT_WIDTH} + 1, 10), '') AS BIGINT)"


class Ledger:
    """One course's ledger. Use `open_ledger`; every method runs its own transaction."""

    dialect = "sqlite"

    #: flush the claim of a batch, and let each `sending` mark be an unflushed commit (see the module docstring)
    flush_claims = False

    def __init__(self, where: str):
        self.where = where
        self.sender = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.boot = boot_id()

    # -- plumbing (overridden for PostgreSQL) --
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    @contextmanager
    def tx(self, durable: bool = False) -> Iterator[None]:
        """A transaction; `durable` flushes it to disk before returning (the mark written before a send)."""
        raise NotImplementedError
        yield

    def close(self) -> None:
        raise NotImplementedError

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(sql, params).fetchall())

    def changed(self, cursor: Any) -> int:
        return int(cursor.rowcount)

    # -- schema --
    def migrate(self) -> list[int]:
        """Apply the migrations this ledger has not had yet; returns their versions."""
        applied: list[int] = []
        with self.tx():
            self.lock_schema()
            self.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            done = {row[0] for row in self.query("SELECT version FROM schema_migrations")}
            known = MIGRATIONS[self.dialect]
            newest = max(m.version for m in known)
            if done and max(done) > newest:
                raise OutputError(
                    Problem(
                        self.where,
                        f"ledger schema version {max(done)} is newer than this dripcourse knows ({newest}); upgrade",
                    )
                )
            for migration in known:
                if migration.version in done:
                    continue
                for statement in migration.statements:
                    self.execute(statement)
                self.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, int(time.time())),
                )
                applied.append(migration.version)
        return applied

    def lock_schema(self) -> None:
        """Serialise migrations between processes (SQLite's BEGIN IMMEDIATE already does)."""

    def version(self) -> int:
        rows = self.query("SELECT max(version) FROM schema_migrations")
        return int(rows[0][0] or 0)

    def bind_course(self, title: str, slugs: list[str]) -> None:
        """Tie the ledger to one course. Lessons may be appended later; never reordered or removed."""
        with self.tx():
            self.lock_schema()  # two senders starting at once on a new PostgreSQL ledger: one binds it
            meta = dict(self.query("SELECT key, value FROM meta"))
            if "course" not in meta:
                self.execute("INSERT INTO meta (key, value) VALUES ('course', ?)", (title,))
                self.execute("INSERT INTO meta (key, value) VALUES ('lessons', ?)", (" ".join(slugs),))
                return
            if meta["course"] != title:
                raise DripcourseError(
                    Problem(self.where, f"this ledger belongs to the course '{meta['course']}', not '{title}'")
                )
            before = meta["lessons"].split()
            if slugs[: len(before)] != before:
                raise DripcourseError(
                    Problem(
                        self.where,
                        f"the ledger's lessons are {', '.join(before)}; the syllabus now has {', '.join(slugs)}."
                        " Lessons can be added at the end, but not renamed, reordered or removed while a course runs",
                    )
                )
            if len(slugs) > len(before):
                self.execute("UPDATE meta SET value = ? WHERE key = 'lessons'", (" ".join(slugs),))

    def meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.tx():
            self.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- senders --
    def start_sender(self) -> bool:
        """Register this process as a sender. False when another sender holds the ledger and this kind of
        ledger allows only one (SQLite)."""
        raise NotImplementedError

    def dead_senders(self, senders: set[str]) -> set[str]:
        raise NotImplementedError

    # -- the list --
    def sync(self, rows: Iterable[Row], whole: bool = True) -> tuple[int, int]:
        """Make the ledger's list match `rows` (email key, address, first name, signup, zone, plan text, digest).

        New subscribers start at lesson one; changed ones get their next due time again (unless a send is in
        flight); with `whole` (the rows are the whole list, not rows added to it), subscribers absent from it are
        kept but not sent to. Returns (rows read, duplicates).
        """
        with self.tx():
            self.execute(
                "CREATE TEMP TABLE incoming (email TEXT NOT NULL, address TEXT NOT NULL, first_name TEXT NOT NULL,"
                " signed_up_at BIGINT NOT NULL, time_zone TEXT NOT NULL, plan TEXT NOT NULL, line_digest BIGINT,"
                " line INTEGER NOT NULL)"
            )
            read = self.load_incoming(rows)
            self.execute("CREATE UNIQUE INDEX incoming_email ON incoming (email, line)")
            unique = self.query("SELECT count(DISTINCT email) FROM incoming")[0][0]
            self.execute(
                "INSERT INTO subscribers (email, address, first_name, signed_up_at, time_zone, plan, line_digest,"
                " listed, busy, next_position, next_due_at)"
                " SELECT email, address, first_name, signed_up_at, time_zone, plan, line_digest, 1, 0, 0,"
                f" {next_due_sql('plan', '0')} FROM incoming i"
                " WHERE i.line = (SELECT min(line) FROM incoming f WHERE f.email = i.email)"
                " ON CONFLICT (email) DO UPDATE SET address = excluded.address,"
                " first_name = excluded.first_name, signed_up_at = excluded.signed_up_at,"
                " time_zone = excluded.time_zone, plan = excluded.plan, line_digest = excluded.line_digest, listed = 1,"
                " next_due_at = CASE WHEN subscribers.busy = 1 THEN subscribers.next_due_at"
                f" ELSE {next_due_sql('excluded.plan', 'subscribers.next_position')} END"
                " WHERE subscribers.listed = 0 OR subscribers.plan <> excluded.plan"
                " OR subscribers.first_name <> excluded.first_name OR subscribers.address <> excluded.address"
                " OR coalesce(subscribers.line_digest, 0) <> coalesce(excluded.line_digest, 0)"
            )
            if whole:
                self.execute(
                    "UPDATE subscribers SET listed = 0 WHERE listed = 1"
                    " AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.email = subscribers.email)"
                )
            self.execute("DROP TABLE incoming")
        return read, read - int(unique)

    def load_incoming(self, rows: Iterable[Row]) -> int:
        count = 0

        def numbered() -> Iterator[tuple[Any, ...]]:
            nonlocal count
            for row in rows:
                count += 1
                yield (*row, count)

        self.executemany("INSERT INTO incoming VALUES (?, ?, ?, ?, ?, ?, ?, ?)", numbered())
        return count

    def line_digests(self) -> set[int]:
        """The row digest of every listed subscriber."""
        cursor = self.execute("SELECT line_digest FROM subscribers WHERE listed = 1 AND line_digest IS NOT NULL")
        return {digest for (digest,) in cursor}

    def unlist_lines(self, digests: set[int]) -> None:
        """Take off the list the subscribers whose row (by its digest) the list no longer has."""
        if not digests:
            return
        with self.tx():
            self.execute("CREATE TEMP TABLE gone (line_digest BIGINT NOT NULL)")
            self.executemany("INSERT INTO gone VALUES (?)", ((digest,) for digest in digests))
            self.execute(
                "UPDATE subscribers SET listed = 0 WHERE listed = 1 AND line_digest IN (SELECT line_digest FROM gone)"
            )
            self.execute("DROP TABLE gone")

    def listed_lines(self, emails: list[str]) -> dict[str, int | None]:
        """Of these email keys, those listed now, with the digest of the row that lists them."""
        found: dict[str, int | None] = {}
        for start in range(0, len(emails), 500):
            chunk = emails[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.query(
                f"SELECT email, line_digest FROM subscribers WHERE listed = 1 AND email IN ({marks})", tuple(chunk)
            )
            found.update((str(email), None if digest is None else int(digest)) for email, digest in rows)
        return found

    # -- sending --
    def claim(self, now: int, limit: int) -> list[Due]:
        """Take up to `limit` subscribers whose next lesson is due, oldest first; no other sender gets them."""
        with self.tx(durable=self.flush_claims):
            rows = self.query(
                "SELECT s.id, s.email, s.address, s.first_name, s.signed_up_at, s.plan, s.next_position, p.reason"
                " FROM subscribers s LEFT JOIN suppressions p ON p.email = s.email"
                " WHERE s.listed = 1 AND s.next_due_at <= ? ORDER BY s.next_due_at LIMIT ?" + self.skip_locked(),
                (now, limit),
            )
            claimed = [Due(*row) for row in rows]
            for due in claimed:
                self.execute(
                    "INSERT INTO sends (subscriber_id, position, lesson, due_at, state, sender, send_key, updated_at)"
                    " VALUES (?, ?, '', ?, 'claimed', ?, '', ?) ON CONFLICT (subscriber_id, position) DO UPDATE"
                    " SET state = 'claimed', sender = excluded.sender, updated_at = excluded.updated_at"
                    " WHERE sends.state = 'deferred'",
                    (due.subscriber_id, due.position, due.due_at() or 0, self.sender, now),
                )
                self.execute("UPDATE subscribers SET busy = 1, next_due_at = NULL WHERE id = ?", (due.subscriber_id,))
        return claimed

    def skip_locked(self) -> str:
        return ""

    def start(
        self, due: Due, lesson: str, key: str, provider: str, now: int, sent: tuple[Due, str] | None = None
    ) -> bool:
        """Record that this send is about to be handed to the provider, durably unless its claim was (see the
        module docstring); with `sent`, first record that send as sent (provider id), in the same commit."""
        with self.tx(durable=not self.flush_claims):
            if sent is not None:
                self.record(sent[0], "sent", now, "", "", sent[1], None, None)
            return self.mark_sending(due, lesson, key, provider, now)

    def mark_sending(self, due: Due, lesson: str, key: str, provider: str, now: int) -> bool:
        cursor = self.execute(
            "UPDATE sends SET state = 'sending', lesson = ?, send_key = ?, provider = ?, attempts = attempts + 1,"
            " updated_at = ? WHERE subscriber_id = ? AND position = ? AND state = 'claimed' AND sender = ?",
            (lesson, key, provider, now, due.subscriber_id, due.position, self.sender),
        )
        return self.changed(cursor) == 1

    def settle(
        self,
        due: Due,
        state: str,
        now: int,
        *,
        lesson: str = "",
        key: str = "",
        provider_id: str | None = None,
        reason: str | None = None,
        retry_at: int | None = None,
    ) -> None:
        """Record the outcome of `due` and move the subscriber's cursor."""
        with self.tx():
            self.record(due, state, now, lesson, key, provider_id, reason, retry_at)

    def record(
        self,
        due: Due,
        state: str,
        now: int,
        lesson: str,
        key: str,
        provider_id: str | None,
        reason: str | None,
        retry_at: int | None,
    ) -> None:
        self.execute(
            "UPDATE sends SET state = ?, provider_id = coalesce(?, provider_id), reason = ?, updated_at = ?,"
            " lesson = CASE WHEN ? = '' THEN lesson ELSE ? END, send_key = CASE WHEN ? = '' THEN send_key ELSE ? END"
            " WHERE subscriber_id = ? AND position = ?",
            (state, provider_id, reason, now, lesson, lesson, key, key, due.subscriber_id, due.position),
        )
        if state == "deferred":
            self.execute("UPDATE subscribers SET busy = 0, next_due_at = ? WHERE id = ?", (retry_at, due.subscriber_id))
        elif state == "unresolved":
            self.execute("UPDATE subscribers SET busy = 1, next_due_at = NULL WHERE id = ?", (due.subscriber_id,))
        else:
            following = due.position + 1
            self.execute(
                "UPDATE subscribers SET busy = 0, next_position = ?, next_due_at = ? WHERE id = ?",
                (following, slot_at(due.plan, following), due.subscriber_id),
            )

    def release(self, due: Due) -> None:
        """Give a claimed send back untouched (this sender stopped before trying it)."""
        with self.tx():
            self.execute(
                "DELETE FROM sends WHERE subscriber_id = ? AND position = ? AND state = 'claimed' AND attempts = 0",
                (due.subscriber_id, due.position),
            )
            self.execute(
                "UPDATE sends SET state = 'deferred' WHERE subscriber_id = ? AND position = ? AND state = 'claimed'",
                (due.subscriber_id, due.position),
            )
            self.execute(
                "UPDATE subscribers SET busy = 0, next_due_at = ? WHERE id = ?", (due.due_at(), due.subscriber_id)
            )

    def open_sends(self, states: tuple[str, ...] = OPEN_STATES) -> list[OpenSend]:
        marks = ", ".join("?" for _ in states)
        rows = self.query(
            "SELECT d.subscriber_id, s.email, s.address, d.position, d.lesson, d.state, d.sender, d.provider,"
            " d.send_key, d.attempts, d.updated_at, s.plan FROM sends d JOIN subscribers s ON s.id = d.subscriber_id"
            f" WHERE d.state IN ({marks}) ORDER BY d.updated_at, s.email",
            states,
        )
        return [OpenSend(*row) for row in rows]

    def as_due(self, item: OpenSend) -> Due:
        return Due(item.subscriber_id, item.email, item.address, "", 0, item.plan, item.position, None)

    def claims_are_exact(self, sender: str | None) -> bool:
        """Whether every commit of `sender` is known to be in the ledger, so that a send it left claimed was never
        handed over: true of PostgreSQL, and of SQLite while the machine has not restarted since."""
        if not self.flush_claims or sender == self.sender:
            return True
        rows = self.query("SELECT host, boot_id FROM senders WHERE id = ?", (sender,))
        return bool(rows) and rows[0] == (socket.gethostname(), self.boot)

    def take_over(self, item: OpenSend) -> bool:
        """Make an open send of a dead sender this sender's, so that only one sender resolves it."""
        with self.tx():
            cursor = self.execute(
                "UPDATE sends SET sender = ? WHERE subscriber_id = ? AND position = ? AND state = ? AND sender = ?",
                (self.sender, item.subscriber_id, item.position, item.state, item.sender),
            )
            return self.changed(cursor) == 1

    def decide(self, email: str, lesson: str, sent: bool, now: int) -> bool:
        """Settle an unresolved send by hand: it was sent (`sent`), or it must go out again."""
        rows = self.query(
            "SELECT d.subscriber_id, d.position, s.plan FROM sends d JOIN subscribers s ON s.id = d.subscriber_id"
            " WHERE s.email = ? AND d.lesson = ? AND d.state = 'unresolved'",
            (email.lower(), lesson),
        )
        if not rows:
            return False
        subscriber_id, position, plan = rows[0]
        due = Due(subscriber_id, email.lower(), email, "", 0, plan, position, None)
        if sent:
            self.settle(due, "sent", now, reason="marked as sent by hand")
        else:
            self.settle(due, "deferred", now, reason="marked to send again by hand", retry_at=now)
        return True

    def suppress(self, email: str, reason: str, now: int) -> None:
        with self.tx():
            self.execute(
                "INSERT INTO suppressions (email, reason, at) VALUES (?, ?, ?)"
                " ON CONFLICT (email) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                (email, reason, now),
            )

    def suppress_many(self, entries: Iterable[tuple[str, str]], now: int) -> None:
        with self.tx():
            self.executemany(
                "INSERT INTO suppressions (email, reason, at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING",
                ((email, reason, now) for email, reason in entries),
            )

    # -- reading --
    def lesson_counts(self) -> dict[tuple[int, str], int]:
        rows = self.query("SELECT position, state, count(*) FROM sends GROUP BY position, state")
        return {(int(p), str(s)): int(n) for p, s, n in rows}

    def cursor_counts(self, now: int) -> dict[int, tuple[int, int]]:
        """Per lesson position at the cursor: (subscribers due now, subscribers waiting for it)."""
        rows = self.query(
            "SELECT next_position, sum(CASE WHEN next_due_at <= ? THEN 1 ELSE 0 END),"
            " sum(CASE WHEN next_due_at > ? THEN 1 ELSE 0 END) FROM subscribers"
            " WHERE listed = 1 AND busy = 0 GROUP BY next_position",
            (now, now),
        )
        return {int(p): (int(d or 0), int(w or 0)) for p, d, w in rows}

    def subscriber(self, email: str) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
        rows = self.query(
            "SELECT id, address, first_name, signed_up_at, time_zone, plan, listed, next_position, next_due_at"
            " FROM subscribers WHERE email = ?",
            (email.lower(),),
        )
        if not rows:
            return None, []
        sends = self.query(
            "SELECT position, lesson, state, provider_id, reason, updated_at, attempts FROM sends"
            " WHERE subscriber_id = ? ORDER BY position",
            (rows[0][0],),
        )
        return rows[0], sends

    def totals(self) -> tuple[int, int, int]:
        row = self.query("SELECT count(*), sum(listed), (SELECT count(*) FROM suppressions) FROM subscribers")[0]
        return int(row[0]), int(row[1] or 0), int(row[2] or 0)


class SqliteLedger(Ledger):
    """A ledger in one SQLite file. One sender at a time: a lock file beside it says who."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path
        self.flush_claims = self.boot is not None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            # 64 MB of page cache (taken only as the ledger grows): a million subscribers' email index stays in it.
            self.db.execute("PRAGMA cache_size = -65536")
        except (sqlite3.OperationalError, OSError) as exc:
            raise OutputError(Problem(path, f"cannot open the ledger: {exc}")) from None
        except sqlite3.DatabaseError as exc:
            raise OutputError(Problem(path, f"is not a dripcourse ledger: {exc}")) from None
        self.lock_file: Any = None

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        self.db.executemany(sql, rows)

    @contextmanager
    def tx(self, durable: bool = False) -> Iterator[None]:
        if durable:
            self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            if durable:
                self.db.execute("PRAGMA synchronous = NORMAL")

    def sync(self, rows: Iterable[Row], whole: bool = True) -> tuple[int, int]:
        """As `Ledger.sync`; a first list goes straight into an empty ledger, the first row of an address winning,
        with the due index built once at the end (a million rows in a few seconds)."""
        if not whole or self.query("SELECT 1 FROM subscribers LIMIT 1"):
            return super().sync(rows, whole)
        read = 0

        def counted() -> Iterator[Row]:
            nonlocal read
            for row in rows:
                read += 1
                yield row

        with self.tx():
            before = self.db.total_changes
            self.execute("DROP INDEX subscribers_due")
            self.executemany(
                "INSERT INTO subscribers (email, address, first_name, signed_up_at, time_zone, plan, line_digest,"
                f" listed, busy, next_position, next_due_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, 0, 0,"
                f" {next_due_sql('?6', '0')}) ON CONFLICT (email) DO NOTHING",
                counted(),
            )
            inserted = self.db.total_changes - before
            self.execute(DUE_INDEX)
        return read, read - inserted

    def close(self) -> None:
        self.db.close()
        if self.lock_file is not None:
            self.lock_file.close()

    def start_sender(self) -> bool:
        self.lock_file = open(self.path.with_name(self.path.name + ".lock"), "a+")  # noqa: SIM115 (held open)
        try:
            fcntl.flock(self.lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.lock_file.close()
            self.lock_file = None
            return False
        self.lock_file.seek(0)
        self.lock_file.truncate()
        self.lock_file.write(f"{self.sender}\n")
        self.lock_file.flush()
        with self.tx():
            self.execute(
                "INSERT INTO senders (id, host, pid, started_at, lock_key, boot_id) VALUES (?, ?, ?, ?, 0, ?)",
                (self.sender, socket.gethostname(), os.getpid(), int(time.time()), self.boot or ""),
            )
        return True

    def dead_senders(self, senders: set[str]) -> set[str]:
        # Holding the lock file means every other sender of this ledger has stopped.
        return {s for s in senders if s != self.sender}


class PostgresLedger(Ledger):
    """A ledger in PostgreSQL, shared by any number of senders: claims take row locks with SKIP LOCKED, and each
    sender holds a session advisory lock, so a sender that dies (or loses its connection) is known to be gone."""

    dialect = "postgresql"

    def __init__(self, url: str):
        super().__init__(redact(url))
        try:
            import psycopg
        except ImportError:  # pragma: no cover - psycopg is a dependency
            raise OutputError(
                Problem(None, "--ledger postgresql:// needs psycopg: pip install 'psycopg[binary]'")
            ) from None
        self.psycopg = psycopg
        try:
            self.db = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise OutputError(Problem(self.where, f"cannot connect to the ledger: {one_line(exc)}")) from None
        self.lock_key = 0

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.db.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with self.db.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), list(rows))

    def load_incoming(self, rows: Iterable[Row]) -> int:
        count = 0
        with self.db.cursor() as cursor, cursor.copy("COPY incoming FROM STDIN") as copy:
            for row in rows:
                count += 1
                copy.write_row((*row, count))
        return count

    @contextmanager
    def tx(self, durable: bool = False) -> Iterator[None]:
        with self.db.transaction():
            yield

    def close(self) -> None:
        self.db.close()

    def lock_schema(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?, 0)", (ADVISORY_CLASS,))

    def sync(self, rows: Iterable[Row], whole: bool = True) -> tuple[int, int]:
        with self.tx():
            # One sender syncs at a time; the others wait for it rather than fight over the same rows.
            self.execute("SELECT pg_advisory_xact_lock(?, ?)", (ADVISORY_CLASS, -SYNC_LOCK))
            return super().sync(rows, whole)

    def skip_locked(self) -> str:
        return " FOR UPDATE OF s SKIP LOCKED"

    def start_sender(self) -> bool:
        with self.tx():
            # A random key, not max + 1: two senders starting together must never share one.
            self.lock_key = secrets.randbelow(2**31 - 1) + 1
            self.execute(
                "INSERT INTO senders (id, host, pid, started_at, lock_key, boot_id) VALUES (?, ?, ?, ?, ?, ?)",
                (self.sender, socket.gethostname(), os.getpid(), int(time.time()), self.lock_key, self.boot or ""),
            )
        self.execute("SELECT pg_advisory_lock(?, ?)", (ADVISORY_CLASS, self.lock_key))
        return True

    def dead_senders(self, senders: set[str]) -> set[str]:
        dead = set()
        for sender in senders - {self.sender}:
            rows = self.query("SELECT lock_key FROM senders WHERE id = ?", (sender,))
            if not rows:
                dead.add(sender)
                continue
            key = int(rows[0][0])
            if self.query("SELECT pg_try_advisory_lock(?, ?)", (ADVISORY_CLASS, key))[0][0]:
                self.execute("SELECT pg_advisory_unlock(?, ?)", (ADVISORY_CLASS, key))
                dead.add(sender)
        return dead


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def open_ledger(where: str | Path) -> Ledger:
    """A ledger from a path (SQLite) or a postgresql:// URL, with its migrations applied."""
    text = str(where)
    ledger: Ledger
    ledger = PostgresLedger(text) if text.startswith(("postgresql://", "postgres://")) else SqliteLedger(Path(text))
    try:
        ledger.migrate()
    except sqlite3.DatabaseError as exc:
        ledger.close()
        raise OutputError(Problem(text, f"is not a dripcourse ledger: {exc}")) from None
    return ledger
