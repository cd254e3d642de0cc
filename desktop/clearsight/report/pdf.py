"""The PDF report, drawn with Qt's own PDF writer (offscreen, no browser).

Mail gateways quarantine HTML attachments and chat apps do not display them; a PDF goes
through. It says what the HTML report says (the same view, ``report.view``), laid out in
the HTML subset ``QTextDocument`` understands (tables, no SVG, no grid), with the report ID
and page number at the foot of every page. QtGui is imported here, lazily, only when a PDF
is asked for.
"""

from __future__ import annotations

import os
import sys
from html import escape
from typing import Any

from clearsight.explanations.evidence import evidence_rows
from clearsight.report.view import ReportView, ServiceRow, build_view, format_ms

A4_MM = (210.0, 297.0)
MARGIN_MM = 14.0
FOOTER_MM = 8.0
DPI = 144

_COLOURS = {"good": "#1a7f37", "bad": "#c62828", "warn": "#9a6700", "info": "#1f5fbf"}
_STEP_COLOURS = {
    "dns": "#6f42c1",
    "tcp": "#1f77b4",
    "tls": "#2ca02c",
    "http": "#e8a33d",
    "fail": "#c62828",
}
_ICON = {"good": "✔", "bad": "✖", "warn": "!", "info": "i"}
# Latin text in a Latin face first (a CJK face draws “quotes” full width); Chinese reports
# start with a CJK face so their punctuation is the Chinese kind. Qt falls back per glyph.
_LATIN_FONTS = [
    "Segoe UI",
    "Helvetica Neue",
    "Arial",
    "Liberation Sans",
    "Noto Sans",
    "DejaVu Sans",
]
_CJK_FONTS = [
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
]

_CSS = """
body { color: #1d1d1f; }
h1 { font-size: 17pt; margin: 0; }
h2 { font-size: 12.5pt; margin-top: 16px; margin-bottom: 6px; color: #1d1d1f; }
h3 { font-size: 10pt; margin-top: 10px; margin-bottom: 2px; color: #5f6368; }
p { margin-top: 2px; margin-bottom: 2px; }
.meta { color: #5f6368; font-size: 8.5pt; }
.muted { color: #5f6368; }
.small { font-size: 8pt; }
.tiny { font-size: 7pt; color: #5f6368; }
.mono { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", Consolas, monospace;
        font-size: 7pt; }
.badge { font-weight: bold; font-size: 8.5pt; }
.name { font-weight: bold; }
.advice { color: #1f3f7f; }
td { vertical-align: top; }
"""


class PdfError(RuntimeError):
    """A PDF cannot be made here (Qt's libraries are missing or cannot start)."""


def e(value: object) -> str:
    return escape(str(value), quote=True)


def render_pdf(report: dict[str, Any]) -> bytes:
    """The report as PDF bytes (A4)."""
    if sys.platform != "win32":
        # No screen is needed (a server, a terminal over SSH). Not on Windows: there Qt's
        # offscreen plugin reads fonts only from Qt's own lib/fonts folder, which the wheels
        # do not ship (qoffscreenintegration.cpp: QFreeTypeFontDatabase), so the PDF would
        # have no text; the native plugin uses the system's fonts and opens no window.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
        from PySide6.QtGui import (
            QAbstractTextDocumentLayout,
            QColor,
            QFont,
            QGuiApplication,
            QPageLayout,
            QPageSize,
            QPainter,
            QPdfWriter,
            QTextDocument,
        )
    except ImportError as exc:
        raise PdfError(f"A PDF cannot be made on this computer ({exc}).") from None

    # A QGuiApplication made here is shut down again afterwards: a process that later
    # opens windows (the tests, or a GUI started after a PDF) needs a QApplication, and
    # Qt allows only one application object at a time.
    owned = QGuiApplication([]) if QGuiApplication.instance() is None else None

    def draw() -> bytes:
        view = build_view(report)
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        writer = QPdfWriter(buffer)
        writer.setResolution(DPI)
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageMargins(
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM), QPageLayout.Unit.Millimeter
        )
        writer.setTitle(f"{view.title} {view.report_id}")
        writer.setCreator("Clearsight")

        page = writer.pageLayout().paintRectPixels(DPI)
        footer_px = FOOTER_MM / 25.4 * DPI
        body_height = page.height() - footer_px

        document = QTextDocument()
        document.documentLayout().setPaintDevice(writer)
        font = QFont()
        chinese = view.language.startswith("zh")
        font.setFamilies(_CJK_FONTS + _LATIN_FONTS if chinese else _LATIN_FONTS + _CJK_FONTS)
        font.setPointSizeF(9.5)
        document.setDefaultFont(font)
        document.setDocumentMargin(0)
        document.setDefaultStyleSheet(_CSS)
        document.setHtml(print_html(view, report))
        document.setPageSize(QSizeF(page.width(), body_height))
        pages = max(document.pageCount(), 1)

        painter = QPainter()
        if not painter.begin(writer):  # pragma: no cover - Qt could not start the PDF
            raise PdfError("A PDF cannot be made on this computer (Qt's PDF writer did not start).")
        try:
            footer_font = QFont(font)
            footer_font.setPointSizeF(7.5)
            for index in range(pages):
                if index:
                    writer.newPage()
                painter.save()
                painter.setClipRect(QRectF(0, 0, page.width(), body_height))
                painter.translate(0, -index * body_height)
                context = QAbstractTextDocumentLayout.PaintContext()
                context.clip = QRectF(0, index * body_height, page.width(), body_height)
                document.documentLayout().draw(painter, context)
                painter.restore()
                painter.setFont(footer_font)
                painter.setPen(QColor("#5f6368"))
                footer = QRectF(0, body_height + footer_px * 0.25, page.width(), footer_px * 0.75)
                painter.drawText(
                    footer,
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                    f"{view.title} · {view.report_id}",
                )
                painter.drawText(
                    footer,
                    int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                    f"{index + 1} / {pages}",
                )
        finally:
            painter.end()
        buffer.close()
        return bytes(data.data())

    try:
        return draw()
    finally:
        if owned is not None:
            owned.shutdown()


