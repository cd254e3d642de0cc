"""The built-in default profile's own services on a simulated Great Firewall (lab
stand-ins for every host: ``tests/lab/great_firewall.py``): every verdict right, in about
one timeout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lab import great_firewall
from tests.lab.lab import Lab

from .scenario import CAPTURE, Outcome, capture, check_composition

pytestmark = pytest.mark.lab

TIMEOUT_S = 4.0


def test_the_default_profile_on_a_great_firewall_gets_every_verdict_right_in_one_timeout(
    lab: Lab,
) -> None:
    gfw = great_firewall.build(lab, timeout_s=TIMEOUT_S)
    out = lab.workdir / "gfw.json"
    proc = lab.run_clearsight(
        ["run", "--profile", str(gfw.profile_path), "--json", str(out), "--no-redact"],
        timeout=120,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    check_composition(Outcome(proc.returncode, report, proc.stdout, proc.stderr))
    if CAPTURE:
        capture(report, Path(CAPTURE))
    got = {s["id"]: s["verdict"] for s in report["services"]}
    wrong = {s: (got.get(s), want) for s, want in gfw.expected.items() if got.get(s) != want}
    codes = {f["code"] for f in report["findings"]}
    assert not wrong, f"(got, expected): {wrong}\n{proc.stderr[-2000:]}"
    assert report["summary"]["status"] == "blocked" and proc.returncode == 1
    assert {"dns_injection_on_path", "selective_blocking", "doh_blocked"} <= codes, codes
    # Blocked services cost one timeout, not one per retry or per queued lookup. The
    # benchmark reports the real figure; this bound only catches a second timeout.
    assert report["duration_s"] < 2 * TIMEOUT_S, report["duration_s"]
