"""Runs a profile's whole plan concurrently, under per-operation timeouts and one deadline.

The plan (``engine/plan.py``) lists the checks; each runs as a flow on a shared worker
pool: the context checks (``context_checks.py``: network, DNS, DoH reference, clock,
captive portals, exit), every service (``service_flow.py``), the proxy
(``proxy_flow.py``) and the VPN servers (``vpn_flow.py``). The flows share one set of
services (``shared.py``): the record sink, the pool, the system resolver and the DoH
reference (each name asked once), and the per-address scheduler that runs the innocuous
control before any real name reaches an address (``pairs.py``).

At the deadline, or on cancel, every socket is shut, unfinished checks are recorded as
``Unfinished`` and the run returns at once without waiting for its workers.
"""

from __future__ import annotations

import contextlib
import platform
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from clearsight.engine.context_checks import ContextChecks
from clearsight.engine.events import ProgressCallback, ProgressEvent, RunResult
from clearsight.engine.lookups import SystemResolver
from clearsight.engine.pairs import PairProbes
from clearsight.engine.plan import PlannedCheck, planned_checks
from clearsight.engine.pool import WorkerPool
from clearsight.engine.proxy_flow import ProxyFlow
from clearsight.engine.reference import DohReference
from clearsight.engine.routes import EgressRoutes
from clearsight.engine.service_flow import MAX_CHAIN_REDIRECTS, ServiceFlow
from clearsight.engine.shared import Shared
from clearsight.engine.sink import ObservationSink
from clearsight.engine.vpn_flow import VpnFlow
from clearsight.probes import tls
from clearsight.probes.context import ProbeContext
from clearsight.probes.dns_udp import UdpDnsClient
from clearsight.probes.network_watch import NetworkWatch
from clearsight.probes.records import Observation, PlannedService, RunPlan, Unfinished
from clearsight.probes.system_dns import system_nameservers
from clearsight.profile.model import Profile

# Threads are created only as checks need them; most of them wait (on a blackholed
# connect, for the reference). The default profile on a censored network peaks at about
# two hundred; the cap only bounds a huge profile, whose extra work then queues behind
# the plan's order (controls and the clock first). Nothing waits on a queued task: work
# fans out through ``WorkerPool.map``, which runs what no thread took in the caller.
MAX_WORKERS = 256


