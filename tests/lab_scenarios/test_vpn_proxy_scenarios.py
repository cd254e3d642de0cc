"""VPNs and proxies end to end: real OpenVPN (TLS mode) and WireGuard (wireguard-go) tunnels
between the client and the lab's world, a real HTTP proxy (tinyproxy), the censor in
between, and ``clearsight run`` inside the client namespace (tests/lab/tunnels.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab import tunnels
from tests.lab.lab import SYSTEM_RESOLVER_V4, Host, Lab, Site

from .scenario import Outcome, run

pytestmark = pytest.mark.lab

VPN_CODES = {"vpn_active", "vpn_not_active", "vpn_not_passing_traffic"}


@pytest.fixture(autouse=True)
def _tools() -> None:
    missing = tunnels.tools_missing()
    if missing:
        from tests.lab.fixtures import _must_run

        message = (
            f"the tunnel lab needs {', '.join(missing)} (Debian: openvpn wireguard-go "
            "wireguard-tools tinyproxy)"
        )
        if _must_run():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _world(lab: Lab) -> dict[str, Any]:
    """Two foreign services (mail is blocked at the censor in most tests), two domestic
    controls, an injection-probe host and a VPN server host."""
    return {
        "mail": lab.add_site("mail.foreign-lab.test"),
        "chat": lab.add_site("chat.foreign-lab.test"),
        "news": lab.add_site("news.local-lab.test"),
        "shop": lab.add_site("shop.local-lab.test"),
        "probe": lab.add_host(),
        "vpn": lab.add_host("vpn.lab-vpn.test"),
        "proxy": lab.add_host("proxy.lab-vpn.test"),
    }


def _services(w: dict[str, Any]) -> list[dict[str, object]]:
    return [
        w["mail"].service("mail", name="Mail"),
        w["chat"].service("chat", name="Chat"),
        w["news"].service("news", name="News", domestic=True),
        w["shop"].service("shop", name="Shop", domestic=True),
    ]


def _check(outcome: Outcome, condition: bool) -> None:
    assert condition, outcome.explain() + "\n" + str(outcome.report.get("vpn"))


def _one_vpn_state(outcome: Outcome, expected: str) -> None:
    """docs/design.md: exactly one of vpn_active / vpn_not_active / vpn_not_passing_traffic."""
    _check(outcome, outcome.codes & VPN_CODES == {expected})


def _paths(outcome: Outcome) -> dict[str, str]:
    return {s["id"]: s["path"] for s in outcome.report["services"]}


# ------------------------------------------------------------------------------ tunnels
@pytest.mark.parametrize("kind", ["openvpn", "wireguard"])
def test_a_full_tunnel_carries_blocked_services_and_nothing_leaks(lab: Lab, kind: str) -> None:
    w = _world(lab)
    lab.start()
    tunnel: tunnels.Tunnel
    if kind == "openvpn":
        tunnel = tunnels.OpenVpnTunnel.start(lab, w["vpn"])
    else:
        tunnel = tunnels.WireGuardTunnel.start(lab, w["vpn"])
    lab.censor.drop(w["mail"])  # blocked on the network, reachable through the tunnel
    tunnels.route_through(lab, tunnel)
    outcome = run(lab, _services(w), injection_probes=[w["probe"]])
    _one_vpn_state(outcome, "vpn_active")
    _check(outcome, outcome.verdict("mail") == "reachable")
    _check(outcome, set(_paths(outcome).values()) == {"vpn"})
    _check(outcome, outcome.report["vpn"]["interface"] == tunnel.client_dev)
    _check(outcome, outcome.report["vpn"]["active"] is True)
    for code in ("vpn_split_tunnel", "vpn_dns_leak", "vpn_ipv6_leak", "exit_abroad"):
        _check(outcome, code not in outcome.codes)
    _check(outcome, outcome.status == "ok" and outcome.exit_code == 0)
    names = {c["name"] for c in outcome.report["vpn"]["clients"]}
    _check(outcome, ("OpenVPN" if kind == "openvpn" else "WireGuard") in names)


def test_a_split_tunnel_leaves_other_foreign_services_on_the_network(lab: Lab) -> None:
    w = _world(lab)
    lab.start()
    tunnel = tunnels.OpenVpnTunnel.start(lab, w["vpn"])
    lab.censor.drop(w["mail"])
    lab.censor.drop(w["chat"])
    tunnels.route_through(lab, tunnel, prefixes=[f"{w['mail'].ipv4}/32"])
    outcome = run(lab, _services(w), timeout_s=1.0)
    _one_vpn_state(outcome, "vpn_active")
    _check(outcome, outcome.verdict("mail") == "reachable")
    _check(outcome, outcome.verdict("chat") == "ip_blocked")
    paths = _paths(outcome)
    _check(outcome, paths["mail"] == "vpn" and paths["chat"] == "direct")
    split = outcome.finding("vpn_split_tunnel")
    _check(outcome, split is not None and split["subjects"] == ["chat"])
    _check(outcome, split is not None and split["severity"] == "warning")


def test_domestic_sites_outside_the_tunnel_is_the_deliberate_china_split(lab: Lab) -> None:
    w = _world(lab)
    lab.start()
    tunnel = tunnels.WireGuardTunnel.start(lab, w["vpn"])
    foreign = [f"{w[k].ipv4}/32" for k in ("mail", "chat")]
    tunnels.route_through(
        lab,
        tunnel,
        prefixes=[*foreign, f"{SYSTEM_RESOLVER_V4}/32", "198.18.53.0/24", "fd77:0:0:153::/64"],
    )
    outcome = run(lab, _services(w))
    _one_vpn_state(outcome, "vpn_active")
    _check(outcome, "vpn_domestic_direct" in outcome.codes)
    _check(outcome, "vpn_split_tunnel" not in outcome.codes)
    _check(outcome, "vpn_dns_leak" not in outcome.codes)
    paths = _paths(outcome)
    _check(outcome, paths == {"mail": "vpn", "chat": "vpn", "news": "direct", "shop": "direct"})


def test_a_system_resolver_outside_the_tunnel_is_a_dns_leak(lab: Lab) -> None:
    w = _world(lab)
    lab.start()
    tunnel = tunnels.OpenVpnTunnel.start(lab, w["vpn"])
    tunnels.route_through(lab, tunnel, dns_outside=True)
    outcome = run(lab, _services(w))
    _one_vpn_state(outcome, "vpn_active")
    leak = outcome.finding("vpn_dns_leak")
    _check(outcome, leak is not None and leak["params"]["resolvers"] == [SYSTEM_RESOLVER_V4])
    _check(outcome, outcome.status == "degraded")


def test_ipv6_around_an_ipv4_only_tunnel_is_an_ipv6_leak(lab: Lab) -> None:
    w = _world(lab)
    lab.start()
    tunnel = tunnels.WireGuardTunnel.start(lab, w["vpn"])
    tunnels.route_through(lab, tunnel, ipv6=False)
    outcome = run(lab, _services(w))
    _one_vpn_state(outcome, "vpn_active")
    _check(outcome, "vpn_ipv6_leak" in outcome.codes)
    _check(outcome, "vpn_dns_leak" not in outcome.codes)


def test_a_tunnel_that_is_up_but_passes_nothing(lab: Lab) -> None:
    w = _world(lab)
    lab.start()
    # The client's WireGuard is up and routed; no server answers at the other end.
    tunnel = tunnels.WireGuardTunnel.start(lab, w["vpn"], server=False)
    tunnels.route_through(lab, tunnel)
    outcome = run(lab, _services(w), timeout_s=1.0)
    _one_vpn_state(outcome, "vpn_not_passing_traffic")
    finding = outcome.report["findings"][0]
    _check(outcome, finding["code"] == "vpn_not_passing_traffic")
    _check(outcome, finding["params"]["interface"] == tunnel.client_dev)
    # Nothing answered: the advice is about the VPN, not about this network.
    _check(outcome, outcome.report["summary"]["advice"][0] == finding["advice"])
    _check(outcome, outcome.report["vpn"]["state"] == "not_passing")
    _check(outcome, all(s["verdict"] == "inconclusive" for s in outcome.report["services"]))


def test_no_vpn_at_all(lab: Lab) -> None:
    w = _world(lab)
    outcome = run(lab, _services(w), injection_probes=[w["probe"]])
    _one_vpn_state(outcome, "vpn_not_active")
    _check(outcome, outcome.report["vpn"]["active"] is False)
    _check(outcome, set(_paths(outcome).values()) == {"direct"})
    _check(outcome, not any(c.startswith("proxy_") for c in outcome.codes))
    _check(outcome, outcome.report["network"]["proxy"] is None)
    _check(outcome, all(s["via_proxy"] is None for s in outcome.report["services"]))
    _check(outcome, outcome.status == "ok")


def test_an_exit_abroad_without_a_vpn_and_a_vpn_that_should_be_on(lab: Lab) -> None:
    w = _world(lab)
    trace = lab.add_site("trace.roaming-lab.test", trace_loc="US")
    outcome = run(
        lab, _services(w), exit_check=f"{trace.url}cdn-cgi/trace", extra={"vpn": {"expected": True}}
    )
    _one_vpn_state(outcome, "vpn_not_active")
    abroad = outcome.finding("exit_abroad")
    _check(outcome, abroad is not None and abroad["params"]["country"] == "US")
    _check(outcome, abroad is not None and abroad["params"]["expected_country"] == "CN")
    _check(outcome, "vpn_expected_missing" in outcome.codes)


# ---------------------------------------------------------------------------- servers
def _endpoints(host: Host, *specs: tuple[str, int, str]) -> dict[str, Any]:
    assert host.name is not None
    return {
        "vpn": {
            "endpoints": [
                {"name": name, "host": host.name, "port": port, "protocol": protocol}
                for name, port, protocol in specs
            ]
        }
    }


def _endpoint(outcome: Outcome, name: str) -> dict[str, Any]:
    for endpoint in outcome.report["vpn"]["endpoints"]:
        if endpoint["name"] == name:
            return dict(endpoint)
    raise AssertionError(f"no endpoint {name}: {outcome.report['vpn']}")


SERVER_SPECS = (
    ("UDP", 1194, "openvpn-udp"),
    ("TCP", 443, "openvpn-tcp"),
    ("WG", 51820, "wireguard"),
)


def _servers(lab: Lab, host: Host) -> None:
    tunnels.openvpn_server(lab, host, proto="udp", port=1194)
    tunnels.openvpn_server(lab, host, proto="tcp", port=443)


def test_vpn_servers_that_answer_are_reachable_and_wireguard_stays_unclear(lab: Lab) -> None:
    w = _world(lab)
    _servers(lab, w["vpn"])
    tunnels.openvpn_server(lab, w["vpn"], proto="udp", port=1195, tls_auth=True)
    specs = (*SERVER_SPECS, ("Silent UDP", 1195, "openvpn-udp"))
    outcome = run(lab, _services(w), extra=_endpoints(w["vpn"], *specs))
    _check(outcome, _endpoint(outcome, "UDP")["status"] == "reachable")
    _check(outcome, _endpoint(outcome, "TCP")["status"] == "reachable")
    _check(outcome, _endpoint(outcome, "TCP")["reason"] == "server_answered")
    # Silence from servers that ignore strangers proves nothing while the host answers.
    _check(outcome, _endpoint(outcome, "WG")["status"] == "inconclusive")
    _check(outcome, _endpoint(outcome, "Silent UDP")["status"] == "inconclusive")
    _check(outcome, outcome.finding("vpn_endpoint_blocked") is None)
    _check(outcome, bool(_endpoint(outcome, "WG")["detail"]))


def test_a_vpn_server_blocked_at_the_censor(lab: Lab) -> None:
    w = _world(lab)
    _servers(lab, w["vpn"])
    lab.censor.drop(w["vpn"])
    outcome = run(lab, _services(w), timeout_s=1.0, extra=_endpoints(w["vpn"], *SERVER_SPECS))
    for name in ("UDP", "TCP", "WG"):
        _check(outcome, _endpoint(outcome, name)["status"] == "blocked")
    _check(outcome, _endpoint(outcome, "UDP")["reason"] == "every_port_times_out")
    blocked = [f for f in outcome.report["findings"] if f["code"] == "vpn_endpoint_blocked"]
    _check(outcome, len(blocked) == 3 and all(f["severity"] == "problem" for f in blocked))
    _check(outcome, outcome.status == "degraded")


def test_only_the_udp_port_dropped_leaves_udp_unclear_and_tcp_reachable(lab: Lab) -> None:
    w = _world(lab)
    _servers(lab, w["vpn"])
    lab.censor.drop(w["vpn"], port=1194, proto="udp")
    outcome = run(lab, _services(w), timeout_s=1.0, extra=_endpoints(w["vpn"], *SERVER_SPECS[:2]))
    _check(outcome, _endpoint(outcome, "UDP")["status"] == "inconclusive")
    _check(outcome, _endpoint(outcome, "TCP")["status"] == "reachable")
    _check(outcome, outcome.finding("vpn_endpoint_unclear") is not None)


# ------------------------------------------------------------------------------ proxy
def _proxy_env(address: str) -> dict[str, str | None]:
    return {"http_proxy": f"http://{address}", "https_proxy": f"http://{address}"}


def test_a_working_proxy_gets_around_the_blocking(lab: Lab) -> None:
    w = _world(lab)
    trace: Site = lab.add_site("trace.lab-cdn.test")
    proxy = tunnels.TinyProxy.start(lab, w["proxy"])
    lab.censor.drop(w["mail"])
    outcome = run(
        lab,
        _services(w),
        timeout_s=1.0,
        env=_proxy_env(proxy.address),
        exit_check=f"{trace.url}cdn-cgi/trace",
    )
    _check(outcome, outcome.verdict("mail") == "ip_blocked")
    _check(outcome, outcome.service("mail")["via_proxy"] == "reachable")
    _check(outcome, outcome.service("chat")["via_proxy"] == "reachable")
    _check(outcome, outcome.service("mail")["path"] == "direct")
    configured = outcome.finding("proxy_configured")
    _check(outcome, configured is not None and configured["params"]["proxy"] == proxy.address)
    unblocks = outcome.finding("proxy_unblocks")
    _check(outcome, unblocks is not None and unblocks["subjects"] == ["mail"])
    _check(outcome, proxy.address in unblocks["explanation"] if unblocks else False)
    network_proxy = outcome.report["network"]["proxy"]
    _check(outcome, network_proxy["source"] == "environment" and network_proxy["mode"] == "manual")
    fetched = [o for o in outcome.report["observations"] if o["kind"] == "http"]
    _check(outcome, {o["via"] for o in fetched} == {"direct", "proxy"})
    _check(outcome, "proxy_unreachable" not in outcome.codes)


def test_a_proxy_that_is_set_but_dead(lab: Lab) -> None:
    w = _world(lab)
    outcome = run(lab, _services(w), env=_proxy_env("127.0.0.1:7890"))
    finding = outcome.finding("proxy_unreachable")
    _check(outcome, finding is not None and finding["params"]["proxy"] == "127.0.0.1:7890")
    _check(outcome, finding is not None and finding["severity"] == "problem")
    _check(outcome, all(s["via_proxy"] == "inconclusive" for s in outcome.report["services"]))
    _check(outcome, all(s["verdict"] == "reachable" for s in outcome.report["services"]))
    _check(outcome, outcome.status == "degraded")


def test_a_proxy_asking_for_a_login(lab: Lab) -> None:
    w = _world(lab)
    proxy = tunnels.TinyProxy.start(lab, w["proxy"], login=("alice", "secret"))
    outcome = run(lab, _services(w), env=_proxy_env(proxy.address))
    finding = outcome.finding("proxy_auth_required")
    _check(outcome, finding is not None and finding["params"]["proxy"] == proxy.address)
    _check(outcome, "proxy_unreachable" not in outcome.codes)
    _check(outcome, all(s["via_proxy"] == "inconclusive" for s in outcome.report["services"]))
    text = str(outcome.report)
    _check(outcome, "secret" not in text)


def test_a_proxy_whose_own_upstream_fails(lab: Lab) -> None:
    w = _world(lab)
    proxy = tunnels.TinyProxy.start(lab, w["proxy"])
    tunnels.refuse_from_proxy_side(lab, w["chat"])  # the proxy cannot reach chat
    outcome = run(lab, _services(w), env=_proxy_env(proxy.address))
    failed = outcome.finding("proxy_upstream_failed")
    _check(outcome, failed is not None and "chat" in failed["subjects"])
    _check(outcome, outcome.service("mail")["via_proxy"] == "reachable")


# ------------------------------------------------------------------ redirects through it
REDIRECT_START = "start.redirect-lab.test"  # the service's own URL: it sends you on
REDIRECT_TARGET = "next.redirect-lab.test"


def _redirect_world(lab: Lab) -> tuple[dict[str, Any], Site]:
    """The world's services, and Tweets, whose page sends the browser on to a second host."""
    w = _world(lab)
    w["tweets"] = lab.add_site(REDIRECT_START, redirect=f"https://{REDIRECT_TARGET}/")
    return w, lab.add_site(REDIRECT_TARGET)


