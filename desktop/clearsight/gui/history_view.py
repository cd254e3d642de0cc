"""History in the window: the "what changed" strip and a service's small timeline.

Both only format a :class:`clearsight.history.window.WindowHistory` built off the GUI
thread (gui/session.py); nothing here reads the database, and the history package is
imported only once there is a history to show (the window opens without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clearsight.explanations import Catalog
from clearsight.gui.theme import muted_colour, set_text_colour, tinted, tone_colour
from clearsight.gui.view_model import INFO, verdict_tone

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from clearsight.history.timeline import Point
    from clearsight.history.window import WindowHistory
    from clearsight.profile.model import Profile


def _label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ChangeStrip(QFrame):
    """ "Since your last check (yesterday 18:02): Gmail is now blocked; Slack works again."
    and any history notice, under the run button; hidden when there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_strip")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        self.sentence = _label(self)
        self.sentence.setObjectName("history_changes")
        layout.addWidget(self.sentence)
        self.notices = _label(self)
        self.notices.setObjectName("history_notices")
        layout.addWidget(self.notices)
        self.setAutoFillBackground(True)
        self.hide()

    def show_history(self, history: WindowHistory | None, texts: Catalog) -> None:
        sentence = history.strip(texts.language) if history is not None else None
        notices = history.notice_lines(texts.language) if history is not None else []
        self.sentence.setText(sentence or "")
        self.sentence.setVisible(bool(sentence))
        self.notices.setText("\n".join(notices))
        self.notices.setVisible(bool(notices))
        palette = QApplication.palette()
        changed = history is not None and bool(history.result.changes)
        tone = "bad" if changed and _worse(history) else INFO
        background = self.palette()
        background.setColor(self.backgroundRole(), tinted(tone_colour(tone, palette), palette))
        self.setPalette(background)
        set_text_colour(self.notices, muted_colour(palette))
        self.setAccessibleName(" ".join(x for x in (sentence, *notices) if x))
        self.setVisible(bool(sentence or notices))


def _worse(history: WindowHistory | None) -> bool:
    from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS

    return history is not None and any(c.to in BLOCKING_VERDICTS for c in history.result.changes)


class TimelineMarks(QWidget):
    """One small mark per recent check, oldest on the left; the colour is the verdict's."""

    MARK = 11
    GAP = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: tuple[Point, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_points(self, points: tuple[Point, ...]) -> None:
        self._points = tuple(reversed(points))  # oldest first, newest on the right
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        count = max(1, len(self._points))
        return QSize(count * (self.MARK + self.GAP), self.MARK + 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = QApplication.palette()
        painter.setPen(Qt.PenStyle.NoPen)
        for index, point in enumerate(self._points):
            painter.setBrush(tone_colour(verdict_tone(point.verdict), palette))
            x = index * (self.MARK + self.GAP)
            painter.drawRoundedRect(QRectF(x, 1, self.MARK, self.MARK), 2.5, 2.5)
        painter.end()


class Timeline(QWidget):
    """A service's recent results in its details: the marks and one phrase
    ("Blocked since Tuesday 09:10", "Came and went: blocked in 3 of the last 10 checks")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_timeline")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.marks = TimelineMarks(self)
        layout.addWidget(self.marks, 0, Qt.AlignmentFlag.AlignVCenter)
        self.phrase = _label(self)
        self.phrase.setObjectName("history_phrase")
        layout.addWidget(self.phrase, 1)

    def show_service(
        self, history: WindowHistory | None, service: str | None, texts: Catalog
    ) -> None:
        phrase = (
            history.phrase(service, texts.language)
            if history is not None and service is not None
            else None
        )
        if not phrase or history is None or service is None:
            self.hide()
            return
        from clearsight.history.texts import verdict_word, when

        points = history.points(service)
        self.marks.set_points(points)
        self.marks.setToolTip(
            "\n".join(
                f"{when(p.started_at, texts.language)}{texts.ui('label_colon')}"
                f"{verdict_word(p.verdict, texts.language)}"
                for p in points
            )
        )
        self.phrase.setText(phrase)
        self.setAccessibleName(phrase)
        self.show()


class HistorySettingsBox(QFrame):
    """The history part of the settings dialog: keep history (the switch), where it is
    kept, include it in saved reports, and one-click "Clear history…" (after a question).
    The choices live in history/settings.py's file, which ``clearsight run`` reads too."""

    def __init__(self, texts: Catalog, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QCheckBox, QPushButton

        from clearsight.history.settings import load_settings
        from clearsight.history.texts import text

        super().__init__(parent)
        self.setObjectName("history_settings")
        self._texts = texts
        self._settings = load_settings()
        language = texts.language
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self.keep = QCheckBox(text(language, "setting_keep"), self)
        self.keep.setChecked(self._settings.enabled)
        layout.addWidget(self.keep)
        self.include = QCheckBox(text(language, "setting_in_reports"), self)
        self.include.setChecked(self._settings.include_in_reports)
        layout.addWidget(self.include)
        where = QHBoxLayout()
        self.folder = _label(self)
        self.folder.setText(f"{text(language, 'setting_folder')} {self._settings.data_dir}")
        set_text_colour(self.folder, muted_colour(QApplication.palette()))
        where.addWidget(self.folder, 1)
        self.clear_button = QPushButton(text(language, "setting_clear"), self)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        where.addWidget(self.clear_button)
        layout.addLayout(where)
        self.result = _label(self)
        self.result.hide()
        layout.addWidget(self.result)

    def confirm(self, question: str) -> bool:
        """Ask before clearing (tests replace this)."""
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self, self.clear_button.text(), question)
        return answer == QMessageBox.StandardButton.Yes

    def _on_clear_clicked(self) -> None:
        from clearsight.gui.background import run_in_background
        from clearsight.history.texts import text

        language = self._texts.language
        if not self.confirm(text(language, "setting_clear_question")):
            return
        settings = self._settings

        def op() -> str:
            from clearsight.history.store import HistoryUnavailable, open_history

            store = open_history(settings)
            if isinstance(store, HistoryUnavailable):
                return store.notice.text(language) if store.notice.code != "off" else ""
            problem = store.clear()
            return problem.text(language) if problem else text(language, "setting_cleared")

        self.clear_button.setEnabled(False)
        run_in_background(op, self._on_cleared, None, owner=self)

    def _on_cleared(self, message: str) -> None:
        self.clear_button.setEnabled(True)
        self.result.setText(message)
        self.result.setVisible(bool(message))

    def save(self) -> str | None:
        """Write the choices; a problem is returned as one line (None when saved)."""
        from dataclasses import replace

        from clearsight.history.settings import save_settings

        chosen = replace(
            self._settings,
            enabled=self.keep.isChecked(),
            include_in_reports=self.include.isChecked(),
        )
        if chosen == self._settings:
            return None
        try:
            save_settings(chosen)
        except OSError as exc:
            return str(exc.strerror or exc)
        return None


def history_notice(language: str) -> str:
    """The first-start notice's sentence on what is kept on this computer."""
    from clearsight.history.texts import text

    return text(language, "notice_kept")


def forget_sensitive(profile: Profile, owner: QObject) -> None:
    """The person no longer allows probing sensitive services: their results kept in
    history go too (off the GUI thread; a problem is silent, history stays as it was)."""
    from clearsight.gui.background import run_in_background

    services = {s.id for s in profile.services if s.sensitive}
    if not services:
        return

    def op() -> None:
        from clearsight.history.store import HistoryStore, open_history

        store = open_history()
        if isinstance(store, HistoryStore):
            store.forget_services(services)

    run_in_background(op, lambda _: None, lambda _: None, owner=owner)
