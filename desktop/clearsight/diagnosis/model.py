"""What the diagnosis produces: verdicts per service, findings, an overall status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DIAGNOSIS_VERSION = "clearsight-rules/1"


@dataclass(frozen=True)
class LayerResult:
    status: str  # ok | failed | forged | not_run
    failure: str | None = None


@dataclass(frozen=True)
class ServiceVerdict:
    id: str
    name: str
    group: str
    domestic: bool
    verdict: str
    advice_verdict: str  # whose advice applies: the deepest layer failing on genuine addresses
    layers: dict[str, LayerResult]
    evidence: dict[str, Any]
    path: str = "direct"
    via_proxy: str | None = None
    reason: str | None = None  # a short machine-readable why (e.g. "reference_verified")
    elapsed_ms: float | None = None  # the web request's time, when one completed

    @property
    def params(self) -> dict[str, Any]:
        host = self.evidence.get("host") or ""
        seconds = round(self.elapsed_ms / 1000.0, 1) if self.elapsed_ms else None
        params = {"service": self.name, "host": host, "seconds": seconds}
        if self.evidence.get("redirected_to"):  # a later hop of a redirect decided
            params["redirected_to"] = self.evidence["redirected_to"]
        return params


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # info | warning | problem
    subjects: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnosis:
    status: str
    services: tuple[ServiceVerdict, ...]
    findings: tuple[Finding, ...]
    summary_params: dict[str, Any]
    network: dict[str, Any]
    version: str = DIAGNOSIS_VERSION
    # The report's ``vpn`` section (state, interface, tunnels, VPN servers); None when
    # the run did not look (a report from before these checks).
    vpn: dict[str, Any] | None = None

    def finding(self, code: str) -> Finding | None:
        return next((f for f in self.findings if f.code == code), None)

    def service(self, service_id: str) -> ServiceVerdict | None:
        return next((s for s in self.services if s.id == service_id), None)
