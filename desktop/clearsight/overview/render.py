"""The overview in every form: JSON (``clearsight-summary/1``), CSV, one self-contained
HTML page, and a table for the terminal (docs/design.md, "IT's overview").

Everything shown comes from files of unknown origin: the HTML escapes every value and
may fetch and run nothing (Content-Security-Policy), the CSV defuses cells a spreadsheet
would take for a formula, and the terminal table has control characters removed.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from html import escape
from typing import Any, Final

from clearsight import APP_NAME, __version__
from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS, VERDICTS
from clearsight.explanations import catalog
from clearsight.explanations.catalog import Catalog, clean_value
from clearsight.overview.summary import ServiceSummary, Summary

SCHEMA: Final = "clearsight-summary/1"
#: The CSV's fixed columns; ``verdicts.<code>`` columns sit between name and the dates.
CSV_HEAD: Final = ("id", "name")
CSV_TAIL: Final = ("first_seen_blocked", "last_seen_blocked", "reports")
#: A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def iso(moment: datetime | None) -> str | None:
    """A time as reports write it: ISO 8601 in UTC, to the second ("…Z")."""
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def shown_time(moment: datetime | None) -> str:
    """A time for people: "2026-12-01 08:00 UTC" (reports hold UTC)."""
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


# ---------------------------------------------------------------------------- JSON
def summary_json(summary: Summary, language: str = "en") -> dict[str, Any]:
    """``clearsight-summary/1``: the contract's fields, plus the reports read (``files``:
    each service's ``reports`` holds, per verdict, indexes into it) and the files that
    were not counted (``unreadable``, each with its reason in *language*)."""
    return {
        "schema": SCHEMA,
        "app": {"name": APP_NAME, "version": __version__},
        "language": catalog(language).language,
        "reports": len(summary.reports),
        "services": [
            {
                "id": service.id,
                "name": service.name(language),
                "verdicts": {v: service.verdicts[v] for v in _order(service.verdicts)},
                "first_seen_blocked": iso(service.first_seen_blocked),
                "last_seen_blocked": iso(service.last_seen_blocked),
                "reports": {v: service.reports[v] for v in _order(service.verdicts)},
            }
            for service in summary.sorted_services(language)
        ],
        "files": [
            {
                "path": str(report.path),
                "report_id": report.report_id,
                "started_at": report.started_at,
                "status": report.status,
                "language": report.language,
                "profile": report.profile,
                "app_version": report.app_version,
            }
            for report in summary.reports
        ],
        "unreadable": [
            {"path": str(item.path), "problem": item.reason(language)}
            for item in summary.unreadable
        ],
    }


def _order(verdicts: Any) -> list[str]:
    known = [v for v in VERDICTS if verdicts.get(v)]
    return known + sorted(v for v in verdicts if v not in VERDICTS and verdicts[v])


# ----------------------------------------------------------------------------- CSV
def summary_csv(summary: Summary, language: str = "en") -> str:
    """One row per service. Columns: ``id``, ``name``, ``verdicts.<code>`` for every
    verdict of the vocabulary in its order (0 where no report gives it; codes only newer
    versions know follow, sorted), ``first_seen_blocked``, ``last_seen_blocked`` (ISO 8601
    UTC, empty when never blocked) and ``reports`` (how many reports name the service).
    Saved as UTF-8 with a byte-order mark and CRLF line ends: what Excel needs to show
    Chinese names right when the file is double-clicked."""
    extra = sorted({v for s in summary.services.values() for v in s.verdicts} - set(VERDICTS))
    verdicts = [*VERDICTS, *extra]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_HEAD, *(f"verdicts.{v}" for v in verdicts), *CSV_TAIL])
    for service in summary.sorted_services(language):
        writer.writerow(
            [
                _cell(service.id),
                _cell(service.name(language)),
                *(service.verdicts.get(v, 0) for v in verdicts),
                iso(service.first_seen_blocked) or "",
                iso(service.last_seen_blocked) or "",
                service.total,
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A text cell a spreadsheet shows as text, never runs (OWASP "CSV injection")."""
    text = clean_value(text, 1000)
    return "'" + text if text.startswith(_FORMULA_START) else text


