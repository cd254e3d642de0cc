"""Render IT's overview window ("Open several reports…") to PNGs for the docs, in English
and Chinese (docs/screenshots/overview-en.png, overview-zh_CN.png).

    .venv/bin/python scripts/overview_screenshots.py            # starts itself under xvfb-run
    .venv/bin/python scripts/overview_screenshots.py --out DIR

A real window (Qt's xcb platform) on an Xvfb screen, the same way as scripts/screenshots.py.
The reports are an office's week: real reports of the built-in default profile from
tests/unit/overview/reports.py (a network like China's, some days on a VPN where
everything works, in English and Chinese), plus one truncated file. Nothing is sent on
any network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "desktop")]

WIDTH, HEIGHT = 1280, 860


def _under_xvfb(argv: list[str]) -> int:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("xvfb-run is missing (Debian: apt-get install xvfb)", file=sys.stderr)
        return 2
    command = [xvfb, "-a", "-s", "-screen 0 2400x2000x24 -dpi 96", sys.executable, *argv]
    return subprocess.call(command, env={**os.environ, "CLEARSIGHT_SCREENSHOTS_XVFB": "1"})


def office(folder: Path) -> None:
    from tests.unit.overview import reports
    from tests.unit.overview.reports import START

    days = [
        ("blocked", "en", {}),
        ("blocked", "zh_CN", {"slack": "reachable"}),
        ("fine", "en", {}),
        ("blocked", "en", {"github": "tls_blocked", "notion": "reachable"}),
        ("blocked", "zh_CN", {"gmail": "ip_blocked"}),
        ("fine", "zh_CN", {"zoom": "slow"}),
        ("blocked", "en", {"linkedin": "http_blocked"}),
    ]
    for number, (kind, language, verdicts) in enumerate(days):
        started = START + timedelta(days=number, hours=number % 3)
        suffix = ".html" if number % 3 == 1 else ".clearsight-report"
        name = f"2026-11-{2 + number:02d}-{'anna' if number % 2 else 'li-wei'}{suffix}"
        data = reports.report(kind, language, started=started, verdicts=verdicts)
        reports.write_report(folder / name, data)
    (folder / "2026-11-09-tom.clearsight-report").write_text(reports.template()[:9000])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("CLEARSIGHT_SCREENSHOTS_XVFB"):
        return _under_xvfb([str(Path(__file__).resolve()), *sys.argv[1:]])
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from clearsight.gui.app import create_application
    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.settings import AppSettings

    app = create_application(["clearsight-screenshots"])
    app.setStyle("Fusion")
    tmp = Path(tempfile.mkdtemp(prefix="clearsight-overview-shots-"))
    folder = tmp / "reports from the Shanghai office"
    folder.mkdir()
    office(folder)
    store = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    settings = AppSettings(store)
    settings.consent_acknowledged = True

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    for language in ("en", "zh_CN"):
        settings.language = language
        window: Any = MainWindow(settings)
        view = window.show_overview()
        view.resize(WIDTH, HEIGHT)
        view.add_paths([folder])
        for _ in range(500):
            if view.summary is not None:
                break
            wait(20)
        view.select_service("gmail")
        wait(400)
        path = args.out / f"overview-{language}.png"
        view.grab().save(str(path))
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
        view.close()
        window.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
