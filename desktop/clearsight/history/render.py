"""The saved report's ``history`` section drawn as a small strip per service (HTML).

One fragment for both renderers: the HTML report and the PDF (QTextDocument's HTML subset:
tables and cell colours only). Every value from the file is escaped; a section of the
wrong shape (a hand-edited or hostile file) draws nothing or less, never fails.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from clearsight.history.texts import text, verdict_word, when
from clearsight.history.timeline import TIMELINE_LENGTH, Point, phrase
from clearsight.history.verdicts import BLOCKING

MAX_ROWS = 200
_COLOURS = {"good": "#1e8e3e", "bad": "#c5221f", "warn": "#b06000"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _colour(verdict: str) -> str:
    if verdict == "reachable":
        return _COLOURS["good"]
    return _COLOURS["bad"] if verdict in BLOCKING else _COLOURS["warn"]


def _points(entry: Mapping[str, Any]) -> list[Point]:
    results = entry.get("results")
    if not isinstance(results, list):
        return []
    points = [
        Point(str(r.get("started_at") or ""), str(r.get("verdict") or "inconclusive")[:40])
        for r in results[-TIMELINE_LENGTH:]
        if isinstance(r, Mapping)
    ]
    return list(reversed(points))  # newest first


def history_html(report: Mapping[str, Any]) -> list[str]:
    """The section's HTML parts (empty when the report carries no history)."""
    section = report.get("history")
    if not isinstance(section, Mapping) or not isinstance(section.get("services"), list):
        return []
    language = str(report.get("language") or "en")
    names = {
        str(s.get("id")): str(s.get("name") or s.get("id"))
        for s in report.get("services") or ()
        if isinstance(s, Mapping)
    }
    rows: list[str] = []
    for entry in section["services"][:MAX_ROWS]:
        if not isinstance(entry, Mapping):
            continue
        points = _points(entry)
        if len(points) < 2:
            continue
        service = str(entry.get("id") or "")
        marks = "".join(
            f'<td width="9" bgcolor="{_colour(p.verdict)}" '
            f'title="{_e(when(p.started_at, language))}: {_e(verdict_word(p.verdict, language))}">'
            '&nbsp;</td><td width="2"></td>'
            for p in reversed(points)
        )
        rows.append(
            f'<tr><td width="26%">{_e(names.get(service, service))}</td>'
            f'<td width="30%"><table class="history-strip" cellspacing="0" cellpadding="0">'
            f"<tr>{marks}</tr></table></td>"
            f"<td>{_e(phrase(points, language))}</td></tr>"
        )
    if not rows:
        return []
    return [
        f"<h2>{_e(text(language, 'report_section'))}</h2>",
        f'<p class="muted small">{_e(text(language, "report_section_note"))}</p>',
        '<table class="history" width="100%" cellspacing="0" cellpadding="4">',
        *rows,
        "</table>",
    ]
