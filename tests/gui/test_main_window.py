"""The main window driven as a person would: run, watch results fill in, stop, save, open,
switch language, use the keyboard, agree (or not) before the first run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from clearsight.gui.view_model import BAD, GOOD, RUNNING
from clearsight.report.build import RunMeta, build_report, load_report
from clearsight.report.files import save_json, save_text
from clearsight.report.html import render_html
from tests.gui import scenarios
from tests.gui.conftest import cached, wait_for_end
from tests.gui.recorded_engine import RecordedRun, recorded_engine

LOCAL_ADDRESS = scenarios.LOCAL_V4
PUBLIC_ADDRESS = scenarios.PUBLIC_IP


def blocked_engine(step_s: float = 0.01, runs: list[RecordedRun] | None = None) -> Any:
    return recorded_engine(cached("blocked", scenarios.blocked), step_s=step_s, runs=runs)


def finished_window(make_window: Any, qtbot: Any) -> Any:
    window = make_window(blocked_engine(0.002))
    qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    wait_for_end(qtbot, window)
    return window


# ------------------------------------------------------------------------------ a run
def test_a_run_fills_in_live_and_ends_with_a_one_sentence_answer(make_window: Any, qtbot: Any):
    window = make_window(blocked_engine(0.02))
    assert window.windowTitle().startswith("Clearsight")
    assert window.run_button.text() == "Check my network"
    qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    assert window.run_button.text() == "Stop"
    assert window.progress_bar.isVisible()
    # Live: some services have their verdict while others still wait.
    qtbot.waitUntil(
        lambda: (
            window.session.running
            and window.results.tone_of("service:google-search") == BAD
            and window.results.tone_of("service:baidu") != GOOD
        ),
        timeout=10000,
    )
    assert window.card.headline.text() == "Checking your network…"
    assert "of" in window.step_label.text()
    wait_for_end(qtbot, window)
    assert window.card.headline.text().startswith("30 of 55 services are blocked")
    assert window.card.badge.text == "Blocked"
    assert window.results.tone_of("service:gmail") == BAD
    assert window.results.tone_of("service:baidu") == GOOD
    assert window.run_button.text() == "Check again"
    assert window.save_button.isEnabled() and window.copy_button.isEnabled()
    assert not window.progress_bar.isVisible()
    assert window.results.headings()[:3] == [
        "Internet connection",
        "DNS (address lookup)",
        "VPN & proxy",
    ]


def test_stop_ends_the_run_within_a_second_and_says_the_results_are_incomplete(
    make_window: Any, qtbot: Any
):
    window = make_window(blocked_engine(0.1))  # 66 checks: about 7 s if left alone
    window.start_checks()
    qtbot.waitUntil(lambda: len(window.session.finished_checks) >= 5, timeout=5000)
    stopped_at = time.monotonic()
    qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.has_ended, timeout=2000)
    took = time.monotonic() - stopped_at
    assert took < 1.0
    assert window.state.report["outcome"] == "cancelled"
    assert "Stopped before the end" in window.card.notes.text()
    assert window.run_button.text() == "Check again" and window.run_button.isEnabled()
    assert window.results.tone_of("service:youtube") != RUNNING


# ------------------------------------------------------------------------------ saving
def _save_with(dialogs: Any, path: Path, fmt: str, redact: bool | None = None) -> None:
    def answer(dialog: Any) -> int:
        dialog.set_format(fmt)
        dialog.path_edit.setText(str(path))
        if redact is not None:
            dialog.redact_box.setChecked(redact)
        dialogs.preview = dialog.preview.toPlainText()
        dialogs.preview_label = dialog.preview_label.text()
        dialog.save_button.click()  # the second click
        return int(dialog.result())

    dialogs.answers["SaveReportDialog"] = answer


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("html", "report.html"),
        ("report", "report.clearsight-report"),
        ("text", "report.txt"),
        ("pdf", "report.pdf"),
    ],
)
def test_a_report_is_saved_in_two_clicks_with_personal_details_replaced(
    make_window: Any, qtbot: Any, dialogs: Any, tmp_path: Path, fmt: str, name: str
):
    window = finished_window(make_window, qtbot)
    target = tmp_path / name
    _save_with(dialogs, target, fmt)
    qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)  # the first click
    assert dialogs.seen[-1] == "SaveReportDialog"
    assert target.is_file()
    assert f"{LOCAL_ADDRESS}  →  private-v4#1" in dialogs.preview
    assert f"{PUBLIC_ADDRESS}  →  public-v4#1" in dialogs.preview
    data = target.read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF")
    else:
        text = data.decode("utf-8")
        assert LOCAL_ADDRESS not in text and PUBLIC_ADDRESS not in text
        assert "30 of 55 services are blocked" in text
    if fmt in ("html", "report"):
        saved, observations = load_report(target)
        assert saved["redacted"] is True
        assert saved["summary"]["status"] == "blocked"
        assert len(saved["services"]) == 55 and observations
    assert str(target) in window.statusBar().currentMessage()
    assert window.settings.report_format == fmt


def test_saving_without_redaction_keeps_personal_details_and_says_so(
    make_window: Any, qtbot: Any, dialogs: Any, tmp_path: Path
):
    window = finished_window(make_window, qtbot)
    target = tmp_path / "full.clearsight-report"
    _save_with(dialogs, target, "report", redact=False)
    window.save_report()
    assert "personal details" in dialogs.preview_label
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert saved["redacted"] is False
    assert LOCAL_ADDRESS in target.read_text(encoding="utf-8")


def test_a_file_that_cannot_be_saved_is_explained(
    make_window: Any, qtbot: Any, dialogs: Any, tmp_path: Path
):
    window = finished_window(make_window, qtbot)
    _save_with(dialogs, tmp_path / "missing-folder" / "r.html", "html")
    window.save_report()
    assert window.last_problem is not None and "folder does not exist" in window.last_problem


def test_copy_summary_puts_a_short_redacted_summary_on_the_clipboard(make_window: Any, qtbot: Any):
    window = finished_window(make_window, qtbot)
    qtbot.mouseClick(window.copy_button, Qt.MouseButton.LeftButton)
    text = QApplication.clipboard().text()
    assert "30 of 55 services are blocked" in text
    assert LOCAL_ADDRESS not in text
    assert len(text.splitlines()) <= 40


# ------------------------------------------------------------------------------ opening
def _saved_report(tmp_path: Path, kind: str) -> Path:
    meta = RunMeta(
        "Acme office", "it@acme.example", "2025-11-20T09:00:00Z", "2025-11-20T09:00:12Z", 12.0
    )
    report = build_report(cached("blocked", scenarios.blocked), meta, language="zh_CN")
    if kind == "json":
        path = tmp_path / "office.clearsight-report"
        save_json(path, report)
    else:
        path = tmp_path / "office.html"
        save_text(path, render_html(report))
    return path


@pytest.mark.parametrize("kind", ["json", "html"])
def test_a_saved_report_opens_in_the_same_view_diagnosed_again_in_my_language(
    make_window: Any, qtbot: Any, tmp_path: Path, kind: str
):
    path = _saved_report(tmp_path, kind)
    window = make_window()
    window.open_path(path)
    qtbot.waitUntil(lambda: window.state is not None, timeout=10000)
    assert window.state.opened_from == path
    assert window.state.language == "en"  # saved in Chinese, shown in the user's language
    assert window.card.headline.text().startswith("30 of 55 services are blocked")
    assert "saved report" in window.card.notes.text()
    assert "it@acme.example" in window.card.meta.text()
    assert window.windowTitle() == f"Clearsight — {path.name}"
    assert window.save_button.isEnabled()
    qtbot.waitUntil(lambda: window.results.complete)
    row = window.results.row("service:gmail")
    row.set_expanded(True)
    assert row.details is not None and not row.details.rerun.isEnabled()


def test_a_damaged_report_is_explained_in_one_message(make_window: Any, qtbot: Any, tmp_path: Path):
    path = tmp_path / "broken.clearsight-report"
    path.write_text('{"schema": "something-else"}', encoding="utf-8")
    window = make_window()
    window.open_report(path)
    qtbot.waitUntil(lambda: window.last_problem is not None, timeout=5000)
    assert window.last_problem.startswith("This report can't be opened")
    assert "broken.clearsight-report" in window.last_problem
    assert window.state is None


# ------------------------------------------------------------------------------ language
def test_the_language_switches_while_checks_run_and_after(make_window: Any, qtbot: Any):
    window = make_window(blocked_engine(0.02))
    window.start_checks()
    qtbot.waitUntil(lambda: len(window.session.finished_checks) >= 10, timeout=5000)
    chinese = next(a for a in window.language_actions.actions() if a.data() == "zh_CN")
    chinese.trigger()
    assert window.run_button.text() == "停止"
    assert window.file_menu.title() == "文件"
    wait_for_end(qtbot, window)
    assert "被屏蔽" in window.card.headline.text()
    assert window.results.row("service:gmail").badge.text == "地址被伪造"
    assert window.settings.language == "zh_CN"
    window.set_language("en")
    qtbot.waitUntil(lambda: window.state.language == "en", timeout=5000)
    assert window.card.headline.text().startswith("30 of 55 services are blocked")
    assert window.results.row("service:gmail").badge.text == "Forged address"


# ------------------------------------------------------------------------------ keyboard
def test_everything_is_reachable_and_named_for_the_keyboard(make_window: Any, qtbot: Any):
    window = finished_window(make_window, qtbot)
    for control in (
        window.run_button,
        window.save_button,
        window.copy_button,
        window.progress_bar,
        window.results,
    ):
        assert control.accessibleName()
    rows = window.results.rows()
    first = rows[0]
    first.setFocus()
    assert first.hasFocus() or QApplication.focusWidget() is first
    qtbot.keyClick(first, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is rows[1]
    gmail = window.results.row("service:gmail")
    gmail.setFocus()
    assert "Gmail" in gmail.accessibleName() and "Forged address" in gmail.accessibleName()
    assert gmail.accessibleDescription() == "Show details"
    qtbot.keyClick(gmail, Qt.Key.Key_Space)
    assert gmail.expanded and gmail.accessibleDescription() == "Hide details"
    assert "31.13.94.37" in gmail.details.evidence.text()
    qtbot.keyClick(gmail, Qt.Key.Key_Left)
    assert not gmail.expanded
    assert window.run_action.shortcut().toString() == "Ctrl+R"
    assert window.stop_action.shortcut().toString() == "Esc"


# ------------------------------------------------------------------------------ consent
def test_the_first_start_notice_comes_before_the_first_run(
    make_window: Any, qtbot: Any, dialogs: Any, settings: Any
):
    settings.consent_acknowledged = False
    window = make_window(blocked_engine(0.002))
    dialogs.answers["FirstStartNotice"] = False
    assert window.start_checks() is False
    assert dialogs.seen == ["FirstStartNotice"] and window.session is None

    def leave_out_sensitive(dialog: Any) -> int:
        dialog.sensitive.setChecked(False)
        dialog.accept()
        return int(dialog.result())

    dialogs.answers["FirstStartNotice"] = leave_out_sensitive
    assert window.start_checks() is True
    assert settings.consent_acknowledged and settings.skip_sensitive
    wait_for_end(qtbot, window)
    assert window.results.row("service:whatsapp") is None
    assert "Sensitive services were not checked." in window.card.notes.text()
    window.start_checks()
    assert dialogs.seen == ["FirstStartNotice", "FirstStartNotice"]  # not asked again


def _profile_file(tmp_path: Path, name: str = "acme.clearsight") -> Path:
    path = tmp_path / name
    path.write_text(
        'format = 1\nname = "Acme office"\nsupport_contact = "it@acme.example"\n'
        'country = "CN"\ninclude_default = false\n\n'
        '[[services]]\nid = "intranet"\nname = "Acme intranet"\ngroup = "Acme"\n'
        'urls = ["https://intranet.acme.example/"]\n\n'
        '[[vpn.endpoints]]\nname = "Office VPN"\nhost = "vpn.acme.example"\nport = 1194\n'
        'protocol = "openvpn-udp"\n',
        encoding="utf-8",
    )
    return path


def test_a_profile_from_a_file_shows_its_targets_and_asks_before_its_first_run(
    make_window: Any, qtbot: Any, dialogs: Any, tmp_path: Path
):
    path = _profile_file(tmp_path)
    window = make_window(blocked_engine(0.002))
    shown: list[list[str]] = []

    def look_and_decline(dialog: Any) -> int:
        tree = dialog.tree
        shown.append(
            [
                tree.topLevelItem(i).child(j).text(0)
                for i in range(tree.topLevelItemCount())
                for j in range(tree.topLevelItem(i).childCount())
            ]
        )
        dialog.reject()
        return int(dialog.result())

    dialogs.answers["ProfileTargetsDialog"] = look_and_decline
    window.open_path(path)
    assert "Acme intranet — intranet.acme.example" in shown[0]
    assert "Office VPN — vpn.acme.example:1194 (openvpn-udp)" in shown[0]
    assert window.session is None and window.windowTitle() == "Clearsight — Acme office"
    assert window.start_checks() is False  # asked again, declined again
    dialogs.answers["ProfileTargetsDialog"] = True
    assert window.start_checks() is True
    wait_for_end(qtbot, window)
    seen = len(dialogs.seen)
    window.open_profile(path)  # the same file again: agreed to before
    assert len(dialogs.seen) == seen and window.start_checks() is True


def test_a_profile_and_run_on_the_command_line_count_as_consent(
    make_window: Any, qtbot: Any, dialogs: Any, settings: Any, tmp_path: Path
):
    from clearsight.gui.app import start_window

    settings.consent_acknowledged = False
    window = make_window(blocked_engine(0.002), load_profile=False)
    start_window(window, path=None, profile=_profile_file(tmp_path), run_now=True)
    assert dialogs.seen == []
    assert window.session is not None
    wait_for_end(qtbot, window)


def test_a_bad_profile_on_the_command_line_is_explained_and_nothing_runs(
    make_window: Any, tmp_path: Path
):
    from clearsight.gui.app import start_window

    path = tmp_path / "typo.clearsight"
    path.write_text('format = 1\nname = "x"\ntimeout = 3\n', encoding="utf-8")
    window = make_window(blocked_engine(0.002), load_profile=False)
    start_window(window, path=None, profile=path, run_now=True)
    assert window.session is None
    assert window.last_problem is not None
    assert window.last_problem.startswith("This profile can't be used")
    assert "typo.clearsight" in window.last_problem


# ------------------------------------------------------------------------------ one service
def test_one_service_can_be_checked_again_and_its_row_updates(make_window: Any, qtbot: Any):
    from clearsight.engine.plan import planned_checks

    def engine(profile: Any, skip: bool, on_event: Any) -> RecordedRun:
        if len(profile.services) == 1:  # the re-check: this time Gmail works
            observations = scenarios.build_run(profile)
        else:
            observations = cached("blocked", scenarios.blocked)
        return RecordedRun(observations, skip_sensitive=skip, on_event=on_event, step_s=0.002)

    window = make_window(engine)
    window.start_checks()
    wait_for_end(qtbot, window)
    before = window.state
    row = window.results.row("service:gmail")
    row.set_expanded(True)
    assert row.details.rerun.isEnabled()
    qtbot.mouseClick(row.details.rerun, Qt.MouseButton.LeftButton)
    assert window.results.tone_of("service:gmail") == RUNNING
    assert window.results.tone_of("service:youtube") == BAD  # the others stay on screen
    qtbot.waitUntil(lambda: window.state is not before and not window.session.running, timeout=5000)
    assert window.results.tone_of("service:gmail") == GOOD
    assert window.results.tone_of("service:youtube") == BAD
    assert len(window.state.report["services"]) == 55
    assert (
        window.state.meta.report_id == before.meta.report_id
        or window.state.meta.started_at == before.meta.started_at
    )
    assert "gmail" not in window.state.report["summary"]["headline"].lower()
    assert planned_checks(window.profile)[-1].service is not None


# ------------------------------------------------------------------------------ settings
def test_settings_change_the_time_limit_language_and_redaction_default(
    make_window: Any, dialogs: Any, settings: Any
):
    window = make_window()

    def change(dialog: Any) -> int:
        dialog.use_profile_timeout.setChecked(False)
        dialog.timeout.setValue(9)
        dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
        dialog.redact.setChecked(False)
        dialog.accept()
        return int(dialog.result())

    dialogs.answers["SettingsDialog"] = change
    window.open_settings()
    assert settings.timeout_s == 9.0 and settings.redact is False
    assert settings.language == "zh_CN" and window.run_button.text() == "检查我的网络"
    profile = window.effective_profile()
    assert profile.settings.timeout_s == 9.0
    assert profile.settings.deadline_s >= 36.0


def test_about_names_the_version_and_the_licences(make_window: Any, dialogs: Any):
    from clearsight import __version__

    window = make_window()
    texts: list[str] = []

    def read(dialog: Any) -> int:
        from PySide6.QtWidgets import QLabel, QTextBrowser

        texts.extend(label.text() for label in dialog.findChildren(QLabel))
        texts.extend(b.toPlainText() for b in dialog.findChildren(QTextBrowser))
        return int(QDialog.DialogCode.Accepted)

    dialogs.answers["AboutDialog"] = read
    window.show_about()
    joined = "\n".join(texts)
    assert __version__ in joined and "Apache-2.0" in joined
    assert "LGPL-3.0" in joined and "dnspython" in joined


def test_the_window_size_and_choices_are_remembered(make_window: Any, qtbot: Any, settings: Any):
    window = make_window()
    window.resize(761, 543)  # within the offscreen screen (800 × 600)
    window.set_language("zh_CN")
    window.close()
    again = make_window()
    assert again.size().width() == 761 and again.size().height() == 543
    assert again.texts.language == "zh_CN"
    assert again.run_button.text() == "检查我的网络"


def test_tones_follow_a_dark_palette(qtbot: Any):
    from PySide6.QtGui import QColor, QPalette

    from clearsight.gui.theme import is_dark, tone_colour

    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#121212"))
    light = QPalette()
    light.setColor(QPalette.ColorRole.Window, QColor("#f0f0f0"))
    assert is_dark(dark) and not is_dark(light)
    assert tone_colour(BAD, dark) != tone_colour(BAD, light)
    assert tone_colour(BAD, dark).lightnessF() > tone_colour(BAD, light).lightnessF()
