"""Render the desktop app in its main states to PNGs for the README (docs/screenshots/).

    .venv/bin/python scripts/screenshots.py            # starts itself under xvfb-run
    .venv/bin/python scripts/screenshots.py --out DIR

A real window (Qt's xcb platform) on an Xvfb screen, driven by the recorded engine of the
GUI tests (tests/gui/recorded_engine.py): the observations of synthetic runs of the
built-in profile (tests/gui/scenarios.py), diagnosed by the real diagnosis. Nothing is sent
on any network.

States: a run in progress, everything working, blocked services (collapsed, and one row
opened to its evidence), a hotel login page, a VPN whose address lookups bypass it, the
Chinese texts, the dark palette, the save dialog with its preview of what is replaced,
the first-start notice, and the window at 2× scale (high-DPI).

The VPN state adds the findings ``vpn_active`` and ``vpn_dns_leak`` to the report by hand
when the diagnosis does not find them itself (it does not detect VPNs yet).

Debian packages: xvfb, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0,
libegl1, fonts-noto-cjk (Chinese), fonts-dejavu-core.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "desktop")]

WIDTH, HEIGHT = 1040, 900


def _under_xvfb(argv: list[str]) -> int:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("xvfb-run is missing (Debian: apt-get install xvfb)", file=sys.stderr)
        return 2
    command = [xvfb, "-a", "-s", "-screen 0 2400x2000x24 -dpi 96", sys.executable, *argv]
    return subprocess.call(command, env={**os.environ, "CLEARSIGHT_SCREENSHOTS_XVFB": "1"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("CLEARSIGHT_SCREENSHOTS_XVFB"):
        return _under_xvfb([str(Path(__file__).resolve()), *sys.argv[1:]])
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    args.out.mkdir(parents=True, exist_ok=True)
    shots = Shots(args.out)
    if args.scale != 1.0:
        shots.hidpi()
        return 0
    shots.all()
    # High-DPI: a second process, since the scale is fixed when Qt starts.
    return subprocess.call(
        [sys.executable, str(Path(__file__).resolve()), "--out", str(args.out), "--scale", "2"]
    )


class Shots:
    def __init__(self, out: Path) -> None:
        from PySide6.QtCore import QSettings

        from clearsight.gui.app import create_application
        from clearsight.gui.settings import AppSettings

        self.out = out
        self.app = create_application(["clearsight-screenshots"])
        self.app.setStyle("Fusion")
        self._folder = Path(tempfile.mkdtemp(prefix="clearsight-shots-"))
        store = QSettings(str(self._folder / "settings.ini"), QSettings.Format.IniFormat)
        self.settings = AppSettings(store)
        self.settings.consent_acknowledged = True
        self.settings.report_folder = Path.home() / "Documents"

    # ------------------------------------------------------------------ helpers
    def window(self, scenario: str, language: str = "en", **engine: Any) -> Any:
        from tests.gui import scenarios
        from tests.gui.recorded_engine import recorded_engine

        from clearsight.gui.main_window import MainWindow

        self.settings.language = language
        observations = scenarios.SCENARIOS[scenario]()
        factory = recorded_engine(
            observations, step_s=engine.pop("step_s", 0.004), duration_s=14.6, **engine
        )
        window = MainWindow(self.settings, engine=factory)
        window.resize(WIDTH, HEIGHT)
        window.show()
        window.load_profile(None)
        self.wait(200)
        return window

    def wait(self, ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def until(self, condition: Any, timeout_ms: int = 20000) -> None:
        waited = 0
        while not condition():
            if waited > timeout_ms:
                raise TimeoutError("the window did not reach the state to photograph")
            self.wait(20)
            waited += 20

    def run(self, window: Any) -> None:
        window.start_checks(consented=True)
        self.until(lambda: window.session.has_ended and window.results.complete)
        self.wait(300)

    def save(self, widget: Any, name: str) -> None:
        path = self.out / name
        widget.grab().save(str(path))
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")

    def open_row(self, window: Any, key: str) -> None:
        row = window.results.row(key)
        row.set_expanded(True)
        row.setFocus()
        self.wait(250)
        window.results.verticalScrollBar().setValue(max(0, row.y() - 40))
        self.wait(250)

    # ------------------------------------------------------------------ states
    def all(self) -> None:
        self.running()
        self.all_fine()
        self.blocked()
        self.captive()
        self.vpn_leak()
        self.chinese()
        self.dark()
        self.save_dialog()
        self.notice()

    def running(self) -> None:
        window = self.window("blocked", step_s=0.01, hold_after=34)
        window.start_checks(consented=True)
        self.until(lambda: len(window.session.finished_checks) >= 34)
        self.wait(600)
        self.save(window, "running.png")
        window.cancel_checks()
        self.until(lambda: window.session.has_ended)
        window.close()

    def all_fine(self) -> None:
        window = self.window("all_fine")
        self.run(window)
        self.save(window, "all-fine.png")
        window.close()

    def blocked(self) -> None:
        window = self.window("blocked")
        self.run(window)
        self.save(window, "blocked.png")
        self.open_row(window, "service:gmail")
        self.save(window, "blocked-details.png")
        window.close()

    def captive(self) -> None:
        window = self.window("captive")
        self.run(window)
        self.save(window, "captive-portal.png")
        window.close()

    def vpn_leak(self) -> None:
        window = self.window("vpn_leak")
        self.run(window)
        state = window.state
        report = state.report
        codes = {f["code"] for f in report["findings"]}
        if "vpn_dns_leak" not in codes:  # until the diagnosis detects VPNs
            report = _with_vpn_leak(report, window.texts)
            window.show_state(dataclasses.replace(state, report=report))
            self.until(lambda: window.results.complete)
            self.wait(300)
        self.save(window, "vpn-leak.png")
        window.close()

    def chinese(self) -> None:
        window = self.window("blocked", language="zh_CN")
        self.run(window)
        self.save(window, "blocked-zh_CN.png")
        window.close()
        self.settings.language = "en"

    def dark(self) -> None:
        from PySide6.QtGui import QColor, QPalette

        original = self.app.palette()
        dark = QPalette()
        for role, colour in (
            (QPalette.ColorRole.Window, "#202124"),
            (QPalette.ColorRole.WindowText, "#e8eaed"),
            (QPalette.ColorRole.Base, "#17181a"),
            (QPalette.ColorRole.AlternateBase, "#2a2b2e"),
            (QPalette.ColorRole.Text, "#e8eaed"),
            (QPalette.ColorRole.Button, "#2d2e31"),
            (QPalette.ColorRole.ButtonText, "#e8eaed"),
            (QPalette.ColorRole.Highlight, "#4c8bf5"),
            (QPalette.ColorRole.HighlightedText, "#ffffff"),
            (QPalette.ColorRole.PlaceholderText, "#9aa0a6"),
            (QPalette.ColorRole.ToolTipBase, "#2d2e31"),
            (QPalette.ColorRole.ToolTipText, "#e8eaed"),
        ):
            dark.setColor(role, QColor(colour))
        self.app.setPalette(dark)
        window = self.window("blocked")
        self.run(window)
        self.open_row(window, "service:wikipedia")
        self.save(window, "blocked-dark.png")
        window.close()
        self.app.setPalette(original)

    def save_dialog(self) -> None:
        from clearsight.gui.save_report import SaveReportDialog

        window = self.window("blocked")
        self.run(window)
        dialog = SaveReportDialog(window.state, window.texts, self.settings, window)
        dialog.resize(640, 460)
        # A typical place (this machine's own folders would show in the picture).
        dialog.path_edit.setText("/home/alex/Documents/" + Path(dialog.path_edit.text()).name)
        dialog.show()
        self.wait(400)
        self.save(dialog, "save-dialog.png")
        dialog.reject()
        window.close()

    def notice(self) -> None:
        from clearsight.gui.dialogs import FirstStartNotice

        window = self.window("blocked")
        dialog = FirstStartNotice(window.texts, self.settings, window)
        dialog.show()
        self.wait(400)
        self.save(dialog, "first-start-notice.png")
        dialog.reject()
        window.close()

    def hidpi(self) -> None:
        window = self.window("blocked")
        self.run(window)
        self.open_row(window, "service:chatgpt")
        self.save(window, "blocked-2x.png")
        window.close()


def _with_vpn_leak(report: dict[str, Any], texts: Any) -> dict[str, Any]:
    """The report as it reads once the diagnosis finds the VPN and the DNS leak."""
    findings = [
        ("vpn_active", "info", {"interface": "tun0"}),
        ("vpn_dns_leak", "warning", {"resolvers": ["192.168.1.1"]}),
    ]
    added = []
    for code, severity, params in findings:
        words = texts.finding(code, params)
        added.append(
            {
                "code": code,
                "severity": severity,
                "subjects": [],
                "params": params,
                "title": words.title,
                "explanation": words.explanation,
                "advice": words.advice,
            }
        )
    summary = dict(report["summary"])
    summary["status"] = "degraded"
    summary["headline"] = texts.headline("degraded", {})
    summary["advice"] = [added[1]["advice"]]
    return {**report, "findings": [*report["findings"], *added], "summary": summary}


if __name__ == "__main__":
    raise SystemExit(main())
