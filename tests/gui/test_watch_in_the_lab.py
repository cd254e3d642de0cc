"""Watch mode with the network changing under it, in the censorship lab: the real window,
engine and interface watch in the lab's client namespace. The client's interface gains an
address (the network changed, nothing else did): watch mode checks again and stays quiet.
Then the censor starts resetting Mail's handshakes and the address goes again: watch mode
checks again and tells, once, that Mail is now blocked. Then the app starts again over the
same history: its first check is compared with the last run kept before (quiet while Mail
is still blocked; "Mail works again" once the censor stopped)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.lab import netns
from tests.lab.lab import APP_PYTHON, Lab

DRIVER = Path(__file__).resolve().parent / "lab_watch.py"
EXTRA_ADDRESS = "10.77.1.250/24"  # a second address in the client's own subnet


def checks(out: Path) -> list[dict[str, Any]]:
    log = out / "checks.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text("utf-8").splitlines() if line]


def wait_for_checks(
    out: Path, count: int, proc: subprocess.Popen[str], timeout: float
) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = checks(out)
        if len(found) >= count:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"the app ended (exit {proc.returncode}): {proc.communicate()}")
        time.sleep(0.2)
    raise AssertionError(f"{count} checks expected within {timeout} s, saw {checks(out)}")


def start_watching(lab: Lab, profile: Path, out: Path, data: Path) -> subprocess.Popen[str]:
    out.mkdir()
    return lab.popen_client(
        [APP_PYTHON, DRIVER, profile, out],
        env={"CLEARSIGHT_DATA_DIR": str(data)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_watching(proc: subprocess.Popen[str], out: Path) -> str:
    (out / "stop").touch()
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
    return stderr


def first_check_after_a_restart(lab: Lab, profile: Path, out: Path, data: Path) -> dict[str, Any]:
    proc = start_watching(lab, profile, out, data)
    try:
        first = wait_for_checks(out, 1, proc, timeout=60)[0]
    finally:
        stderr = stop_watching(proc, out)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    return first


@pytest.mark.lab
def test_watch_mode_checks_again_when_the_network_changes_and_tells_only_of_a_change(
    lab: Lab, tmp_path: Path
) -> None:
    mail = lab.add_site("mail.foreign-lab.test")
    docs = lab.add_site("docs.foreign-lab.test")
    news = lab.add_site("news.local-lab.test")
    shop = lab.add_site("shop.local-lab.test")
    lab.start()
    services = [
        mail.service("mail", name="Mail"),
        docs.service("docs", name="Docs"),
        news.service("news", domestic=True),
        shop.service("shop", domestic=True),
    ]
    profile = lab.write_profile(services=services, timeout_s=2.0, deadline_s=20.0)
    out = Path(lab.workdir) / "watch"
    data = tmp_path / "data"  # the history every start of the app keeps and reads
    proc = start_watching(lab, profile, out, data)
    try:
        # 1. watching starts with a check: nothing to compare it with, nothing to tell
        first = wait_for_checks(out, 1, proc, timeout=60)[0]
        assert first["trigger"] == "schedule" and not first["compared"], first
        assert first["verdicts"]["mail"] == "reachable", first
        assert first["notice"] is None
        # 2. the network changes (a new address), the services do not: checked, quiet
        time.sleep(1.0)
        netns.ip_batch([f"addr add {EXTRA_ADDRESS} dev eth0"], ns=lab.client_ns)
        second = wait_for_checks(out, 2, proc, timeout=60)[1]
        assert second["trigger"] == "network", second
        assert second["compared"] and second["changes"] == [], second
        assert second["notice"] is None
        assert second["window_shows"] == "Nothing has changed since watching started."
        # 3. the censor starts resetting Mail by name and the network changes again
        lab.censor.sni_reset("mail.foreign-lab.test")
        time.sleep(1.0)
        netns.ip_batch([f"addr del {EXTRA_ADDRESS} dev eth0"], ns=lab.client_ns)
        third = wait_for_checks(out, 3, proc, timeout=60)[2]
        assert third["trigger"] == "network", third
        assert third["changes"] == [["mail", "reachable", "tls_blocked"]], third
        assert third["notice"] == {
            "title": "Something changed on your network",
            "message": "Mail: Works → Blocked by name",
        }
        assert third["window_shows"] == "Mail: Works → Blocked by name"
        assert third["verdicts"]["docs"] == "reachable"
        time.sleep(2.0)
        assert len(checks(out)) == 3  # no check without a reason
    finally:
        stderr = stop_watching(proc, out)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    lab.check_guard_logs()
    assert (out / "watch.png").exists()
    assert all(c["from_history"] for c in checks(out))
    # 4. the app starts again, Mail still blocked: compared with the run kept before, quiet
    again = first_check_after_a_restart(lab, profile, Path(lab.workdir) / "watch-2", data)
    assert again["compared"] and again["from_history"], again
    assert again["changes"] == [] and again["notice"] is None, again
    # 5. the censor stops; the app starts again: Mail works again, said at the first check
    lab.censor.clear()
    back = first_check_after_a_restart(lab, profile, Path(lab.workdir) / "watch-3", data)
    assert back["compared"] and back["changes"] == [["mail", "tls_blocked", "reachable"]], back
    assert back["notice"] == {
        "title": "Something changed on your network",
        "message": "Mail works again",
    }
    lab.check_guard_logs()
