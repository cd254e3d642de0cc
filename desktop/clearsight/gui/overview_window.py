"""IT's overview in the window ("Open several reports…"): many saved reports at once.

Reports come from file and folder pickers or are dropped on the window; they are read off
the GUI thread (:func:`clearsight.overview.summarize`: the verdicts each report saved,
nothing diagnosed again). The table shows each service's verdict counts in the app's own
words and when it was first and last seen blocked; below it, which reports say what about
the chosen service (a double-click opens a report in the main window) and the files that
were not counted, each with the reason. The overview exports as CSV and as one HTML page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS
from clearsight.explanations import Catalog, catalog
from clearsight.gui.background import run_in_background
from clearsight.gui.theme import tone_colour
from clearsight.overview import Summary, summarize, summary_csv, summary_html
from clearsight.overview.render import column_count, shown_time, verdict_columns
from clearsight.overview.summary import ServiceSummary

#: Where a report's index is kept on the items that stand for one.
REPORT_ROLE = Qt.ItemDataRole.UserRole + 1
#: Where a service's id is kept on the table's first column.
SERVICE_ROLE = Qt.ItemDataRole.UserRole + 2


class _NumberItem(QTableWidgetItem):
    """A cell that sorts by its number, not its text."""

    def __init__(self, value: float, text: str) -> None:
        super().__init__(text)
        self.setData(Qt.ItemDataRole.UserRole, value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine = self.data(Qt.ItemDataRole.UserRole)
        theirs = other.data(Qt.ItemDataRole.UserRole)
        if isinstance(mine, int | float) and isinstance(theirs, int | float):
            return mine < theirs
        return super().__lt__(other)


class OverviewWindow(QMainWindow):
    """The overview of several reports; ``open_report(path)`` shows one in the app."""

    summary_shown = Signal(object)  # Summary
    exported = Signal(object)  # Path

    def __init__(
        self,
        language: str,
        open_report: Callable[[Path], None],
        *,
        folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.texts: Catalog = catalog(language)
        self._open_report = open_report
        self.folder = folder or Path.home()
        self.paths: list[Path] = []
        self.summary: Summary | None = None
        self.reading = False
        self._generation = 0
        self.last_message = ""
        self.setAcceptDrops(True)
        self._build()
        self._retranslate()
        self.resize(1280, 760)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(14, 12, 14, 10)
        layout.setSpacing(8)
        buttons = QHBoxLayout()
        self.add_files_button = QPushButton(central)
        self.add_files_button.clicked.connect(self.pick_files)
        self.add_folder_button = QPushButton(central)
        self.add_folder_button.clicked.connect(self.pick_folder)
        self.clear_button = QPushButton(central)
        self.clear_button.clicked.connect(self.clear)
        self.csv_button = QPushButton(central)
        self.csv_button.clicked.connect(self.pick_csv)
        self.html_button = QPushButton(central)
        self.html_button.clicked.connect(self.pick_html)
        for button in (self.add_files_button, self.add_folder_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.csv_button)
        buttons.addWidget(self.html_button)
        layout.addLayout(buttons)

        self.status_label = QLabel(central)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

        splitter = QSplitter(Qt.Orientation.Vertical, central)
        self.table = QTableWidget(splitter)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self._show_reports_of_selection)

        lower = QWidget(splitter)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget(lower)
        self.reports_tree = QTreeWidget(self.tabs)
        self.reports_tree.setColumnCount(3)
        self.reports_tree.setRootIsDecorated(True)
        self.reports_tree.itemDoubleClicked.connect(self._on_report_item_double_clicked)
        self.reports_tree.itemSelectionChanged.connect(self._update_controls)
        self.unreadable_tree = QTreeWidget(self.tabs)
        self.unreadable_tree.setColumnCount(2)
        self.unreadable_tree.setRootIsDecorated(False)
        self.unreadable_tree.setWordWrap(True)
        self.tabs.addTab(self.reports_tree, "")
        self.tabs.addTab(self.unreadable_tree, "")
        lower_layout.addWidget(self.tabs)
        open_row = QHBoxLayout()
        self.hint_label = QLabel(lower)
        self.hint_label.setWordWrap(True)
        open_row.addWidget(self.hint_label, 1)
        self.open_button = QPushButton(lower)
        self.open_button.clicked.connect(self.open_selected_report)
        open_row.addWidget(self.open_button)
        lower_layout.addLayout(open_row)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        close = QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self)
        close.activated.connect(self.close)

    # -------------------------------------------------------------- translation
    def set_language(self, language: str) -> None:
        if language == self.texts.language:
            return
        self.texts = catalog(language)
        self._retranslate()

    def _retranslate(self) -> None:
        t = self.texts
        self.setWindowTitle(f"{t.ui('app_name')} — {t.ui('overview_title')}")
        self.add_files_button.setText(t.ui("overview_add_files"))
        self.add_folder_button.setText(t.ui("overview_add_folder"))
        self.clear_button.setText(t.ui("overview_clear"))
        self.csv_button.setText(t.ui("overview_export_csv"))
        self.html_button.setText(t.ui("overview_export_html"))
        self.open_button.setText(t.ui("overview_open_report"))
        self.hint_label.setText(t.ui("overview_pick_service"))
        self.reports_tree.setHeaderLabels(
            [
                t.ui("overview_column_file"),
                t.ui("overview_column_report_id"),
                t.ui("overview_column_started"),
            ]
        )
        self.unreadable_tree.setHeaderLabels(
            [t.ui("overview_column_file"), t.ui("overview_column_problem")]
        )
        self._fill()

    # --------------------------------------------------------------- reading
    def add_paths(self, paths: Iterable[Path]) -> None:
        """Add files or folders and read everything again (off the GUI thread)."""
        new = [Path(p) for p in paths if Path(p) not in self.paths]
        if not new:
            return
        self.paths.extend(new)
        self._read()

    def clear(self) -> None:
        self.paths = []
        self.summary = None
        self._generation += 1
        self.reading = False
        self._fill()

    def _read(self) -> None:
        self._generation += 1
        generation = self._generation
        self.reading = True
        self._update_status()
        self._update_controls()
        paths = list(self.paths)

        def done(summary: Summary) -> None:
            if generation != self._generation:
                return  # more paths arrived meanwhile, or the list was cleared
            self.reading = False
            self.summary = summary
            self._fill()
            self.summary_shown.emit(summary)

        def failed(error: BaseException) -> None:
            if generation == self._generation:
                self.reading = False
                self._say(str(error))
                self._update_controls()

        run_in_background(lambda: summarize(paths), done, failed, owner=self)

    # ------------------------------------------------------------------ pickers
    def pick_files(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(
            self,
            self.texts.ui("overview_add_files"),
            str(self.folder),
            f"{self.texts.ui('file_filter_report')} (*.clearsight-report *.json *.html *.htm);;"
            f"{self.texts.ui('file_filter_all')} (*)",
        )
        if chosen:
            self.folder = Path(chosen[0]).parent
            self.add_paths(Path(c) for c in chosen)

    def pick_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, self.texts.ui("overview_add_folder"), str(self.folder)
        )
        if chosen:
            self.folder = Path(chosen)
            self.add_paths([Path(chosen)])

    def pick_csv(self) -> None:
        self._pick_export("csv", self.texts.ui("file_filter_csv"), self.export_csv)

    def pick_html(self) -> None:
        self._pick_export("html", self.texts.ui("file_filter_html"), self.export_html)

    def _pick_export(self, suffix: str, kind: str, export: Callable[[Path], bool]) -> None:
        if self.summary is None:
            return
        name = f"{self.texts.ui('overview_title')}.{suffix}"
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            self.texts.ui(f"overview_export_{suffix}"),
            str(self.folder / name),
            f"{kind} (*.{suffix})",
        )
        if chosen:
            path = Path(chosen)
            if not path.suffix:
                path = path.with_suffix(f".{suffix}")
            export(path)

    # ------------------------------------------------------------------ exports
    def export_csv(self, path: Path) -> bool:
        """Save the overview as CSV (UTF-8 with a byte-order mark, for Excel)."""
        from clearsight.report.files import save_bytes

        if self.summary is None:
            return False
        data = summary_csv(self.summary, self.texts.language).encode("utf-8-sig")
        return self._save(path, lambda: save_bytes(path, data))

    def export_html(self, path: Path) -> bool:
        """Save the overview as one self-contained HTML page."""
        from clearsight.report.files import save_text

        if self.summary is None:
            return False
        page = summary_html(self.summary, self.texts.language)
        return self._save(path, lambda: save_text(path, page))

    def _save(self, path: Path, write: Callable[[], None]) -> bool:
        from clearsight.report.files import SaveError, save_error_text

        try:
            write()
        except SaveError as exc:
            self._say(save_error_text(exc, self.texts.language))
            return False
        self.folder = path.parent
        self._say(self.texts.ui("saved_to", path=str(path)))
        self.exported.emit(path)
        return True

    # ------------------------------------------------------------------ opening
    def selected_report(self) -> Path | None:
        items = self.reports_tree.selectedItems()
        if not items or self.summary is None:
            return None
        index = items[0].data(0, REPORT_ROLE)
        return self.summary.reports[index].path if isinstance(index, int) else None

    def open_selected_report(self) -> None:
        path = self.selected_report()
        if path is not None:
            self._open_report(path)

    def _on_report_item_double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if isinstance(item.data(0, REPORT_ROLE), int):
            self.reports_tree.setCurrentItem(item)
            self.open_selected_report()

    # ------------------------------------------------------------------ drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _local_paths(event.mimeData().urls())
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # ------------------------------------------------------------------ showing
    def select_service(self, service_id: str) -> bool:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(SERVICE_ROLE) == service_id:
                self.table.selectRow(row)
                return True
        return False

    def _fill(self) -> None:
        t = self.texts
        summary = self.summary
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.reports_tree.clear()
        self.unreadable_tree.clear()
        columns = verdict_columns(summary, t) if summary is not None else []
        headings = [
            t.ui("overview_column_service"),
            *(name for name, _ in columns),
            t.ui("overview_column_first_blocked"),
            t.ui("overview_column_last_blocked"),
        ]
        self.table.setColumnCount(len(headings))
        self.table.setHorizontalHeaderLabels(headings)
        services = summary.sorted_services(t.language) if summary is not None else []
        self.table.setRowCount(len(services))
        palette = self.palette()
        bad = tone_colour("bad", palette)
        for row, service in enumerate(services):
            name = QTableWidgetItem(service.name(t.language))
            name.setData(SERVICE_ROLE, service.id)
            name.setToolTip(service.id)
            self.table.setItem(row, 0, name)
            for column, (_, verdicts) in enumerate(columns, start=1):
                count = column_count(service, verdicts)
                item = _NumberItem(count, str(count) if count else "·")
                if count and set(verdicts) & BLOCKING_VERDICTS:
                    item.setForeground(bad)
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
            first = len(columns) + 1
            for offset, moment in enumerate(
                (service.first_seen_blocked, service.last_seen_blocked)
            ):
                stamp = moment.timestamp() if moment is not None else 0.0
                when = _NumberItem(stamp, shown_time(moment))
                when.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, first + offset, when)
        header = self.table.horizontalHeader()
        for column in range(len(headings) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setSortingEnabled(True)
        if summary is not None:
            for refused in summary.unreadable:
                reason = refused.reason(t.language)
                row_item = QTreeWidgetItem([refused.path.name, reason])
                row_item.setToolTip(0, str(refused.path))
                row_item.setToolTip(1, reason)
                self.unreadable_tree.addTopLevelItem(row_item)
            self.unreadable_tree.resizeColumnToContents(0)
        self.tabs.setTabText(0, t.ui("overview_which_reports"))
        count = len(summary.unreadable) if summary is not None else 0
        self.tabs.setTabText(1, t.ui("overview_unreadable_tab", count=count))
        if services:
            self.table.selectRow(0)
        self._update_status()
        self._update_controls()

    def _show_reports_of_selection(self) -> None:
        self.reports_tree.clear()
        summary = self.summary
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if summary is None or not rows:
            self._update_controls()
            return
        item = self.table.item(rows[0].row(), 0)
        service = summary.services.get(item.data(SERVICE_ROLE)) if item is not None else None
        if service is None:
            return
        self._fill_reports(summary, service)

    def _fill_reports(self, summary: Summary, service: ServiceSummary) -> None:
        t = self.texts
        bad = tone_colour("bad", self.palette())
        for verdict in summary.verdicts_seen():
            indexes = service.reports.get(verdict)
            if not indexes:
                continue
            label = t.ui(
                "overview_verdict_count", verdict=t.verdict_badge(verdict), count=len(indexes)
            )
            group = QTreeWidgetItem([label, "", ""])
            if verdict in BLOCKING_VERDICTS:
                group.setForeground(0, bad)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFirstColumnSpanned(False)
            self.reports_tree.addTopLevelItem(group)
            for index in sorted(indexes, key=lambda i: summary.reports[i].started, reverse=True):
                report = summary.reports[index]
                child = QTreeWidgetItem(
                    [report.path.name, report.report_id or "—", shown_time(report.started)]
                )
                child.setData(0, REPORT_ROLE, index)
                child.setToolTip(0, str(report.path))
                group.addChild(child)
            group.setExpanded(True)
        for column in range(3):
            self.reports_tree.resizeColumnToContents(column)
        self._update_controls()

    def _update_status(self) -> None:
        t = self.texts
        if self.reading:
            text = t.ui("overview_reading")
        elif self.summary is None:
            text = t.ui("overview_drop_hint")
        else:
            text = t.ui("overview_count", reports=len(self.summary.reports))
            if self.summary.unreadable:
                not_counted = t.ui("overview_unreadable_count", count=len(self.summary.unreadable))
                text = t.ui("overview_status", read=text, not_counted=not_counted.rstrip(":："))
        if self.last_message:
            text = f"{text}\n{self.last_message}"
        self.status_label.setText(text)

    def _update_controls(self) -> None:
        has = self.summary is not None and bool(self.summary.reports) and not self.reading
        self.csv_button.setEnabled(has)
        self.html_button.setEnabled(has)
        self.clear_button.setEnabled(bool(self.paths))
        self.open_button.setEnabled(self.selected_report() is not None)

    def _say(self, text: str) -> None:
        self.last_message = text
        self._update_status()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._generation += 1  # a read still going is dropped
        super().closeEvent(event)


def _local_paths(urls: Sequence[object]) -> list[Path]:
    paths = []
    for url in urls:
        local = url.toLocalFile() if hasattr(url, "toLocalFile") else ""
        if local:
            paths.append(Path(local))
    return paths


__all__ = ["OverviewWindow"]
