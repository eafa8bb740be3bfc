"""The command line: each command parses its options, calls one library function, and prints the result."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from dripcourse import __version__
from dripcourse.errors import DripcourseError, Problem, one_line
from dripcourse.terminal import say, visible

T = TypeVar("T")

app = typer.Typer(
    name="dripcourse",
    help="Turn a YAML syllabus and a folder of articles into a ready-to-send email course.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and error text: rich's formatter costs more start-up than everything `build` imports for its work.
    rich_markup_mode=None,
)

CourseDir = Annotated[Path, typer.Argument(help="The course folder, holding syllabus.yaml.")]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Where to write the built course.")]


def fail(error: DripcourseError) -> typer.Exit:
    count = len(error.problems)
    heading = "Error:" if count == 1 else f"Error: {count} problems found:"
    if count == 1:
        say(f"{heading} {error.problems[0]}", err=True)
    else:
        say(heading, err=True)
        for problem in error.problems:
            say(f"  {problem}", err=True)
    return typer.Exit(error.exit_code)


def run(action: Callable[[], T]) -> T:
    """Call into the library, turning its input errors into a message and an exit code, and a file the system
    would not read or write (a missing folder, a name too long, a full or read-only disk) into exit 1."""
    from dripcourse.errors import EnvironmentFault

    try:
        return action()
    except DripcourseError as exc:
        raise fail(exc) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise fail(EnvironmentFault(Problem(exc.filename, f"the system refused it: {reason}"))) from None


def preview_date() -> date:
    """The signup date an evergreen build previews: SOURCE_DATE_EPOCH when set (reproducible builds), else today."""
    from dripcourse.errors import EnvironmentFault
    from dripcourse.syllabus import EARLIEST, LATEST

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:  # unset, or set to nothing: no fixed date asked for
        return date.today()
    latest = int(datetime.combine(LATEST, time(23, 59, 59), UTC).timestamp())  # the last second of LATEST
    # Digits only (ASCII: `int` also reads "٣", " 5" and "1_0"): the reproducible-builds spec asks a build to stop
    # on a malformed value rather than quietly use today.
    if epoch.isascii() and epoch.isdigit() and int(epoch) <= latest:
        return datetime.fromtimestamp(int(epoch), UTC).date()
    raise fail(
        EnvironmentFault(
            Problem(
                None,
                f"SOURCE_DATE_EPOCH must be a Unix time from 0 to {latest} ({EARLIEST} to {LATEST}) in whole seconds,"
                f" got {epoch!r}",
            )
        )
    )


def show_version(value: bool) -> None:
    if value:
        say(f"dripcourse {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Turn a YAML syllabus and a folder of articles into a ready-to-send email course."""


@app.command()
def build(course_dir: CourseDir = Path("course"), out: OutDir = Path("out")) -> None:
    """Build every email of the course into OUT: HTML, plain text, .eml and a manifest."""
    from dripcourse.build import build as build_course

    course = run(lambda: build_course(course_dir, out, preview_date()))
    say(f"Built {len(course.lessons)} emails of '{course.syllabus.course.title}' into {one_line(out)}/")