def print_html(view: ReportView, report: dict[str, Any] | None = None) -> str:
    """The report in the HTML subset QTextDocument lays out (tables, inline colours)."""
    from clearsight.history.render import history_html

    tone = _COLOURS.get(view.tone, _COLOURS["warn"])
    parts = [
        f'<html lang="{e(view.html_lang)}"><body>',
        f'<p class="muted small"><b>CLEARSIGHT</b></p><h1>{e(view.title)}</h1>',
        f'<p class="meta">{"&nbsp;&nbsp;·&nbsp;&nbsp;".join(e(m) for m in view.meta)}</p>',
        '<table width="100%" cellspacing="0" cellpadding="8" style="margin-top:8px">'
        f'<tr><td width="6" bgcolor="{tone}"></td><td bgcolor="#f3f4f6">'
        f'<span style="color:{tone}; font-size:8.5pt; font-weight:bold">'
        f"{e(_ICON.get(view.tone, '!'))} {e(view.status_badge)}</span><br>"
        f'<span style="color:{tone}; font-size:12.5pt; font-weight:bold">{e(view.headline)}</span>'
        "</td></tr></table>",
    ]
    if view.outcome_note:
        parts.append(f'<p class="muted">{e(view.outcome_note)}</p>')
    if view.advice:
        parts.append(f"<h2>{e(view.ui('what_to_do'))}</h2><ol>")
        parts += [f"<li>{e(a)}</li>" for a in view.advice]
        parts.append("</ol>")
    if view.support_line:
        parts.append(
            '<table width="100%" cellpadding="6" style="margin-top:6px"><tr>'
            f'<td bgcolor="#eef3fb">{e(view.support_line)}</td></tr></table>'
        )
    if view.findings:
        parts.append(f"<h2>{e(view.ui('section_findings'))}</h2>")
        parts.append('<table width="100%" cellspacing="0" cellpadding="4">')
        for finding in view.findings:
            colour = _COLOURS.get(finding.tone, _COLOURS["info"])
            parts.append(
                f'<tr><td width="16%"><span class="badge" style="color:{colour}">'
                f'{e(finding.badge)}</span></td><td><span class="name">{e(finding.title)}</span>'
                f"<br>{e(finding.explanation)}"
                + (
                    f'<br><span class="advice">→ {e(finding.advice)}</span>'
                    if finding.advice
                    else ""
                )
                + "</td></tr>"
            )
        parts.append("</table>")
    if view.services:
        parts.append(f"<h2>{e(view.ui('section_services'))}</h2>")
        parts.append(f"<p>{e(view.service_count_line)}</p>")
        parts += _chart(view)
        for group, rows in view.groups:
            if group:
                parts.append(f"<h3>{e(group)}</h3>")
            parts.append('<table width="100%" cellspacing="0" cellpadding="4">')
            parts += [_service_row(view, row) for row in rows]
            parts.append("</table>")
    parts += history_html(report or {})  # each service's recent results, when carried
    parts.append(f"<h2>{e(view.ui('section_environment'))}</h2>")
    parts.append(_facts(view.environment))
    parts.append(f"<h2>{e(view.ui('section_about'))}</h2>")
    parts.append(_facts(view.about))
    parts.append(f'<p class="muted small" style="margin-top:6px">{e(view.privacy_note)}</p>')
    if view.redaction_line:
        parts.append(f'<p class="muted small">{e(view.redaction_line)}</p>')
    parts.append(f'<p class="muted small">{e(view.ui("reopen_note"))}</p>')
    parts += _evidence(view)
    parts.append("</body></html>")
    return "\n".join(parts)


