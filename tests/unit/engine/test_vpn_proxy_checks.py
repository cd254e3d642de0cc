"""The engine's VPN and proxy checks on loopback: the route of every service address, the
proxy setting and each service fetched through it, the VPN servers with the companion
probe of a silent protocol's host."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest

from clearsight.diagnosis import diagnose
from clearsight.engine.run import CheckRun
from clearsight.probes.records import (
    EgressRoute,
    HttpFetch,
    ProxyConfig,
    RunPlan,
    VpnEndpointProbe,
)
from clearsight.profile.model import VpnEndpoint, VpnSettings

from ..probes.loopback_servers import Pki, make_pki, raw_tcp_server
from .test_check_run import _profile, sni_server  # noqa: F401  (pytest fixture)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), "127.0.0.1")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _service(port: int):  # type: ignore[no-untyped-def]
    from clearsight.profile.model import Service

    return Service(id="a", name="A", group="G", urls=(f"https://127.0.0.1:{port}/",))


def test_routes_and_the_proxy_setting_are_recorded(
    sni_server: tuple[int, list[str]],  # noqa: F811
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, _ = sni_server
    dead = _free_port()
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{dead}")
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    profile = _profile([_service(port)], 2.0, 10.0, Path(pki.ca_pem))
    result = CheckRun(profile).run()
    routes = [o for o in result.observations if isinstance(o, EgressRoute)]
    assert [(r.target, r.purpose, r.interface) for r in routes] == [("127.0.0.1", "foreign", "lo")]
    config = next(o for o in result.observations if isinstance(o, ProxyConfig))
    assert config.sources[0].https == f"127.0.0.1:{dead}"
    proxied = [o for o in result.observations if isinstance(o, HttpFetch) and o.via == "proxy"]
    assert [p.failure for p in proxied] == ["proxy_connection_refused"]
    diagnosis = diagnose(result.observations)
    assert diagnosis.finding("proxy_unreachable") is not None
    assert diagnosis.services[0].via_proxy == "inconclusive"


def test_vpn_servers_are_probed_with_a_companion_for_silent_protocols(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    with raw_tcp_server(lambda conn: conn.close()) as tcp_port:
        profile = dataclasses.replace(
            _profile([], 0.5, 10.0, None),
            vpn=VpnSettings(
                endpoints=(
                    VpnEndpoint("WG", "127.0.0.1", _free_port(), "wireguard"),
                    VpnEndpoint("Office", "127.0.0.1", tcp_port, "tcp"),
                    VpnEndpoint("Home", "127.0.0.2", _free_port(), "openvpn-udp"),
                )
            ),
        )
        result = CheckRun(profile).run()
    probes = [o for o in result.observations if isinstance(o, VpnEndpointProbe)]
    main = {(p.name, p.protocol) for p in probes if not p.companion}
    assert main == {("WG", "wireguard"), ("Office", "tcp"), ("Home", "openvpn-udp")}
    # WireGuard's host has a TCP endpoint in the profile: no companion needed; the
    # OpenVPN host has none, so its port 443 is tried as evidence.
    companions = [p for p in probes if p.companion]
    assert [(p.name, p.address, p.port) for p in companions] == [("Home", "127.0.0.2", 443)]
    plan = next(o for o in result.observations if isinstance(o, RunPlan))
    assert plan.vpn_endpoints == ("WG", "Office", "Home")
    vpn = diagnose(result.observations).vpn
    assert vpn is not None
    statuses = {e.name: e.status for e in vpn.endpoints}
    assert statuses["Office"] == "reachable"
    assert statuses["WG"] == "inconclusive"


def test_the_vpn_checks_can_be_left_out_for_benchmarks(pki: Pki) -> None:
    result = CheckRun(_profile([], 1.0, 5.0, None), vpn_checks=False).run()
    kinds = {type(o).__name__ for o in result.observations}
    assert "ProxyConfig" not in kinds and "EgressRoute" not in kinds
