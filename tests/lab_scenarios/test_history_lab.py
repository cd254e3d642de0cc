"""History end to end in the lab: ``clearsight run`` twice with a block added between the
runs (an SNI reset at the censor), and the change seen in the run's own answer and in
``clearsight history --json`` (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lab.lab import Lab

from .scenario import run

pytestmark = pytest.mark.lab


def test_a_block_added_between_two_runs_is_the_change_history_reports(
    lab: Lab, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env: dict[str, str | None] = {"CLEARSIGHT_DATA_DIR": str(data)}
    sites = {
        "mail": lab.add_site("mail.foreign-lab.test"),
        "chat": lab.add_site("chat.foreign-lab.test"),
        "news": lab.add_site("news.local-lab.test"),
    }
    services = [
        sites["mail"].service("mail", name="Mail"),
        sites["chat"].service("chat", name="Chat"),
        sites["news"].service("news", name="News", domestic=True),
    ]
    before = run(lab, services, env=env, args=("--lang", "en"))
    assert before.verdict("mail") == "reachable", before.explain()
    assert "Since your last check" not in before.stdout
    lab.censor.sni_reset("mail.foreign-lab.test")
    after = run(lab, services, env=env, args=("--lang", "en"))
    assert after.verdict("mail") == "tls_blocked", after.explain()
    assert "Since your last check" in after.stdout and "Mail is now blocked" in after.stdout

    proc = lab.run_clearsight(["history", "--json"], env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    history = json.loads(proc.stdout)
    assert history["schema"] == "clearsight-history/1"
    newest, older = history["runs"]
    assert newest["report_id"] == after.report["report_id"]
    assert older["report_id"] == before.report["report_id"]
    assert newest["changes"] == [{"service": "mail", "from": "reachable", "to": "tls_blocked"}]
    assert older["changes"] == []
    assert newest["services"]["chat"] == "reachable"
    # The database lives where the test said, and keeps the runs redacted.
    assert (data / "history.db").exists()
