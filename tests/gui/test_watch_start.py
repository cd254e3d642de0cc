"""``clearsight gui --watch`` (``run_app(watch=True)``): no window, watch mode on at once,
no first-start dialog in the way; without the person's agreement it checks nothing and
says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from clearsight.gui import app as app_module
from clearsight.gui import watch_controller
from clearsight.gui.main_window import MainWindow
from clearsight.gui.watch_controller import WatchController
from clearsight.gui.watch_window import WatchWindow


@pytest.fixture
def own_settings(tmp_path: Path) -> Any:
    """QSettings(organisation, application) in a folder of this test's own."""
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.NativeFormat, scope, str(tmp_path / "settings"))
    yield tmp_path
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(Path.home() / ".config")
    )


def test_gui_watch_starts_watching_without_the_window(
    own_settings: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HOME", "XDG_CONFIG_HOME", "CLEARSIGHT_DATA_DIR"):
        monkeypatch.setenv(name, str(own_settings / name.lower()))
    seen: dict[str, Any] = {}

    made: list[WatchController] = []

    def install(window: MainWindow) -> WatchController:
        made.append(real_install(window))
        return made[-1]

    real_install = watch_controller.install_watch
    monkeypatch.setattr(watch_controller, "install_watch", install)

    def fake_exec(_app: Any = None) -> int:
        controller = made[-1]
        window = controller.window
        qtbot.waitUntil(lambda: controller.active, timeout=5000)
        started = controller.check_now()  # the first check is a few seconds away: now
        seen.update(
            window_visible=window.isVisible(),
            presenter=controller.presenter,
            presenter_visible=controller.presenter.isVisible(),
            started=started,
            problem=controller.status().problem,
            session=window.session,
            dialog=QApplication.activeModalWidget(),
        )
        controller.stop()
        window.removeEventFilter(controller)
        window.close()
        controller.presenter.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert app_module.run_app(watch=True) == 0
    assert not seen["window_visible"]
    assert isinstance(seen["presenter"], WatchWindow)  # offscreen: no tray
    assert seen["presenter_visible"]
    assert not seen["started"]
    assert (
        seen["problem"]
        == "Open Clearsight and agree to the checks first; then it can watch for you."
    )
    assert seen["session"] is None  # no check without the person's agreement
    assert seen["dialog"] is None  # and no dialog in the way at login
