"""One lost packet is never a block, and a blackhole costs one timeout, not two
(docs/design.md, "Flakiness and speed"): retries are hedged, not sequential."""

from __future__ import annotations

import pytest

from tests.lab.lab import Lab

from .scenario import run
from .test_censorship_scenarios import _check, _services, _world

pytestmark = pytest.mark.lab

TIMEOUT_S = 3.0


def test_one_lost_syn_is_not_a_block(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.drop_once(sites["mail"], proto="tcp", port=443)
    outcome = run(lab, _services(sites), timeout_s=TIMEOUT_S)
    _check(outcome, outcome.verdict("mail") == "reachable" and outcome.status == "ok")
    # Answered within the first attempt's time (by its resent SYN or by the hedge).
    _check(outcome, outcome.report["duration_s"] < TIMEOUT_S)


def test_one_lost_dns_query_is_not_a_block(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.drop_once(
        lab.system_resolver_addresses, proto="udp", port=53, containing="mail.foreign-lab.test"
    )
    outcome = run(lab, _services(sites), timeout_s=TIMEOUT_S)
    _check(outcome, outcome.verdict("mail") == "reachable" and outcome.status == "ok")
    _check(outcome, outcome.report["duration_s"] < TIMEOUT_S)


def test_a_blackholed_address_costs_one_timeout_with_overlapping_attempts(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.drop(sites["mail"])
    outcome = run(lab, _services(sites), timeout_s=TIMEOUT_S)
    _check(outcome, outcome.verdict("mail") == "ip_blocked")
    attempts = [
        o
        for o in outcome.report["observations"]
        if o["kind"] == "tcp" and o["address"] == sites["mail"].ipv4  # type: ignore[attr-defined]
    ]
    first, second = attempts
    # The second attempt started while the first still waited, and both ended together.
    _check(outcome, first["started_s"] < second["started_s"] < first["started_s"] + TIMEOUT_S)
    _check(outcome, outcome.report["duration_s"] < 2 * TIMEOUT_S - 0.5)
