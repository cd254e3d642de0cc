"""The window with the real engine inside the censorship lab: real dnsmasq, TLS servers and
iptables rules. A user presses Run and reads what is blocked and how, in plain words."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.lab.lab import APP_PYTHON, REPO, Lab

DRIVER = Path(__file__).resolve().parent / "lab_window.py"
PICTURE = REPO / "build" / "lab-window.png"  # kept for a look after the test run


@pytest.mark.lab
def test_the_window_in_the_lab_shows_each_block_and_how_it_is_done(lab: Lab) -> None:
    mail = lab.add_site("mail.foreign-lab.test")
    chat = lab.add_site("chat.foreign-lab.test")
    video = lab.add_site("video.foreign-lab.test")
    docs = lab.add_site("docs.foreign-lab.test")
    news = lab.add_site("news.local-lab.test")
    shop = lab.add_site("shop.local-lab.test")
    probe = lab.add_host()
    lab.start()
    lab.censor.sni_reset("mail.foreign-lab.test")
    lab.censor.dns_lie_on_path("chat.foreign-lab.test", lab.add_host().ipv4)
    lab.censor.drop(video)
    services = [
        mail.service("mail", name="Mail"),
        chat.service("chat", name="Chat"),
        video.service("video", name="Video"),
        docs.service("docs", name="Docs"),
        news.service("news", domestic=True),
        shop.service("shop", domestic=True),
    ]
    profile = lab.write_profile(
        services=services, timeout_s=2.0, deadline_s=20.0, injection_probes=[probe]
    )
    out = Path(lab.workdir) / "window"
    out.mkdir()
    proc = lab.run_client([APP_PYTHON, DRIVER, profile, out], timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    shown = json.loads((out / "window.json").read_text("utf-8"))
    PICTURE.parent.mkdir(exist_ok=True)
    shutil.copyfile(out / "window.png", PICTURE)
    print(  # the figure for the README (pytest -s)
        f"window in the lab: run {shown['seconds']} s, "
        f"longest event-loop stall {shown['longest_stall_ms']} ms"
    )
    rows = shown["rows"]
    badges = {k.split(":", 1)[1]: r["badge"] for k, r in rows.items() if k.startswith("service:")}
    findings = {key.split(":")[1] for key in rows if key.startswith("finding:")}
    assert shown["outcome"] == "complete"
    assert shown["status"] == "blocked"
    assert shown["headline"].startswith("3 of 6 services are blocked"), shown["headline"]
    for name in ("Mail", "Chat", "Video"):
        assert name in shown["headline"]
    assert badges == {
        "mail": "Blocked by name",  # the handshake with its name is reset
        "chat": "Forged address",  # DNS answers injected on the way
        "video": "Blocked",  # every connection to its address dropped
        "docs": "Works",
        "news": "Works",
        "shop": "Works",
    }, badges
    assert findings == {"selective_blocking", "dns_injection_on_path", "vpn_not_active"}, findings
    for key in ("mail", "chat", "video"):
        row = rows[f"service:{key}"]
        # Status in words, not colour alone: the badge and the line say it, and a screen
        # reader hears the name, the badge and the line.
        assert row["badge"] and row["summary"], row
        assert row["accessible_name"].startswith(row["name"]), row
        assert row["badge"] in row["accessible_name"], row
    assert "censor" not in rows["service:video"]["summary"].lower()  # a drop alone is no proof


HISTORY_DRIVER = Path(__file__).resolve().parent / "lab_history_window.py"


@pytest.mark.lab
def test_the_window_says_what_changed_since_a_run_of_the_command_line(
    lab: Lab, tmp_path: Path
) -> None:
    # clearsight run first, a block added, then the window: both keep the same history.
    env: dict[str, str | None] = {"CLEARSIGHT_DATA_DIR": str(tmp_path / "data")}
    mail = lab.add_site("mail.foreign-lab.test")
    chat = lab.add_site("chat.foreign-lab.test")
    lab.start()
    services = [mail.service("mail", name="Mail"), chat.service("chat", name="Chat")]
    profile = lab.write_profile(services=services, timeout_s=2.0, deadline_s=20.0)
    first = lab.run_clearsight(["run", "--profile", str(profile), "--quiet"], env=env, timeout=90)
    assert first.returncode == 0, first.stderr
    lab.censor.sni_reset("mail.foreign-lab.test")
    out = Path(lab.workdir) / "history-window"
    out.mkdir()
    proc = lab.run_client([APP_PYTHON, HISTORY_DRIVER, profile, out], env=env, timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    shown = json.loads((out / "history.json").read_text("utf-8"))
    assert shown["visible"], shown
    assert shown["strip"].startswith("Since your last check (today "), shown
    assert "Mail is now blocked" in shown["strip"], shown
