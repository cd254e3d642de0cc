"""Render watch mode to PNGs for the docs (docs/screenshots/watch-*.png), in English and
Chinese: the small window shown where the desktop has no tray (after two checks, the second
of which saw a service get blocked), and the tray icon's menu.

    .venv/bin/python scripts/watch_screenshots.py [--out DIR]

Offscreen Qt (no display needed; Debian fonts-noto-cjk for the Chinese texts), the recorded
engine and synthetic runs of the GUI tests (tests/gui/recorded_engine.py, scenarios.py), a
clock that the script moves: nothing is sent on any network.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "desktop")]

BEFORE = {"gmail": "dns_tampered", "whatsapp": "ip_blocked", "github": "reachable"}
AFTER = {**BEFORE, "github": "tls_blocked"}
NOW = 1_796_194_800.0  # a fixed moment, so the pictures do not change with the day


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("TZ", "Asia/Shanghai")
    args.out.mkdir(parents=True, exist_ok=True)
    for language in ("en", "zh_CN"):
        shoot(args.out, language)
    return 0


def shoot(out: Path, language: str) -> None:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from tests.gui.recorded_engine import recorded_engine
    from tests.gui.scenarios import build_run, small_profile

    from clearsight.gui.app import create_application
    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.settings import AppSettings
    from clearsight.gui.watch_controller import WatchController

    app = create_application(["clearsight-screenshots"])
    app.setStyle("Fusion")
    folder = Path(tempfile.mkdtemp(prefix="clearsight-watch-shots-"))
    settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    settings.consent_acknowledged = True
    settings.language = language
    settings.watch_interval_min = 60
    state = {"behaviours": BEFORE, "now": NOW}

    def engine(profile: Any, skip: bool, on_event: Any) -> Any:
        run = build_run(small_profile(), state["behaviours"])  # type: ignore[arg-type]
        return recorded_engine(run, step_s=0.002)(profile, skip, on_event)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    window = MainWindow(settings, engine=engine)
    window.load_profile(None)
    checks: list[Any] = []
    for tray in (False, True):
        controller = WatchController(
            window,
            clock=lambda: float(state["now"]),  # type: ignore[arg-type]
            tray_available=lambda tray=tray: tray,  # type: ignore[misc]
            network_watch=lambda _changed: _Nothing(),
            tick_ms=3_600_000,
            first_check_delay_s=0.0,
        )
        controller.checked.connect(checks.append)
        controller.start()
        for behaviours in (BEFORE, AFTER):
            state["behaviours"] = behaviours
            state["now"] = float(state["now"]) + 3600  # type: ignore[operator]
            done = len(checks)
            controller.tick()
            while len(checks) <= done or controller.window_busy():
                wait(20)
        wait(100)
        suffix = "" if language == "en" else f"-{language}"
        if tray:
            menu = controller.presenter.menu
            menu.popup(window.geometry().center())
            wait(100)
            save(menu, out / f"watch-tray-menu{suffix}.png")
            menu.hide()
        else:
            small = controller.presenter
            small.show()
            wait(100)
            save(small, out / f"watch-window{suffix}.png")
        controller.stop()
        window.removeEventFilter(controller)
        state["behaviours"], state["now"] = BEFORE, NOW
        controller.changes.previous.clear()  # type: ignore[attr-defined]
        controller.deleteLater()
    window.close()


class _Nothing:
    def stop(self) -> None:
        pass


def save(widget: Any, path: Path) -> None:
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


if __name__ == "__main__":
    raise SystemExit(main())
