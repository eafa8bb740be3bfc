"""The ledger: versioned migrations, SQLite and a real PostgreSQL (started here with initdb and pg_ctl), and
several senders on one PostgreSQL that never take the same send."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import REPO, need_tool
from dripcourse.drip.ledger import Due, open_ledger, plan_text
from dripcourse.errors import DripcourseError
from services.postgres import PostgresServer, binaries
from services.smtp import SmtpServer
from services.world import World
from test_send_list import ZONES, listed, read_into, row, write


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    need_tool(binaries() is not None, "PostgreSQL (initdb, pg_ctl)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        need_tool(False, "psycopg (pip)")
    server = PostgresServer().start()
    yield server
    server.stop()


def test_sqlite_migrations_are_versioned_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = open_ledger(path)
    assert ledger.query("SELECT version, name FROM schema_migrations ORDER BY version") == [
        (1, "subscribers, sends, suppressions, senders"),
        (2, "boot of each sender, digest of each subscriber's row"),
    ]
    assert ledger.migrate() == []
    ledger.execute("UPDATE schema_migrations SET version = 9 WHERE version = 2")
    ledger.close()
    with pytest.raises(DripcourseError) as caught:
        open_ledger(path)
    assert str(caught.value) == f"{path}: ledger schema version 9 is newer than this dripcourse knows (2); upgrade"


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(DripcourseError) as caught:
        open_ledger(path)
    assert str(caught.value) == f"{path}: is not a dripcourse ledger: file is not a database"
    assert path.read_bytes().startswith(b"these are my notes")


def test_postgres_migrations_are_versioned(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    ledger = open_ledger(url)
    assert ledger.query("SELECT version, name FROM schema_migrations ORDER BY version") == [
        (1, "subscribers, sends, suppressions, senders"),
        (2, "boot of each sender, digest of each subscriber's row"),
    ]
    ledger.close()
    again = open_ledger(url)
    assert again.migrate() == []
    again.close()


def seed(url: str, count: int, due_at: int) -> None:
    ledger = open_ledger(url)
    ledger.bind_course("Tea at Home", ["welcome", "water-matters"])
    ledger.sync(
        (f"r{i}@readers.example", f"r{i}@readers.example", "", due_at, "UTC", plan_text([due_at, due_at + 86400]), i)
        for i in range(count)
    )
    ledger.close()


def test_claims_skip_rows_another_sender_holds_and_dead_senders_are_known(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    seed(url, 10, 1_000)
    first, second = open_ledger(url), open_ledger(url)
    assert first.start_sender() and second.start_sender()
    with first.tx():
        # first holds row locks on four subscribers mid-transaction; second skips them instead of waiting
        held = first.query(
            "SELECT id FROM subscribers WHERE next_due_at <= 2000 ORDER BY next_due_at, id LIMIT 4 FOR UPDATE SKIP LOCKED"
        )
        taken = second.claim(2_000, 10)
        assert len(held) == 4 and len(taken) == 6
        assert not {row[0] for row in held} & {due.subscriber_id for due in taken}
    assert second.dead_senders({first.sender}) == set()
    more = first.claim(2_000, 10)
    assert len(more) == 4
    first.close()  # its session ends: its advisory lock goes with it, once the server has seen the session go
    deadline = time.monotonic() + 10
    while second.dead_senders({first.sender}) != {first.sender} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.dead_senders({first.sender}) == {first.sender}
    second.close()


def test_several_send_processes_on_one_postgres_never_send_twice(tmp_path: Path, postgres: PostgresServer) -> None:
    url = postgres.new_database()
    with SmtpServer() as server:
        world = World(tmp_path, server.env())
        now = datetime.now(UTC).replace(microsecond=0)
        world.sign_up([(f"reader{i}@readers.example", "", now, "") for i in range(300)])
        env = {**os.environ, **world.env, "PYTHONPATH": str(REPO / "src")}
        command = [
            sys.executable,
            "-m",
            "dripcourse",
            "send",
            str(world.course),
            "--via",
            "smtp",
            "--subscribers",
            str(world.subscribers),
            "--ledger",
            url,
        ]
        senders = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        outputs = [p.communicate(timeout=300) for p in senders]
        assert [p.returncode for p in senders] == [0] * 4, outputs
        counts = server.mailbox.keys()
        assert len(counts) == 300 and set(counts.values()) == {1}
        sent = [int(out.split(",")[0].removeprefix("Sent ")) for out, _ in outputs]
        assert sum(sent) == 300
        ledger = open_ledger(url)
        rows = ledger.query("SELECT state, count(*), count(DISTINCT sender) FROM sends GROUP BY state")
        ledger.close()
        assert rows[0][:2] == ("sent", 300)
        assert rows[0][2] >= 2, f"only one sender did any work: {sent}"


def test_a_due_row_from_a_postgres_ledger_round_trips(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    seed(url, 1, 500)
    ledger = open_ledger(url)
    ledger.start_sender()
    (due,) = ledger.claim(600, 5)
    assert due == Due(
        due.subscriber_id, "r0@readers.example", "r0@readers.example", "", 500, plan_text([500, 86900]), 0, None
    )
    assert ledger.start(due, "welcome", "<k@x>", "smtp", 601)
    ledger.settle(due, "sent", 602, provider_id="250 ok")
    assert ledger.query("SELECT next_position, next_due_at, busy FROM subscribers") == [(1, 86900, 0)]
    assert ledger.query("SELECT state, provider_id, attempts FROM sends") == [("sent", "250 ok", 1)]
    ledger.close()


def test_an_edited_list_on_postgres_ends_as_a_fresh_read_would(tmp_path: Path, postgres: PostgresServer) -> None:
    url, fresh = postgres.new_database(), postgres.new_database()
    subscribers = tmp_path / "subscribers.csv"
    lines = [row(n, f"R{n}", n % 3, ZONES[n % 4]) for n in range(40)]
    write(subscribers, lines)
    assert read_into(url, subscribers).rows == 40
    lines[3] = row(3, "Three", 1, "Asia/Kolkata")
    del lines[7]
    lines.insert(0, lines[10])  # a copy of a row: the later one is the duplicate, read again
    lines.append(row(5, "Later", 2, ""))  # a second row for an address already listed
    write(subscribers, lines)
    assert read_into(url, subscribers).rows == 3
    read_into(fresh, subscribers)
    now = listed(url)
    assert now == listed(fresh)
    assert len(now) == 39
    assert now["reader3@readers.example"][1] == "Three"
    assert now["reader5@readers.example"][1] == "R5"
