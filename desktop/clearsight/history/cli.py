"""``clearsight history`` and what ``clearsight run`` does with history (cli.py calls these).

``history`` prints the kept runs newest first with what changed, in the chosen language;
``--json`` writes ``clearsight-history/1`` (docs/design.md); ``--service ID`` one service's
timeline. A missing, paused or unreadable history is one clear line and exit status 0.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from clearsight.history.settings import load_settings
from clearsight.history.store import (
    DB_FILE,
    HistoryError,
    HistoryStore,
    HistoryUnavailable,
    Notice,
    RecordResult,
    Run,
    open_history,
)

SCHEMA = "clearsight-history/1"
DEFAULT_LIMIT = 20


def system_language() -> str:
    from clearsight.explanations import normalise_language

    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "LANG"):
        value = os.environ.get(name)
        if value:
            return normalise_language(value)
    return "en"


def history_json(runs: list[Run], service: str | None = None) -> dict[str, Any]:
    items = []
    for run in runs:
        item = run.to_json()
        if service is not None:
            item["services"] = {service: run.services[service]}
            item["changes"] = [c for c in item["changes"] if c["service"] == service]
        items.append(item)
    return {"schema": SCHEMA, "runs": items}


def history_command(
    *, as_json: bool, service: str | None, limit: int, language: str, out: TextIO | None = None
) -> int:
    """``clearsight history``: always exit status 0 (nothing kept is an answer too)."""
    out = out or sys.stdout
    from clearsight.history.texts import notice_text, run_line, text

    settings = load_settings()
    if settings.problem:
        print(notice_text(Notice("settings", settings.problem), language), file=sys.stderr)
    path = settings.data_dir / DB_FILE
    runs: list[Run] = []
    notice: Notice | None = None
    if not settings.enabled:
        notice = Notice("off")
    elif path.exists():
        store = open_history(settings)
        if isinstance(store, HistoryUnavailable):
            notice = store.notice
        else:
            if store.opened_notice:
                print(store.opened_notice.text(language), file=sys.stderr)
            try:
                runs = store.runs(limit, service=service)
            except HistoryError as exc:
                notice = exc.notice
    if notice is not None and notice.code != "off":
        print(_paused(notice, language), file=sys.stderr)
    if as_json:
        # One C-encoded string: json.dump's streaming encoder is pure Python (10x slower).
        out.write(json.dumps(history_json(runs, service), ensure_ascii=False, indent=1) + "\n")
        return 0
    if notice is not None and notice.code == "off":
        out.write(text(language, "notice_off_history") + "\n")
        return 0
    if not runs:
        key = "unknown_service" if service is not None and path.exists() else "no_runs"
        out.write(text(language, key, service=service or "") + "\n")
        return 0
    if service is not None:
        _service_timeline(runs, service, language, out)
    else:
        for run in runs:
            out.write(run_line(run, language) + "\n")
    return 0


def _paused(notice: Notice, language: str) -> str:
    from clearsight.history.texts import notice_text, text

    if notice.code in ("locked", "full", "read_only", "failed"):
        return text(language, "history_unreadable", detail=notice.detail or notice.code)
    return notice_text(notice, language)


def _service_timeline(runs: list[Run], service: str, language: str, out: TextIO) -> None:
    from clearsight.history.section import points_of
    from clearsight.history.texts import text, verdict_word, when
    from clearsight.history.timeline import TIMELINE_LENGTH, phrase

    name = runs[0].name(service, language)
    out.write(text(language, "service_title", service=name, count=len(runs)) + "\n")
    for run in runs:
        verdict = verdict_word(run.services[service], language)
        out.write(
            "  "
            + text(language, "service_line", when=when(run.started_at, language), verdict=verdict)
            + "\n"
        )
    out.write(phrase(points_of(runs, service)[:TIMELINE_LENGTH], language) + "\n")


def record_after_run(
    report: dict[str, Any], *, consent_sensitive: bool, language: str, quiet: bool
) -> tuple[RecordResult, HistoryStore | None]:
    """Keep a finished ``clearsight run`` (never raises, never loses the run); with the
    settings' "include history in saved reports", the report gains its ``history`` section.
    Notices go to stderr (one line each)."""
    from clearsight.history.section import history_section
    from clearsight.history.texts import notice_text

    settings = load_settings()
    if settings.problem and not quiet:
        print(notice_text(Notice("settings", settings.problem), language), file=sys.stderr)
    store = open_history(settings)
    if isinstance(store, HistoryUnavailable):
        if store.notice.code != "off" and not quiet:
            print(store.notice.text(language), file=sys.stderr)
        return RecordResult(saved=False, notice=store.notice), None
    if store.opened_notice and not quiet:
        print(store.opened_notice.text(language), file=sys.stderr)
    result = store.record(report, consent_sensitive=consent_sensitive)
    if result.notice is not None and not quiet:
        print(result.notice.text(language), file=sys.stderr)
    if result.saved and settings.include_in_reports:
        section = history_section(store, report, result.run)
        if section is not None:
            report["history"] = section
    return result, store


def change_line(result: RecordResult, report: Mapping[str, Any], language: str) -> str | None:
    """ "Since your last check (yesterday 18:02): Gmail is now blocked." or None."""
    if not result.saved or result.run is None:
        return None
    from clearsight.history.texts import strip_text

    names = {s: result.run.name(s, language) for s in result.run.services}
    return strip_text(result.changes, result.previous, names, language)