@app.command()
def sources(
    course_dir: CourseDir = Path("course"),
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Warnings count as errors: exit 1 on an unused section or an uncovered idea."),
    ] = False,
) -> None:
    """List every source section with the emails that use it, then every idea with the emails that cover it."""
    from dripcourse.assemble import idea_coverage, section_usage
    from dripcourse.build import load_course

    course = run(lambda: load_course(course_dir))
    usage = section_usage(course.syllabus, course.sources)
    coverage = idea_coverage(course.syllabus)
    width = max([len(use.section.id) for use in usage] + [len(idea.idea.id) for idea in coverage] + [32])
    current = None
    for use in usage:
        section = use.section
        if section.source != current:
            current = section.source
            source = course.sources[current]
            say(f"{current}  {one_line(source.path)}  ({source.title})")
        if use.emails:
            status = ", ".join(f"day {e.day} {e.slug}" for e in use.emails)
        elif use.covered_elsewhere:
            status = "left out; its ideas are covered: " + ", ".join(i.idea.id for i in use.ideas)
        else:
            status = "UNUSED"
        say(f"  {section.id:<{width}} {plural(section.word_count, 'word', 4):<10}  {status}")
    used = sum(bool(use.emails) for use in usage)
    covered = sum(use.covered_elsewhere for use in usage)
    unused = len(usage) - used - covered
    left_out = f"{covered} left out with their ideas covered, " if course.syllabus.ideas else ""
    uncovered = sum(not idea.emails for idea in coverage)
    if coverage:
        say(f"ideas  {one_line(course.syllabus.path)}")
        for idea in coverage:
            emails = ", ".join(f"day {e.day} {e.slug}" for e in idea.emails)
            where = ", ".join(map(str, idea.idea.sections))
            say(f"  {idea.idea.id:<{width}} {emails or 'UNCOVERED (in ' + where + ')'}")
            if idea.idea.summary:
                say(f"      {idea.idea.summary}")
    say(f"{plural(len(usage), 'section')}, {used} used, {left_out}{unused} unused")
    if coverage:
        say(f"{plural(len(coverage), 'idea')}, {len(coverage) - uncovered} covered, {uncovered} uncovered")
    if strict and (unused or uncovered):
        raise typer.Exit(1)


def plural(count: int, noun: str, width: int = 0) -> str:
    """'1 word', '2 words'; the count right-aligned in `width` so columns line up."""
    return f"{count:>{width}} {noun}{'' if count == 1 else 's'}"


@app.command()
def check(
    course_dir: CourseDir = Path("course"),
    strict: Annotated[bool, typer.Option("--strict", help="Warnings count as errors: exit 1 on any finding.")] = False,
) -> None:
    """Lint the built emails: Gmail clipping, alt text, links, footer, subject, preheader, placeholders."""
    from dripcourse.build import lint

    findings = run(lambda: lint(course_dir, preview_date()))
    for finding in findings:
        say(str(finding))
    errors = sum(f.severity == "error" for f in findings)
    say(f"{errors} errors, {len(findings) - errors} warnings")
    if errors or (strict and findings):
        raise typer.Exit(1)


@app.command()
def export(
    target: Annotated[
        str,
        typer.Argument(
            help="ses, postmark, mailchimp, kit, mailerlite, brevo, sendgrid, mailgun, listmonk, buttondown or eml."
        ),
    ],
    course_dir: CourseDir = Path("course"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write (default: exports/TARGET).")] = None,
) -> None:
    """Export the course for a mailing service, in that service's merge-tag syntax, with a README of the steps."""
    from dripcourse.export import export as export_course

    folder = out or Path("exports") / target
    files = run(lambda: export_course(target, course_dir, folder, preview_date()))
    say(f"Wrote {len(files)} files for {target} into {one_line(folder)}/ (see README.txt)")


@app.command("send-test")
def send_test(
    to: Annotated[str, typer.Option("--to", help="The address that receives the test copies.")],
    course_dir: CourseDir = Path("course"),
    email: Annotated[
        str | None, typer.Option("--email", help="Slug of the email to send (default: the first).")
    ] = None,
    send_all: Annotated[bool, typer.Option("--all", help="Send every email of the course.")] = False,
    host: Annotated[str | None, typer.Option(help="SMTP host (or DRIPCOURSE_SMTP_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="SMTP port (or DRIPCOURSE_SMTP_PORT).")] = None,
    user: Annotated[str | None, typer.Option(help="SMTP user (or DRIPCOURSE_SMTP_USER).")] = None,
    security: Annotated[
        str | None, typer.Option(help="starttls (default), ssl or none (or DRIPCOURSE_SMTP_SECURITY).")
    ] = None,
) -> None:
    """Send test copies over SMTP, subject marked [TEST], merge tags filled with sample values.

    The password is read from DRIPCOURSE_SMTP_PASSWORD, or asked for at a prompt; there is no flag for it."""
    from dripcourse.build import copies_to_send
    from dripcourse.headers import address_problem
    from dripcourse.sending import send_tests, smtp_settings

    problem = address_problem(to)
    if problem:
        raise fail(DripcourseError(Problem(None, f"--to {problem}")))
    env = dict(os.environ)
    settings = run(lambda: smtp_settings(env, host, port, user, security))
    if settings.user and not settings.password and sys.stdin.isatty():
        env["DRIPCOURSE_SMTP_PASSWORD"] = typer.prompt(visible(f"SMTP password for {settings.user}"), hide_input=True)
        settings = run(lambda: smtp_settings(env, host, port, user, security))
    course, chosen = run(lambda: copies_to_send(course_dir, email, send_all, preview_date()))
    count = run(lambda: send_tests(chosen, course.syllabus.course, to, settings, datetime.now(UTC)))
    say(f"Sent {plural(count, 'test email')} to {to} through {settings.host}:{settings.port}")


@app.command()
def serve(
    course_dir: CourseDir = Path("course"),
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).", min=0, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind; only 127.0.0.1 unless you ask.")] = "127.0.0.1",
    open_browser: Annotated[bool, typer.Option("--open", help="Open the preview in a browser.")] = False,
) -> None:
    """Preview the course in a browser, rebuilding and reloading the page whenever a file changes."""
    import webbrowser

    from dripcourse.preview.server import serve as serve_course

    def ready(url: str) -> None:
        say(f"Serving {one_line(course_dir)} at {url} (Ctrl-C to stop)")
        if open_browser:
            webbrowser.open(url)

    try:
        run(lambda: serve_course(course_dir, host, port, preview_date(), ready, say))
    except OSError as exc:
        raise fail(DripcourseError(Problem(None, f"cannot serve on {host}:{port}: {exc.strerror}"))) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C before the server was up (during the first build)
    say("Stopped.")


