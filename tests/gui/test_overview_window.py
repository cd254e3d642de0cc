"""IT's overview in the window: "Open several reports…", files and folders (dropped too),
the table, which reports say what, opening one report, exports, files not counted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.unit.overview import reports
from tests.unit.overview.reports import START


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("office")
    reports.write_report(folder / "monday.clearsight-report", reports.report(started=START))
    reports.write_report(
        folder / "tuesday.html",
        reports.report(
            "fine", "zh_CN", started=START + timedelta(days=1), verdicts={"gmail": "ip_blocked"}
        ),
    )
    reports.write_report(
        folder / "wednesday.clearsight-report",
        reports.report("fine", started=START + timedelta(days=2)),
    )
    (folder / "cut.clearsight-report").write_text(reports.template()[:4000])
    return folder


@pytest.fixture
def overview(make_window: Any, qtbot: Any) -> Any:
    window = make_window(load_profile=False)
    view = window.show_overview()
    qtbot.addWidget(view)
    return view


def read(qtbot: Any, view: Any, paths: list[Path]) -> Any:
    with qtbot.waitSignal(view.summary_shown, timeout=20000):
        view.add_paths(paths)
    return view.summary


def test_the_menu_opens_one_overview_window(make_window: Any, qtbot: Any) -> None:
    window = make_window(load_profile=False)
    assert window.overview_action.text() == "Open several reports…"
    assert window.overview_action in window.file_menu.actions()
    window.overview_action.trigger()
    first = window.overview_window
    assert first is not None and first.isVisible()
    window.overview_action.trigger()
    assert window.overview_window is first
    assert first.windowTitle() == "Clearsight — Overview of several reports"
    assert "Drop reports or folders here" in first.status_label.text()
    assert not first.csv_button.isEnabled()


def test_a_folder_fills_the_table_and_lists_what_was_not_counted(
    overview: Any, qtbot: Any, office: Path
) -> None:
    summary = read(qtbot, overview, [office])
    assert len(summary.reports) == 3
    table = overview.table
    assert table.rowCount() == 55
    headings = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headings[0] == "Service" and headings[-2:] == ["First seen blocked", "Last seen blocked"]
    assert "Works" in headings and "Forged address" in headings
    first = table.item(0, 0).text()
    assert first == "Gmail"  # blocked in two reports: the most blocked first
    blocked_col = headings.index("Blocked")
    assert table.item(0, blocked_col).text() == "1"
    assert table.item(0, len(headings) - 2).text() == "2026-11-02 08:00 UTC"
    assert table.item(0, len(headings) - 1).text() == "2026-11-03 08:00 UTC"
    assert overview.status_label.text() == "3 reports read · 1 file was not counted"
    assert overview.unreadable_tree.topLevelItemCount() == 1
    item = overview.unreadable_tree.topLevelItem(0)
    assert item.text(0) == "cut.clearsight-report" and "cut short" in item.text(1)
    assert overview.tabs.tabText(1) == "Not counted (1)"


def test_which_reports_say_what_and_one_click_opens_a_report(
    overview: Any, qtbot: Any, office: Path, make_window: Any
) -> None:
    read(qtbot, overview, [office])
    assert overview.select_service("gmail")
    tree = overview.reports_tree
    groups = {
        tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
    }
    assert set(groups) == {"Works (1)", "Forged address (1)", "Blocked (1)"}
    blocked = groups["Blocked (1)"].child(0)
    assert blocked.text(0) == "tuesday.html"
    assert not overview.open_button.isEnabled()
    main = overview.parent()
    tree.setCurrentItem(blocked)
    assert overview.open_button.isEnabled()
    tree.itemDoubleClicked.emit(blocked, 0)
    qtbot.waitUntil(lambda: main.state is not None, timeout=15000)
    assert main.state.opened_from == office / "tuesday.html"


def test_exports_csv_and_html(overview: Any, qtbot: Any, office: Path, tmp_path: Path) -> None:
    read(qtbot, overview, [office])
    assert overview.csv_button.isEnabled() and overview.html_button.isEnabled()
    assert overview.export_csv(tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_bytes().startswith(b"\xef\xbb\xbfid,name,")
    assert overview.export_html(tmp_path / "o.html")
    assert "Overview of several reports" in (tmp_path / "o.html").read_text("utf-8")
    assert f"Saved to {tmp_path / 'o.html'}" in overview.status_label.text()
    assert not overview.export_csv(tmp_path / "missing" / "o.csv")
    assert "o.csv" in overview.status_label.text()


def test_dropped_files_and_folders_are_read(overview: Any, qtbot: Any, office: Path) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(office / "monday.clearsight-report"))])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    overview.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(overview.summary_shown, timeout=20000):
        overview.dropEvent(drop)
    assert len(overview.summary.reports) == 1
    not_files = QMimeData()
    not_files.setText("hello")
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        not_files,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    overview.dragEnterEvent(enter)
    assert not enter.isAccepted()


def test_the_overview_follows_the_apps_language(make_window: Any, qtbot: Any, office: Path) -> None:
    window = make_window(load_profile=False)
    view = window.show_overview()
    read(qtbot, view, [office])
    window.set_language("zh_CN")
    assert view.windowTitle() == "Clearsight — 多份报告汇总"
    table = view.table
    assert table.horizontalHeaderItem(0).text() == "服务"
    names = {table.item(r, 0).text() for r in range(table.rowCount())}
    assert "百度" in names
    assert view.status_label.text() == "已读取 3 份报告，有 1 个文件未计入"
    assert window.overview_action.text() == "打开多份报告…"


def test_clear_starts_over(overview: Any, qtbot: Any, office: Path) -> None:
    read(qtbot, overview, [office])
    overview.clear()
    assert overview.table.rowCount() == 0 and overview.summary is None
    assert not overview.clear_button.isEnabled()
    QApplication.processEvents()
