"""Watch mode in the window (offscreen, a recorded engine, a clock and a network the test
moves by hand): the small window where there is no tray, the tray's menu, when a check
starts, that two never run at once, and when a notification is given: what history says
changed (each test keeps its own history in ``CLEARSIGHT_DATA_DIR``), also for the first
check after a restart, and what memory says while history is off."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from clearsight.explanations import catalog
from clearsight.gui.watch_controller import WatchController
from clearsight.gui.watch_tray import WatchTray
from clearsight.gui.watch_window import WatchWindow
from clearsight.history import HistorySettings, HistoryStore, open_history, save_settings
from clearsight.watch.autostart import Autostart
from clearsight.watch.schedule import Debounce
from tests.gui.conftest import cached
from tests.gui.recorded_engine import RecordedRun, recorded_engine
from tests.gui.scenarios import build_run, small_profile

BLOCKED = {"gmail": "dns_tampered", "whatsapp": "ip_blocked", "github": "reachable"}
GITHUB_BLOCKED = {**BLOCKED, "github": "tls_blocked"}
GMAIL_WORKS = {**BLOCKED, "gmail": "reachable"}


def observations(behaviours: dict[str, str]) -> Any:
    key = "watch:" + ",".join(f"{k}={v}" for k, v in sorted(behaviours.items()))
    return cached(key, lambda: build_run(small_profile(), behaviours))


class Network:
    """What the network looks like to the engine and to the interface watch."""

    def __init__(self) -> None:
        self.behaviours = BLOCKED
        self.runs: list[RecordedRun] = []
        self.step_s = 0.01
        self.on_change: Callable[[], None] | None = None
        self.watching = 0

    def engine(self, profile: Any, skip: bool, on_event: Any) -> RecordedRun:
        # A report's id is its start and end in whole seconds, and history keeps a run with
        # an id it has once: one run a second, as a real run takes seconds anyway.
        last = self.runs[-1].wait(0) if self.runs else None
        if last is not None:
            while datetime.now(UTC).replace(microsecond=0) <= last.finished_at.replace(
                microsecond=0
            ):
                time.sleep(0.02)
        factory = recorded_engine(observations(self.behaviours), step_s=self.step_s, runs=self.runs)
        return factory(profile, skip, on_event)

    def watch(self, changed: Callable[[], None]) -> Network:
        self.on_change = changed
        self.watching += 1
        return self

    def stop(self) -> None:
        self.watching -= 1

    def change(self) -> None:
        assert self.on_change is not None
        self.on_change()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def network() -> Network:
    return Network()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def watching(
    make_window: Any, network: Network, clock: Clock, qtbot: Any
) -> Iterator[Callable[..., WatchController]]:
    made: list[WatchController] = []

    def make(*, tray: bool = False, language: str = "en") -> WatchController:
        window = make_window(network.engine)
        window.settings.watch_interval_min = 15
        if language != "en":
            window.set_language(language)
        controller = WatchController(
            window,
            clock=clock,
            tray_available=lambda: tray,
            network_watch=network.watch,
            debounce=Debounce(quiet_s=10.0, max_wait_s=60.0),
            tick_ms=3_600_000,  # the test ticks by hand
            first_check_delay_s=0.0,
        )
        made.append(controller)
        return controller

    yield make
    for controller in made:  # the app quits on its last window again, as other tests expect
        controller.stop()


def wait_checked(qtbot: Any, controller: WatchController, count: int) -> list[Any]:
    seen: list[Any] = getattr(controller, "_seen", None) or []
    if not hasattr(controller, "_seen"):
        controller._seen = seen  # type: ignore[attr-defined]
        controller.checked.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) >= count, timeout=15000)
    qtbot.waitUntil(lambda: not controller.window_busy(), timeout=15000)
    return seen


def check_each(
    qtbot: Any,
    controller: WatchController,
    network: Network,
    clock: Clock,
    sequence: list[dict[str, str]],
) -> list[Any]:
    """One scheduled check for each behaviour of the network in *sequence*, in turn."""
    checks: list[Any] = []
    for n, behaviours in enumerate(sequence, 1):
        network.behaviours = behaviours
        clock.now += 15 * 60
        controller.tick()
        checks = wait_checked(qtbot, controller, n)
    return checks


def test_without_a_tray_a_small_window_says_so_and_shows_the_checks(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    controller = watching()
    controller.start()
    window = controller.presenter
    assert isinstance(window, WatchWindow) and window.isVisible()
    assert "no notification area" in window.no_tray.text()
    assert window.last_label.text() == "Last check: none yet"
    controller.tick()
    checks = wait_checked(qtbot, controller, 1)
    assert checks[0].trigger == "schedule" and not checks[0].compared
    assert checks[0].notice is None  # the first check on a network: nothing to compare
    assert window.last_label.text().startswith("Last check: ")
    assert window.last_label.text().endswith("Blocked")
    assert window.next_label.text().startswith("Next check: ")
    assert "whenever your network changes" in window.next_label.text()
    assert window.changes_label.text() == "Nothing has changed since watching started."
    # GitHub gets blocked; the next scheduled check sees it, the window says it
    network.behaviours = GITHUB_BLOCKED
    clock.now += 15 * 60
    controller.tick()
    checks = wait_checked(qtbot, controller, 2)
    assert checks[1].changes == (("github", "reachable", "tls_blocked"),)
    assert checks[1].notice is not None
    assert window.last_notice == checks[1].notice
    assert window.changes_label.text() == "GitHub: Works → Blocked by name"
    qtbot.mouseClick(window.stop_button, qtbot_button())
    assert not controller.active and not window.isVisible()
    assert not controller.window.settings.watch_enabled


def qtbot_button() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


@pytest.mark.parametrize(
    ("sequence", "notified"),
    [
        # (behaviours of each check) -> which checks notified (1-based)
        ([BLOCKED, BLOCKED, BLOCKED], []),
        ([BLOCKED, GITHUB_BLOCKED], [2]),
        ([BLOCKED, GITHUB_BLOCKED, GITHUB_BLOCKED, BLOCKED], [2, 4]),
        ([BLOCKED, GMAIL_WORKS], [2]),
    ],
)
def test_a_notification_only_when_a_verdict_changed(
    watching: Any,
    network: Network,
    clock: Clock,
    qtbot: Any,
    sequence: list[dict[str, str]],
    notified: list[int],
) -> None:
    controller = watching(tray=True)
    notices: list[Any] = []
    controller.notified.connect(notices.append)
    controller.start()
    checks = check_each(qtbot, controller, network, clock, sequence)
    assert [n for n, check in enumerate(checks, 1) if check.notice is not None] == notified
    assert len(notices) == len(notified)
    if notified:
        assert notices[0].title == "Something changed on your network"
        assert controller.presenter.last_notice == notices[-1]


def kept_runs() -> int:
    store = open_history()
    assert isinstance(store, HistoryStore), store
    return store.count()


@pytest.mark.parametrize(
    ("after_restart", "changes"),
    [(GITHUB_BLOCKED, (("github", "reachable", "tls_blocked"),)), (BLOCKED, ())],
    ids=["changed", "unchanged"],
)
def test_after_a_restart_the_first_check_is_compared_with_the_run_kept_before(
    watching: Any,
    network: Network,
    clock: Clock,
    qtbot: Any,
    after_restart: dict[str, str],
    changes: tuple[tuple[str, str, str], ...],
) -> None:
    before = watching(tray=True)
    before.start()
    before.tick()
    first = wait_checked(qtbot, before, 1)[0]
    assert not first.compared and first.from_history
    before.stop()
    before.window.close()
    # The app starts again: a new window and watch mode, the same data folder.
    network.behaviours = after_restart
    clock.now += 15 * 60
    after = watching(tray=True)
    notices: list[Any] = []
    after.notified.connect(notices.append)
    after.start()
    after.tick()
    check = wait_checked(qtbot, after, 1)[0]
    assert check.compared and check.from_history
    assert check.changes == changes
    assert (check.notice is not None) == bool(changes)
    assert len(notices) == (1 if changes else 0)
    if changes:
        assert check.notice.message == "GitHub: Works → Blocked by name"
        assert after.presenter.last_notice == check.notice
    # what the notification said is what history kept for that run, kept once
    store = open_history()
    assert isinstance(store, HistoryStore)
    newest = store.runs(1)[0]
    assert [(c.service, c.from_, c.to) for c in newest.changes] == list(changes)
    assert newest.report_id == after.window.state.report["report_id"]
    assert kept_runs() == 2


def test_each_check_is_kept_in_history_once(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    controller = watching(tray=True)
    controller.start()
    check_each(qtbot, controller, network, clock, [BLOCKED, GITHUB_BLOCKED])
    network.behaviours = BLOCKED
    assert controller.window.start_checks()  # one in the window too
    checks = wait_checked(qtbot, controller, 3)
    assert [c.changes for c in checks] == [
        (),
        (("github", "reachable", "tls_blocked"),),
        (("github", "tls_blocked", "reachable"),),
    ]
    assert kept_runs() == 3


def test_with_history_off_watch_mode_compares_in_memory(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    save_settings(HistorySettings(enabled=False))
    controller = watching(tray=True)
    controller.start()
    checks = check_each(qtbot, controller, network, clock, [BLOCKED, GITHUB_BLOCKED])
    assert [(c.compared, c.from_history) for c in checks] == [(False, False), (True, False)]
    assert checks[1].changes == (("github", "reachable", "tls_blocked"),)
    assert checks[1].notice is not None
    assert not isinstance(open_history(), HistoryStore)  # off: nothing was kept


def test_the_notice_says_what_changed_in_plain_words(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    controller = watching(tray=True)
    controller.start()
    changed = {"gmail": "reachable", "whatsapp": "reachable", "github": "geo_restricted"}
    notice = check_each(qtbot, controller, network, clock, [BLOCKED, changed])[1].notice
    assert notice.message.splitlines() == [
        "Gmail works again",
        "WhatsApp works again",
        "GitHub: Works → Region locked",
    ]


def test_a_check_started_in_the_window_is_compared_but_not_notified(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    controller = watching(tray=True)
    controller.start()
    controller.tick()
    wait_checked(qtbot, controller, 1)
    network.behaviours = GITHUB_BLOCKED
    assert controller.window.start_checks()
    check = wait_checked(qtbot, controller, 2)[1]
    assert check.trigger is None and check.changes and check.notice is None
    # the user's check counts as the last one: the schedule starts again from it
    assert controller.status().next_check == clock.now + 15 * 60


def test_a_network_change_is_checked_once_it_settles(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    controller = watching(tray=True)
    controller.start()
    controller.tick()
    wait_checked(qtbot, controller, 1)
    assert network.watching == 1
    for _ in range(3):  # Wi-Fi joining: several changes within seconds
        clock.now += 3
        network.change()
    controller.tick()
    assert len(network.runs) == 1  # still settling
    assert controller.status().next_check == clock.now + 10
    clock.now += 10
    controller.tick()
    check = wait_checked(qtbot, controller, 2)[1]
    assert check.trigger == "network"
    assert len(network.runs) == 2
    controller.tick()
    assert len(network.runs) == 2  # the check saw the change: nothing more to do
    controller.stop()
    assert network.watching == 0


def test_never_two_checks_at_once(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    controller = watching(tray=True)
    network.step_s = 0.05
    window = controller.window
    assert window.start_checks()  # the user's check in the window
    controller.start()
    controller.tick()  # due now, but the window's check runs
    assert len(network.runs) == 1
    assert controller.status().waiting
    assert not controller.check_now()
    assert len(network.runs) == 1
    checks = wait_checked(qtbot, controller, 2)  # the window's, then the one that waited
    assert [c.trigger for c in checks] == [None, "schedule"]
    assert len(network.runs) == 2
    # while watch mode's own check runs, the window refuses a second one
    clock.now += 15 * 60
    controller.tick()
    assert window.session.running
    assert not window.start_checks()
    wait_checked(qtbot, controller, 3)
    assert len(network.runs) == 3


def test_paused_watching_starts_nothing_until_resumed(
    watching: Any, network: Network, clock: Clock, qtbot: Any
) -> None:
    controller = watching(tray=True)
    controller.start()
    controller.presenter.pause_action.trigger()
    assert controller.paused
    assert controller.presenter.pause_action.text() == "Resume watching"
    network.change()
    clock.now += 3600
    controller.tick()
    assert network.runs == []
    assert "paused" in controller.presenter.toolTip()
    controller.presenter.pause_action.trigger()
    wait_checked(qtbot, controller, 1)
    assert len(network.runs) == 1


def test_no_check_without_consent(watching: Any, network: Network, qtbot: Any) -> None:
    controller = watching()
    controller.window.settings.consent_acknowledged = False
    controller.start()
    controller.tick()
    assert network.runs == []
    window = controller.presenter
    assert window.problem_label.text().startswith("Open Clearsight and agree")
    assert not window.problem_label.isHidden()


def test_the_tray_menu_in_both_languages(watching: Any) -> None:
    english = watching(tray=True)
    english.start()
    tray = english.presenter
    assert isinstance(tray, WatchTray)
    assert [a.text() for a in tray.menu.actions() if not a.isSeparator()] == [
        "Check now",
        "Open Clearsight",
        "Pause watching",
        "Quit",
    ]
    assert tray.toolTip().startswith("Clearsight: watching your network")
    english.window.set_language("zh_CN")
    assert [a.text() for a in tray.menu.actions() if not a.isSeparator()] == [
        "立即检查",
        "打开 Clearsight",
        "暂停监测",
        "退出",
    ]
    assert tray.toolTip().startswith("Clearsight：正在监测你的网络")


def test_closing_the_window_while_watching_hides_it(watching: Any, qtbot: Any) -> None:
    controller = watching(tray=True)
    window = controller.window
    controller.start()
    assert not QApplication.quitOnLastWindowClosed()
    window.close()
    assert not window.isVisible() and controller.active
    controller.presenter.open_action.trigger()
    assert window.isVisible()
    controller.stop()
    assert QApplication.quitOnLastWindowClosed()
    event = QEvent(QEvent.Type.Close)
    assert not controller.eventFilter(window, event)  # not watching: closes as usual


def test_the_check_menu_turns_watching_on_and_off(
    watching: Any, tmp_path: Path, network: Network, qtbot: Any
) -> None:
    from clearsight.gui.watch_menu import WatchMenu

    controller = watching(tray=True)
    autostart = Autostart(platform="linux", home=tmp_path, env={})
    menu = WatchMenu(controller, autostart)
    window = controller.window
    texts = [a.text() for a in window.check_menu.actions() if not a.isSeparator()]
    assert texts[-3:] == ["Watch this network", "How often", "Start watching when I log in"]
    assert [a.text() for a in menu.interval_menu.actions()] == [
        "Every 15 minutes",
        "Every hour",
        "Every 4 hours",
    ]
    menu.watch_action.trigger()
    assert controller.active and window.settings.watch_enabled
    menu.interval_group.actions()[2].trigger()
    assert window.settings.watch_interval_min == 240
    menu.login_action.trigger()
    entry = tmp_path / ".config" / "autostart" / "clearsight.desktop"
    assert entry.is_file() and "gui --watch" in entry.read_text()
    assert menu.login_action.isChecked()
    menu.login_action.trigger()
    assert not entry.exists()
    menu.watch_action.trigger()
    assert not controller.active and not window.settings.watch_enabled
    window.set_language("zh_CN")
    assert menu.watch_action.text() == "持续监测这个网络"


def test_the_small_window_in_chinese(watching: Any, network: Network, qtbot: Any) -> None:
    controller = watching(language="zh_CN")
    controller.start()
    window = controller.presenter
    assert window.windowTitle() == "Clearsight 正在监测"
    assert window.stop_button.text() == "停止监测"
    assert window.last_label.text() == "上次检查：还没有"
    texts = catalog("zh_CN")
    assert texts.ui("watch_no_tray") == window.no_tray.text()


@pytest.mark.parametrize(
    ("stored", "expected"), [(None, 60), ("15", 15), ("240", 240), ("7", 60), ("x", 60)]
)
def test_watch_settings_are_remembered_and_checked(
    settings: Any, stored: str | None, expected: int
) -> None:
    assert not settings.watch_enabled  # off by default
    settings.watch_enabled = True
    assert settings.watch_enabled
    if stored is not None:
        settings.store.setValue("watch/interval_min", stored)
    assert settings.watch_interval_min == expected
