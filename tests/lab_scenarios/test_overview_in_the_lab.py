"""IT's overview of two real reports: one before a block is added, one after
(``clearsight run`` twice in the lab, then ``clearsight summarize`` of the two files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearsight.cli import main
from tests.lab.lab import Lab

from .scenario import run

pytestmark = pytest.mark.lab


def test_summarize_sees_the_block_added_between_two_runs(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mail = lab.add_site("mail.foreign-lab.test")
    news = lab.add_site("news.local-lab.test")
    probe = lab.add_host()
    services = [mail.service("mail", name="Mail"), news.service("news", name="News", domestic=True)]
    before = run(lab, services, injection_probes=[probe])
    assert before.verdict("mail") == "reachable", before.explain()
    lab.censor.dns_lie_on_path("mail.foreign-lab.test", lab.add_host().ipv4)
    after = run(lab, services, injection_probes=[probe], args=("--lang", "zh_CN"))
    assert after.verdict("mail") == "dns_tampered", after.explain()

    files = sorted(Path(lab.workdir).glob("report-*.json"))
    assert len(files) == 2
    out = tmp_path / "summary.json"
    assert main(["summarize", *map(str, files), "--json", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("2 reports read")
    summary = json.loads(out.read_text("utf-8"))
    by_id = {s["id"]: s for s in summary["services"]}
    assert by_id["mail"]["verdicts"] == {"reachable": 1, "dns_tampered": 1}
    assert by_id["mail"]["first_seen_blocked"] == after.report["started_at"]
    assert by_id["mail"]["last_seen_blocked"] == after.report["started_at"]
    assert by_id["news"]["verdicts"] == {"reachable": 2}
    assert by_id["news"]["first_seen_blocked"] is None
    assert summary["services"][0]["id"] == "mail"  # the blocked one first
