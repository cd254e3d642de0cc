"""Screenshots of history in the window (docs/screenshots/history-*.png), both languages.

    .venv/bin/python scripts/history_screenshots.py [--out DIR]

Offscreen Qt (no display needed), a data folder of its own (``CLEARSIGHT_DATA_DIR``), the
recorded engine of the GUI tests: a week of earlier checks is kept first (Gmail worked,
GitHub was blocked, WhatsApp came and went), then one run in the window finds Gmail blocked
and GitHub working. Shots: the window with the change strip, and Gmail's and WhatsApp's
details with their timelines. Nothing is sent on any network.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "desktop")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["CLEARSIGHT_DATA_DIR"] = tempfile.mkdtemp(prefix="clearsight-shots-")


def _prefill(profile_name: str) -> None:
    from tests.unit.history.reports import report

    from clearsight.history import HistorySettings, HistoryStore, open_history

    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    now = datetime.now().astimezone()
    whatsapp = ["reachable", "ip_blocked", "reachable", "reachable", "ip_blocked", "reachable"]
    for days in range(6, 0, -1):
        moment = (now - timedelta(days=days)).replace(hour=18, minute=2, second=0)
        item = report(
            days,
            {
                "gmail": "reachable",
                "github": "tls_blocked",
                "whatsapp": whatsapp[6 - days],
                "baidu": "reachable",
                "qq": "reachable",
            },
            profile=profile_name,
        )
        item["started_at"] = moment.astimezone().isoformat(timespec="seconds")
        history.record(item)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from tests.gui.recorded_engine import RecordedRun
    from tests.gui.scenarios import build_run, small_profile

    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.settings import AppSettings

    profile = small_profile()
    after = build_run(
        profile,
        {"gmail": "tls_blocked", "github": "reachable", "whatsapp": "ip_blocked"},
        exit_country="CN",
    )

    def engine(p: object, skip: bool, on_event: object) -> RecordedRun:
        return RecordedRun(after, on_event=on_event, step_s=0.005)  # type: ignore[arg-type]

    for language in ("en", "zh_CN"):
        # Each language its own week of history, so both show the same changes.
        os.environ["CLEARSIGHT_DATA_DIR"] = tempfile.mkdtemp(prefix="clearsight-shots-")
        _prefill(profile.name)
        store = QSettings(tempfile.mktemp(suffix=".ini"), QSettings.Format.IniFormat)
        settings = AppSettings(store)
        settings.consent_acknowledged = True
        settings.language = language
        window = MainWindow(settings, engine=engine)  # type: ignore[arg-type]
        window.resize(1040, 760)
        window.show()
        window.load_profile(None)
        window.profile = profile
        window.start_checks()
        deadline = datetime.now() + timedelta(seconds=30)
        while (window.state is None or window.state.history is None) and datetime.now() < deadline:
            app.processEvents()
        settle = datetime.now() + timedelta(seconds=1.5)  # the rows and the strip laid out
        while datetime.now() < settle:
            app.processEvents()
        window.grab().save(str(args.out / f"history-strip-{language}.png"))
        for service in ("gmail", "whatsapp"):
            row = next(r for r in window.results.rows() if r.row.service_id == service)
            row.set_expanded(True)
            for _ in range(20):
                app.processEvents()
            window.results.ensureWidgetVisible(row)
            for _ in range(20):
                app.processEvents()
            row.grab().save(str(args.out / f"history-timeline-{service}-{language}.png"))
            row.set_expanded(False)
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