class CheckRun:
    """One run of a profile. ``run()`` blocks; ``start()`` + ``wait()`` do not; ``cancel()``
    returns control within a second."""

    def __init__(
        self,
        profile: Profile,
        *,
        skip_sensitive: bool = False,
        on_event: ProgressCallback | None = None,
        max_workers: int = MAX_WORKERS,
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
        self._wakeup = threading.Event()  # a check finished, or cancel
        self._done_at: dict[str, float] = {}  # when each check finished (monotonic)
        self._cancelled_at = float("inf")
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
        self._cancelled_at = min(self._cancelled_at, time.monotonic())
        self._cancel_requested.set()
        self._wakeup.set()
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
        planned: dict[str, PlannedCheck] = {}
        pool = WorkerPool(self._max_workers)
        dns_client: UdpDnsClient | None = None
        watch: NetworkWatch | None = None
        shared: Shared | None = None
        try:
            # A Wi-Fi that drops mid-run makes everything after look blocked: notice it.
            watch = NetworkWatch(self._sink.add, start).start()
            dns_client = UdpDnsClient(ctx, self._sink.add)
            checks = planned_checks(
                self.profile, skip_sensitive=self._skip_sensitive, vpn_checks=self.vpn_checks
            )
            shared = self._shared(ctx, pool, dns_client)
            self._sink.add(_plan_record(shared))
            runners = _Runners(shared)
            runners.context.send_dns()  # before any check competes with it (see there)
            self._total = len(checks)
            for check in checks:
                planned[check.id] = check
                future = pool.submit(self._wrap(check, runners.runner(check)))
                future.add_done_callback(lambda _f, c=check.id: self._note_done(c))  # type: ignore[misc]
                pending[check.id] = future
            outcome = self._wait_all(ctx, pending)
        except Exception as exc:  # a bug must not lose the run: record and report
            self._sink.add(Unfinished(reason=f"internal_error:{type(exc).__name__}"))
            outcome = "cancelled" if ctx.cancelled else outcome
        finally:
            # A check that ended only because the deadline (or a cancel) cut its sockets was
            # unfinished at that moment.
            cutoff = min(ctx.deadline, self._cancelled_at)
            unfinished = [cid for cid in pending if not self._done_by(cid, cutoff)]
            if unfinished or outcome != "complete":
                reason = "cancelled" if self._cancel_requested.is_set() else "deadline"
                if unfinished:
                    outcome = reason
                    self._sink.add(
                        Unfinished(
                            reason=reason,
                            checks=tuple(planned[c].label for c in unfinished),
                            services=tuple(
                                s for c in unfinished if (s := planned[c].service) is not None
                            ),
                        )
                    )
                ctx.cancel()
            if dns_client is not None:
                dns_client.close()
            pool.close()
            if shared is not None:
                shared.reference.close()
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

    def _shared(self, ctx: ProbeContext, pool: WorkerPool, dns_client: UdpDnsClient) -> Shared:
        profile = self.profile
        trust = tls.TrustStores.build(profile.settings.ca_file)
        services = profile.services
        skipped: tuple[str, ...] = ()
        if self._skip_sensitive:
            skipped = tuple(s.id for s in services if s.sensitive)
            services = tuple(s for s in services if not s.sensitive)
        return Shared(
            profile=profile,
            services=services,
            skipped=skipped,
            ctx=ctx,
            sink=self._sink,
            pool=pool,
            resolver=SystemResolver(ctx, dns_client, system_nameservers(), self._sink),
            reference=DohReference(ctx, self._sink, trust.public, profile.doh),
            pairs=PairProbes(ctx, trust, self._sink),
            routes=EgressRoutes(ctx, self._sink, enabled=self.vpn_checks),
            trust=trust,
            http_trust=tls.TrustStores.build(profile.settings.ca_file),
            vpn_checks=self.vpn_checks,
        )

    def _wait_all(self, ctx: ProbeContext, pending: dict[str, Future[Any]]) -> str:
        while True:
            self._wakeup.clear()
            cutoff = min(ctx.deadline, self._cancelled_at)
            if all(self._done_by(cid, cutoff) for cid in pending):
                return "complete"
            if self._cancel_requested.is_set():
                return "cancelled"
            if ctx.remaining() <= 0:
                return "deadline"
            self._wakeup.wait(timeout=max(0.0, ctx.remaining()))

    def _note_done(self, check_id: str) -> None:
        self._done_at[check_id] = time.monotonic()
        self._wakeup.set()

    def _done_by(self, check_id: str, moment: float) -> bool:
        return self._done_at.get(check_id, float("inf")) < moment

    def _wrap(self, check: PlannedCheck, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            self._emit("started", check.id, check.label)
            try:
                fn()
            except Exception as exc:
                # A bug in one check must not vanish: the report says which check broke.
                self._sink.add(
                    Unfinished(
                        reason=f"internal_error:{type(exc).__name__}",
                        checks=(check.label,),
                        services=(check.service,) if check.service else (),
                    )
                )
            finally:
                self._emit("finished", check.id, check.label)

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


class _Runners:
    """Which flow runs each kind of planned check."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.context = ContextChecks(shared)
        self.service = ServiceFlow(shared)
        self.vpn = VpnFlow(shared)
        self.proxy = ProxyFlow(shared)
        self.services = {s.id: s for s in shared.services}

    def runner(self, check: PlannedCheck) -> Callable[[], None]:
        profile = self.shared.profile
        if check.kind == "service" and check.service is not None:
            service = self.services[check.service]
            return lambda: self.service.run(service)
        if check.kind == "captive" and check.index is not None:
            spec = profile.captive_checks[check.index]
            return lambda: self.context.captive(spec)
        if check.kind == "vpn" and check.index is not None:
            endpoint = profile.vpn.endpoints[check.index]
            return lambda: self.vpn.run(endpoint)
        if check.kind == "exit" and profile.exit_check is not None:
            url = profile.exit_check.url
            return lambda: self.context.exit(url)
        simple: dict[str, Callable[[], None]] = {
            "network": self.context.network,
            "dns": self.context.dns,
            "doh": self.context.doh,
            "clock": self.context.clock,
            "proxy": self.proxy.run,
        }
        return simple[check.kind]


def _plan_record(shared: Shared) -> RunPlan:
    p = shared.profile
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
            for s in shared.services
        ),
        skipped_services=shared.skipped,
        resolvers=tuple(f"{r.name}={r.address}" for r in p.resolvers),
        doh=tuple(d.url for d in p.doh),
        injection_probe_addresses=p.dns_injection.probe_addresses if p.dns_injection else (),
        ca_file=str(p.settings.ca_file) if p.settings.ca_file else None,
        vpn_expected=p.vpn.expected,
        platform=platform.system(),
        vpn_endpoints=tuple(e.name for e in p.vpn.endpoints) if shared.vpn_checks else (),
        redirect_limit=MAX_CHAIN_REDIRECTS,
    )


__all__ = ["CheckRun", "ObservationSink"]
