"""History in the window: the "what changed" strip after a run, a service's timeline in its
details, both languages; keeping the run never stalls the window, a full history does not
slow its opening."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from clearsight.history import HistorySettings, HistoryStore, open_history
from clearsight.probes.records import Observation
from tests.gui.conftest import wait_for_end
from tests.gui.recorded_engine import RecordedRun
from tests.gui.scenarios import build_run, small_profile

pytestmark = pytest.mark.gui


def engine_of(*runs: Sequence[Observation]) -> Any:
    """An engine whose n-th run replays ``runs[n]`` (the last one again after that)."""
    made: list[RecordedRun] = []

    def factory(profile: Any, skip_sensitive: bool, on_event: Any) -> RecordedRun:
        run = RecordedRun(
            runs[min(len(made), len(runs) - 1)],
            skip_sensitive=skip_sensitive,
            on_event=on_event,
            step_s=0.005,
        )
        made.append(run)
        return run

    return factory


def two_runs() -> Any:
    profile = small_profile()
    before = build_run(profile, {"gmail": "reachable", "github": "tls_blocked"}, exit_country="CN")
    after = build_run(profile, {"gmail": "tls_blocked", "github": "reachable"}, exit_country="CN")
    return engine_of(before, after)


def run_once(window: Any, qtbot: Any) -> Any:
    # A report's id comes from its start and end times (whole seconds): one run a second.
    qtbot.wait(1050)
    window.start_checks()
    wait_for_end(qtbot, window)
    # Kept in history after the answer is shown (off the GUI thread): the strip follows.
    qtbot.waitUntil(lambda: window.state.history is not None, timeout=10000)
    return window.state


def test_the_strip_says_what_changed_since_the_last_check(make_window: Any, qtbot: Any) -> None:
    window = make_window(two_runs())
    window.profile = small_profile()
    first = run_once(window, qtbot)
    assert first.history is not None and first.history.result.saved
    # the first check here: nothing to compare
    assert window.history_strip.isHidden(), window.history_strip.accessibleName()
    run_once(window, qtbot)
    assert window.history_strip.isVisible()
    text = window.history_strip.sentence.text()
    assert text.startswith("Since your last check (today ")
    assert "Gmail is now blocked" in text and "GitHub works again" in text
    window.set_language("zh_CN")
    qtbot.waitUntil(
        lambda: "与上次检查（今天" in window.history_strip.sentence.text(), timeout=10000
    )
    assert "Gmail 现在被屏蔽了" in window.history_strip.sentence.text()
    assert "GitHub 又能用了" in window.history_strip.sentence.text()


def test_each_service_shows_its_recent_results(make_window: Any, qtbot: Any) -> None:
    window = make_window(two_runs())
    window.profile = small_profile()
    for _ in range(3):
        run_once(window, qtbot)
    row = window.results.row("service:gmail") or next(
        r for r in window.results.rows() if r.row.service_id == "gmail"
    )
    row.set_expanded(True)
    assert row.details is not None
    timeline = row.details.timeline
    assert timeline.isVisible()
    assert timeline.phrase.text().startswith("Blocked since today ")
    assert len(timeline.marks._points) == 3
    assert "Works" in timeline.marks.toolTip() and "Blocked" in timeline.marks.toolTip()


def test_history_switched_off_keeps_quiet(make_window: Any, qtbot: Any) -> None:
    from clearsight.history import save_settings

    save_settings(HistorySettings(enabled=False))
    window = make_window(two_runs())
    window.profile = small_profile()
    run_once(window, qtbot)
    state = run_once(window, qtbot)
    assert state.history is not None and not state.history.result.saved
    assert window.history_strip.isHidden()


def test_a_locked_history_is_one_notice_and_the_run_is_shown(make_window: Any, qtbot: Any) -> None:
    import sqlite3

    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    holder = sqlite3.connect(history.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        window = make_window(two_runs())
        window.profile = small_profile()
        state = run_once(window, qtbot)
    finally:
        holder.close()
    assert state.report["services"]  # the run is there
    assert window.history_strip.isVisible()
    assert "Another Clearsight" in window.history_strip.notices.text()


def _fill(count: int) -> None:
    from tests.unit.history.reports import report

    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    for number in range(count):
        history.record(report(number, {"gmail": "reachable", "slack": "ip_blocked"}))


def _open_time(make_window: Any, qtbot: Any) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        window = make_window()
        qtbot.wait(1)
        best = min(best, time.perf_counter() - started)
        window.close()
    return best


def test_a_full_history_does_not_slow_the_window_opening(make_window: Any, qtbot: Any) -> None:
    empty = _open_time(make_window, qtbot)
    _fill(1000)
    full = _open_time(make_window, qtbot)
    # The window reads no history when it opens: the same time, give or take a busy machine.
    assert full < empty * 1.5 + 0.05, (empty, full)


def test_settings_switch_folder_and_clear(make_window: Any, qtbot: Any) -> None:
    from clearsight.gui.dialogs import SettingsDialog
    from clearsight.history import load_settings

    window = make_window(two_runs())
    window.profile = small_profile()
    run_once(window, qtbot)
    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore) and history.count() == 1
    dialog = SettingsDialog(window.texts, window.settings, None, window)
    qtbot.addWidget(dialog)
    box = dialog.history
    assert box.keep.isChecked() and str(history.folder) in box.folder.text()
    asked: list[str] = []
    box.confirm = lambda question: asked.append(question) or False  # type: ignore[method-assign]
    box.clear_button.click()
    assert asked and history.count() == 1  # "no": nothing is cleared
    box.confirm = lambda question: True  # type: ignore[method-assign]
    box.clear_button.click()
    qtbot.waitUntil(lambda: box.result.text() == "History cleared.", timeout=5000)
    assert history.count() == 0
    box.keep.setChecked(False)
    box.include.setChecked(True)
    dialog.accept()
    assert load_settings() == HistorySettings(enabled=False, include_in_reports=True)


def test_the_save_dialog_can_include_the_history(
    make_window: Any, qtbot: Any, tmp_path: Any
) -> None:
    import json

    from clearsight.gui.save_report import SaveReportDialog

    window = make_window(two_runs())
    window.profile = small_profile()
    run_once(window, qtbot)
    run_once(window, qtbot)
    dialog = SaveReportDialog(window.state, window.texts, window.settings, window)
    qtbot.addWidget(dialog)
    assert dialog.history_box is not None and not dialog.history_box.isChecked()
    dialog.history_box.setChecked(True)
    dialog.set_format("report")
    dialog.path_edit.setText(str(tmp_path / "with-history.clearsight-report"))
    assert dialog.save()
    saved = json.loads((tmp_path / "with-history.clearsight-report").read_text())
    gmail = next(s for s in saved["history"]["services"] if s["id"] == "gmail")
    assert [r["verdict"] for r in gmail["results"]] == ["reachable", "tls_blocked"]


def test_the_first_start_notice_says_what_is_kept(qtbot: Any, settings: Any) -> None:
    from PySide6.QtWidgets import QLabel

    from clearsight.explanations import catalog
    from clearsight.gui.dialogs import FirstStartNotice

    for language, words in (("en", "kept on this computer"), ("zh_CN", "保存在这台电脑上")):
        notice = FirstStartNotice(catalog(language), settings)
        qtbot.addWidget(notice)
        assert words in " ".join(label.text() for label in notice.findChildren(QLabel))


def test_withdrawn_consent_takes_sensitive_results_out_of_history(
    make_window: Any, qtbot: Any, dialogs: Any
) -> None:
    from clearsight.gui.dialogs import SettingsDialog

    window = make_window(two_runs())
    window.profile = small_profile()
    run_once(window, qtbot)
    sensitive = {s.id for s in window.effective_profile().services if s.sensitive}
    assert sensitive, "the small profile has a sensitive service (WhatsApp)"
    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    assert sensitive <= set(history.runs(1)[0].services)

    def untick(dialog: Any) -> int:
        if isinstance(dialog, SettingsDialog):
            dialog.sensitive.setChecked(False)
        dialog.accept()
        return int(dialog.result())

    dialogs.answers["SettingsDialog"] = untick
    window.open_settings()
    qtbot.waitUntil(lambda: not sensitive & set(history.runs(1)[0].services), timeout=5000)


def test_keeping_a_run_reuses_its_diagnosis(monkeypatch: Any) -> None:
    # The state's diagnosis is that of its observations: redaction starts from it and only
    # the redacted observations are diagnosed (not the originals all over again).
    import clearsight.report.build as build
    from clearsight.gui.session import build_state, keep_in_history

    meta = build.RunMeta("Test", None, "2025-11-28T08:00:00Z", "2025-11-28T08:00:14Z", 14.0)
    observations = build_run(small_profile(), {"gmail": "tls_blocked"}, exit_country="CN")
    state = build_state(observations, meta, "en", final=True)
    diagnosed: list[int] = []
    real = build.diagnose

    def counted(records: Any) -> Any:
        diagnosed.append(len(records))
        return real(records)

    monkeypatch.setattr(build, "diagnose", counted)
    kept = keep_in_history(state, consent_sensitive=True)
    assert kept.history is not None and kept.history.result.saved
    assert len(diagnosed) <= 1  # the redacted observations only, where tokens changed them
    store = open_history()
    assert isinstance(store, HistoryStore)
    again = build.build_report(observations, meta, language="en")
    assert store.report(again["report_id"]) == again  # the same report as diagnosed afresh
