"""The command line (docs/design.md, "Command line"): ``run``, ``explain``, ``summarize``,
``gui``, ``history``, ``--version``.

Exit status: 0 ok; 1 blocked or degraded; 2 offline, captive portal, inconclusive, or the
checks could not run; 3 bad usage or a bad profile (one clear message, no traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from clearsight import APP_NAME, __version__

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_NOT_ANSWERED = 2
EXIT_USAGE = 3

STATUS_EXIT = {
    "ok": EXIT_OK,
    "blocked": EXIT_PROBLEMS,
    "degraded": EXIT_PROBLEMS,
    "offline": EXIT_NOT_ANSWERED,
    "captive_portal": EXIT_NOT_ANSWERED,
    "inconclusive": EXIT_NOT_ANSWERED,
}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="clearsight",
        description="Tells you in plain words what on your network is blocked, how, and what "
        "to do.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = commands.add_parser("run", help="check the network and print the answer")
    run.add_argument("--profile", type=Path, help="a profile (.clearsight, TOML)")
    run.add_argument("--json", type=Path, help="save the full report as JSON")
    run.add_argument("--html", type=Path, help="save the report as one HTML file")
    run.add_argument("--text", type=Path, help="save a short text summary")
    run.add_argument("--pdf", type=Path, help="save the report as PDF")
    run.add_argument("--lang", choices=["en", "zh_CN"], help="language of the texts")
    run.add_argument("--no-redact", action="store_true", help="keep personal details")
    run.add_argument("--quiet", action="store_true", help="print nothing; use the exit status")
    run.add_argument(
        "--skip-sensitive",
        action="store_true",
        help="do not check services marked sensitive (news, messengers, VPN providers)",
    )

    explain = commands.add_parser("explain", help="diagnose and render a saved report again")
    explain.add_argument("report", type=Path)
    explain.add_argument("--lang", choices=["en", "zh_CN"])
    explain.add_argument("--html", type=Path)
    explain.add_argument("--text", type=Path)
    explain.add_argument("--json", type=Path)
    explain.add_argument("--pdf", type=Path)

    history = commands.add_parser(
        "history", help="past checks on this computer, newest first, with what changed"
    )
    history.add_argument("--json", action="store_true", help="print clearsight-history/1 JSON")
    history.add_argument("--service", metavar="ID", help="one service's recent results")
    history.add_argument("--limit", type=_positive, default=20, metavar="N", help="at most N")
    history.add_argument("--lang", choices=["en", "zh_CN"], help="language of the texts")

    summarize = commands.add_parser(
        "summarize", help="IT's overview of many saved reports (files or folders)"
    )
    summarize.add_argument("reports", type=Path, nargs="+", metavar="REPORT|FOLDER")
    summarize.add_argument("--csv", type=Path, help="save one row per service as CSV")
    summarize.add_argument("--html", type=Path, help="save the overview as one HTML page")
    summarize.add_argument("--json", type=Path, help="save the overview as JSON")
    summarize.add_argument("--lang", choices=["en", "zh_CN"], help="language of the texts")

    gui = commands.add_parser("gui", help="open the desktop app")
    gui.add_argument("--profile", type=Path)
    gui.add_argument("--run", action="store_true", help="start the checks at once")
    gui.add_argument("--watch", action="store_true", help="start in the tray, checking again")
    return parser


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= number <= 100_000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100000: {value}")
    return number


def _tolerant_streams() -> None:
    """A console or pipe whose encoding cannot show every character (a legacy code page,
    ``PYTHONIOENCODING=ascii``) gets "?" for them instead of a traceback at the end."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_streams()
    args_list = list(sys.argv[1:] if argv is None else argv)
    # `clearsight PATH` (a file association) opens the app with that profile or report.
    if (
        args_list
        and not args_list[0].startswith("-")
        and args_list[0]
        not in (
            "run",
            "explain",
            "summarize",
            "gui",
            "history",
        )
    ):
        target = Path(args_list[0])
        if len(args_list) > 1 or not target.is_file():
            print(
                f"clearsight: {args_list[0]!r} is neither a command (run, explain, summarize, "
                "gui, history) nor a file to open; see clearsight --help",
                file=sys.stderr,
            )
            return EXIT_USAGE
        return _gui(path=target, profile=None, run_now=False)
    try:
        args = _parser().parse_args(args_list)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "run":
            with _quit_signals_interrupt():
                return _run(args)
        if args.command == "explain":
            with _quit_signals_interrupt():
                return _explain(args)
        if args.command == "history":
            from clearsight.history.cli import history_command, system_language

            return history_command(
                as_json=args.json,
                service=args.service,
                limit=args.limit,
                language=_language(args.lang, system_language()),
            )
        if args.command == "summarize":
            from clearsight.overview.command import run_summarize

            with _quit_signals_interrupt():
                return run_summarize(
                    args.reports,
                    language=args.lang,
                    csv_path=args.csv,
                    html_path=args.html,
                    json_path=args.json,
                )
        return _gui(
            path=None,
            profile=getattr(args, "profile", None),
            run_now=getattr(args, "run", False),
            watch=getattr(args, "watch", False),
        )
    except (KeyboardInterrupt, Stopped):
        print("\nStopped.", file=sys.stderr)
        return EXIT_NOT_ANSWERED