@app.command("import")
def import_articles(
    files: Annotated[list[Path], typer.Argument(help="Articles: .txt, .md or .html files.")],
    into: Annotated[Path, typer.Option("--into", help="Folder for the new sources.")] = Path("course/sources"),
    source_id: Annotated[str | None, typer.Option("--id", help="Source id (file name) for a single article.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace sources that already exist.")] = False,
    keep_numbers: Annotated[
        bool, typer.Option("--keep-numbers", help="Keep numbering like '1.' or 'Step 2:' in the headings.")
    ] = False,
) -> None:
    """Turn articles into Markdown sources, one per article, with their sections found."""
    from dripcourse.importer import import_into

    written = run(lambda: import_into(files, into, source_id, force, keep_numbers))
    for article, target in written:
        say(f"{one_line(article.source_file)} -> {one_line(target)} ({article.encoding})")
        say(f"  title: {article.title}")
        say(f"  {len(article.sections)} sections:")
        for section in article.sections:
            say(f"    {section.id:<44} {section.word_count:>5} words  {section.number or ''}".rstrip())
        for note in article.notes:
            say(f"Warning: {one_line(article.source_file)}: {note}", err=True)
        for dropped in article.dropped:
            say(f"Warning: {one_line(article.source_file)}: dropped {dropped}", err=True)


@app.command()
def plan(
    course_dir: CourseDir = Path("course"),
    days: Annotated[int, typer.Option("--days", help="How many emails to draft.")] = 7,
    force: Annotated[
        bool, typer.Option("--force", help="Write into syllabus.yaml (only its emails change), not a draft beside it.")
    ] = False,
) -> None:
    """Draft a syllabus from the sources: every section once, in order, balanced by reading time."""
    from dripcourse.planner import plan_course

    target = run(lambda: plan_course(course_dir, days, force))
    say(f"Wrote a {days}-email draft to {one_line(target)}")


@app.command()
def new(
    folder: Annotated[Path, typer.Argument(help="The new course folder.")],
    templates: Annotated[bool, typer.Option("--templates", help="Copy the default theme in, to edit.")] = False,
) -> None:
    """Create a course folder that builds at once: a commented syllabus, two emails and one source."""
    from dripcourse.scaffold import new_course

    written = run(lambda: new_course(folder, templates))
    say(f"Created {one_line(folder)}/ with {len(written)} files. Build it with: dripcourse build {one_line(folder)}")


