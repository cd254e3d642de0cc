"""Pictures of the answer for a few lab scenarios, in both languages: the window, the PDF
report's first page and (where a headless Chromium is installed) the HTML report.

    .venv/bin/python scripts/report_screenshots.py            # starts itself under xvfb-run
    .venv/bin/python scripts/report_screenshots.py --out DIR

The scenarios are lab runs the tests keep (tests/unit/presentation/lab/: a censored network
on the simulated Great Firewall, a hotel-style login page, a certificate in the middle),
diagnosed again by the real diagnosis; nothing is sent on any network. The window shows the
report as an opened one would; the PDF page is laid out by the PDF renderer's own
QTextDocument, at screen resolution.

Debian packages: xvfb, fonts-noto-cjk; chromium for the HTML pictures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "desktop")]

LAB = REPO / "tests" / "unit" / "presentation" / "lab"
SCENARIOS = {
    "censored": (
        "test_the_default_profile_on_a_great_firewall_gets_every_verdict_right_in_one_timeout"
    ),
    "captive": "test_a_login_page_in_the_way_is_a_captive_portal",
    "interceptor": "test_an_untrusted_certificate_in_the_middle_is_interception",
}
LANGUAGES = ("en", "zh_CN")
WIDTH, HEIGHT = 1040, 900


def run_of(scenario: str) -> tuple[Any, Any]:
    """The kept observations of a lab scenario and its run's facts."""
    import dataclasses

    from clearsight.probes.records import observation_from_json
    from clearsight.report.build import meta_from_report

    saved = json.loads(gzip.decompress((LAB / f"{SCENARIOS[scenario]}.json.gz").read_bytes()))
    observations = tuple(observation_from_json(o) for o in saved["observations"])
    meta = meta_from_report(saved)
    if meta.support_contact is None:
        meta = dataclasses.replace(meta, support_contact="it-help@example.com")
    return observations, meta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("CLEARSIGHT_SCREENSHOTS_XVFB"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            print("xvfb-run is missing (Debian: apt-get install xvfb)", file=sys.stderr)
            return 2
        command = [xvfb, "-a", "-s", "-screen 0 2400x2000x24 -dpi 96", sys.executable]
        command += [str(Path(__file__).resolve()), *sys.argv[1:]]
        return subprocess.call(command, env={**os.environ, "CLEARSIGHT_SCREENSHOTS_XVFB": "1"})
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    args.out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import QSettings

    from clearsight.gui.app import create_application
    from clearsight.gui.settings import AppSettings

    app = create_application(["clearsight-screenshots"])
    app.setStyle("Fusion")
    folder = Path(tempfile.mkdtemp(prefix="clearsight-shots-"))
    settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    settings.consent_acknowledged = True
    for scenario in SCENARIOS:
        for language in LANGUAGES:
            from clearsight.report.build import build_report

            observations, meta = run_of(scenario)
            report = build_report(observations, meta, language=language)
            shot = args.out / f"answer-{scenario}-{language}.png"
            window_shot(settings, observations, meta, language, shot)
            pdf_shot(report, args.out / f"answer-{scenario}-{language}-pdf.png")
            html_shot(report, folder, args.out / f"answer-{scenario}-{language}-html.png")
    return 0


def _wait(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def window_shot(settings: Any, observations: Any, meta: Any, language: str, path: Path) -> None:
    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.session import build_state

    settings.language = language
    window = MainWindow(settings)
    window.resize(WIDTH, HEIGHT)
    window.show()
    window.load_profile(None)
    window.show_state(build_state(observations, meta, language, final=True))
    _wait(800)
    window.grab().save(str(path))
    print(f"wrote {path}")
    window.close()


def pdf_shot(report: dict[str, Any], path: Path) -> None:
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument

    from clearsight.report.pdf import print_html
    from clearsight.report.view import build_view

    document = QTextDocument()
    document.setHtml(print_html(build_view(report)))
    width = 794  # A4 at 96 dpi
    document.setPageSize(QSizeF(width - 2 * 48, 1123 - 2 * 48))
    document.setTextWidth(width - 2 * 48)
    height = min(int(document.size().height()) + 96, 1123)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.translate(48, 48)
    document.drawContents(painter)
    painter.end()
    image.save(str(path))
    print(f"wrote {path}")


def html_shot(report: dict[str, Any], folder: Path, path: Path) -> None:
    from clearsight.report.html import render_html

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print(f"no chromium: {path.name} not made", file=sys.stderr)
        return
    page = folder / f"{path.stem}.html"
    page.write_text(render_html(report), encoding="utf-8")
    subprocess.run(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--screenshot={path}",
            "--window-size=900,1400",
            page.as_uri(),
        ],
        check=False,
        capture_output=True,
        timeout=60,
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
