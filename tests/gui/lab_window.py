"""Run the real window in a lab's client namespace (``python -m tests.gui.lab_window PROFILE
OUT``): load the profile as if given on the command line, press Run, wait for the end, then
write what the window shows (OUT/window.json) and a picture of it (OUT/window.png).

Started by ``test_window_in_the_lab.py`` through ``Lab.run_client``: the engine's sockets
are the client namespace's, so the censor's rules apply to them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(profile: Path, out: Path) -> int:
    from PySide6.QtCore import QSettings, QTimer

    from clearsight.gui.app import create_application
    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.session import real_engine
    from clearsight.gui.settings import AppSettings

    app = create_application(["clearsight-lab"])
    settings = AppSettings(QSettings(str(out / "settings.ini"), QSettings.Format.IniFormat))
    settings.consent_acknowledged = True
    settings.language = "en"
    settings.report_folder = out
    window = MainWindow(settings, engine=real_engine)
    window.resize(1000, 900)
    window.show()
    if not window.load_profile(profile, consented=True) or not window.start_checks():
        print("the profile could not be loaded or run", file=sys.stderr)
        return 1
    started = time.monotonic()
    heartbeat = {"last": time.perf_counter(), "longest": 0.0}

    def tick() -> None:
        now = time.perf_counter()
        heartbeat["longest"] = max(heartbeat["longest"], now - heartbeat["last"])
        heartbeat["last"] = now

    beat = QTimer()
    beat.timeout.connect(tick)
    beat.start(10)

    def ended() -> bool:
        session = window.session
        return (
            session is not None
            and session.has_ended
            and window.state is not None
            and window.results.complete
        )

    def check() -> None:
        if ended() or time.monotonic() - started > 60:
            app.quit()

    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(50)
    app.exec()
    beat.stop()
    if not ended():
        print("the run did not end within 60 s", file=sys.stderr)
        return 1
    for _ in range(5):  # the last rows laid out before the picture
        app.processEvents()
        time.sleep(0.02)
    rows = {
        row.row.key: {
            "name": row.row.name,
            "tone": row.row.tone,
            "badge": row.row.badge,
            "summary": row.row.summary,
            "accessible_name": row.accessibleName(),
        }
        for row in window.results.rows()
    }
    shown = {
        "headline": window.card.headline.text(),
        "status": window.state.report["summary"]["status"],
        "outcome": window.state.report["outcome"],
        "rows": rows,
        "seconds": round(time.monotonic() - started, 2),
        "longest_stall_ms": round(heartbeat["longest"] * 1000, 1),
    }
    (out / "window.json").write_text(json.dumps(shown, indent=1), "utf-8")
    window.grab().save(str(out / "window.png"))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