# ------------------------------------------------------------------------- columns
def verdict_columns(summary: Summary, texts: Catalog) -> list[tuple[str, list[str]]]:
    """The verdict columns people see: (heading, verdicts counted in it), in the
    vocabulary's order, only verdicts some report gives; verdicts the app shows with the
    same word ("Blocked") share one column."""
    columns: dict[str, list[str]] = {}
    for verdict in summary.verdicts_seen():
        columns.setdefault(texts.verdict_badge(verdict), []).append(verdict)
    return list(columns.items())


def column_count(service: ServiceSummary, verdicts: list[str]) -> int:
    return sum(service.verdicts.get(v, 0) for v in verdicts)


# ---------------------------------------------------------------------------- text
def summary_text(summary: Summary, language: str = "en") -> str:
    """The table for the terminal, then the files that were not counted."""
    from clearsight.report.text import display_width, pad

    texts = catalog(language)
    lines = [texts.ui("overview_count", reports=len(summary.reports)), ""]
    columns = verdict_columns(summary, texts)
    head = [
        texts.ui("overview_column_service"),
        *(name for name, _ in columns),
        texts.ui("overview_column_first_blocked"),
        texts.ui("overview_column_last_blocked"),
    ]
    rows = [
        [
            clean_value(service.name(language), 40),
            *(_count(column_count(service, verdicts)) for _, verdicts in columns),
            shown_time(service.first_seen_blocked),
            shown_time(service.last_seen_blocked),
        ]
        for service in summary.sorted_services(language)
    ]
    widths = [max(display_width(row[i]) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        cells = [pad(cell, width) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    if not summary.services:
        lines.append(texts.ui("overview_no_services"))
    if summary.unreadable:
        lines.extend(["", texts.ui("overview_unreadable_count", count=len(summary.unreadable))])
        lines.extend(f"  {item.message(language)}" for item in summary.unreadable)
    return "\n".join(lines) + "\n"


def _count(n: int) -> str:
    return str(n) if n else "·"


# ---------------------------------------------------------------------------- HTML
_CSS: Final = """
:root{--ink:#1d2430;--muted:#5b6472;--line:#d9dee5;--bad:#b3261e;--ok:#1e7a3c;--bg:#fff;
--head:#f3f5f8}
@media (prefers-color-scheme:dark){:root{--ink:#e6e9ee;--muted:#a3acb9;--line:#3a4250;
--bad:#ff8a80;--ok:#7bd88f;--bg:#161a20;--head:#222833}}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI","Microsoft YaHei","PingFang SC",
sans-serif;color:var(--ink);background:var(--bg);margin:0 auto;max-width:72rem;
padding:1.5rem 1.25rem 3rem}
h1{font-size:1.4rem;margin:0 0 .25rem} h2{font-size:1.1rem;margin:2rem 0 .5rem}
p.meta{color:var(--muted);margin:0 0 1rem}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;
vertical-align:top}
thead th{background:var(--head);position:sticky;top:0}
td.n,th.n{text-align:right} td.bad{color:var(--bad);font-weight:600}
td.zero{color:var(--muted)} details summary{cursor:pointer;color:var(--muted)}
ul.who{margin:.25rem 0 0;padding-left:1.1rem;font-size:.85rem}
.code{font-family:ui-monospace,Consolas,monospace;font-size:.85rem;color:var(--muted)}
@media print{thead th{position:static} details{display:block}}
"""
_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def summary_html(summary: Summary, language: str = "en") -> str:
    """One page, no script, nothing fetched: the table, which reports say what (folded
    under each service), the reports read and the files not counted."""
    texts = catalog(language)
    lang = "zh-CN" if texts.language == "zh_CN" else "en"
    columns = verdict_columns(summary, texts)
    title = texts.ui("overview_title")
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">',
        '<meta name="generator" content="Clearsight">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(texts.ui("overview_count", reports=len(summary.reports)))}</p>',
        "<table><thead><tr>",
        f"<th>{_e(texts.ui('overview_column_service'))}</th>",
        *(f'<th class="n">{_e(name)}</th>' for name, _ in columns),
        f"<th>{_e(texts.ui('overview_column_first_blocked'))}</th>",
        f"<th>{_e(texts.ui('overview_column_last_blocked'))}</th>",
        "</tr></thead><tbody>",
    ]
    for service in summary.sorted_services(language):
        out.append("<tr>")
        out.append(
            f"<td>{_e(service.name(language))} "
            f'<span class="code">{_e(service.id)}</span>{_who(summary, service, texts)}</td>'
        )
        for _, verdicts in columns:
            n = column_count(service, verdicts)
            css = "zero" if n == 0 else "bad" if set(verdicts) & BLOCKING_VERDICTS else ""
            out.append(f'<td class="n {css}">{n}</td>')
        out.append(f"<td>{_e(shown_time(service.first_seen_blocked))}</td>")
        out.append(f"<td>{_e(shown_time(service.last_seen_blocked))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if not summary.services:
        out.append(f"<p>{_e(texts.ui('overview_no_services'))}</p>")
    out.append(f"<h2>{_e(texts.ui('overview_reports_heading'))}</h2>")
    out.append(
        "<table><thead><tr>"
        f"<th>{_e(texts.ui('overview_column_file'))}</th>"
        f"<th>{_e(texts.ui('overview_column_report_id'))}</th>"
        f"<th>{_e(texts.ui('overview_column_started'))}</th>"
        f"<th>{_e(texts.ui('overview_column_status'))}</th>"
        "</tr></thead><tbody>"
    )
    for report in summary.reports:
        status = texts.summary_badge(report.status) if report.status else "—"
        out.append(
            f"<tr><td>{_e(report.path.name)}</td><td>{_e(report.report_id or '—')}</td>"
            f"<td>{_e(shown_time(report.started))}</td><td>{_e(status)}</td></tr>"
        )
    out.append("</tbody></table>")
    if summary.unreadable:
        heading = texts.ui("overview_unreadable_count", count=len(summary.unreadable))
        out.append(f"<h2>{_e(heading)}</h2><ul>")
        out.extend(
            f"<li>{_e(item.path.name)}{_e(texts.ui('overview_colon'))}{_e(item.reason(language))}</li>"
            for item in summary.unreadable
        )
        out.append("</ul>")
    out.append(
        f'<p class="meta">{_e(APP_NAME)} {_e(__version__)} · '
        f"{_e(texts.ui('overview_made_by'))}</p></body></html>"
    )
    return "\n".join(out) + "\n"


def _who(summary: Summary, service: ServiceSummary, texts: Catalog) -> str:
    """Which reports say what about one service, folded away."""
    items = []
    for verdict in _order(service.verdicts):
        labels = [summary.report_label(i, texts.language) for i in service.reports.get(verdict, [])]
        separator = texts.raw("ui", "list_separator") or ", "
        badge = texts.verdict_badge(verdict)
        counted = texts.ui("overview_verdict_count", verdict=badge, count=len(labels))
        colon = texts.ui("overview_colon")
        items.append(f"<li>{_e(counted)}{_e(colon)}{_e(separator.join(labels))}</li>")
    return (
        f"<details><summary>{_e(texts.ui('overview_which_reports'))}</summary>"
        f'<ul class="who">{"".join(items)}</ul></details>'
    )


__all__ = [
    "CSV_HEAD",
    "CSV_TAIL",
    "SCHEMA",
    "column_count",
    "iso",
    "shown_time",
    "summary_csv",
    "summary_html",
    "summary_json",
    "summary_text",
    "verdict_columns",
]
