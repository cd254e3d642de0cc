"""The actions the window can take itself: open the captive portal's own login page, save
the report and show its folder, copy a ready message for IT support. No browser or file
manager is started: QDesktopServices.openUrl is replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from tests.gui import scenarios
from tests.gui.conftest import cached, wait_for_end
from tests.gui.recorded_engine import recorded_engine
from tests.gui.test_main_window import _save_with, finished_window


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []

    def open_url(url: QUrl) -> bool:
        urls.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    return urls


def _captive_window(make_window: Any, qtbot: Any) -> Any:
    engine = recorded_engine(cached("captive", scenarios.captive_portal), step_s=0.002)
    window = make_window(engine)
    qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    wait_for_end(qtbot, window)
    return window


def test_a_login_page_in_the_way_offers_its_own_page_not_the_probe(
    make_window: Any, qtbot: Any, opened: list[str]
) -> None:
    window = _captive_window(make_window, qtbot)
    assert window.card.headline.text() == "This network wants you to log in on a web page first."
    button = window.card.login_button
    assert button.isVisible() and button.text() == "Open the login page"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert opened == ["http://192.168.1.1:8080/login?redirect=portal"]
    assert "generate_204" not in opened[0]
    # The rows say to log in first, never "Blocked".
    view = window.current_view()
    rows = [row for section in view.sections for row in section.rows]
    assert all(row.tone != "bad" for row in rows if row.key.startswith("service:"))


def test_no_login_button_without_a_login_page(make_window: Any, qtbot: Any) -> None:
    window = finished_window(make_window, qtbot)
    assert not window.card.login_button.isVisible()
    assert window.card.save_show_button.isVisible()
    assert window.card.copy_it_button.isVisible()


def test_save_and_show_saves_then_opens_the_folder(
    make_window: Any, qtbot: Any, dialogs: Any, opened: list[str], tmp_path: Path
) -> None:
    window = finished_window(make_window, qtbot)
    target = tmp_path / "network.html"
    _save_with(dialogs, target, "html")
    qtbot.mouseClick(window.card.save_show_button, Qt.MouseButton.LeftButton)
    assert target.is_file()
    assert opened == [QUrl.fromLocalFile(str(tmp_path)).toString()]


def test_save_and_show_opens_nothing_when_saving_is_cancelled(
    make_window: Any, qtbot: Any, dialogs: Any, opened: list[str]
) -> None:
    window = finished_window(make_window, qtbot)
    dialogs.answers["SaveReportDialog"] = lambda dialog: 0
    qtbot.mouseClick(window.card.save_show_button, Qt.MouseButton.LeftButton)
    assert opened == []


def test_the_message_for_it_support_is_ready_to_paste(make_window: Any, qtbot: Any) -> None:
    window = finished_window(make_window, qtbot)
    qtbot.mouseClick(window.card.copy_it_button, Qt.MouseButton.LeftButton)
    text = QApplication.clipboard().text()
    contact = window.profile.support_contact
    if contact:
        assert text.startswith(f"To: {contact}")
    assert "Hello," in text
    assert "30 of 55 services are blocked" in text
    assert window.state.report["report_id"] in text
    assert scenarios.LOCAL_V4 not in text  # personal details replaced, as for reports
    assert "message for your IT support" in window.statusBar().currentMessage()


def test_the_buttons_speak_the_chosen_language(make_window: Any, qtbot: Any) -> None:
    window = finished_window(make_window, qtbot)
    window.set_language("zh_CN")
    qtbot.waitUntil(lambda: window.card.copy_it_button.text() == "复制给 IT 支持人员的消息")
    assert window.card.save_show_button.text() == "保存报告并打开所在文件夹"
