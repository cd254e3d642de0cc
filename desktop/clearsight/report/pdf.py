"""The PDF report, from the HTML report, through Qt's own PDF writer (offscreen).

Mail gateways quarantine HTML attachments and chat apps do not display them; a PDF goes
through. QtGui is imported here, lazily, only when a PDF is asked for.
"""

from __future__ import annotations

import os
from typing import Any

from clearsight.report.html import render_html


def render_pdf(report: dict[str, Any]) -> bytes:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QSizeF
    from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

    app = QGuiApplication.instance() or QGuiApplication([])
    _ = app
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(96)
    writer.setTitle(str(report.get("report_id") or "Clearsight report"))
    document = QTextDocument()
    html = render_html(report)
    # The embedded JSON is for re-opening the HTML file; the PDF shows the text only.
    cut = html.find('<script type="application/json"')
    if cut >= 0:
        html = html[:cut] + "</body></html>"
    document.setHtml(html)
    layout = writer.pageLayout()
    rect = layout.paintRectPixels(writer.resolution())
    document.setPageSize(QSizeF(rect.width(), rect.height()))
    document.print_(writer)
    del writer
    buffer.close()
    return bytes(data.data())
