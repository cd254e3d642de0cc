"""The profile's VPN servers, probed without credentials (docs/censorship.md, "VPN
protocols"): each address with the server's own protocol, and, for protocols whose
servers may stay silent, a TCP port of the same host as evidence of reachability."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from clearsight.engine.lookups import is_ip
from clearsight.engine.shared import Shared
from clearsight.probes import failures
from clearsight.probes.records import VpnEndpointProbe
from clearsight.probes.vpn_endpoint import probe_endpoint
from clearsight.profile.model import VpnEndpoint

MAX_ENDPOINT_ADDRESSES = 2
# VPN protocols whose servers may say nothing: the host's TCP side is probed as evidence.
SILENT_PROTOCOLS = frozenset({"openvpn-udp", "wireguard", "ikev2"})
TCP_PROTOCOLS = frozenset({"openvpn-tcp", "tcp", "https"})
COMPANION_PORT = 443


class VpnFlow:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    def run(self, endpoint: VpnEndpoint) -> None:
        s = self.s
        if is_ip(endpoint.host):
            addresses: tuple[str, ...] = (endpoint.host,)
            failure = None
        else:
            v4, v6, failure = s.resolver.resolve_both(endpoint.host)
            addresses = v4[:MAX_ENDPOINT_ADDRESSES] + v6[:1]
        if not addresses:
            s.add(
                VpnEndpointProbe(
                    name=endpoint.name,
                    host=endpoint.host,
                    port=endpoint.port,
                    protocol=endpoint.protocol,
                    failure=failure or failures.NO_ANSWER,
                    detail="no_address",
                    started_s=s.ctx.elapsed_s(),
                )
            )
            return
        for address in addresses:
            s.routes.route(address, "vpn_endpoint")
        # A TCP port of the same host answering (even "refused") shows the host is
        # reachable; every port timing out is what a blocked address looks like.
        companion = endpoint.protocol in SILENT_PROTOCOLS and not any(
            e.host == endpoint.host and e.protocol in TCP_PROTOCOLS for e in s.profile.vpn.endpoints
        )

        def probe(address: str) -> None:
            s.add(
                probe_endpoint(
                    s.ctx, endpoint.name, endpoint.host, endpoint.port, endpoint.protocol, address
                )
            )

        def side(address: str) -> None:
            record = probe_endpoint(
                s.ctx, endpoint.name, endpoint.host, COMPANION_PORT, "tcp", address
            )
            s.add(dataclasses.replace(record, companion=True))

        work: list[Callable[[], None]] = [lambda a=a: probe(a) for a in addresses]  # type: ignore[misc]
        if companion:
            work.append(lambda: side(addresses[0]))
        s.pool.map(lambda f: f(), work)


__all__ = ["VpnFlow"]
