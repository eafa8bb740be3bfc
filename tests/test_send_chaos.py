"""Chaos: `send` killed (SIGKILL) at random instants, hundreds of times, against a real SMTP server.

Afterwards no message has arrived twice; every send is either recorded as sent (and arrived once) or reported as
unresolved (the kill fell between handing the message over and recording it: SMTP cannot be asked). Once the
unresolved ones are decided as an operator would, by the server's own record, every subscriber has every due
lesson exactly once. `python bench/send_bench.py --chaos` runs the long version.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from pathlib import Path

from conftest import in_ci
from dripcourse.build import load_course, render_course
from dripcourse.drip import session
from dripcourse.drip.audience import Unsubscribes
from dripcourse.drip.ledger import open_ledger
from dripcourse.drip.providers.registry import make_provider
from dripcourse.drip.runner import Audience, Drip, SendOptions
from services.smtp import SmtpServer
from services.world import World

# CI: 200 kills within two minutes; `python bench/send_bench.py chaos` sets these higher.
KILLS = int(os.environ.get("CHAOS_KILLS", "200"))
TIME_BOUND = float(os.environ.get("CHAOS_SECONDS", "300"))
SUBSCRIBERS = 4 * KILLS


def child_run(world: World, built: list) -> None:  # type: ignore[type-arg]
    """In a forked child: one `send` run, exactly as the command does it, then exit."""
    try:
        course = load_course(world.course)
        ledger = open_ledger(world.course / "ledger.sqlite")
        provider = make_provider("smtp", world.env, course.syllabus.course.sender.email)
        audience = Audience(world.subscribers, Unsubscribes(None))
        options = SendOptions(settle=0, batch=20)
        Drip(
            course,
            ledger,
            provider,
            audience,
            options,
            world.env["DRIPCOURSE_UNSUBSCRIBE_SECRET"],
            clock=lambda: world.now,
            built=built,
        ).run()
        ledger.close()
    finally:
        os._exit(0)


def chaos(world: World, server: SmtpServer, kills: int, time_bound: float, seed: int) -> tuple[int, int]:
    """Run and kill senders until nothing is left to send; returns (kills done, runs that finished).

    A quarter of the kills fall at a random instant after the start (reading the course, the list, the ledger);
    the rest right after the server took a message, 0 to 3 ms later, where a kill hurts most: between the
    provider accepting a message and the ledger recording it.
    """
    built = render_course(load_course(world.course), world.clock_time.date())
    rng = random.Random(seed)
    done_kills = finished = 0
    started = time.monotonic()
    while True:
        killing = done_kills < kills and time.monotonic() - started < time_bound
        before = len(server.messages)
        pid = os.fork()
        if pid == 0:
            child_run(world, built)
        if killing:
            by_time = rng.random() < 0.25
            wait_for = rng.randint(1, 4)
            deadline = time.monotonic() + (rng.uniform(0.0, 0.4) if by_time else 10.0)
            while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
                if not by_time and len(server.messages) >= before + wait_for:
                    time.sleep(rng.uniform(0.0, 0.003))
                    break
                time.sleep(0.0005)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # reaped by the WNOHANG poll: it had finished
            status = 0
        if os.WIFSIGNALED(status):
            done_kills += 1
        else:
            finished += 1
            if not killing:
                return done_kills, finished


def states(world: World) -> dict[str, str]:
    ledger = open_ledger(world.course / "ledger.sqlite")
    try:
        rows = ledger.query("SELECT s.email, d.state FROM sends d JOIN subscribers s ON s.id = d.subscriber_id")
        return {str(email): str(state) for email, state in rows}
    finally:
        ledger.close()


def test_killed_at_random_points_never_sends_twice_and_loses_nothing(tmp_path: Path) -> None:
    with SmtpServer() as server:
        world = World(tmp_path, server.env())
        when = world.clock_time
        world.sign_up([(f"reader{i}@readers.example", f"R{i}", when, "") for i in range(SUBSCRIBERS)])
        kills, finished = chaos(world, server, KILLS, TIME_BOUND, seed=17)
        assert kills >= (100 if in_ci() else 50), f"only {kills} kills in the time bound"
        received = server.mailbox.keys()
        assert max(received.values()) == 1, [k for k, n in received.items() if n > 1]
        got = {to for to, _ in received}
        recorded = states(world)
        assert len(recorded) == SUBSCRIBERS
        assert set(recorded.values()) <= {"sent", "unresolved"}
        sent = {e for e, s in recorded.items() if s == "sent"}
        unresolved = {e for e, s in recorded.items() if s == "unresolved"}
        assert sent <= got  # recorded as sent means it arrived
        assert len(unresolved) <= kills
        # The operator checks the server's log for each unresolved send and decides.
        decisions = [(f"welcome:{email}", email in got) for email in sorted(unresolved)]
        if decisions:
            session.decide(world.course, None, decisions, world.now)
        world.send()
        final = server.mailbox.keys()
        assert sorted(to for to, _ in final) == sorted(f"reader{i}@readers.example" for i in range(SUBSCRIBERS))
        assert set(final.values()) == {1}
        assert set(states(world).values()) == {"sent"}
        print(f"{kills} kills, {finished} whole runs, {len(unresolved)} unresolved, {len(received)} delivered")
