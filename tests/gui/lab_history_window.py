"""Run the real window in a lab's client namespace after an earlier ``clearsight run``
(``python -m tests.gui.lab_history_window PROFILE OUT``): press Run, wait until the run is
kept in history, then write the change strip's text (OUT/history.json) and a picture.

Started by ``test_window_in_the_lab.py``; ``CLEARSIGHT_DATA_DIR`` is the test's.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(profile: Path, out: Path) -> int:
    from PySide6.QtCore import QSettings

    from clearsight.gui.app import create_application
    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.session import real_engine
    from clearsight.gui.settings import AppSettings

    app = create_application(["clearsight-lab"])
    settings = AppSettings(QSettings(str(out / "settings.ini"), QSettings.Format.IniFormat))
    settings.consent_acknowledged = True
    settings.language = "en"
    window = MainWindow(settings, engine=real_engine)
    window.resize(1000, 800)
    window.show()
    if not window.load_profile(profile, consented=True) or not window.start_checks():
        print("the profile could not be loaded or run", file=sys.stderr)
        return 1
    started = time.monotonic()
    while time.monotonic() - started < 60:
        app.processEvents()
        state = window.state
        if state is not None and state.history is not None and window.results.complete:
            break
        time.sleep(0.01)
    else:
        print("the run was not kept in history within 60 s", file=sys.stderr)
        return 1
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    shown = {
        "strip": window.history_strip.sentence.text(),
        "visible": window.history_strip.isVisible(),
        "notices": window.history_strip.notices.text(),
    }
    (out / "history.json").write_text(json.dumps(shown, indent=1), "utf-8")
    window.grab().save(str(out / "history.png"))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
