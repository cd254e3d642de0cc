"""The planned checks: one list for the engine and the window, in starting order."""

from __future__ import annotations

import subprocess
import sys

from clearsight.engine.plan import gating_checks, planned_checks
from clearsight.profile.model import (
    CaptiveCheckSpec,
    DohResolver,
    ExitCheckSpec,
    Profile,
    Service,
    Settings,
    VpnEndpoint,
    VpnSettings,
)


def _profile() -> Profile:
    def service(sid: str, **kw: bool) -> Service:
        return Service(id=sid, name=sid.title(), group="G", urls=(f"https://{sid}.test/",), **kw)

    return Profile(
        format=1,
        name="plan",
        support_contact=None,
        country="CN",
        include_default=False,
        settings=Settings(),
        resolvers=(),
        doh=(DohResolver("Ref", "https://doh.test/dns-query", ("198.18.53.1",)),),
        dns_injection=None,
        captive_checks=(CaptiveCheckSpec("http://a.test/204", 204), CaptiveCheckSpec("http://b")),
        exit_check=ExitCheckSpec("https://trace.test/cdn-cgi/trace"),
        services=(
            service("mail"),
            service("news", sensitive=True),
            service("baidu", domestic=True),
            service("chat"),
            service("qq", domestic=True),
        ),
        vpn=VpnSettings(endpoints=(VpnEndpoint("Office", "vpn.test", 1194, "openvpn-udp"),)),
    )


def test_context_checks_then_domestic_controls_then_foreign_services() -> None:
    ids = [c.id for c in planned_checks(_profile())]
    assert ids == [
        "network",
        "dns",
        "doh",
        "clock",
        "captive:0",
        "captive:1",
        "exit",
        "proxy",
        "vpn:0",
        "service:baidu",
        "service:qq",
        "service:mail",
        "service:news",
        "service:chat",
    ]


def test_every_service_verdict_waits_for_the_dns_clock_and_captive_checks() -> None:
    checks = planned_checks(_profile())
    gates = {"dns", "clock", "captive:0", "captive:1"}
    assert all(set(c.gated_by) == gates for c in checks if c.kind == "service")
    assert all(c.gated_by == () for c in checks if c.kind != "service")
    assert gating_checks(checks) == gates
    services = {c.service: c.label for c in checks if c.kind == "service"}
    assert services["baidu"] == "Baidu"


def test_skipped_sensitive_services_and_left_out_vpn_checks_are_not_planned() -> None:
    ids = {c.id for c in planned_checks(_profile(), skip_sensitive=True, vpn_checks=False)}
    assert "service:news" not in ids
    assert not ids & {"proxy", "vpn:0"}


def test_planning_loads_nothing_of_the_engine_or_the_probes() -> None:
    # The window plans a run at start-up; the engine's probes are its heaviest import.
    code = (
        "import sys, clearsight.engine.plan\n"
        "heavy = [m for m in sys.modules if m.startswith(('clearsight.probes', "
        "'clearsight.engine.run', 'clearsight.profile.loader', 'requests', 'dns'))]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
