"""Run watch mode in a lab's client namespace (``python -m tests.gui.lab_watch PROFILE OUT``):
the real window and engine, watch mode started as ``clearsight gui --watch`` starts it,
the interface watch of watch mode on the namespace's real interfaces. Each finished check
is appended to OUT/checks.jsonl (its trigger, the changes and whether history said them,
the notification); history is ``CLEARSIGHT_DATA_DIR``'s, kept across starts; the driver
ends when OUT/stop appears (or after MAX_S), with a picture of the small window
(OUT/watch.png: offscreen there is no tray).

Started by ``test_watch_in_the_lab.py`` through ``Lab.popen_client``, which changes the
network under it while it watches.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

MAX_S = 240.0


def main(profile: Path, out: Path) -> int:
    from PySide6.QtCore import QSettings, QTimer

    from clearsight.gui.app import create_application
    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.session import real_engine
    from clearsight.gui.settings import AppSettings
    from clearsight.gui.watch_controller import WatchCheck, WatchController
    from clearsight.watch.network import InterfaceWatch
    from clearsight.watch.schedule import Debounce

    app = create_application(["clearsight-lab"])
    settings = AppSettings(QSettings(str(out / "settings.ini"), QSettings.Format.IniFormat))
    settings.consent_acknowledged = True
    settings.language = "en"
    settings.watch_interval_min = 240  # no scheduled check within the test: the network's
    window = MainWindow(settings, engine=real_engine)
    if not window.load_profile(profile, consented=True):
        print("the profile could not be loaded", file=sys.stderr)
        return 1
    controller = WatchController(
        window,
        network_watch=lambda changed: InterfaceWatch(changed, poll_s=0.25).start(),
        debounce=Debounce(quiet_s=1.0, max_wait_s=5.0),
        tick_ms=200,
        first_check_delay_s=0.5,
    )
    log = out / "checks.jsonl"
    count = {"n": 0}

    def checked(check: WatchCheck) -> None:
        count["n"] += 1
        assert window.state is not None
        report = window.state.report
        record = {
            "n": count["n"],
            "trigger": check.trigger,
            "compared": check.compared,
            "from_history": check.from_history,
            "changes": [list(c) for c in check.changes],
            "notice": None
            if check.notice is None
            else {"title": check.notice.title, "message": check.notice.message},
            "status": report["summary"]["status"],
            "verdicts": {s["id"]: s["verdict"] for s in report["services"]},
            "window_shows": controller.presenter.changes_label.text(),
        }
        with log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    controller.checked.connect(checked)
    controller.start()
    started = time.monotonic()

    def poll() -> None:
        if (out / "stop").exists() or time.monotonic() - started > MAX_S:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(100)
    app.exec()
    controller.presenter.grab().save(str(out / "watch.png"))
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