MAX_ROW_WARNINGS = 50


@app.command()
def schedule(
    course_dir: CourseDir = Path("course"),
    subscribers: Annotated[
        Path, typer.Option("--subscribers", "-s", help="CSV with email,first_name,signed_up_at,timezone.")
    ] = Path("subscribers.csv"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the plan CSV.")] = Path("plan.csv"),
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings count as errors: list every bad row and write no plan.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing plan file.")] = False,
) -> None:
    """Plan who gets which email when (UTC and local) for a list of subscribers."""
    from dripcourse.build import load_course
    from dripcourse.subscribers import plan_file

    course = run(lambda: load_course(course_dir))
    warned = 0

    def warn(problem: Problem) -> None:
        nonlocal warned
        warned += 1
        if warned <= MAX_ROW_WARNINGS:
            say(f"Skipped: {problem}", err=True)

    with typer.progressbar(length=1, label="Planning", file=sys.stderr, hidden=not sys.stderr.isatty()) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        stats = run(
            lambda: plan_file(
                course.syllabus, subscribers, out, strict=strict, force=force, on_problem=warn, on_progress=progress
            )
        )
    if warned > MAX_ROW_WARNINGS:
        say(f"Skipped {warned - MAX_ROW_WARNINGS} more bad rows.", err=True)
    say(
        f"Planned {stats.sends:,} sends for {stats.subscribers - stats.skipped:,} subscribers into {one_line(out)}"
        + (f"; skipped {stats.skipped:,} bad rows" if stats.skipped else "")
    )


PUSH_DECLINED = 3  # a push finished, but something changed or deleted on the service was left as it is


@app.command()
def push(
    target: Annotated[
        str,
        typer.Argument(
            help="kit, postmark, ses, sendgrid, mailgun, brevo, listmonk, mailchimp or buttondown (docs/push.md)."
        ),
    ],
    course_dir: CourseDir = Path("course"),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List every request push would make, and send none.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite or recreate what was changed or deleted on the service, unasked.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete on the service what push created and the course no longer has.")
    ] = False,
    fresh_state: Annotated[
        bool,
        typer.Option(
            "--fresh-state",
            help="Start a new state file (the old one is kept as TARGET.before-TIME.json): for another account.",
        ),
    ] = False,
) -> None:
    """Create or update the course in a mailing service through its API (credentials from the environment).

    The state file COURSE_DIR/push-state/TARGET.json records what exists there, so pushing again updates it."""
    from dripcourse.push import body_summary
    from dripcourse.push import push as push_course

    bars: list[Any] = []

    def progress(total: int) -> Callable[[], None]:
        bar = typer.progressbar(length=total, label="Pushing", file=sys.stderr, hidden=not sys.stderr.isatty())
        bars.append(bar.__enter__())
        return lambda: bar.update(1)

    def confirm(question: str) -> bool:
        if not sys.stdin.isatty():
            typer.echo(f"{question} No: nobody to ask on this run (push --force replaces without asking).", err=True)
            return False
        return typer.confirm(question, default=False, err=True)

    try:
        report = run(
            lambda: push_course(
                target,
                course_dir,
                os.environ,
                preview=preview_date(),
                dry_run=dry_run,
                force=force,
                prune=prune,
                fresh_state=fresh_state,
                confirm=confirm,
                progress=None if dry_run else progress,
            )
        )
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    outcome = report.outcome
    service = report.remote.service
    if dry_run:
        for write in outcome.writes:
            entry = write.entry(report.base_url)
            say(f"{entry['method']} {entry['url']}  {body_summary(write.body)}")
        say(
            f"Dry run: {len(outcome.writes)} requests to {service} written in full to {one_line(report.dry_run_file)} "
            "(nothing sent; changes made on the service are checked only by a real push)"
        )
        return
    say(
        f"Pushed to {service}: {len(outcome.created)} created, {len(outcome.updated)} updated, "
        f"{len(outcome.unchanged)} unchanged"
        + (f", {len(outcome.kept)} kept as changed there" if outcome.kept else "")
        + (f", {len(outcome.skipped)} not recreated" if outcome.skipped else "")
        + (f", {len(outcome.deleted)} deleted" if outcome.deleted else "")
        + f" (state in {one_line(report.state_file)})"
    )
    for what, url in outcome.links:
        say(f"  {what}: {url}")
    if outcome.left:
        say(f"Left on {service}, no longer in the course (push --prune deletes them): {', '.join(outcome.left)}")
    if outcome.spared:
        say(f"Not deleted, as push cannot tell it made them: {', '.join(outcome.spared)}")
    if report.manual:
        say("Still to do by hand:")
        for number, step in enumerate(report.manual, start=1):
            say(f"  {number}. {step}")
    differ = len(outcome.kept) + len(outcome.skipped) + len(outcome.spared)
    if differ:
        # The service and the course now differ by the user's (or the missing terminal's) choice: say so to scripts.
        say(
            f"Exit code {PUSH_DECLINED}: {differ} objects differ from the course "
            "(push --force replaces or recreates changed or deleted ones; --prune deletes only what push made)",
            err=True,
        )
        raise typer.Exit(PUSH_DECLINED)


