"""What changed between two checks: per network and profile, verdicts only, in memory."""

from __future__ import annotations

from typing import Any

import pytest

from clearsight.watch.changes import Change, MemoryChanges, compare, network_key, verdicts


def report(
    services: dict[str, str],
    *,
    profile: str = "Office",
    interface: str = "eth0",
    resolvers: tuple[str, ...] = ("10.0.0.1",),
    country: str | None = "CN",
    status: str = "blocked",
    outcome: str = "complete",
) -> dict[str, Any]:
    return {
        "profile": {"name": profile},
        "outcome": outcome,
        "summary": {"status": status},
        "network": {
            "egress": {"ipv4": "10.0.0.5", "ipv4_interface": interface},
            "resolvers": list(resolvers),
            "exit_country": country,
        },
        "services": [{"id": k, "verdict": v} for k, v in services.items()],
    }


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"a": "reachable"}, ()),
        ({"a": "reachable"}, {"a": "reachable"}, ()),
        ({"a": "reachable"}, {"a": "tls_blocked"}, (Change("a", "reachable", "tls_blocked"),)),
        (
            {"a": "ip_blocked", "b": "reachable"},
            {"b": "dns_tampered", "a": "reachable"},
            (Change("b", "reachable", "dns_tampered"), Change("a", "ip_blocked", "reachable")),
        ),
        ({"a": "reachable", "gone": "ip_blocked"}, {"a": "reachable", "new": "ip_blocked"}, ()),
    ],
)
def test_compare_lists_the_services_whose_verdict_differs(
    before: dict[str, str], after: dict[str, str], expected: tuple[Change, ...]
) -> None:
    assert compare(before, after) == expected


@pytest.mark.parametrize(
    "services",
    [None, "x", [1, {"id": 3, "verdict": "ok"}, {"id": "a"}], [{"id": "a", "verdict": None}]],
)
def test_verdicts_skips_what_is_not_a_service(services: object) -> None:
    assert verdicts({"services": services}) == {}


def test_a_change_is_triples_like_the_history_store() -> None:
    service, before, after = Change("gmail", "reachable", "dns_tampered")
    assert (service, before, after) == ("gmail", "reachable", "dns_tampered")


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({}, True),
        ({"services": {"a": "ip_blocked"}}, True),  # verdicts are not the network
        ({"profile": "Home"}, False),
        ({"interface": "wlan0"}, False),
        ({"resolvers": ("192.168.1.1",)}, False),
        ({"resolvers": ("10.0.0.1", "10.0.0.2")}, False),
        ({"country": "HK"}, False),
    ],
)
def test_network_key_tells_networks_and_profiles_apart(changes: dict[str, Any], same: bool) -> None:
    base = {"services": {"a": "reachable"}}
    assert (network_key(report(**base)) == network_key(report(**{**base, **changes}))) == same


@pytest.mark.parametrize(
    "extra", [{"status": "offline"}, {"status": "captive_portal"}, {"outcome": "cancelled"}]
)
def test_offline_or_stopped_checks_compare_with_nothing(extra: dict[str, str]) -> None:
    assert network_key(report({"a": "ip_blocked"}, **extra)) is None


def test_the_key_holds_nothing_readable() -> None:
    key = network_key(report({}, resolvers=("10.0.0.1",), profile="Acme"))
    assert key is not None and "10.0.0.1" not in key and "Acme" not in key


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        # (report kwargs, ...) -> (compared, changes) of the last one
        ([{"services": {"a": "reachable"}}], (False, ())),
        ([{"services": {"a": "reachable"}}, {"services": {"a": "reachable"}}], (True, ())),
        (
            [{"services": {"a": "reachable"}}, {"services": {"a": "tls_blocked"}}],
            (True, (Change("a", "reachable", "tls_blocked"),)),
        ),
        # another network in between: compared with the last check on *this* one
        (
            [
                {"services": {"a": "reachable"}},
                {"services": {"a": "ip_blocked"}, "resolvers": ("192.168.1.1",)},
                {"services": {"a": "reachable"}},
            ],
            (True, ()),
        ),
        # offline in between: not remembered, the check after compares with the one before
        (
            [
                {"services": {"a": "reachable"}},
                {"services": {"a": "dns_failed"}, "status": "offline"},
                {"services": {"a": "http_blocked"}},
            ],
            (True, (Change("a", "reachable", "http_blocked"),)),
        ),
        ([{"services": {"a": "reachable"}, "status": "offline"}], (False, ())),
    ],
)
def test_memory_changes_compares_with_the_last_check_on_the_same_network(
    runs: list[dict[str, Any]], expected: tuple[bool, tuple[Change, ...]]
) -> None:
    memory = MemoryChanges()
    result = None
    for kwargs in runs:
        result = memory.record(report(**kwargs))
    assert result is not None
    assert (result.compared, result.changes) == expected


def test_memory_changes_forgets_the_oldest_network_first() -> None:
    memory = MemoryChanges()
    for n in range(40):
        memory.record(report({"a": "reachable"}, resolvers=(f"10.0.0.{n}",)))
    assert len(memory.previous) == 32
    assert not memory.record(report({"a": "reachable"}, resolvers=("10.0.0.0",))).compared
    assert memory.record(report({"a": "reachable"}, resolvers=("10.0.0.39",))).compared
