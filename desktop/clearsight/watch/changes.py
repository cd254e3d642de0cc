"""What changed between two checks of the same profile on the same network, as watch mode
tells it.

The window keeps every finished run in history (gui/session.py ``keep_in_history``);
watch mode records nothing itself. When the run was kept, what changed is history's own
answer for that run (``RecordResult.changes``: against the last run kept of that profile
on that network, also one kept before the app was restarted). When it was not (history
switched off, or paused: a file from a newer Clearsight, locked, read-only, a full
disk), :class:`WatchChanges` compares in memory with the previous check of the same
profile on the same network, known by history's network id (``RecordResult.network``,
history/network.py: one definition of "the same network"); a restart forgets that.

A run that was not kept at all (stopped, or one service checked again) compares with
nothing and is not remembered: "everything is blocked" is not news when the check was cut
short.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from clearsight.history.entry import profile_name
from clearsight.history.store import RecordResult

MAX_NETWORKS = 32  # a laptop that travels; the oldest network is forgotten first


class Change(NamedTuple):
    service: str
    before: str  # "from"
    after: str  # "to"


@dataclass(frozen=True)
class Recorded:
    """``changes``: against the previous check on this network (empty for the first one);
    ``compared``: whether there was a previous check to compare with; ``from_history``:
    the answer is history's (else memory's)."""

    changes: tuple[Change, ...] = ()
    compared: bool = False
    network: str | None = None
    from_history: bool = False


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
    the two (a skipped sensitive service, an edited profile) is no change (as history)."""
    return tuple(
        Change(service, before[service], verdict)
        for service, verdict in after.items()
        if service in before and before[service] != verdict
    )


@dataclass
class WatchChanges:
    """History's changes when the run was kept there, else the previous verdicts of each
    profile and network in memory. Every run it is given is remembered in memory too, so
    switching history off compares the next check with the last one, not with nothing."""

    previous: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def record(
        self,
        report: Mapping[str, Any],
        kept: RecordResult | None,
        *,
        withheld: Collection[str] = (),
    ) -> Recorded:
        """*report*: the finished run's; *kept*: what keeping it in history gave (None: it
        was not kept); *withheld*: sensitive services the person does not allow probing
        (forgotten here too, as history forgets them)."""
        for verdicts_before in self.previous.values():
            for service in withheld:
                verdicts_before.pop(service, None)
        network = kept.network if kept is not None else None
        if kept is None or network is None or report.get("outcome") == "cancelled":
            return Recorded()
        now = {s: v for s, v in verdicts(report).items() if s not in withheld}
        key = (profile_name(report), network)
        before = self.previous.pop(key, None)
        self.previous[key] = now  # last used goes to the end
        while len(self.previous) > MAX_NETWORKS:
            del self.previous[next(iter(self.previous))]
        if kept.saved:
            changes = tuple(Change(c.service, c.from_, c.to) for c in kept.changes)
            compared = kept.previous is not None or bool(changes)
            return Recorded(changes, compared, network, from_history=True)
        if before is None:
            return Recorded(network=network)
        return Recorded(compare(before, now), True, network)


__all__ = ["Change", "Recorded", "WatchChanges", "compare", "verdicts"]
