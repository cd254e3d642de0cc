"""Runs a profile's whole plan concurrently, under per-operation timeouts and one deadline.

Each service is a chain DNS → TCP → TLS → HTTP; chains run side by side on a bounded
pool. Two things are shared across chains:

* ``PairProbes``: the TCP connect and the innocuous-name TLS handshake for each
  (address, port), run once, before any real-name handshake to that pair. The Great
  Firewall blocks a client/server/port for minutes after it sees a forbidden name, and
  Gmail, Drive and YouTube share addresses (docs/censorship.md, "TLS and TCP").
* the DNS client and the DoH answers, asked once per name.

At the deadline, or on cancel, every socket is shut, unfinished checks are recorded as
``Unfinished`` and the run returns at once without waiting for its workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import platform
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from clearsight.engine.events import ProgressCallback, ProgressEvent, RunResult
from clearsight.engine.pool import WorkerPool
from clearsight.probes import failures, tls
from clearsight.probes.captive import captive_check
from clearsight.probes.clock import clock_check
from clearsight.probes.context import ProbeContext
from clearsight.probes.dns_udp import PendingQuery, UdpDnsClient
from clearsight.probes.doh import doh_query
from clearsight.probes.exit_check import exit_check, exit_check_through_proxy
from clearsight.probes.http import fetch, fetch_bytes, fetch_through_proxy
from clearsight.probes.network_info import egress_route, interfaces, network_environment
from clearsight.probes.network_watch import NetworkWatch
from clearsight.probes.proxy_settings import (
    WPAD_DEFAULT_URL,
    proxy_for_url,
    read_proxy_settings,
)
from clearsight.probes.records import (
    DnsQuery,
    DohQuery,
    HttpFetch,
    NetworkInterface,
    Observation,
    PlannedService,
    ProxyConfig,
    ProxySource,
    RunPlan,
    TcpConnect,
    Unfinished,
    VpnEndpointProbe,
)
from clearsight.probes.system_dns import system_nameservers
from clearsight.probes.tcp import connect
from clearsight.probes.urls import endpoint
from clearsight.probes.vpn_endpoint import probe_endpoint
from clearsight.profile.model import Profile, Service, VpnEndpoint

MAX_ADDRESSES_PER_FAMILY = 8  # CDNs return many; measuring them all adds little time
MAX_REFERENCE_ADDRESSES = 2
INJECTION_LISTEN_S = 1.0  # longer than any round trip the injection probe must catch
SLOW_FETCH_MS = 2000.0
MAX_ENDPOINT_ADDRESSES = 2
# VPN protocols whose servers may say nothing: the host's TCP side is probed as evidence.
SILENT_PROTOCOLS = frozenset({"openvpn-udp", "wireguard", "ikev2"})
TCP_PROTOCOLS = frozenset({"openvpn-tcp", "tcp", "https"})
COMPANION_PORT = 443
PAC_MAX_BYTES = 256 * 1024


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _family(address: str) -> str:
    return "ipv6" if ":" in address else "ipv4"


class ObservationSink:
    """Collects records from every worker; closed at the end so stragglers are dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Observation] = []
        self._closed = False

    def add(self, record: Observation) -> None:
        with self._lock:
            if not self._closed:
                self._items.append(record)

    def close(self) -> tuple[Observation, ...]:
        with self._lock:
            self._closed = True
            return tuple(self._items)

    def snapshot(self) -> tuple[Observation, ...]:
        """The records collected so far (a copy; the run goes on adding)."""
        with self._lock:
            return tuple(self._items)


