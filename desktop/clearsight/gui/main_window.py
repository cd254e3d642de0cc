"""The main window: one button, a live plain-language answer, details one click away.

Owns what is on screen (the profile, the latest result, the run in progress) and turns
user actions into runs, dialogs and files. Work off the GUI thread goes through
``CheckSession`` (runs) and ``run_in_background`` (opening and re-building reports).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QLibraryInfo, Qt, QTimer, QTranslator, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clearsight.engine.events import ProgressEvent
from clearsight.engine.plan import gating_checks, planned_checks
from clearsight.explanations import LANGUAGES, Catalog, catalog
from clearsight.explanations.file_problems import FileError, file_problem, problem_message
from clearsight.gui.background import run_in_background
from clearsight.gui.history_view import ChangeStrip, forget_sensitive
from clearsight.gui.results_view import ResultsPanel
from clearsight.gui.session import (
    CheckSession,
    EngineFactory,
    ReportState,
    build_state,
    real_engine,
    rebuild_state,
)
from clearsight.gui.settings import AppSettings, profile_fingerprint
from clearsight.gui.view_model import (
    PlannedRow,
    RunProgress,
    View,
    build_view,
    idle_view,
)
from clearsight.gui.widgets import OverviewCard

if TYPE_CHECKING:
    from clearsight.presentation.answer import Answer
    from clearsight.profile.model import Profile

REPORT_SUFFIXES = (".clearsight-report", ".json", ".html", ".htm")
PROFILE_SUFFIXES = (".clearsight", ".toml")
RENDER_DELAY_MS = 30


class MainWindow(QMainWindow):
    """The app's only window."""

    language_changed = Signal(str)
    run_started = Signal()
    run_ended = Signal(object)  # ReportState
    run_kept = Signal(object)  # ReportState with its history (watch mode reads the changes)
    report_shown = Signal(object)  # ReportState (after a run, an opened report, a language switch)

    def __init__(
        self,
        settings: AppSettings,
        engine: EngineFactory = real_engine,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._engine = engine
        self.texts: Catalog = catalog(settings.language)
        self.profile: Profile | None = None
        self.profile_path: Path | None = None  # None: the built-in profile
        self._profile_consented = False
        self.session: CheckSession | None = None
        self.state: ReportState | None = None  # the result on screen
        self.progress: RunProgress | None = None
        self._busy_services: frozenset[str] = frozenset()
        self._rerun_service: str | None = None
        self._rebuild_generation = 0
        self._qt_translator: QTranslator | None = None
        self.last_problem: str | None = None
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.timeout.connect(self._on_render_timer_timeout)
        self._build_ui()
        self._build_menus()
        geometry = settings.geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(920, 780)
        self._install_qt_translation(settings.language)
        self._retranslate()
        self._render()

    # =================================================================== building
    def _build_ui(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(18, 16, 18, 8)
        layout.setSpacing(12)
        self.card = OverviewCard(central)
        self.card.open_login_requested.connect(self.open_login_page)
        self.card.save_and_show_requested.connect(self.save_and_show_report)
        self.card.copy_for_it_requested.connect(self.copy_message_for_it)
        layout.addWidget(self.card)

        controls = QHBoxLayout()
        controls.setSpacing(8)
        self.run_button = QPushButton(central)
        self.run_button.setObjectName("run")
        self.run_button.setDefault(True)
        font = self.run_button.font()
        font.setBold(True)
        self.run_button.setFont(font)
        self.run_button.setMinimumHeight(round(self.fontMetrics().height() * 2.2))
        self.run_button.clicked.connect(self._on_run_button_clicked)
        controls.addWidget(self.run_button)
        self.save_button = QPushButton(central)
        self.save_button.clicked.connect(self.save_report)
        controls.addWidget(self.save_button)
        self.copy_button = QPushButton(central)
        self.copy_button.clicked.connect(self.copy_summary)
        controls.addWidget(self.copy_button)
        controls.addSpacing(12)
        progress_column = QVBoxLayout()
        progress_column.setSpacing(2)
        self.progress_bar = QProgressBar(central)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(round(self.fontMetrics().height() * 0.7))
        self.progress_bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        progress_column.addWidget(self.progress_bar)
        self.step_label = QLabel(central)
        self.step_label.setTextFormat(Qt.TextFormat.PlainText)
        self.step_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        progress_column.addWidget(self.step_label)
        controls.addLayout(progress_column, 1)
        layout.addLayout(controls)
        self.history_strip = ChangeStrip(central)  # what changed since the last check
        layout.addWidget(self.history_strip)

        self.results = ResultsPanel(self.texts, central)
        self.results.rerun_requested.connect(self.rerun_service)
        layout.addWidget(self.results, 1)
        self.setCentralWidget(central)
        self.setTabOrder(self.run_button, self.save_button)
        self.setTabOrder(self.save_button, self.copy_button)
        self.setTabOrder(self.copy_button, self.results)
        self.run_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.open_report_action = QAction(self)
        self.open_report_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_report_action.triggered.connect(self._on_open_report_action_triggered)
        self.open_profile_action = QAction(self)
        self.open_profile_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_profile_action.triggered.connect(self._on_open_profile_action_triggered)
        self.default_profile_action = QAction(self)
        self.default_profile_action.triggered.connect(self._on_default_profile_action_triggered)
        self.overview_action = QAction(self)  # IT's overview of several reports
        self.overview_action.triggered.connect(self.show_overview)
        self.overview_window: Any = None
        self.save_action = QAction(self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save_report)
        self.copy_action = QAction(self)
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_action.triggered.connect(self.copy_summary)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        for action in (
            self.open_report_action,
            self.overview_action,
            self.open_profile_action,
            self.default_profile_action,
        ):
            self.file_menu.addAction(action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.save_action)
        self.file_menu.addAction(self.copy_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

        self.check_menu = bar.addMenu("")
        self.run_action = QAction(self)
        self.run_action.setShortcut(QKeySequence("Ctrl+R"))
        self.run_action.triggered.connect(self._on_run_action_triggered)
        self.stop_action = QAction(self)
        self.stop_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_action.triggered.connect(self.cancel_checks)
        self.settings_action = QAction(self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        self.check_menu.addAction(self.run_action)
        self.check_menu.addAction(self.stop_action)
        self.check_menu.addSeparator()
        self.check_menu.addAction(self.settings_action)

        self.language_menu = bar.addMenu("")
        self.language_actions = QActionGroup(self)
        self.language_actions.setExclusive(True)
        for language in LANGUAGES:
            action = QAction(catalog(language).ui("language_name"), self)
            action.setCheckable(True)
            action.setData(language)
            action.setChecked(language == self.texts.language)
            self.language_actions.addAction(action)
            self.language_menu.addAction(action)
        self.language_actions.triggered.connect(self._on_language_actions_triggered)

        self.help_menu = bar.addMenu("")
        self.about_action = QAction(self)
        self.about_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.about_action.triggered.connect(self.show_about)
        self.help_menu.addAction(self.about_action)

    # ============================================================== translation
    def _retranslate(self) -> None:
        t = self.texts
        self.file_menu.setTitle(t.ui("menu_file"))
        self.check_menu.setTitle(t.ui("menu_check"))
        self.language_menu.setTitle(t.ui("language_label"))
        self.help_menu.setTitle(t.ui("menu_help"))
        self.open_report_action.setText(t.ui("action_open_report"))
        self.overview_action.setText(t.ui("overview_action"))
        if self.overview_window is not None:
            self.overview_window.set_language(t.language)
        self.open_profile_action.setText(t.ui("action_open_profile"))
        self.default_profile_action.setText(t.ui("action_default_profile"))
        self.save_action.setText(t.ui("button_save"))
        self.copy_action.setText(t.ui("button_copy"))
        self.quit_action.setText(t.ui("action_quit"))
        self.run_action.setText(t.ui("button_check"))
        self.stop_action.setText(t.ui("button_stop"))
        self.settings_action.setText(t.ui("action_settings"))
        self.about_action.setText(t.ui("about_title"))
        self.save_button.setText(t.ui("button_save"))
        self.save_button.setAccessibleName(t.ui("button_save"))
        self.copy_button.setText(t.ui("button_copy"))
        self.copy_button.setAccessibleName(t.ui("button_copy"))
        self.card.set_button_texts(
            t.ui("button_open_login"), t.ui("button_save_and_show"), t.ui("button_copy_for_it")
        )
        self.progress_bar.setAccessibleName(t.ui("progress_label"))
        self.results.setAccessibleName(t.ui("results_label"))
        for action in self.language_actions.actions():
            action.setChecked(action.data() == t.language)
        self._update_controls()
        self._update_title()

    def _install_qt_translation(self, language: str) -> None:
        """Qt's own texts (file dialogs, standard buttons) in the chosen language."""
        app = QApplication.instance()
        if app is None:
            return
        if self._qt_translator is not None:
            QApplication.removeTranslator(self._qt_translator)
            self._qt_translator = None
        if language == "en":
            return
        translator = QTranslator(self)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(f"qt_{language}", folder):
            QApplication.installTranslator(translator)
            self._qt_translator = translator

    def set_language(self, language: str) -> None:
        """Switch every text to ``language``, now, also while checks run."""
        if language not in LANGUAGES or language == self.texts.language:
            return
        self.settings.language = language
        self.texts = catalog(language)
        self._install_qt_translation(language)
        self._retranslate()
        if self.session is not None and self.session.running:
            self.session.set_language(language)
        if self.state is not None and self.state.language != language:
            self._rebuild_in(language)
        self._render()
        self.language_changed.emit(language)

    def _rebuild_in(self, language: str) -> None:
        state = self.state
        if state is None:
            return
        self._rebuild_generation += 1
        generation = self._rebuild_generation

        def done(rebuilt: ReportState) -> None:
            if generation != self._rebuild_generation or self.state is not state:
                return  # another result or language arrived meanwhile
            self.show_state(rebuilt)

        run_in_background(
            lambda: rebuild_state(state, language), done, self._on_background_failed, owner=self
        )

    def _on_language_actions_triggered(self, action: QAction) -> None:
        self.set_language(str(action.data()))

    # ================================================================= profile
    def load_profile(self, path: Path | None, *, consented: bool = False) -> bool:
        """Use the profile at ``path`` (None: the built-in one). A profile given on the
        command line counts as the user's consent (``consented``)."""
        from clearsight.profile.loader import ProfileError, check_ca_file, load_profile

        try:
            profile = load_profile(path)
            # A certificate file that is not one would stop every secure check of the run:
            # say so now, as the command line does.
            check_ca_file(profile)
        except ProfileError as exc:
            problem = exc.message(self.texts.language)
            self.show_problem(self.texts.ui("profile_error", problem=problem))
            return False
        self.profile = profile
        self.profile_path = path
        self._profile_consented = (
            path is None or consented or self.settings.profile_consented(profile_fingerprint(path))
        )
        if path is not None and consented:
            self.settings.remember_profile_consent(profile_fingerprint(path))
        self.settings.last_profile = path
        self._update_title()
        if self.state is None and self.session is None:
            self._render()
        return True

    def ensure_profile(self) -> Profile | None:
        if self.profile is None and not self.load_profile(None):
            return None
        return self.profile

    def open_profile(self, path: Path) -> bool:
        """Open a profile file the user chose: show its targets and ask before its first
        run (unless this very file was agreed to before)."""
        if not self.load_profile(path):
            return False
        self.statusBar().showMessage(
            self.texts.ui("profile_loaded", name=self._profile_name()), 8000
        )
        if not self._profile_consented and self._ask_profile_consent():
            self.start_checks(consented=True)
        return True

    def _ask_profile_consent(self) -> bool:
        """The profile's targets, and the question; remembered for this file's content."""
        from clearsight.gui.dialogs import ProfileTargetsDialog

        if self.profile is None:
            return False
        dialog = ProfileTargetsDialog(self.profile, self.texts, self)
        if self.exec_dialog(dialog) != ProfileTargetsDialog.DialogCode.Accepted:
            return False
        self._profile_consented = True
        if self.profile_path is not None:
            self.settings.remember_profile_consent(profile_fingerprint(self.profile_path))
        return True

    def _on_open_profile_action_triggered(self) -> None:
        if self.session is not None and self.session.running:
            self.refuse_while_running()
            return
        folder = str(self.settings.open_folder or Path.home())
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            self.texts.ui("action_open_profile"),
            folder,
            f"{self.texts.ui('file_filter_profile')} (*.clearsight *.toml);;"
            f"{self.texts.ui('file_filter_all')} (*)",
        )
        if chosen:
            self.settings.open_folder = Path(chosen).parent
            self.open_profile(Path(chosen))

    def _on_default_profile_action_triggered(self) -> None:
        if self.session is not None and self.session.running:
            self.refuse_while_running()
            return
        self.load_profile(None)
        self.statusBar().showMessage(self.texts.ui("profile_default_loaded"), 8000)

    # ================================================================ consent
    def first_start_notice_needed(self) -> bool:
        return not self.settings.consent_acknowledged

    def show_first_start_notice(self) -> bool:
        from clearsight.gui.dialogs import FirstStartNotice

        dialog = FirstStartNotice(self.texts, self.settings, self)
        return self.exec_dialog(dialog) == FirstStartNotice.DialogCode.Accepted

    def exec_dialog(self, dialog: Any) -> int:
        """Run a modal dialog (tests replace this to answer without a person)."""
        return int(dialog.exec())

    # ==================================================================== runs
    def _on_run_button_clicked(self) -> None:
        if self.session is not None and self.session.running:
            self.cancel_checks()
        else:
            self.start_checks()

    def _on_run_action_triggered(self) -> None:
        if self.session is None or not self.session.running:
            self.start_checks()

    def effective_profile(self) -> Profile | None:
        """The profile with the user's own time limit, when one is set."""
        profile = self.ensure_profile()
        if profile is None:
            return None
        timeout = self.settings.timeout_s
        if timeout is None:
            return profile
        settings = profile.settings
        deadline = min(600.0, max(settings.deadline_s, 4 * timeout))
        return dataclasses.replace(
            profile,
            settings=dataclasses.replace(settings, timeout_s=timeout, deadline_s=deadline),
        )

    def start_checks(self, *, consented: bool = False) -> bool:
        """Start a run of the current profile. ``consented``: the user has agreed already
        (``--run`` on the command line, or the profile dialog just now)."""
        if self.session is not None and self.session.running:
            self.refuse_while_running()
            return False
        if self.ensure_profile() is None:
            return False
        if (
            not consented
            and self.first_start_notice_needed()
            and not self.show_first_start_notice()
        ):
            return False
        if not consented and not self._profile_consented and not self._ask_profile_consent():
            return False
        profile = self.effective_profile()
        if profile is None:
            return False
        skip = self.settings.skip_sensitive
        planned = tuple(
            PlannedRow(s.id, s.name_in(self.texts.language), s.group, s.domestic)
            for s in profile.services
            if not (skip and s.sensitive)
        )
        checks = planned_checks(profile, skip_sensitive=skip)
        self.state = None
        self.history_strip.show_history(None, self.texts)
        self.results.set_history(None)
        self._busy_services = frozenset()
        self._rerun_service = None
        self.progress = RunProgress(
            planned=planned,
            gating=gating_checks(checks),
            skipped_sensitive=skip and any(s.sensitive for s in profile.services),
        )
        session = CheckSession(
            self._engine, profile, skip_sensitive=skip, language=self.texts.language, parent=self
        )
        self._attach(session)
        self.progress_bar.setRange(0, max(1, len(checks)))
        self.progress_bar.setValue(0)
        self.step_label.setText(self.texts.ui("running"))
        session.start()
        self._render()
        self._update_controls()
        self.run_started.emit()
        return True

    def rerun_service(self, service_id: str) -> bool:
        """Check one service again and put its new result into the report on screen."""
        from clearsight.gui.rerun import merge_rerun, single_service_profile

        state = self.state
        profile = self.effective_profile()
        if (
            state is None
            or state.opened_from is not None
            or profile is None
            or (self.session is not None and self.session.running)
        ):
            return False
        service = profile.service(service_id)
        if service is None:
            return False
        old = state.observations
        session = CheckSession(
            self._engine,
            single_service_profile(profile, service),
            skip_sensitive=False,
            language=self.texts.language,
            combine=lambda new: merge_rerun(old, new, service),
            meta=state.meta,
            parent=self,
        )
        self._busy_services = frozenset({service_id})
        self._rerun_service = service_id
        self._attach(session)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.step_label.setText(
            self.texts.ui("checking_again", service=service.name_in(self.texts.language))
        )
        session.start()
        self._render()
        self._update_controls()
        self.run_started.emit()
        return True

    def _attach(self, session: CheckSession) -> None:
        old = self.session
        if old is not None:
            if old.keeping:  # its run is being kept in history: the session goes after that
                old.history_kept.connect(old.deleteLater)
            else:
                old.deleteLater()
        self.session = session
        session.progressed.connect(self._on_session_progressed)
        session.diagnosed.connect(self._on_session_diagnosed)
        session.ended.connect(self._on_session_ended)
        session.history_kept.connect(self._on_history_kept)
        session.failed.connect(self._on_session_failed)

    def cancel_checks(self) -> None:
        if self.session is None or not self.session.running or self.session.cancelling:
            return
        self.session.cancel()
        self.step_label.setText(self.texts.ui("stopping"))
        self._update_controls()

    def _on_session_progressed(self, event: ProgressEvent) -> None:
        session = self.session
        if self.sender() is not session or session is None:
            return
        if event.total:
            self.progress_bar.setRange(0, event.total)
            self.progress_bar.setValue(event.done)
        if session.cancelling:
            self.step_label.setText(self.texts.ui("stopping"))
        elif event.kind != "done":
            # The check the run is waiting for: the first one started and not finished.
            check, label = next(
                (
                    (check, label)
                    for check, label in session.started_checks.items()
                    if check not in session.finished_checks
                ),
                (event.check, event.label),
            )
            services = {s.id: s.name_in(self.texts.language) for s in session.profile.services}
            waiting_for = self.texts.check_label(check, label, services)
            self.step_label.setText(
                self.texts.ui("progress", current=waiting_for, done=event.done, total=event.total)
            )
        if self.progress is not None and self._rerun_service is None:
            self.progress = dataclasses.replace(
                self.progress,
                started=frozenset(session.started_checks),
                finished=frozenset(session.finished_checks),
            )
            self._request_render()

    def _on_session_diagnosed(self, state: ReportState) -> None:
        if self.sender() is not self.session or self._rerun_service is not None:
            return  # a single service checked again shows its result at the end
        self.state = state
        self._request_render()

    def _on_session_ended(self, state: ReportState) -> None:
        if self.sender() is not self.session:
            return
        if self._rerun_service is not None and self.state is not None:
            state = dataclasses.replace(state, history=self.state.history)
        self.progress = None
        self._busy_services = frozenset()
        self._rerun_service = None
        self.show_state(state)
        self._update_controls()
        seconds = round(float(state.report.get("duration_s") or 0))
        self.step_label.setText(self.texts.ui("finished", seconds=seconds))
        self.run_ended.emit(state)

    def _on_history_kept(self, kept: ReportState) -> None:
        """A run was kept in history: say what changed since the last check (when it is the
        run on screen: a new one may have started meanwhile)."""
        shown = self.state
        if shown is not None and shown.report.get("report_id") == kept.report.get("report_id"):
            self.state = dataclasses.replace(shown, history=kept.history)
            self.history_strip.show_history(kept.history, self.texts)
            self.results.set_history(kept.history)
        self.run_kept.emit(kept)

    def _on_session_failed(self, problem: str) -> None:
        if self.sender() is not self.session:
            return
        self.progress = None
        self._busy_services = frozenset()
        self._rerun_service = None
        self.step_label.setText("")
        self._update_controls()
        self._render()
        self.show_problem(self.texts.ui("could_not_run", problem=problem))

    # ================================================================= reports
    def open_report(self, path: Path) -> None:
        """Show a saved report (JSON or HTML), diagnosed again, in the current language."""
        from clearsight.report.build import load_report, meta_from_report
        from clearsight.report.codec import diagnosis_from_report

        language = self.texts.language

        def op() -> ReportState:
            saved, observations = load_report(path)
            return build_state(
                observations,
                meta_from_report(saved),
                language,
                final=True,
                opened_from=path,
                diagnosis=diagnosis_from_report(saved),  # None: older rules, diagnosed again
            )

        def shown(state: ReportState) -> None:
            if self.session is not None and self.session.running:
                return
            self.progress = None
            self.show_state(state)
            self.step_label.setText("")
            self._update_controls()

        def failed(error: BaseException) -> None:
            problem = error.message(self.texts.language) if isinstance(error, FileError) else error
            self.show_problem(self.texts.ui("report_error", problem=str(problem)))

        run_in_background(op, shown, failed, owner=self)

    def open_path(self, path: Path) -> None:
        """A file given on the command line or by a file association: a report or a profile."""
        if self.session is not None and self.session.running:
            self.refuse_while_running()
            return
        name = path.name.lower()
        if not path.is_file():
            self.open_profile(path)  # its loader says what the path is instead (a folder, ...)
            return
        if name.endswith(PROFILE_SUFFIXES):
            self.open_profile(path)
        elif name.endswith(REPORT_SUFFIXES):
            self.open_report(path)
        else:
            try:
                with path.open("rb") as handle:
                    head = handle.read(4096).lstrip()
            except OSError as exc:
                unreadable = file_problem("unreadable", detail=exc.strerror or str(exc))
                problem = problem_message(str(path), unreadable, self.texts.language)
                self.show_problem(self.texts.ui("report_error", problem=problem))
                return
            if head.startswith((b"{", b"<")):
                self.open_report(path)
            else:
                self.open_profile(path)

    def _on_open_report_action_triggered(self) -> None:
        if self.session is not None and self.session.running:
            self.refuse_while_running()
            return
        folder = str(self.settings.open_folder or self.settings.report_folder or Path.home())
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            self.texts.ui("action_open_report"),
            folder,
            f"{self.texts.ui('file_filter_report')} (*.clearsight-report *.json *.html);;"
            f"{self.texts.ui('file_filter_all')} (*)",
        )
        if chosen:
            self.settings.open_folder = Path(chosen).parent
            self.open_report(Path(chosen))

    def show_overview(self) -> Any:
        """IT's overview of several reports, in a window of its own (one per main window)."""
        from clearsight.gui.overview_window import OverviewWindow

        if self.overview_window is None:
            folder = self.settings.open_folder or self.settings.report_folder
            self.overview_window = OverviewWindow(
                self.texts.language, self._open_from_overview, folder=folder, parent=self
            )
            self.overview_window.setWindowFlag(Qt.WindowType.Window, True)
        self.overview_window.show()
        self.overview_window.raise_()
        self.overview_window.activateWindow()
        return self.overview_window

    def _open_from_overview(self, path: Path) -> None:
        self.open_path(path)
        self.raise_()
        self.activateWindow()

    def show_state(self, state: ReportState) -> None:
        self.state = state
        self.history_strip.show_history(state.history, self.texts)
        self.results.set_history(state.history)
        self._rebuild_generation += 1
        self._render()
        self._update_controls()
        self._update_title()
        self.report_shown.emit(state)
        if state.language != self.texts.language:
            self._rebuild_in(self.texts.language)

    def save_report(self) -> None:
        self._save(show_folder=False)

    def _save(self, *, show_folder: bool) -> None:
        from clearsight.gui.save_report import SaveReportDialog

        if self.state is None or not self.state.final or self._is_running():
            return

        def saved(path: Path) -> None:
            self._on_report_saved(path)
            if show_folder:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

        dialog = SaveReportDialog(
            self.state,
            self.texts,
            self.settings,
            self,
            on_saved=saved,
            on_problem=self.show_problem,
        )
        self.exec_dialog(dialog)

    def save_and_show_report(self) -> None:
        """Save the report (the usual dialog), then show the folder it is in."""
        self._save(show_folder=True)

    def open_login_page(self, url: str) -> None:
        """Open the login page a captive portal redirected to, in the web browser (the
        page itself, not the address Clearsight asked, which shows nothing)."""
        if url.startswith(("http://", "https://")):
            QDesktopServices.openUrl(QUrl(url))

    def copy_message_for_it(self) -> None:
        """A ready message for IT support (to the profile's support address), with what was
        found and the report's ID; personal details replaced as the user chose for reports."""
        from clearsight.gui.save_report import report_for_sharing
        from clearsight.presentation.answer import support_message

        if self.state is None or not self.state.final or self._is_running():
            return
        report = report_for_sharing(self.state, self.settings.redact)
        QApplication.clipboard().setText(support_message(report))
        self.statusBar().showMessage(self.texts.ui("it_message_copied"), 8000)

    def _on_report_saved(self, path: Path) -> None:
        self.statusBar().showMessage(self.texts.ui("saved_to", path=str(path)), 15000)

    def copy_summary(self) -> None:
        """The short summary, for an e-mail or a chat (personal details replaced when that
        is the user's choice for reports)."""
        from clearsight.gui.save_report import report_for_sharing
        from clearsight.report.text import render_email_text

        if self.state is None or not self.state.final or self._is_running():
            return
        report = report_for_sharing(self.state, self.settings.redact)
        clipboard = QApplication.clipboard()
        clipboard.setText(render_email_text(report))
        self.statusBar().showMessage(self.texts.ui("summary_copied"), 8000)

    # ================================================================ settings
    def open_settings(self) -> None:
        from clearsight.gui.dialogs import SettingsDialog

        profile = self.ensure_profile()
        dialog = SettingsDialog(
            self.texts, self.settings, profile.settings.timeout_s if profile else None, self
        )
        skipped_before = self.settings.skip_sensitive
        if self.exec_dialog(dialog) == SettingsDialog.DialogCode.Accepted:
            if self.settings.skip_sensitive and not skipped_before and profile is not None:
                forget_sensitive(profile, owner=self)  # consent withdrawn: history forgets
            self.set_language(dialog.chosen_language)
            if self.state is None and self.session is None:
                self._render()

    def show_about(self) -> None:
        from clearsight.gui.dialogs import AboutDialog

        self.exec_dialog(AboutDialog(self.texts, self))

    def refuse_while_running(self) -> None:
        """A second run, or a file to open, while a check is going: say why nothing happens
        (in the status bar, without a dialog in the way of the run)."""
        self.last_problem = self.texts.ui("already_running")
        self.statusBar().showMessage(self.last_problem, 8000)

    def show_problem(self, text: str) -> None:
        """Tell the user something went wrong, in one clear message."""
        self.last_problem = text
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, self.texts.ui("app_name"), text, parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.exec_dialog(box)

    def _on_background_failed(self, error: BaseException) -> None:
        self.show_problem(self.texts.ui("could_not_run", problem=str(error)))

    # ================================================================= display
    def _is_running(self) -> bool:
        return self.session is not None and self.session.running

    def _update_controls(self) -> None:
        t = self.texts
        running = self._is_running()
        cancelling = running and self.session is not None and self.session.cancelling
        if running:
            label = t.ui("stopping") if cancelling else t.ui("button_stop")
        else:
            label = t.ui("button_check_again" if self.state else "button_check")
        if self.run_button.text() != label:
            self.run_button.setText(label)
            self.run_button.setAccessibleName(label)
        self.run_button.setEnabled(not cancelling)
        self.run_action.setEnabled(not running)
        self.stop_action.setEnabled(running and not cancelling)
        has_result = self.state is not None and self.state.final and not running
        self.save_button.setEnabled(has_result)
        self.copy_button.setEnabled(has_result)
        self.save_action.setEnabled(has_result)
        self.copy_action.setEnabled(has_result)
        self.open_report_action.setEnabled(not running)
        self.open_profile_action.setEnabled(not running)
        self.default_profile_action.setEnabled(not running and self.profile_path is not None)
        if self.progress_bar.isVisible() != running:
            self.progress_bar.setVisible(running)
        self.results.set_rerun_enabled(
            not running and self.state is not None and self.state.opened_from is None
        )

    def _update_title(self) -> None:
        title = "Clearsight"
        if self.state is not None and self.state.opened_from is not None:
            title += f" — {self.state.opened_from.name}"
        elif self.profile is not None and self.profile_path is not None:
            title += f" — {self._profile_name()}"
        self.setWindowTitle(title)

    def _profile_name(self) -> str:
        """The profile's name in the window's language ("" before one is loaded)."""
        return self.profile.name_in(self.texts.language) if self.profile else ""

    def _request_render(self) -> None:
        if not self._render_timer.isActive():
            self._render_timer.start(RENDER_DELAY_MS)

    def _on_render_timer_timeout(self) -> None:
        self._render()

    def current_view(self) -> View:
        t = self.texts
        profile_name = self._profile_name()
        if self.progress is not None:
            report = self.state.report if self.state is not None else None
            return build_view(
                t, report, self.progress, profile_name=profile_name, answer=self._answer()
            )
        if self.state is None:
            deadline = self.profile.settings.deadline_s if self.profile else None
            profile = self.effective_profile() if self.profile else None
            if profile is not None:
                deadline = profile.settings.deadline_s
            return idle_view(t, profile_name=profile_name, deadline_s=deadline)
        opened = str(self.state.opened_from) if self.state.opened_from else None
        view = build_view(
            t,
            self.state.report,
            None,
            opened_from=opened,
            profile_name=profile_name,
            answer=self._answer(),
        )
        if self._busy_services:
            view = _mark_busy(view, self._busy_services, t)
        return view

    def _answer(self) -> Answer | None:
        """The state's answer, composed off the GUI thread, when it is in the window's
        language (else the view composes one)."""
        state = self.state
        if state is None or state.answer is None or state.language != self.texts.language:
            return None
        return state.answer

    def _render(self) -> None:
        self._render_timer.stop()
        view = self.current_view()
        self.card.set_overview(view.overview, self.texts.ui("what_to_do"))
        self.results.show_sections(view.sections, self.texts)
        self.results.setVisible(bool(view.sections))

    # ================================================================== window
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self.card.update()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.geometry = self.saveGeometry()
        self.settings.sync()
        if self.session is not None and self.session.running:
            self.session.cancel()  # the engine's threads are daemons: nothing waits on them
        super().closeEvent(event)


def _mark_busy(view: View, busy: frozenset[str], texts: Catalog) -> View:
    from clearsight.gui.view_model import RUNNING, Section

    sections = []
    for section in view.sections:
        rows = tuple(
            dataclasses.replace(
                row,
                tone=RUNNING,
                badge=texts.ui("badge_checking"),
                summary=texts.ui("row_checking"),
                expandable=False,
            )
            if row.service_id in busy
            else row
            for row in section.rows
        )
        sections.append(Section(section.key, section.title, rows))
    return dataclasses.replace(view, sections=tuple(sections))
