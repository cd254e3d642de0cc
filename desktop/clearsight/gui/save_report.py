"""Saving a report: the format, the place, and whether personal details are replaced,
with a preview of exactly what is replaced. Two clicks: "Save report…", then "Save"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clearsight.explanations import Catalog
from clearsight.gui.session import ReportState
from clearsight.gui.settings import AppSettings


@dataclass(frozen=True)
class ReportFormat:
    key: str  # as remembered in the settings
    suffix: str
    label_key: str  # [ui] key of its name
    note_key: str  # [ui] key of what it is good for
    filter_key: str


FORMATS: tuple[ReportFormat, ...] = (
    ReportFormat("html", ".html", "format_html", "format_html_note", "file_filter_html"),
    ReportFormat("pdf", ".pdf", "format_pdf", "format_pdf_note", "file_filter_pdf"),
    ReportFormat(
        "report", ".clearsight-report", "format_report", "format_report_note", "file_filter_report"
    ),
    ReportFormat("text", ".txt", "format_text", "format_text_note", "file_filter_text"),
)
FORMAT_BY_KEY = {f.key: f for f in FORMATS}

# A redaction token: a class name and a number ("private-v4#1", "user#2").
_TOKEN = re.compile(r"(?<![\w-])[a-z]+(?:-[a-z0-9]+)*#\d+(?!\d)")


def report_for_sharing(state: ReportState, redact: bool) -> dict[str, Any]:
    """The report to save or copy: rebuilt with personal details replaced, or as shown."""
    if not redact:
        return state.report
    from clearsight.report.build import build_report

    return build_report(state.observations, state.meta, language=state.language, redact=True)


def removed_values(original: Any, redacted: Any) -> list[tuple[str, str]]:
    """(value, token) for every personal value the redacted report replaced, found by
    reading the two reports side by side."""
    pairs: dict[str, str] = {}

    def walk(a: Any, b: Any) -> None:
        if isinstance(a, str) and isinstance(b, str):
            if a != b and _TOKEN.search(b):
                for value, token in _replacements(a, b):
                    pairs.setdefault(value, token)
        elif isinstance(a, dict) and isinstance(b, dict):
            for key in a.keys() & b.keys():
                walk(a[key], b[key])
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for x, y in zip(a, b, strict=True):
                walk(x, y)

    walk(original, redacted)
    return sorted(pairs.items(), key=lambda kv: (kv[1].split("#")[0], kv[1], kv[0]))


def _replacements(original: str, redacted: str) -> list[tuple[str, str]]:
    tokens = list(_TOKEN.finditer(redacted))
    if not tokens:
        return []
    pattern = ""
    last = 0
    for match in tokens:
        pattern += re.escape(redacted[last : match.start()]) + "(.+?)"
        last = match.end()
    pattern += re.escape(redacted[last:])
    found = re.fullmatch(pattern, original, re.DOTALL)
    if found is None:
        return []
    return [
        (value, match.group(0))
        for value, match in zip(found.groups(), tokens, strict=True)
        if value != match.group(0)
    ]


def render_report(report: dict[str, Any], fmt: str) -> bytes:
    """The bytes of a report file in ``fmt`` (see ``FORMATS``)."""
    if fmt == "report":
        from clearsight.report.files import report_json

        return report_json(report).encode("utf-8")
    if fmt == "html":
        from clearsight.report.html import render_html

        return render_html(report).encode("utf-8")
    if fmt == "text":
        from clearsight.report.text import render_text

        return render_text(report, colour=False, details=True).encode("utf-8")
    if fmt == "pdf":
        from clearsight.report.pdf import render_pdf

        return render_pdf(report)
    raise ValueError(f"unknown report format {fmt!r}")


def write_report(path: Path, report: dict[str, Any], fmt: str) -> None:
    """Save atomically; raises ``SaveError`` with a message a person can act on."""
    from clearsight.report.files import save_bytes

    save_bytes(path, render_report(report, fmt))


def history_checkbox(state: ReportState, texts: Catalog, parent: QWidget) -> QCheckBox | None:
    """ "Include recent results in saved reports": shown when this run was kept in history;
    ticked as the settings file says (history/settings.py)."""
    history = getattr(state, "history", None)
    if history is None or not history.result.saved or not history.timelines:
        return None
    from clearsight.history.settings import load_settings
    from clearsight.history.texts import text

    box = QCheckBox(text(texts.language, "setting_in_reports"), parent)
    box.setChecked(load_settings().include_in_reports)
    return box


def with_history(report: dict[str, Any], state: ReportState) -> dict[str, Any]:
    section = state.history.section(report) if state.history is not None else None
    return report if section is None else {**report, "history": section}


def suggested_name(texts: Catalog, fmt: str, when: datetime | None = None) -> str:
    moment = (when or datetime.now()).strftime("%Y-%m-%d %H.%M")
    stem = texts.ui("report_file_name", time=moment)
    stem = re.sub(r'[\\/:*?"<>|]+', "-", stem).strip()
    return stem + FORMAT_BY_KEY[fmt].suffix


def default_folder(settings: AppSettings) -> Path:
    remembered = settings.report_folder
    if remembered is not None and remembered.is_dir():
        return remembered
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


class SaveReportDialog(QDialog):
    """Format, place, and personal details (replaced by default, with a preview)."""

    def __init__(
        self,
        state: ReportState,
        texts: Catalog,
        settings: AppSettings,
        parent: QWidget | None = None,
        *,
        on_saved: Callable[[Path], None] | None = None,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._state = state
        self._texts = texts
        self._settings = settings
        self._on_saved = on_saved
        self._on_problem = on_problem
        self._redacted: dict[str, Any] | None = None
        self.saved_path: Path | None = None
        self.setWindowTitle(texts.ui("save_title"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)

        layout.addWidget(QLabel(texts.ui("save_format"), self))
        self._formats = QButtonGroup(self)
        self._format_buttons: dict[str, QRadioButton] = {}
        for fmt in FORMATS:
            button = QRadioButton(f"{texts.ui(fmt.label_key)} — {texts.ui(fmt.note_key)}", self)
            button.setAccessibleName(texts.ui(fmt.label_key))
            self._formats.addButton(button)
            self._format_buttons[fmt.key] = button
            layout.addWidget(button)
        self._format_buttons[settings.report_format].setChecked(True)
        self._formats.buttonToggled.connect(self._on_formats_button_toggled)

        layout.addWidget(QLabel(texts.ui("save_location"), self))
        where = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        self.path_edit.setAccessibleName(texts.ui("save_location"))
        self.path_edit.setText(
            str(default_folder(settings) / suggested_name(texts, settings.report_format))
        )
        where.addWidget(self.path_edit, 1)
        change = QPushButton(texts.ui("button_change"), self)
        change.setAccessibleName(texts.ui("button_change"))
        change.clicked.connect(self._on_change_clicked)
        where.addWidget(change)
        layout.addLayout(where)

        self.redact_box = QCheckBox(texts.ui("redact_option"), self)
        self.redact_box.setChecked(settings.redact)
        self.redact_box.toggled.connect(self._on_redact_box_toggled)
        layout.addWidget(self.redact_box)
        self.history_box = history_checkbox(state, texts, self)  # recent results kept here
        if self.history_box is not None:
            layout.addWidget(self.history_box)
        self.preview_label = QLabel(self)
        self.preview_label.setWordWrap(True)
        layout.addWidget(self.preview_label)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName(texts.ui("redact_preview"))
        self.preview.setMaximumHeight(self.fontMetrics().height() * 7)
        self.preview.setTabChangesFocus(True)
        layout.addWidget(self.preview)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton(texts.ui("button_cancel"), self)
        cancel.clicked.connect(self.reject)
        buttons.addWidget(cancel)
        self.save_button = QPushButton(texts.ui("button_save_file"), self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self._update_preview()
        self.save_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---------------------------------------------------------------- choices
    @property
    def format(self) -> str:
        for key, button in self._format_buttons.items():
            if button.isChecked():
                return key
        return "html"

    def set_format(self, key: str) -> None:
        self._format_buttons[key].setChecked(True)

    def _on_formats_button_toggled(self, button: QRadioButton, checked: bool) -> None:
        if not checked:
            return
        suffix = FORMAT_BY_KEY[self.format].suffix
        path = Path(self.path_edit.text().strip() or suggested_name(self._texts, self.format))
        name = path.name
        for fmt in FORMATS:
            if name.endswith(fmt.suffix):
                name = name[: -len(fmt.suffix)]
                break
        self.path_edit.setText(str(path.with_name(name + suffix)))

    def _on_change_clicked(self) -> None:
        fmt = FORMAT_BY_KEY[self.format]
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            self._texts.ui("save_title"),
            self.path_edit.text(),
            f"{self._texts.ui(fmt.filter_key)} (*{fmt.suffix})",
        )
        if chosen:
            if not chosen.endswith(fmt.suffix):
                chosen += fmt.suffix
            self.path_edit.setText(chosen)

    def _on_redact_box_toggled(self, checked: bool) -> None:
        self._update_preview()

    def redacted_report(self) -> dict[str, Any]:
        if self._redacted is None:
            self._redacted = report_for_sharing(self._state, True)
        return self._redacted

    def _update_preview(self) -> None:
        texts = self._texts
        if not self.redact_box.isChecked():
            self.preview_label.setText(texts.ui("not_redacted_note"))
            self.preview.setVisible(False)
            return
        pairs = removed_values(self._state.report, self.redacted_report())
        self.preview.setVisible(bool(pairs))
        if pairs:
            self.preview_label.setText(texts.ui("redact_preview"))
            self.preview.setPlainText("\n".join(f"{value}  →  {token}" for value, token in pairs))
        else:
            self.preview_label.setText(texts.ui("redaction_none"))

    # ------------------------------------------------------------------- save
    def _on_save_button_clicked(self) -> None:
        if self.save():
            self.accept()

    def save(self) -> bool:
        """Write the file; on a problem, say so and keep the dialog open."""
        from clearsight.report.files import SaveError

        text = self.path_edit.text().strip()
        if not text:
            return False
        fmt = self.format
        path = Path(text).expanduser()
        if not path.name.endswith(FORMAT_BY_KEY[fmt].suffix):
            path = path.with_name(path.name + FORMAT_BY_KEY[fmt].suffix)
        report = self.redacted_report() if self.redact_box.isChecked() else self._state.report
        if self.history_box is not None and self.history_box.isChecked():
            report = with_history(report, self._state)
        try:
            write_report(path, report, fmt)
        except SaveError as exc:
            problem = exc.strerror or str(exc)
            if self._on_problem is not None:
                self._on_problem(problem)
            else:
                QMessageBox.warning(self, self._texts.ui("save_title"), problem)
            return False
        self._settings.report_format = fmt
        self._settings.report_folder = path.parent
        self.saved_path = path
        if self._on_saved is not None:
            self._on_saved(path)
        return True