@app.command()
def send(
    course_dir: CourseDir = Path("course"),
    via: Annotated[
        str | None, typer.Option("--via", help="smtp, ses, postmark, sendgrid, mailgun or listmonk.")
    ] = None,
    subscribers: Annotated[
        Path | None, typer.Option("--subscribers", "-s", help="CSV with email,first_name,signed_up_at,timezone.")
    ] = None,
    unsubscribes: Annotated[
        Path | None, typer.Option("--unsubscribes", help="CSV with an email column; read again before each send.")
    ] = None,
    ledger: Annotated[
        str | None,
        typer.Option("--ledger", help="SQLite file or postgresql:// URL (default: COURSE_DIR/ledger.sqlite)."),
    ] = None,
    catch_up: Annotated[float, typer.Option("--catch-up", help="Hours a late lesson may still go out.")] = 24.0,
    limit: Annotated[int | None, typer.Option("--limit", help="Send at most this many messages, then stop.")] = None,
    rate: Annotated[float | None, typer.Option("--rate", help="Messages per second (default: the provider's).")] = None,
    retries: Annotated[int, typer.Option("--retries", help="Tries again after a transient error.")] = 3,
    backoff: Annotated[float, typer.Option("--backoff", help="Seconds before the first retry; doubles.")] = 2.0,
    settle: Annotated[
        float, typer.Option("--settle", help="Seconds before an interrupted send is looked up at the provider.")
    ] = 300.0,
    watch: Annotated[bool, typer.Option("--watch", help="Keep running; wake when the next lesson is due.")] = False,
    show_unresolved: Annotated[
        bool, typer.Option("--unresolved", help="List sends whose outcome is unknown, and stop.")
    ] = False,
    mark_sent: Annotated[
        list[str] | None, typer.Option("--mark-sent", help="SLUG:EMAIL of an unresolved send that did arrive.")
    ] = None,
    resend: Annotated[
        list[str] | None, typer.Option("--resend", help="SLUG:EMAIL of an unresolved send to send again.")
    ] = None,
) -> None:
    """Send every lesson that is due now to every active subscriber, record it in the ledger, and exit.

    Credentials come only from the environment (see the README). A lesson is never sent twice to one person."""
    from datetime import timedelta

    from dripcourse.drip import session
    from dripcourse.drip.runner import SendOptions

    if show_unresolved or mark_sent or resend:
        choices = [(spec, True) for spec in mark_sent or []] + [(spec, False) for spec in resend or []]
        if choices:
            run(lambda: session.decide(course_dir, ledger, choices, datetime.now(UTC).timestamp()))
            say(f"Settled {plural(len(choices), 'unresolved send')}")
            return
        items = run(lambda: session.unresolved(course_dir, ledger))
        for item in items:
            say(f"{item.lesson}:{item.email}  {item.state}  {item.provider}  {item.send_key}")
        say(f"{len(items)} unresolved; settle each with --mark-sent SLUG:EMAIL or --resend SLUG:EMAIL")
        return
    if via is None:
        raise fail(
            DripcourseError(Problem(None, "--via is required: smtp, ses, postmark, sendgrid, mailgun or listmonk"))
        )
    bounds = {"--catch-up": (catch_up, 87_600.0), "--backoff": (backoff, 3_600.0), "--settle": (settle, 604_800.0)}
    if rate is not None:
        bounds["--rate"] = (rate, 100_000.0)
    for flag, (value, most) in bounds.items():
        if not 0 <= value <= most:  # also false for nan
            raise fail(DripcourseError(Problem(None, f"{flag} must be a number from 0 to {most:g}, got {value:g}")))
    options = SendOptions(
        catch_up=timedelta(hours=catch_up), limit=limit, retries=retries, backoff=backoff, rate=rate, settle=settle
    )
    with typer.progressbar(length=1, label="Sending", file=sys.stderr, hidden=not sys.stderr.isatty()) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        report = run(
            lambda: session.send(
                course_dir,
                via,
                dict(os.environ),
                ledger=ledger,
                subscribers=subscribers,
                unsubscribes=unsubscribes,
                options=options,
                watch=watch,
                on_progress=progress,
            )
        )
    if report.busy:
        say("Another dripcourse send is using this ledger; nothing to do.", err=True)
        return
    lists = report.list_report
    if lists is not None:
        for problem in lists.problems[:MAX_ROW_WARNINGS]:
            say(f"Skipped: {problem}", err=True)
        if len(lists.problems) > MAX_ROW_WARNINGS:
            say(f"Skipped {len(lists.problems) - MAX_ROW_WARNINGS} more bad rows.", err=True)
    skipped = ", ".join(f"{n} {kind}" for kind, n in sorted(report.skipped.items()))
    parts = [f"Sent {report.sent}", f"failed {report.failed}", f"skipped {sum(report.skipped.values())}"]
    parts[-1] += f" ({skipped})" if skipped else ""
    if report.deferred:
        parts.append(f"deferred {report.deferred}")
    if report.resolved:
        parts.append(f"resolved {report.resolved} interrupted sends")
    if report.unresolved:
        parts.append(f"unresolved {report.unresolved} (see dripcourse send --unresolved)")
    say(", ".join(parts))
    if report.stopped:
        say(f"Error: stopped: {report.stopped}", err=True)
        raise typer.Exit(1)


