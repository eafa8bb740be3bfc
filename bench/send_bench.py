"""Benchmarks of `dripcourse send`.

    python bench/send_bench.py decide [--subscribers 1000000]   deciding what is due, with SQLite: time and peak memory
    python bench/send_bench.py smtp [--messages 20000]          messages a second to a local SMTP server (aiosmtpd)
    python bench/send_bench.py chaos [--kills 2000]             the chaos test, longer than CI runs it

`decide` times four runs over a list of a million subscribers (signed up over the last ten days, so most are
part-way through the eight lessons): the first (every subscriber new to the ledger), one after a signup was
appended (only the new row is read), one with the list unchanged, and one after a row was edited in the middle
(every row's digest is compared with the ledger's; only the edited row is read and planned). Each run reads the
list into the ledger and claims the first batch of due sends, in its own process, whose peak memory and CPU
time are reported (other work on the machine stretches the wall time, not the CPU time). `smtp` sends to an
aiosmtpd server in another process over one reused connection, with the ledger written as in a real run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
ZONES = [
    "",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
]
SECRET = "bench-secret-long-enough"


def write_subscribers(path: Path, count: int, now: datetime, days: float = 10.0) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        out.write("email,first_name,signed_up_at,timezone\n")
        for n in range(count):
            signed = now - timedelta(seconds=rng.randrange(int(days * 86400)))
            out.write(f"reader{n}@example.org,Reader{n},{signed:%Y-%m-%dT%H:%M:%SZ},{rng.choice(ZONES)}\n")


def decide_once(course: Path, subscribers: Path, ledger_path: Path) -> None:
    """One run's deciding, in this (child) process: read the list into the ledger, claim the first batch."""
    from dripcourse.build import load_course
    from dripcourse.drip.audience import Unsubscribes
    from dripcourse.drip.ledger import open_ledger
    from dripcourse.drip.providers.base import Provider
    from dripcourse.drip.runner import Audience, Drip, SendOptions

    started = time.perf_counter()
    cpu_started = time.process_time()
    loaded = load_course(course)
    ledger = open_ledger(ledger_path)
    drip = Drip(loaded, ledger, Provider(), Audience(subscribers, Unsubscribes(None)), SendOptions(), SECRET)
    rendered = time.perf_counter()
    cpu_rendered = time.process_time()
    ledger.bind_course(loaded.syllabus.course.title, drip.slugs)
    drip.sync()
    due = drip.count_due()
    claimed = ledger.claim(int(time.time()), 100)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time() - cpu_rendered
    print(
        f"{done - rendered:.2f} s deciding (CPU {cpu:.2f} s; {rendered - started:.2f} s loading and rendering the"
        f" course before, CPU {cpu_rendered - cpu_started:.2f} s), {due:,} due, {len(claimed)} claimed,"
        f" peak {peak:.0f} MB"
    )
    ledger.close()


def decide(count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        course = root / "course"
        shutil.copytree(REPO / "course", course)
        subscribers = root / "subscribers.csv"
        now = datetime.now(UTC)
        write_subscribers(subscribers, count, now)
        ledger = root / "ledger.sqlite"
        size = subscribers.stat().st_size / 1e6
        print(f"{count:,} subscribers x 8 lessons ({size:.0f} MB list), load average {os.getloadavg()[0]:.2f}")
        labels = (
            "first run, every subscriber new",
            "after one signup appended",
            "list unchanged",
            "after one row edited (every row's digest checked, one row read)",
        )
        for label in labels:
            if label.startswith("after one signup"):
                with subscribers.open("a", encoding="utf-8") as out:
                    out.write(f"late@example.org,Late,{now:%Y-%m-%dT%H:%M:%SZ},\n")
            if label.startswith("after one row"):
                text = subscribers.read_text(encoding="utf-8")
                subscribers.write_text(
                    text.replace("reader5@example.org,Reader5,", "reader5@example.org,Five,", 1), encoding="utf-8"
                )
            print(f"  {label}: ", end="", flush=True)
            child = multiprocessing.get_context("spawn").Process(target=decide_once, args=(course, subscribers, ledger))
            child.start()
            child.join()


def smtp_server(port: int, ready: object, counter: object) -> None:
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            counter.value += 1  # type: ignore[attr-defined]
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()  # type: ignore[attr-defined]
    while True:
        time.sleep(3600)


def cpu_seconds(pid: int | None) -> float:
    """CPU time of another process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def smtp(messages: int) -> None:
    import socket

    from dripcourse.drip import session
    from dripcourse.drip.runner import SendOptions

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    ready, counter = context.Event(), context.Value("i", 0)
    server = context.Process(target=smtp_server, args=(port, ready, counter), daemon=True)
    server.start()
    ready.wait(30)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            course = root / "course"
            shutil.copytree(REPO / "course", course)
            subscribers = root / "subscribers.csv"
            write_subscribers(
                subscribers, messages, datetime.now(UTC), days=0.02
            )  # all signed up in the last half hour
            env = {
                "DRIPCOURSE_SMTP_HOST": "127.0.0.1",
                "DRIPCOURSE_SMTP_PORT": str(port),
                "DRIPCOURSE_SMTP_SECURITY": "none",
                "DRIPCOURSE_UNSUBSCRIBE_SECRET": SECRET,
            }
            marks: dict[str, float] = {}

            def progress(done: int, total: int) -> None:
                if done == 1:
                    marks["first"] = time.perf_counter()
                    marks["cpu_first"] = time.process_time()
                    marks["server_first"] = cpu_seconds(server.pid)
                marks["last"] = time.perf_counter()
                marks["cpu_last"] = time.process_time()
                marks["server_last"] = cpu_seconds(server.pid) if done == total else marks["server_first"]

            print(f"{messages:,} messages (Day 0 of the shipped course), load average {os.getloadavg()[0]:.2f}")
            report = session.send(
                course, "smtp", env, subscribers=subscribers, options=SendOptions(batch=500), on_progress=progress
            )
            span = marks["last"] - marks["first"]
            each = (report.sent - 1) / 1000
            print(
                f"  sent {report.sent:,}, server counted {counter.value:,}:"  # type: ignore[attr-defined]
                f" {(report.sent - 1) / span:.0f} messages/s over one connection, each recorded in the ledger;"
                f" CPU per message: {(marks['cpu_last'] - marks['cpu_first']) / each:.2f} ms in dripcourse,"
                f" {(marks['server_last'] - marks['server_first']) / each:.2f} ms in the server"
            )
    finally:
        server.kill()


def chaos(kills: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "CHAOS_KILLS": str(kills), "CHAOS_SECONDS": str(kills * 2)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "tests/test_send_chaos.py"], cwd=REPO, env=env, check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("decide", "smtp", "chaos"))
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--kills", type=int, default=2000)
    args = parser.parse_args()
    if args.what == "decide":
        decide(args.subscribers)
    elif args.what == "smtp":
        smtp(args.messages)
    else:
        chaos(args.kills)


if __name__ == "__main__":
    main()
