"""The checks that give the services' results their context: the machine's network view,
the DNS comparison (resolvers, injection probes, a name that cannot exist), the DoH
reference, the clock, captive portals and the exit country."""

from __future__ import annotations

import contextlib
import secrets
from urllib.parse import urlsplit

from clearsight.engine.lookups import is_ip
from clearsight.engine.shared import Shared
from clearsight.probes import failures
from clearsight.probes.captive import captive_check
from clearsight.probes.clock import clock_check
from clearsight.probes.dns_udp import PendingQuery
from clearsight.probes.exit_check import exit_check
from clearsight.probes.network_info import network_environment
from clearsight.probes.urls import endpoint
from clearsight.profile.model import CaptiveCheckSpec


class ContextChecks:
    def __init__(self, shared: Shared) -> None:
        self.s = shared
        self._dns_queries: list[PendingQuery] = []

    # ------------------------------------------------------------------ network
    def network(self) -> None:
        s = self.s
        targets: list[str] = [r.address for r in s.profile.resolvers]
        for d in s.profile.doh:
            targets.extend(d.bootstrap)
        if s.profile.dns_injection:
            targets.extend(s.profile.dns_injection.probe_addresses)
        environment = network_environment(tuple(targets))
        s.add(environment)
        if not s.vpn_checks:
            return
        s.routes.know_interfaces(environment.interfaces)
        # Which way the system resolvers are reached (a DNS leak goes around the VPN).
        # Only resolvers this run asks: a route lookup sends nothing, but the run must
        # not even name a target it has no business with.
        if s.resolver.nameservers and self._asks_system_resolver():
            for server in s.resolver.nameservers:
                s.routes.route(server, "resolver")
        for address in [r.address for r in s.profile.resolvers] + [
            b for d in s.profile.doh for b in d.bootstrap
        ]:
            s.routes.route(address, "reference")

    def _asks_system_resolver(self) -> bool:
        names = [*self.s.service_hosts()]
        names += [e.host for e in self.s.profile.vpn.endpoints if not is_ip(e.host)]
        return bool(names)

    # ---------------------------------------------------------------------- DNS
    def send_dns(self) -> None:
        """Send every question of the DNS check at once, before any other check starts:
        the injection probes (they listen a fixed time from sending, so the sooner they
        go, the sooner a run ends), the system resolver's for every service host (the
        services then find their answers under way), a name that cannot exist, and the
        plain resolvers'. Sent from one thread that nothing competes with yet, hundreds
        take a few tens of milliseconds."""
        s = self.s
        dns = s.resolver.dns
        queries = self._injection_probes()
        hosts = s.service_hosts()
        for host in hosts:
            for qtype in ("A", "AAAA"):
                query = s.resolver.query(host, qtype)
                if query is not None:
                    queries.append(query)
        # A name that cannot exist: an answer means the resolver rewrites NXDOMAIN.
        if s.resolver.nameservers and hosts:
            tld = hosts[0].rsplit(".", 1)[-1]
            bogus = f"nx-{secrets.token_hex(8)}.{tld}"
            queries.append(
                dns.submit(
                    s.resolver.nameservers[0],
                    bogus,
                    "A",
                    role="nxdomain_probe",
                    resolver="system",
                )
            )
        for resolver in s.profile.resolvers:
            for host in hosts:
                queries.append(
                    dns.submit(resolver.address, host, "A", role="resolver", resolver=resolver.name)
                )
        self._dns_queries = queries

    def dns(self) -> None:
        """The DNS check: every question ``send_dns`` sent, listened to the end."""
        for query in self._dns_queries:
            query.wait_record(timeout=max(0.0, self.s.ctx.remaining()))

    def _injection_probes(self) -> list[PendingQuery]:
        """Questions to addresses that run no DNS server: any answer was injected on the
        path. An honest network answers nothing, so each listens ``ctx.silence_s()``."""
        s = self.s
        injection = s.profile.dns_injection
        if injection is None or not injection.probe_addresses:
            return []
        skipped_hosts = {h for sv in s.profile.services if sv.id in s.skipped for h in sv.hosts}
        names = [n for n in s.profile.injection_names if n not in skipped_hosts]
        domestic = [h for sv in s.services if sv.domestic for h in sv.hosts if not is_ip(h)]
        if domestic:
            names.append(domestic[0])  # innocuous: an answer means a DNS proxy answers all
        return [
            s.resolver.dns.submit(
                address,
                name,
                "A",
                role="injection_probe",
                resolver=f"probe {address}",
                expect_silence=True,
            )
            for address in injection.probe_addresses
            for name in dict.fromkeys(names)
        ]

    def doh(self) -> None:
        """The reference's answers for every service host, both families."""
        s = self.s
        futures = s.reference.ask([(h, q) for h in s.service_hosts() for q in ("A", "AAAA")])
        for future in futures:
            with contextlib.suppress(Exception):
                future.result(timeout=max(0.0, s.ctx.remaining()))

    # --------------------------------------------------- clock, portal, exit
    def clock(self) -> None:
        s = self.s
        candidates = [sv for sv in s.services if sv.domestic] or list(s.services)
        for service in candidates[:2]:
            url = service.urls[0]
            addresses, failure = self._control_first(url)
            record = clock_check(s.ctx, s.trust.unverified, url, addresses, failure)
            s.add(record)
            if record.skew_s is not None:
                return

    def captive(self, spec: CaptiveCheckSpec) -> None:
        s = self.s
        v4, v6, _ = s.resolver.resolve_both(urlsplit(spec.url).hostname or "")
        addresses, failure = self._control_first(spec.url)
        s.add(
            captive_check(
                s.ctx,
                spec.url,
                addresses,
                spec.expect_status,
                spec.expect_body,
                failure,
                resolved=v4 + v6,
            )
        )

    def exit(self, url: str) -> None:
        s = self.s
        addresses, failure = self._control_first(url)
        s.add(exit_check(s.ctx, s.http_trust.public, url, addresses, failure))

    def _control_first(self, url: str) -> tuple[tuple[str, ...], str | None]:
        """The addresses of ``url``'s host that connected, after the innocuous control
        to each (the GFW's residual blocking would otherwise spoil the control), or the
        failure when none did (no request is then sent: it would only wait out another
        timeout)."""
        s = self.s
        target = endpoint(url)
        v4, v6, failure = s.resolver.resolve_both(target.host)
        usable: list[str] = []
        for address in (v4 + v6)[:2]:
            tcp_failure = s.pairs.connect(address, target.port, target.tls)
            if tcp_failure is None:
                s.pairs.note_real_name(address, target.port, target.host)
                usable.append(address)
            else:
                failure = tcp_failure
        if not (v4 or v6):
            return (), failure
        return tuple(usable), failure or failures.NOT_RUN


__all__ = ["ContextChecks"]
