"""Reading an edited list: only rows whose digest the ledger does not know are read, and the ledger ends up as if
the whole list had been read into an empty one (the first row of an address wins, rows gone are taken off)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dripcourse.build import load_course, render_course
from dripcourse.drip.audience import ListReport, Unsubscribes
from dripcourse.drip.ledger import open_ledger
from dripcourse.drip.providers.base import Provider
from dripcourse.drip.runner import Audience, Drip, SendOptions
from services.world import FIXTURES, SECRET

COURSE = load_course(FIXTURES / "mini")
BUILT = render_course(COURSE, datetime(2026, 3, 2, tzinfo=UTC).date())
HEADER = "email,first_name,signed_up_at,timezone"
ZONES = ["", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


def read_into(ledger_path: Path | str, subscribers: Path) -> ListReport:
    ledger = open_ledger(ledger_path)
    try:
        drip = Drip(
            COURSE, ledger, Provider(), Audience(subscribers, Unsubscribes(None)), SendOptions(), SECRET, built=BUILT
        )
        ledger.bind_course(COURSE.syllabus.course.title, drip.slugs)
        drip.sync()
        assert drip.report.list_report is not None
        return drip.report.list_report
    finally:
        ledger.close()


def listed(ledger_path: Path | str) -> dict[str, tuple[object, ...]]:
    ledger = open_ledger(ledger_path)
    try:
        rows = ledger.query(
            "SELECT email, address, first_name, signed_up_at, time_zone, plan, next_due_at FROM subscribers"
            " WHERE listed = 1"
        )
        return {str(row[0]): tuple(row[1:]) for row in rows}
    finally:
        ledger.close()


def row(n: int, name: str, day: int, zone: str) -> str:
    signed = datetime(2026, 3, 1, 9, 0, tzinfo=UTC) + timedelta(days=day, minutes=37 * n)
    return f"reader{n}@readers.example,{name},{signed:%Y-%m-%dT%H:%M:%SZ},{zone}"


def write(path: Path, lines: list[str], header: str = HEADER) -> None:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def test_an_edited_row_alone_is_read_and_a_removed_row_is_taken_off(tmp_path: Path) -> None:
    subscribers, ledger = tmp_path / "subscribers.csv", tmp_path / "ledger.sqlite"
    lines = [row(n, f"R{n}", n % 3, ZONES[n % 4]) for n in range(50)]
    write(subscribers, lines)
    assert read_into(ledger, subscribers).rows == 50
    lines[10] = row(10, "Ten", 0, "Asia/Kolkata")
    del lines[20]
    lines.reverse()  # moving rows changes nothing
    lines.append("not-an-address,,2026-03-01T09:00:00Z,")
    write(subscribers, lines)
    report = read_into(ledger, subscribers)
    assert report.rows == 1  # only the edited row was read; the bad one is reported again
    assert [str(p) for p in report.problems] == [f"{subscribers}:51: email: not an email address: 'not-an-address'"]
    now = listed(ledger)
    assert now["reader10@readers.example"][1] == "Ten"
    assert now["reader10@readers.example"][3] == "Asia/Kolkata"
    assert "reader20@readers.example" not in now
    assert len(now) == 49


def test_the_first_row_of_an_address_wins_whatever_is_edited(tmp_path: Path) -> None:
    subscribers, ledger = tmp_path / "subscribers.csv", tmp_path / "ledger.sqlite"
    write(subscribers, [row(1, "First", 0, ""), row(2, "Other", 0, ""), row(1, "Second", 1, "")])
    read_into(ledger, subscribers)
    assert listed(ledger)["reader1@readers.example"][1] == "First"
    write(subscribers, [row(1, "First", 0, ""), row(2, "Other", 0, ""), row(1, "Later", 1, "")])
    read_into(ledger, subscribers)
    assert listed(ledger)["reader1@readers.example"][1] == "First"
    with subscribers.open("a", encoding="utf-8") as out:
        out.write(row(1, "Appended", 2, "") + "\n")
    assert read_into(ledger, subscribers).rows == 1
    assert listed(ledger)["reader1@readers.example"][1] == "First"
    write(subscribers, [row(2, "Other", 0, ""), row(1, "Later", 1, ""), row(1, "Appended", 2, "")])
    read_into(ledger, subscribers)
    assert listed(ledger)["reader1@readers.example"][1] == "Later"


def test_a_new_header_has_the_whole_list_read_again(tmp_path: Path) -> None:
    subscribers, ledger = tmp_path / "subscribers.csv", tmp_path / "ledger.sqlite"
    write(subscribers, [row(n, f"R{n}", 0, "") for n in range(5)])
    read_into(ledger, subscribers)
    # The same rows under swapped columns mean other values: none of their digests may be trusted.
    lines = [",".join([f"R{n}", f"reader{n}@readers.example", *row(n, "x", 0, "").split(",")[2:]]) for n in range(5)]
    write(subscribers, lines, header="first_name,email,signed_up_at,timezone")
    assert read_into(ledger, subscribers).rows == 5


EDIT = st.tuples(st.sampled_from(["edit", "remove", "insert", "duplicate", "move", "append"]), st.integers(0, 10**6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(EDIT, min_size=1, max_size=6), min_size=1, max_size=5))
def test_any_sequence_of_edits_leaves_the_ledger_a_fresh_read_would_make(
    tmp_path_factory: object, rounds: list[list[tuple[str, int]]]
) -> None:
    root = Path(tmp_path_factory.mktemp("edits"))  # type: ignore[attr-defined]
    subscribers, ledger, fresh = root / "subscribers.csv", root / "ledger.sqlite", root / "fresh.sqlite"
    rng = random.Random(0)
    lines = [row(n, f"R{n}", n % 4, ZONES[n % 4]) for n in range(30)]
    write(subscribers, lines)
    read_into(ledger, subscribers)
    for edits in rounds:
        for kind, seed in edits:
            rng.seed(seed)
            at = rng.randrange(len(lines)) if lines else 0
            n = rng.randrange(40)
            new = row(n, rng.choice(["A", "B", "C"]), rng.randrange(5), rng.choice(ZONES))
            if kind == "edit" and lines:
                lines[at] = new
            elif kind == "remove" and lines:
                del lines[at]
            elif kind == "insert":
                lines.insert(at, new)
            elif kind == "duplicate" and lines:
                lines.insert(rng.randrange(len(lines) + 1), lines[at])
            elif kind == "move" and lines:
                lines.insert(rng.randrange(len(lines)), lines.pop(at))
            else:
                lines.append(new)
        write(subscribers, lines)
        read_into(ledger, subscribers)
        for path in root.glob("fresh.sqlite*"):
            path.unlink()
        read_into(fresh, subscribers)
        assert listed(ledger) == listed(fresh)