def _proxied_hosts(outcome: Outcome) -> list[str]:
    return [
        o["host"]
        for o in outcome.report["observations"]
        if o["kind"] == "http" and o["via"] == "proxy"
    ]


def _proxy_note(outcome: Outcome, service_id: str) -> tuple[str, ...]:
    from clearsight.presentation.answer import compose

    (line,) = [s for s in compose(outcome.report).services if s.id == service_id]
    return tuple(n for n in line.notes if n.startswith("Through your proxy"))


def test_a_redirect_through_the_proxy_to_a_host_it_cannot_reach_is_not_working(
    lab: Lab,
) -> None:
    """Directly, Tweets works all the way; a browser using the proxy ends on a host the
    proxy cannot reach, so Tweets does not work through the proxy."""
    w, target = _redirect_world(lab)
    proxy = tunnels.TinyProxy.start(lab, w["proxy"])
    tunnels.refuse_from_proxy_side(lab, target)
    services = [*_services(w), w["tweets"].service("tweets", name="Tweets")]
    outcome = run(lab, services, env=_proxy_env(proxy.address))
    _check(outcome, outcome.verdict("tweets") == "reachable")  # the direct way is fine
    tweets = outcome.service("tweets")
    _check(outcome, tweets["via_proxy"] == "inconclusive")
    _check(outcome, tweets["evidence"]["via_proxy_redirected_to"] == REDIRECT_TARGET)
    _check(outcome, _proxied_hosts(outcome).count(REDIRECT_TARGET) == 1)
    failed = outcome.finding("proxy_upstream_failed")
    _check(outcome, failed is not None and "tweets" in failed["subjects"])
    _check(outcome, outcome.service("mail")["via_proxy"] == "reachable")
    note = f"Through your proxy, Tweets sends you on to {REDIRECT_TARGET}: "
    _check(outcome, any(n.startswith(note) for n in _proxy_note(outcome, "tweets")))


def test_a_redirect_through_the_proxy_that_ends_well_works_through_it(lab: Lab) -> None:
    """Blocked directly (its target dropped at the censor), the whole way works through
    the proxy: the proxy gets Tweets around the block."""
    w, target = _redirect_world(lab)
    proxy = tunnels.TinyProxy.start(lab, w["proxy"])
    lab.censor.drop(target)
    services = [*_services(w), w["tweets"].service("tweets", name="Tweets")]
    outcome = run(lab, services, timeout_s=1.0, env=_proxy_env(proxy.address))
    _check(outcome, outcome.verdict("tweets") == "ip_blocked")
    tweets = outcome.service("tweets")
    _check(outcome, tweets["via_proxy"] == "reachable")
    _check(outcome, "via_proxy_redirected_to" not in tweets["evidence"])
    proxied = _proxied_hosts(outcome)
    _check(outcome, proxied.count(REDIRECT_START) == 1 and proxied.count(REDIRECT_TARGET) == 1)
    unblocks = outcome.finding("proxy_unblocks")
    _check(outcome, unblocks is not None and "tweets" in unblocks["subjects"])
    _check(outcome, "proxy_upstream_failed" not in outcome.codes)