class Stopped(BaseException):
    """Raised in the main thread by Ctrl-C, SIGTERM or SIGHUP while a command runs.

    Not KeyboardInterrupt on purpose: CPython remembers a KeyboardInterrupt that passes through
    source run by exec() (dataclasses and namedtuple create their methods that way, so an import
    can be interrupted there) and then ends the process by SIGINT, even after the exception was
    caught and the command returned its exit status."""


@contextlib.contextmanager
def _quit_signals_interrupt() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP (a closed terminal, a logout, a shutdown) stop the command
    line: the checks are cancelled, the command exits with status 2 and a file being saved is
    never left behind half written (its temporary file is removed)."""

    def interrupt(signum: int, frame: object) -> None:
        raise Stopped

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None:
                with contextlib.suppress(OSError, ValueError):
                    previous[number] = signal.signal(number, interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(number, handler)


def _language(requested: str | None, fallback: str) -> str:
    from clearsight.explanations import normalise_language

    if requested:
        return normalise_language(requested)
    return normalise_language(fallback or "en")


class _Progress:
    """One line on stderr, rewritten as checks finish (only on a terminal)."""

    def __init__(
        self, stream: TextIO, language: str, enabled: bool, services: dict[str, str]
    ) -> None:
        from clearsight.explanations import catalog

        self._stream = stream
        self._texts = catalog(language)
        self._services = services  # id -> name in the language
        self._enabled = enabled
        self._lock = threading.Lock()
        self._width = 0

    def __call__(self, event: Any) -> None:
        if not self._enabled or event.kind == "done":
            return
        current = self._texts.check_label(event.check, event.label, self._services)
        line = self._texts.ui("progress", current=current, done=event.done, total=event.total)
        columns = 79
        line = line[:columns]
        with self._lock:
            self._stream.write("\r" + line.ljust(self._width))
            self._stream.flush()
            self._width = len(line)

    def clear(self) -> None:
        if self._enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()


def _run(args: argparse.Namespace) -> int:
    from clearsight.engine.run import CheckRun
    from clearsight.profile.loader import ProfileError, check_ca_file, load_profile
    from clearsight.report.build import RunMeta, build_report, now_iso

    try:
        profile = load_profile(args.profile)
        check_ca_file(profile, None if args.profile is None else str(args.profile))
    except ProfileError as exc:
        # The profile's own language setting is unknown here: --lang, else English.
        print(exc.message(_language(args.lang, "en")), file=sys.stderr)
        return EXIT_USAGE
    language = _language(args.lang, profile.settings.language)
    interactive = sys.stderr.isatty() and not args.quiet
    names = {s.id: s.name_in(language) for s in profile.services}
    progress = _Progress(sys.stderr, language, interactive, names)
    run = CheckRun(profile, skip_sensitive=args.skip_sensitive, on_event=progress)
    run.start()
    try:
        result = None
        while result is None:
            result = run.wait(timeout=0.2)
    except (KeyboardInterrupt, Stopped):
        run.cancel()
        result = run.wait(timeout=2.0)
        if result is None:
            progress.clear()
            print("Stopped.", file=sys.stderr)
            return EXIT_NOT_ANSWERED
    progress.clear()
    meta = RunMeta(
        profile_name=profile.name,
        support_contact=profile.support_contact,
        started_at=now_iso(result.started_at),
        finished_at=now_iso(result.finished_at),
        duration_s=result.duration_s,
        outcome=result.outcome,
        names=profile.names_by_language(),
        service_names=profile.service_names_by_language(),
    )
    report = build_report(result.observations, meta, language=language, redact=not args.no_redact)
    from clearsight.history.cli import change_line, record_after_run

    kept, _ = record_after_run(
        report, consent_sensitive=not args.skip_sensitive, language=language, quiet=args.quiet
    )
    code = _deliver(report, args, quiet=args.quiet)
    changed = change_line(kept, report, language)
    if changed and not args.quiet:
        print(changed)
    if result.outcome == "cancelled":
        # What a stopped run found is saved, but it is no answer: never "blocked" or "ok".
        return EXIT_NOT_ANSWERED
    return code


def _explain(args: argparse.Namespace) -> int:
    from clearsight.report.build import ReportError, build_report, load_report, meta_from_report
    from clearsight.report.codec import diagnosis_from_report

    try:
        saved, observations = load_report(args.report)
    except ReportError as exc:
        print(exc.message(_language(args.lang, "en")), file=sys.stderr)
        return EXIT_USAGE
    language = _language(args.lang, str(saved.get("language") or "en"))
    report = build_report(
        observations,
        meta_from_report(saved),
        language=language,
        redact=bool(saved.get("redacted", True)),
        # The saved result itself when the current rules wrote it; else diagnosed again.
        diagnosis=diagnosis_from_report(saved),
    )
    return _deliver(report, args, quiet=False)


def _deliver(report: dict[str, Any], args: argparse.Namespace, *, quiet: bool) -> int:
    """Write every file asked for, print the summary, return the exit status."""
    from clearsight.report.files import SaveError, save_error_text, save_json, save_text
    from clearsight.report.pdf import PdfError
    from clearsight.report.text import render_email_text, render_text

    failed = False
    writers: list[tuple[Path | None, Any]] = [
        (getattr(args, "json", None), lambda p: save_json(p, report)),
        (getattr(args, "text", None), lambda p: save_text(p, render_email_text(report))),
        (getattr(args, "html", None), lambda p: _save_html(p, report)),
        (getattr(args, "pdf", None), lambda p: _save_pdf(p, report)),
    ]
    for path, write in writers:
        if path is None:
            continue
        try:
            write(path)
        except SaveError as exc:
            print(save_error_text(exc, str(report.get("language") or "en")), file=sys.stderr)
            failed = True
        except PdfError as exc:
            print(str(exc), file=sys.stderr)
            failed = True
    if not quiet:
        colour = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
        sys.stdout.write(render_text(report, colour=colour))
        sys.stdout.flush()
    status = str((report.get("summary") or {}).get("status") or "inconclusive")
    if failed:
        return EXIT_NOT_ANSWERED
    return STATUS_EXIT.get(status, EXIT_NOT_ANSWERED)


def _save_html(path: Path, report: dict[str, Any]) -> None:
    from clearsight.report.files import save_text
    from clearsight.report.html import render_html

    save_text(path, render_html(report))


def _save_pdf(path: Path, report: dict[str, Any]) -> None:
    from clearsight.report.files import save_bytes
    from clearsight.report.pdf import render_pdf

    save_bytes(path, render_pdf(report))


def _no_screen() -> bool:
    """On Linux, Qt aborts the process when no display can be reached: say it plainly."""
    if not sys.platform.startswith("linux"):
        return False
    names = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    return not any(os.environ.get(name) for name in names)


def _gui(path: Path | None, profile: Path | None, run_now: bool, watch: bool = False) -> int:
    if _no_screen():
        print(
            "There is no screen to show the app on (no DISPLAY or WAYLAND_DISPLAY). "
            "The command line works without one: clearsight run --help",
            file=sys.stderr,
        )
        return EXIT_NOT_ANSWERED
    try:
        from clearsight.gui.app import run_app  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        print(
            f"The desktop app cannot start here ({exc}). The command line works: "
            "clearsight run --help",
            file=sys.stderr,
        )
        return EXIT_NOT_ANSWERED
    return int(run_app(path=path, profile=profile, run_now=run_now, watch=watch))


if __name__ == "__main__":
    raise SystemExit(main())