class PairProbes:
    """TCP connect plus the control handshake, once per (address, port), and the time of
    the last real-name handshake at each pair."""

    def __init__(self, ctx: ProbeContext, trust: tls.TrustStores, sink: ObservationSink) -> None:
        self._ctx = ctx
        self._trust = trust
        self._sink = sink
        self._lock = threading.Lock()
        self._pairs: dict[tuple[str, int, bool], Future[TcpConnect]] = {}
        self._real_names: dict[tuple[str, int], tuple[float, str]] = {}

    def connect(self, address: str, port: int, with_tls: bool) -> TcpConnect:
        """The pair's TCP result (after the control handshake, when ``with_tls``)."""
        key = (address, port, with_tls)
        with self._lock:
            future = self._pairs.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._pairs[key] = future
        if not owner:
            return future.result()
        try:
            record = self._probe(address, port, with_tls)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        future.set_result(record)
        return record

    def _probe(self, address: str, port: int, with_tls: bool) -> TcpConnect:
        record, sock = connect(self._ctx, address, port)
        self._sink.add(record)
        if record.failure == failures.TIMEOUT and not self._ctx.cancelled:
            # A single timeout is retried once: one lost SYN is not a block.
            record, sock = connect(self._ctx, address, port, attempt=2)
            self._sink.add(record)
        if sock is None:
            return record
        if with_tls:
            self._sink.add(tls.control_handshake(self._ctx, self._trust, address, port, sock))
        else:
            with contextlib.suppress(OSError):
                sock.close()
        return record

    def note_real_name(self, address: str, port: int, name: str) -> tuple[float | None, str | None]:
        """Record a real-name probe now; return the age and name of the previous one."""
        now = time.monotonic()
        with self._lock:
            previous = self._real_names.get((address, port))
            self._real_names[(address, port)] = (now, name)
        if previous is None:
            return None, None
        return round(now - previous[0], 3), previous[1]


