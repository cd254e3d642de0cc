"""The window with the real engine (``engine.run.CheckRun``), against servers on 127.0.0.1:
a run that works end to end, and a Stop that returns within a second while every check
hangs. The egress guard fails these tests if anything leaves loopback."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from clearsight.gui.session import real_engine
from clearsight.gui.view_model import GOOD
from tests.gui.conftest import wait_for_end
from tests.gui.loopback import https_site, loopback_profile, make_ca_and_certificate, silent_server


def test_a_real_run_against_loopback_sites_shows_them_working(
    make_window: Any, qtbot: Any, tmp_path: Path
):
    ca, cert, key = make_ca_and_certificate(tmp_path)
    with https_site(cert, key) as port:
        profile = loopback_profile(
            tmp_path,
            {"home": f"https://127.0.0.1:{port}/", "work": f"https://127.0.0.1:{port}/work"},
            ca,
            timeout_s=3.0,
        )
        window = make_window(real_engine, load_profile=False)
        assert window.load_profile(profile, consented=True)
        assert window.start_checks()
        state = wait_for_end(qtbot, window, timeout_ms=20000)
    assert state.report["outcome"] == "complete"
    assert window.results.tone_of("service:home") == GOOD
    assert window.results.tone_of("service:work") == GOOD
    assert window.card.headline.text() == "Everything we checked works normally on this network."
    row = window.results.row("service:work")
    row.set_expanded(True)
    assert "127.0.0.1" in row.details.evidence.text()
    assert "Web request › Answer code: 200" in row.details.evidence.text()


def test_stop_returns_within_a_second_while_every_check_hangs(
    make_window: Any, qtbot: Any, tmp_path: Path
):
    with silent_server() as port:
        urls = {f"s{i}": f"https://127.0.0.1:{port}/{i}" for i in range(6)}
        profile = loopback_profile(tmp_path, urls, None, timeout_s=8.0)
        window = make_window(real_engine, load_profile=False)
        assert window.load_profile(profile, consented=True)
        window.start_checks()
        qtbot.wait(700)  # connected, the handshakes hang
        assert window.session.running and window.run_button.text() == "Stop"
        # What the user gets: from the click on Stop until the button offers a new check
        stopped_at = time.monotonic()
        qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: window.run_button.text() == "Check again" and window.run_button.isEnabled(),
            timeout=3000,
        )
        took = time.monotonic() - stopped_at
    assert took < 1.0, f"Stop took {took:.2f} s"
    assert not window.session.running
    # the workers still unwinding keep nothing waiting: no thread of the run is joined at exit
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("clearsight"))
    assert window.state.report["outcome"] == "cancelled"
    assert "Stopped before the end" in window.card.notes.text()
