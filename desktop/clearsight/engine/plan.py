"""The checks a run of a profile makes, in the order they start: the one list the engine
runs and the window shows progress for.

Light on purpose: it imports only the profile model, so the window can plan a run (and
count its progress) at start-up without loading the engine's probes (docs/design.md,
"Layers"; the window must stay quick to open).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clearsight.profile.model import Profile

# Checks every service's verdict waits for: the injection probes (in "dns") and the
# clock that holds back certificate verdicts, and the login-page checks.
GATING_KINDS = frozenset({"dns", "clock", "captive"})


@dataclass(frozen=True)
class PlannedCheck:
    """One check of a run, as progress events name it.

    ``id``: "network", "dns", "doh", "clock", "captive:<n>", "exit", "proxy", "vpn:<n>",
    "service:<service id>". ``gated_by``: the ids of the checks this one's verdict also
    waits for (a service's verdict is not final before the injection probes, the clock
    and the captive-portal checks are done)."""

    id: str
    kind: str
    label: str  # what a person would call it: a service's name, a URL
    service: str | None = None  # the service id of a service check
    index: int | None = None  # the n of captive:<n> and vpn:<n>
    gated_by: tuple[str, ...] = ()


def planned_checks(
    profile: Profile, *, skip_sensitive: bool = False, vpn_checks: bool = True
) -> tuple[PlannedCheck, ...]:
    """Every check of a run of ``profile``, in starting order: the context checks, the
    clock and the domestic controls first (nothing queued may hold them back: they tell
    a censored network from a broken one), then the foreign services."""
    checks = [PlannedCheck("network", "network", "network"), PlannedCheck("dns", "dns", "DNS")]
    if profile.doh:
        checks.append(PlannedCheck("doh", "doh", "DNS-over-HTTPS"))
    checks.append(PlannedCheck("clock", "clock", "clock"))
    checks.extend(
        PlannedCheck(f"captive:{i}", "captive", spec.url, index=i)
        for i, spec in enumerate(profile.captive_checks)
    )
    if profile.exit_check is not None:
        checks.append(PlannedCheck("exit", "exit", profile.exit_check.url))
    if vpn_checks:
        checks.append(PlannedCheck("proxy", "proxy", "proxy"))
        checks.extend(
            PlannedCheck(f"vpn:{i}", "vpn", endpoint.name, index=i)
            for i, endpoint in enumerate(profile.vpn.endpoints)
        )
    gating = tuple(c.id for c in checks if c.kind in GATING_KINDS)
    services = [s for s in profile.services if not (skip_sensitive and s.sensitive)]
    services.sort(key=lambda s: not s.domestic)  # stable: the profile's order otherwise
    checks.extend(
        PlannedCheck(f"service:{s.id}", "service", s.name, service=s.id, gated_by=gating)
        for s in services
    )
    return tuple(checks)


def gating_checks(checks: tuple[PlannedCheck, ...]) -> frozenset[str]:
    """The checks that some verdict waits for."""
    return frozenset(g for check in checks for g in check.gated_by)


__all__ = ["GATING_KINDS", "PlannedCheck", "gating_checks", "planned_checks"]