class CheckRun:
    """One run of a profile. ``run()`` blocks; ``start()`` + ``wait()`` do not; ``cancel()``
    returns control within a second."""

    def __init__(
        self,
        profile: Profile,
        *,
        skip_sensitive: bool = False,
        on_event: ProgressCallback | None = None,
        max_workers: int = 64,
        vpn_checks: bool = True,
    ) -> None:
        self.profile = profile
        self._skip_sensitive = skip_sensitive
        # False only for benchmarks that measure what the VPN and proxy checks cost.
        self.vpn_checks = vpn_checks
        self._on_event = on_event
        self._max_workers = max_workers
        self._sink = ObservationSink()
        self._result: RunResult | None = None
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._ctx: ProbeContext | None = None
        self._cancel_requested = threading.Event()
        self._progress_lock = threading.Lock()
        self._done = 0
        self._total = 0

    # ----------------------------------------------------------------- control
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a run can only be started once")
        self._thread = threading.Thread(target=self._main, name="clearsight-run", daemon=True)
        self._thread.start()

    def run(self) -> RunResult:
        self.start()
        result = self.wait()
        assert result is not None
        return result

    def wait(self, timeout: float | None = None) -> RunResult | None:
        self._finished.wait(timeout)
        return self._result

    def cancel(self) -> None:
        self._cancel_requested.set()
        ctx = self._ctx
        if ctx is not None:
            ctx.cancel()

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def snapshot(self) -> tuple[Observation, ...]:
        """The observations collected so far, safe to call from any thread while the run goes
        on (the GUI diagnoses them to fill in results live). After the run: all of them."""
        if self._result is not None:
            return self._result.observations
        return self._sink.snapshot()

    # -------------------------------------------------------------- the run
    def _main(self) -> None:
        started_at = datetime.now(UTC)
        start = time.monotonic()
        settings = self.profile.settings
        ctx = ProbeContext(
            timeout_s=settings.timeout_s,
            deadline=start + settings.deadline_s,
            started=start,
        )
        self._ctx = ctx
        if self._cancel_requested.is_set():
            ctx.cancel()
        outcome = "complete"
        pending: dict[str, Future[Any]] = {}
        labels: dict[str, str] = {}
        pool = WorkerPool(self._max_workers)
        dns_client: UdpDnsClient | None = None
        watch: NetworkWatch | None = None
        try:
            # A Wi-Fi that drops mid-run makes everything after look blocked: notice it.
            watch = NetworkWatch(self._sink.add, start).start()
            trust = tls.TrustStores.build(settings.ca_file)
            http_trust = tls.TrustStores.build(settings.ca_file)
            dns_client = UdpDnsClient(ctx, self._sink.add)
            plan = _Plan(self, ctx, pool, dns_client, trust, http_trust)
            checks = plan.checks()
            self._total = len(checks)
            for check_id, label, fn in checks:
                labels[check_id] = label
                pending[check_id] = pool.submit(self._wrap(check_id, label, fn))
            outcome = self._wait_all(ctx, pending)
        except Exception as exc:  # a bug must not lose the run: record and report
            self._sink.add(Unfinished(reason=f"internal_error:{type(exc).__name__}"))
            outcome = "cancelled" if ctx.cancelled else outcome
        finally:
            unfinished = [cid for cid, fut in pending.items() if not fut.done()]
            if unfinished or outcome != "complete":
                reason = "cancelled" if self._cancel_requested.is_set() else "deadline"
                if unfinished:
                    outcome = reason
                    self._sink.add(
                        Unfinished(
                            reason=reason,
                            checks=tuple(labels[c] for c in unfinished),
                            services=tuple(
                                c.split(":", 1)[1] for c in unfinished if c.startswith("service:")
                            ),
                        )
                    )
                ctx.cancel()
            if dns_client is not None:
                dns_client.close()
            pool.close()
            if watch is not None:
                watch.stop()
            observations = self._sink.close()
            finished_at = datetime.now(UTC)
            self._result = RunResult(
                observations=observations,
                started_at=started_at,
                finished_at=finished_at,
                duration_s=round(time.monotonic() - start, 3),
                outcome=outcome,
            )
            self._emit("done", "run", "", final=True)
            self._finished.set()

    def _wait_all(self, ctx: ProbeContext, pending: dict[str, Future[Any]]) -> str:
        while True:
            if all(f.done() for f in pending.values()):
                return "complete"
            if self._cancel_requested.is_set():
                return "cancelled"
            if ctx.remaining() <= 0:
                return "deadline"
            self._cancel_requested.wait(timeout=min(0.05, max(0.0, ctx.remaining())))

    def _wrap(self, check_id: str, label: str, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            self._emit("started", check_id, label)
            try:
                fn()
            except Exception as exc:
                # A bug in one check must not vanish: the report says which check broke.
                service = check_id.split(":", 1)[1] if check_id.startswith("service:") else None
                self._sink.add(
                    Unfinished(
                        reason=f"internal_error:{type(exc).__name__}",
                        checks=(label,),
                        services=(service,) if service else (),
                    )
                )
            finally:
                self._emit("finished", check_id, label)

        return run

    def _emit(self, kind: str, check: str, label: str, *, final: bool = False) -> None:
        if self._on_event is None:
            return
        with self._progress_lock:
            if kind == "finished":
                self._done += 1
            event = ProgressEvent(kind, check, label, self._done, self._total)
        if self._finished.is_set() and not final:
            return
        with contextlib.suppress(Exception):  # a broken listener must not break the run
            self._on_event(event)

    def add(self, record: Observation) -> None:
        self._sink.add(record)

    @property
    def skip_sensitive(self) -> bool:
        return self._skip_sensitive


class _Plan:
    """The checks of one run and the shared lookups they use."""

    def __init__(
        self,
        run: CheckRun,
        ctx: ProbeContext,
        pool: WorkerPool,
        dns_client: UdpDnsClient,
        trust: tls.TrustStores,
        http_trust: tls.TrustStores,
    ) -> None:
        self.run = run
        self.profile = run.profile
        self.ctx = ctx
        self.pool = pool
        self.dns = dns_client
        self.trust = trust
        self.http_trust = http_trust
        self.pairs = PairProbes(ctx, trust, run._sink)
        self.nameservers = system_nameservers()
        self._lock = threading.Lock()
        self._routed: set[str] = set()
        self._interfaces: tuple[NetworkInterface, ...] | None = None
        self._system: dict[tuple[str, str], PendingQuery] = {}
        self._doh: dict[tuple[str, str], Future[DohQuery | None]] = {}
        self._doh_dead: set[tuple[str, str]] = set()
        services = self.profile.services
        if run.skip_sensitive:
            self.skipped = tuple(s.id for s in services if s.sensitive)
            services = tuple(s for s in services if not s.sensitive)
        else:
            self.skipped = ()
        self.services = services

    # ----------------------------------------------------------------- plan
    def checks(self) -> list[tuple[str, str, Callable[[], None]]]:
        self.run.add(self._plan_record())
        checks: list[tuple[str, str, Callable[[], None]]] = [
            ("network", "network", self._network),
            ("dns", "DNS", self._dns_checks),
        ]
        if self.profile.doh:
            checks.append(("doh", "DNS-over-HTTPS", self._doh_checks))
        checks.append(("clock", "clock", self._clock))
        for index, spec in enumerate(self.profile.captive_checks):
            checks.append(
                (f"captive:{index}", spec.url, lambda s=spec: self._captive(s))  # type: ignore[misc]
            )
        if self.profile.exit_check is not None:
            exit_url = self.profile.exit_check.url
            checks.append(("exit", exit_url, lambda: self._exit(exit_url)))
        if self.run.vpn_checks:
            checks.append(("proxy", "proxy", self._proxy))
            for index, endpoint in enumerate(self.profile.vpn.endpoints):
                checks.append(
                    (
                        f"vpn:{index}",
                        endpoint.name,
                        lambda e=endpoint: self._vpn_endpoint(e),  # type: ignore[misc]
                    )
                )
        for service in self.services:
            checks.append(
                (
                    f"service:{service.id}",
                    service.name,
                    lambda s=service: self._service(s),  # type: ignore[misc]
                )
            )
        return checks

    def _plan_record(self) -> RunPlan:
        p = self.profile
        return RunPlan(
            profile_name=p.name,
            country=p.country,
            timeout_s=p.settings.timeout_s,
            deadline_s=p.settings.deadline_s,
            services=tuple(
                PlannedService(
                    id=s.id,
                    name=s.name,
                    group=s.group,
                    urls=s.urls,
                    domestic=s.domestic,
                    sensitive=s.sensitive,
                    known_networks=s.known_networks,
                )
                for s in self.services
            ),
            skipped_services=self.skipped,
            resolvers=tuple(f"{r.name}={r.address}" for r in p.resolvers),
            doh=tuple(d.url for d in p.doh),
            injection_probe_addresses=p.dns_injection.probe_addresses if p.dns_injection else (),
            ca_file=str(p.settings.ca_file) if p.settings.ca_file else None,
            vpn_expected=p.vpn.expected,
            platform=platform.system(),
            vpn_endpoints=tuple(e.name for e in p.vpn.endpoints) if self.run.vpn_checks else (),
        )

    # ------------------------------------------------------------ lookups
    def system_query(self, name: str, qtype: str) -> PendingQuery | None:
        """The system resolver's query for ``name`` (asked once per run)."""
        key = (name, qtype)
        with self._lock:
            query = self._system.get(key)
            if query is not None:
                return query
            if not self.nameservers:
                self.run.add(
                    DnsQuery(
                        role="system",
                        resolver="system",
                        server="",
                        name=name,
                        qtype=qtype,
                        failure=failures.NO_RESOLVER,
                        started_s=self.ctx.elapsed_s(),
                    )
                )
                return None
            query = self.dns.submit(
                self.nameservers[0], name, qtype, role="system", resolver="system"
            )
            self._system[key] = query
            return query

    def resolve(self, name: str, qtype: str = "A") -> tuple[tuple[str, ...], str | None]:
        """The system resolver's first usable answer, as soon as it is known."""
        if _is_ip(name):
            return (
                (name,) if _family(name) == ("ipv6" if qtype == "AAAA" else "ipv4") else ()
            ), None
        query = self.system_query(name, qtype)
        if query is None:
            return (), failures.NO_RESOLVER
        return query.wait_first(timeout=max(0.0, self.ctx.remaining()))

    def resolve_both(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """(IPv4 addresses, IPv6 addresses, failure when neither family resolved)."""
        if not _is_ip(name):
            self.system_query(name, "A")
            self.system_query(name, "AAAA")
        v4, fail4 = self.resolve(name, "A")
        v6, fail6 = self.resolve(name, "AAAA")
        return v4, v6, (None if v4 or v6 else (fail4 or fail6))

    def doh_lookup(self, name: str, qtype: str) -> Future[DohQuery | None]:
        key = (name, qtype)
        with self._lock:
            future = self._doh.get(key)
            if future is None:
                future = self.pool.submit(lambda: self._doh_query(name, qtype))
                self._doh[key] = future
            return future

    def _doh_query(self, name: str, qtype: str) -> DohQuery | None:
        """Ask the DoH references in order, skipping one that already failed to connect."""
        last: DohQuery | None = None
        for resolver in self.profile.doh:
            for bootstrap in resolver.bootstrap:
                if (resolver.url, bootstrap) in self._doh_dead or self.ctx.cancelled:
                    continue
                record = doh_query(
                    self.ctx,
                    self.trust.public,
                    resolver.name,
                    resolver.url,
                    bootstrap,
                    name,
                    qtype,
                )
                self.run.add(record)
                last = record
                if record.failure in (
                    failures.TIMEOUT,
                    failures.CONNECTION_REFUSED,
                    failures.CONNECTION_RESET,
                    failures.HOST_UNREACHABLE,
                    failures.NETWORK_UNREACHABLE,
                    failures.EOF,
                    failures.TLS_CERT_UNTRUSTED,
                    failures.TLS_CERT_NAME_MISMATCH,
                ):
                    with self._lock:
                        self._doh_dead.add((resolver.url, bootstrap))
                    continue
                return record
        return last

    # -------------------------------------------------------------- checks
    def _network(self) -> None:
        targets: list[str] = [r.address for r in self.profile.resolvers]
        for d in self.profile.doh:
            targets.extend(d.bootstrap)
        if self.profile.dns_injection:
            targets.extend(self.profile.dns_injection.probe_addresses)
        environment = network_environment(tuple(targets))
        self.run.add(environment)
        if not self.run.vpn_checks:
            return
        with self._lock:
            self._interfaces = environment.interfaces
        # Which way the system resolvers are reached (a DNS leak goes around the VPN).
        # Only resolvers this run asks: a route lookup sends nothing, but the run must
        # not even name a target it has no business with.
        if self.nameservers and self._asks_system_resolver():
            for server in self.nameservers:
                self.route(server, "resolver")
        for address in [r.address for r in self.profile.resolvers] + [
            b for d in self.profile.doh for b in d.bootstrap
        ]:
            self.route(address, "reference")

    def _asks_system_resolver(self) -> bool:
        names = [*self._service_hosts()]
        names += [e.host for e in self.profile.vpn.endpoints if not _is_ip(e.host)]
        return bool(names)

    def route(self, address: str, purpose: str) -> None:
        """Record once which interface the OS would use to reach ``address``."""
        if not self.run.vpn_checks or not _is_ip(address):
            return
        with self._lock:
            if address in self._routed:
                return
            self._routed.add(address)
            found = self._interfaces
        if found is None:
            found = interfaces()
            with self._lock:
                self._interfaces = found
        self.run.add(egress_route(address, purpose, found, self.ctx.elapsed_s()))

    # ---------------------------------------------------------------- proxy
    def _proxy(self) -> None:
        started_s = self.ctx.elapsed_s()
        try:
            sources = read_proxy_settings()
            failure = None
        except Exception as exc:  # a reader bug must not lose the run
            sources, failure = (), f"internal_error:{type(exc).__name__}"
        active = sources[0] if sources else None
        pac: dict[str, Any] = {}
        if active is not None and active.mode in ("auto_config", "auto_detect"):
            pac = self._fetch_pac(active.pac_url or WPAD_DEFAULT_URL)
        self.run.add(ProxyConfig(sources=sources, failure=failure, started_s=started_s, **pac))
        if active is None or active.mode != "manual":
            return
        self._through_proxy(active)

    def _fetch_pac(self, url: str) -> dict[str, Any]:
        """Fetch the PAC file (direct, like the OS does) to tell whether it is there."""
        host = (urlsplit(url).hostname or "").lower()
        v4, v6, failure = self.resolve_both(host)
        addresses = v4 + v6
        if not addresses:
            return {"pac_url": url, "pac_failure": failure or failures.NO_ANSWER}
        context = self.http_trust.public if url.lower().startswith("https") else None
        response = fetch_bytes(
            self.ctx, url, addresses[0], ssl_context=context, max_body=PAC_MAX_BYTES
        )
        return {
            "pac_url": url,
            "pac_status": response.status,
            "pac_bytes": len(response.body),
            "pac_failure": response.failure,
        }

    def _through_proxy(self, source: ProxySource) -> None:
        """Every service's URLs through the proxy (the direct measurement stays direct)."""
        jobs: list[tuple[str, str]] = []
        for service in self.services:
            for url in service.urls:
                proxy = proxy_for_url(source, url)
                if proxy is not None:
                    jobs.append((url, proxy))
        if self.profile.exit_check is not None:
            exit_url = self.profile.exit_check.url
            exit_proxy = proxy_for_url(source, exit_url)
        else:
            exit_url, exit_proxy = "", None

        def job(item: tuple[str, str]) -> None:
            url, proxy = item
            if self.ctx.cancelled:
                return
            https = url.lower().startswith("https")
            context = self.http_trust.public if https else None
            result = fetch_through_proxy(self.ctx, url, proxy, ssl_context=context)
            self.run.add(result)
            if https and result.failure in CERTIFICATE_FAILURES:
                # Trusted through the OS store only: a company inspecting on purpose.
                self.run.add(
                    fetch_through_proxy(self.ctx, url, proxy, ssl_context=self.http_trust.system)
                )

        def exit_job() -> None:
            if exit_proxy is not None:
                self.run.add(
                    exit_check_through_proxy(self.ctx, self.http_trust.public, exit_url, exit_proxy)
                )

        self.pool.map(lambda f: f(), [lambda: self.pool.map(job, jobs), exit_job])

    # ------------------------------------------------------------ VPN servers
    def _vpn_endpoint(self, endpoint: VpnEndpoint) -> None:
        if _is_ip(endpoint.host):
            addresses: tuple[str, ...] = (endpoint.host,)
            failure = None
        else:
            v4, v6, failure = self.resolve_both(endpoint.host)
            addresses = v4[:MAX_ENDPOINT_ADDRESSES] + v6[:1]
        if not addresses:
            self.run.add(
                VpnEndpointProbe(
                    name=endpoint.name,
                    host=endpoint.host,
                    port=endpoint.port,
                    protocol=endpoint.protocol,
                    failure=failure or failures.NO_ANSWER,
                    detail="no_address",
                    started_s=self.ctx.elapsed_s(),
                )
            )
            return
        for address in addresses:
            self.route(address, "vpn_endpoint")
        # A TCP port of the same host answering (even "refused") shows the host is
        # reachable; every port timing out is what a blocked address looks like.
        companion = endpoint.protocol in SILENT_PROTOCOLS and not any(
            e.host == endpoint.host and e.protocol in TCP_PROTOCOLS
            for e in self.profile.vpn.endpoints
        )

        def probe(address: str) -> None:
            record = probe_endpoint(
                self.ctx, endpoint.name, endpoint.host, endpoint.port, endpoint.protocol, address
            )
            self.run.add(record)
            if (
                endpoint.protocol in TCP_PROTOCOLS
                and record.failure == failures.TIMEOUT
                and not record.tcp_connected
                and not self.ctx.cancelled
            ):
                # A single timeout is retried once: one lost SYN is not a block.
                self.run.add(
                    probe_endpoint(
                        self.ctx,
                        endpoint.name,
                        endpoint.host,
                        endpoint.port,
                        endpoint.protocol,
                        address,
                    )
                )

        def side(address: str) -> None:
            for _attempt in range(2):
                record = probe_endpoint(
                    self.ctx, endpoint.name, endpoint.host, COMPANION_PORT, "tcp", address
                )
                self.run.add(dataclasses.replace(record, companion=True))
                if record.failure != failures.TIMEOUT or self.ctx.cancelled:
                    return

        work: list[Callable[[], None]] = [lambda a=a: probe(a) for a in addresses]  # type: ignore[misc]
        if companion:
            work.append(lambda: side(addresses[0]))
        self.pool.map(lambda f: f(), work)

    def _service_hosts(self) -> list[str]:
        hosts: dict[str, None] = {}
        for service in self.services:
            for host in service.hosts:
                if not _is_ip(host):
                    hosts.setdefault(host, None)
        return list(hosts)

    def _dns_checks(self) -> None:
        hosts = self._service_hosts()
        queries: list[PendingQuery] = []
        for host in hosts:
            for qtype in ("A", "AAAA"):
                query = self.system_query(host, qtype)
                if query is not None:
                    queries.append(query)
        # A name that cannot exist: an answer means the resolver rewrites NXDOMAIN.
        if self.nameservers and hosts:
            tld = hosts[0].rsplit(".", 1)[-1]
            bogus = f"nx-{secrets.token_hex(8)}.{tld}"
            queries.append(
                self.dns.submit(
                    self.nameservers[0], bogus, "A", role="nxdomain_probe", resolver="system"
                )
            )
        for resolver in self.profile.resolvers:
            for host in hosts:
                queries.append(
                    self.dns.submit(
                        resolver.address, host, "A", role="resolver", resolver=resolver.name
                    )
                )
        injection = self.profile.dns_injection
        if injection is not None and injection.probe_addresses:
            skipped_hosts = {
                h for s in self.profile.services if s.id in self.skipped for h in s.hosts
            }
            names = [n for n in self.profile.injection_names if n not in skipped_hosts]
            domestic = [h for s in self.services if s.domestic for h in s.hosts if not _is_ip(h)]
            if domestic:
                names.append(domestic[0])  # innocuous: an answer means a DNS proxy answers all
            for address in injection.probe_addresses:
                for name in dict.fromkeys(names):
                    queries.append(
                        self.dns.submit(
                            address,
                            name,
                            "A",
                            role="injection_probe",
                            resolver=f"probe {address}",
                            listen_s=INJECTION_LISTEN_S,
                        )
                    )
        for query in queries:
            while not query.finished.wait(0.1):
                if self.ctx.cancelled or self.ctx.remaining() <= 0:
                    return

    def _doh_checks(self) -> None:
        items = [(host, qtype) for host in self._service_hosts() for qtype in ("A", "AAAA")]
        futures = [self.doh_lookup(host, qtype) for host, qtype in items]
        for future in futures:
            with contextlib.suppress(Exception):
                future.result(timeout=max(0.0, self.ctx.remaining()))

    def _control_first(self, url: str, addresses: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        """Run the innocuous control to the pair before a real-name request (the GFW's
        residual blocking would otherwise spoil the control). Returns the addresses that
        connected and, when none did, the connect failure (no request is then sent: it
        would only wait out another timeout)."""
        target = endpoint(url)
        usable: list[str] = []
        failure = failures.NOT_RUN
        for address in addresses[:2]:
            tcp = self.pairs.connect(address, target.port, target.tls)
            if tcp.failure is None:
                self.pairs.note_real_name(address, target.port, target.host)
                usable.append(address)
            else:
                failure = tcp.failure
        return tuple(usable), failure

    def _clock(self) -> None:
        candidates = [s for s in self.services if s.domestic] or list(self.services)
        for service in candidates[:2]:
            url = service.urls[0]
            host = urlsplit(url).hostname or ""
            v4, v6, failure = self.resolve_both(host)
            addresses: tuple[str, ...] = ()
            if v4 or v6:
                addresses, failure = self._control_first(url, v4 + v6)
            record = clock_check(self.ctx, self.trust.unverified, url, addresses, failure)
            self.run.add(record)
            if record.skew_s is not None:
                return

    def _captive(self, spec: Any) -> None:
        host = urlsplit(spec.url).hostname or ""
        v4, v6, failure = self.resolve_both(host)
        addresses: tuple[str, ...] = ()
        if v4 or v6:
            addresses, failure = self._control_first(spec.url, v4 + v6)
        self.run.add(
            captive_check(
                self.ctx,
                spec.url,
                addresses,
                spec.expect_status,
                spec.expect_body,
                failure,
                resolved=v4 + v6,
            )
        )

    def _exit(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        v4, v6, failure = self.resolve_both(host)
        addresses: tuple[str, ...] = ()
        if v4 or v6:
            addresses, failure = self._control_first(url, v4 + v6)
        self.run.add(exit_check(self.ctx, self.http_trust.public, url, addresses, failure))

    # ------------------------------------------------------------ services
    def _service(self, service: Service) -> None:
        purpose = "domestic" if service.domestic else "foreign"
        self.pool.map(lambda u: self._service_url(u, purpose), list(service.urls))

    def _service_url(self, url: str, purpose: str = "foreign") -> None:
        target = endpoint(url)
        host, port, with_tls = target.host, target.port, target.tls
        if not _is_ip(host) and self.profile.doh:
            self.doh_lookup(host, "A")
            self.doh_lookup(host, "AAAA")
        v4, v6, _failure = self.resolve_both(host)
        probed = list(v4[:MAX_ADDRESSES_PER_FAMILY]) + list(v6[:MAX_ADDRESSES_PER_FAMILY])
        for address in probed:
            self.route(address, purpose)
        fetched: set[str] = set()
        fetch_lock = threading.Lock()

        def probe(address: str) -> None:
            self._probe_address(url, host, address, port, with_tls, fetched, fetch_lock)

        def local_part() -> None:
            self.pool.map(probe, probed)

        def reference_part() -> None:
            # The reference's addresses, where they differ from the local answer: do they
            # present a valid certificate for the name? (docs/design.md, the DNS rules.) Probed
            # alongside the local ones, so a blackholed local answer costs no extra time.
            if _is_ip(host) or not self.profile.doh:
                return
            extra: list[str] = []
            for qtype in ("A", "AAAA"):
                try:
                    record = self.doh_lookup(host, qtype).result(
                        timeout=max(0.0, self.ctx.remaining())
                    )
                except Exception:
                    continue
                if record is None or record.failure is not None:
                    continue
                extra.extend(
                    a for a in record.addresses[:MAX_REFERENCE_ADDRESSES] if a not in probed
                )
            if extra:
                self.pool.map(
                    lambda a: self._probe_address(url, host, a, port, with_tls, None, fetch_lock),
                    extra,
                )

        self.pool.map(lambda part: part(), [local_part, reference_part])

    def _probe_address(
        self,
        url: str,
        host: str,
        address: str,
        port: int,
        with_tls: bool,
        fetched: set[str] | None,
        fetch_lock: threading.Lock,
    ) -> None:
        if self.ctx.cancelled:
            return
        tcp = self.pairs.connect(address, port, with_tls)
        if tcp.failure is not None:
            return
        context = None
        if with_tls:
            since, previous = self.pairs.note_real_name(address, port, host)
            handshake = tls.real_name_handshake(
                self.ctx,
                self.trust,
                address,
                port,
                host,
                since_real_name_probe_s=since,
                previous_real_name=previous,
            )
            self.run.add(handshake)
            if handshake.verify == "ok":
                context = self.http_trust.public
            elif handshake.os_verify == "ok":
                context = self.http_trust.system
            else:
                return
        if fetched is None:
            return  # reference addresses: the handshake is the evidence needed
        family = _family(address)
        with fetch_lock:
            if family in fetched:
                return  # one request per family is enough to judge the web layer
            fetched.add(family)
        result = fetch(self.ctx, url, address, ssl_context=context)
        self.run.add(result)
        if with_tls and (_looks_throttled(result) or _unanswered(result)):
            # Same address, an innocuous name: a fast transfer (or any answer) here means the
            # service's name is being throttled (or stonewalled), not the server being slow.
            self.run.add(
                fetch(
                    self.ctx,
                    url,
                    address,
                    ssl_context=self.http_trust.unverified,
                    server_name=tls.CONTROL_SERVER_NAME,
                    control=True,
                )
            )


CERTIFICATE_FAILURES = frozenset(
    {
        failures.TLS_CERT_UNTRUSTED,
        failures.TLS_CERT_NAME_MISMATCH,
        failures.TLS_CERT_EXPIRED,
        failures.TLS_CERT_NOT_YET_VALID,
    }
)


def _unanswered(result: HttpFetch) -> bool:
    """The request over a good secure connection got no answer at all."""
    return result.status is None and result.failure in failures.UNANSWERED


def _looks_throttled(result: HttpFetch) -> bool:
    if result.stalled:
        return True
    return (
        result.failure is None
        and result.elapsed_ms is not None
        and result.elapsed_ms > SLOW_FETCH_MS
        and result.body_bytes > 0
    )


__all__ = ["CheckRun", "ObservationSink", "PairProbes"]