def _service_row(view: ReportView, row: ServiceRow) -> str:
    colour = _COLOURS.get(row.tone, _COLOURS["warn"])
    cells = [f'<span class="name">{e(row.name)}</span>']
    if row.notes:
        cells.append(f'<br><span class="tiny">{e(" · ".join(row.notes))}</span>')
    if row.verdict != "reachable":
        cells.append(f"<br><b>{e(row.title)}</b> {e(row.explanation)}")
        if row.advice:
            cells.append(f'<br><span class="advice">→ {e(row.advice)}</span>')
        layers = " · ".join(e(layer.line) for layer in row.layers if layer.status != "not_run")
        if layers:
            cells.append(f'<br><span class="tiny">{layers}</span>')
    return (
        f'<tr><td width="22%"><span class="badge" style="color:{colour}">'
        f"{e(_ICON.get(row.tone, '!'))} {e(row.badge)}</span></td>"
        f"<td>{''.join(cells)}</td></tr>"
    )


def _chart(view: ReportView) -> list[str]:
    rows = [row for row in view.services if row.timing is not None and row.timing.steps]
    if not rows:
        return []
    scale = max(row.timing.total_ms for row in rows if row.timing) or 1.0
    out = [
        f"<h3>{e(view.ui('section_timings'))}</h3>",
        '<table width="100%" cellspacing="0" cellpadding="1">',
    ]
    for row in rows:
        timing = row.timing
        assert timing is not None
        cells = []
        used = 0
        for step, ms in timing.steps:
            width = max(round(ms / scale * 100), 1)
            used += width
            colour = _STEP_COLOURS["fail" if step in timing.failed_steps else step]
            cells.append(f'<td width="{width}%" bgcolor="{colour}"></td>')
        if used < 100:
            cells.append(f'<td width="{100 - used}%"></td>')
        bar = (
            '<table width="100%" height="9" cellspacing="0" cellpadding="0"><tr>'
            + "".join(cells)
            + "</tr></table>"
        )
        label = (
            format_ms(timing.total_ms, view.texts)
            if row.verdict == "reachable" or not timing.failed
            else row.badge
        )
        colour = _COLOURS.get(row.tone, _COLOURS["warn"])
        out.append(
            f'<tr><td width="22%" class="small">{e(row.name)}</td><td width="62%">{bar}</td>'
            f'<td width="16%" class="small" style="color:{colour}">{e(label)}</td></tr>'
        )
    out.append("</table>")
    legend = "&nbsp;&nbsp; ".join(
        f'<span style="color:{_STEP_COLOURS[step]}">■</span> {e(view.texts.layer_label(step))}'
        for step in ("dns", "tcp", "tls", "http")
    )
    legend += (
        f'&nbsp;&nbsp; <span style="color:{_STEP_COLOURS["fail"]}">■</span> '
        f"{e(view.ui('timing_failed'))}"
    )
    out.append(f'<p class="tiny">{legend}</p>')
    return out


def _facts(rows: tuple[tuple[str, str], ...]) -> str:
    body = "".join(
        f'<tr><td width="30%"><b>{e(label)}</b></td><td>{e(value)}</td></tr>'
        for label, value in rows
    )
    return f'<table width="100%" cellspacing="0" cellpadding="3">{body}</table>'


def _evidence(view: ReportView) -> list[str]:
    """The technical evidence of every service that did not simply work, for IT."""
    rows = [row for row in view.services if row.verdict != "reachable" and row.evidence]
    if not rows:
        return []
    out = [f"<h2>{e(view.ui('evidence'))}</h2>"]
    for row in rows:
        out.append(f"<h3>{e(row.name)}</h3>")
        lines = "".join(
            f'<tr><td width="38%" class="mono muted">{e(" › ".join(path))}</td>'
            f'<td class="mono">{e(value)}</td></tr>'
            for path, value in evidence_rows(view.texts, row.evidence)
        )
        out.append(f'<table width="100%" cellspacing="0" cellpadding="1">{lines}</table>')
    return out


__all__ = ["PdfError", "print_html", "render_pdf"]
