"""What changed between two checks of the same profile on the same network.

A pure, in-memory stand-in for the history store's comparison (``clearsight.history``):
``ChangeSource.record(report)`` returns a result whose ``changes`` are ``(service, from,
to)`` triples against the previous check on the same profile and network, the shape of
``HistoryStore.record(report).changes``. When the store is there, a small adapter in place
of ``MemoryChanges`` (``record`` returns the store's result) is all watch mode needs.

A network is known by a hash of what tells networks apart without naming them: the
interface that carries traffic to the internet, the system's DNS servers and the exit
country (never the Wi-Fi name). An offline check, or one that was stopped, compares with
nothing and is not remembered: "everything is blocked" is not news when the cable is out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

# Checks that say nothing about the services: never compared, never remembered.
NOT_COMPARED_STATUSES = frozenset({"offline", "captive_portal"})
NOT_COMPARED_OUTCOMES = frozenset({"cancelled"})
MAX_NETWORKS = 32  # a laptop that travels; the oldest network is forgotten first


class Change(NamedTuple):
    service: str
    before: str  # "from"
    after: str  # "to"


class RecordResult(Protocol):
    @property
    def changes(self) -> Sequence[tuple[str, str, str]]: ...


class ChangeSource(Protocol):
    """What watch mode needs of the history: record a finished check, get what changed."""

    def record(self, report: Mapping[str, Any]) -> RecordResult: ...


@dataclass(frozen=True)
class Recorded:
    """``changes``: against the previous check on this network (empty for the first one);
    ``compared``: whether there was a previous check to compare with."""

    changes: tuple[Change, ...] = ()
    compared: bool = False
    network: str | None = None


def verdicts(report: Mapping[str, Any]) -> dict[str, str]:
    """service id -> verdict, from a report's ``services[].verdict`` (bad entries skipped)."""
    found: dict[str, str] = {}
    services = report.get("services")
    if not isinstance(services, list):
        return found
    for service in services:
        if not isinstance(service, Mapping):
            continue
        sid, verdict = service.get("id"), service.get("verdict")
        if isinstance(sid, str) and isinstance(verdict, str):
            found[sid] = verdict
    return found


def compare(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[Change, ...]:
    """Services whose verdict differs, in the order of ``after``. A service in only one of
    the two (a skipped sensitive service, an edited profile) is no change."""
    return tuple(
        Change(service, before[service], verdict)
        for service, verdict in after.items()
        if service in before and before[service] != verdict
    )


def network_key(report: Mapping[str, Any]) -> str | None:
    """Which profile on which network a report is from (a hash: nothing readable is kept),
    or None where the check says nothing comparable (offline, stopped, behind a login page)."""
    summary = report.get("summary")
    status = summary.get("status") if isinstance(summary, Mapping) else None
    if status in NOT_COMPARED_STATUSES or report.get("outcome") in NOT_COMPARED_OUTCOMES:
        return None
    profile = report.get("profile")
    network = report.get("network")
    network = network if isinstance(network, Mapping) else {}
    egress = network.get("egress")
    egress = egress if isinstance(egress, Mapping) else {}
    resolvers = network.get("resolvers")
    parts = {
        "profile": profile.get("name") if isinstance(profile, Mapping) else None,
        "interface": egress.get("ipv4_interface") or egress.get("ipv6_interface"),
        "resolvers": sorted(str(r) for r in resolvers) if isinstance(resolvers, list) else [],
        "exit_country": network.get("exit_country"),
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class MemoryChanges:
    """The previous verdicts of each network, in memory only (a restart starts afresh)."""

    previous: dict[str, dict[str, str]] = field(default_factory=dict)

    def record(self, report: Mapping[str, Any]) -> Recorded:
        key = network_key(report)
        if key is None:
            return Recorded()
        now = verdicts(report)
        before = self.previous.pop(key, None)
        self.previous[key] = now  # last used goes to the end
        while len(self.previous) > MAX_NETWORKS:
            del self.previous[next(iter(self.previous))]
        if before is None:
            return Recorded(network=key)
        return Recorded(changes=compare(before, now), compared=True, network=key)


__all__ = [
    "Change",
    "ChangeSource",
    "MemoryChanges",
    "RecordResult",
    "Recorded",
    "compare",
    "network_key",
    "verdicts",
]