@app.command()
def status(
    course_dir: CourseDir = Path("course"),
    ledger: Annotated[str | None, typer.Option("--ledger", help="SQLite file or postgresql:// URL.")] = None,
    subscriber: Annotated[str | None, typer.Option("--subscriber", help="Show where one subscriber is.")] = None,
) -> None:
    """Per lesson: how many are sent, due, waiting, failed, skipped; with --subscriber, where that person is."""
    from dripcourse.drip import session

    report = run(lambda: session.status(course_dir, ledger, datetime.now(UTC).timestamp(), subscriber))
    columns = ("sent", "due", "waiting", "sending", "failed", "skipped", "unresolved")
    say(f"{'lesson':<28} " + " ".join(f"{name:>8}" for name in columns))
    for item in report.lessons:
        say(
            f"{item.position:>2} {item.slug:<25} {item.sent:>8} {item.due:>8} {item.waiting:>8} {item.in_flight:>8}"
            f" {item.failed:>8} {item.skipped:>8} {item.unresolved:>10}"
        )
    say(f"{report.subscribers} subscribers, {report.listed} on the current list, {report.suppressed} suppressed")
    for slug, state, detail in report.person or []:
        say(f"  {slug:<25} {state:<32} {detail}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        say("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # the last net: every known fault has its own message before it gets here
        say(
            f"Error: internal error ({type(exc).__name__}: {one_line(exc)}); please report it with the command you ran",
            err=True,
        )
        sys.exit(1)
