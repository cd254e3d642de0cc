"""A recorded engine: replays the observations of a run the way ``CheckRun`` delivers them.

It has CheckRun's surface (``start``/``wait``/``cancel``/``snapshot``/``finished``, the
``on_event`` callback called from a worker thread), so the window cannot tell it from the
real engine, and it never touches the network. Each observation is assigned to the check
that would have recorded it (a service's DNS answers, connections and requests to its
``service:<id>`` check; resolvers and injection probes to ``dns``; ...) and appears in
the snapshot when that check finishes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from clearsight.engine.events import ProgressCallback, ProgressEvent, RunResult
from clearsight.probes.records import (
    CaptiveCheck,
    ClockCheck,
    DnsQuery,
    DohQuery,
    ExitCheck,
    HttpFetch,
    NetworkEnvironment,
    Observation,
    RunPlan,
    TcpConnect,
    TlsHandshake,
    Unfinished,
)
from clearsight.profile.model import Profile


class RecordedRun:
    """Replays ``observations``, finishing one check every ``step_s`` seconds
    (``duration_s``: the run's duration to report instead of the replay's).

    ``hold_after``: stop after that many checks have finished until ``release()`` (for a
    screenshot or a test that needs the run caught in the middle).
    """

    def __init__(
        self,
        observations: Sequence[Observation],
        *,
        skip_sensitive: bool = False,
        on_event: ProgressCallback | None = None,
        step_s: float = 0.02,
        hold_after: int | None = None,
        duration_s: float | None = None,
    ) -> None:
        self._on_event = on_event
        self._duration_s = duration_s
        self._step_s = step_s
        self._hold_after = hold_after
        self._released = threading.Event()
        self._cancelled = threading.Event()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._added: list[Observation] = []
        self._result: RunResult | None = None
        self._thread: threading.Thread | None = None
        self.started_checks: list[str] = []
        self._checks = _assign(list(observations), skip_sensitive)

    # ------------------------------------------------------------- CheckRun's surface
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a run can only be started once")
        self._thread = threading.Thread(target=self._replay, name="recorded-run", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        self._finished.wait(timeout)
        return self._result

    def cancel(self) -> None:
        self._cancelled.set()
        self._released.set()

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def snapshot(self) -> tuple[Observation, ...]:
        with self._lock:
            return tuple(self._added)

    # ------------------------------------------------------------------- extras
    def release(self) -> None:
        """Let a run held by ``hold_after`` go on."""
        self._released.set()

    @property
    def check_ids(self) -> list[str]:
        return [check for check, _label, _records in self._checks]

    # ------------------------------------------------------------------- replay
    def _replay(self) -> None:
        started_at = datetime.now(UTC)
        start = time.monotonic()
        total = len(self._checks) - 1  # the plan is not a check
        plan_records = self._checks[0][2]
        self._add(plan_records)
        for check, label, _ in self._checks[1:]:
            self.started_checks.append(check)
            self._emit(ProgressEvent("started", check, label, 0, total))
        done = 0
        unfinished: list[tuple[str, str]] = []
        outcome = "complete"
        for check, label, records in self._checks[1:]:
            if self._hold_after is not None and done >= self._hold_after:
                self._released.wait()
            if self._cancelled.is_set() or self._cancelled.wait(self._step_s):
                unfinished.append((check, label))
                outcome = "cancelled"
                continue
            self._add(records)
            done += 1
            self._emit(ProgressEvent("finished", check, label, done, total))
        if unfinished:
            self._add(
                [
                    Unfinished(
                        reason="cancelled",
                        checks=tuple(label for _, label in unfinished),
                        services=tuple(
                            c.split(":", 1)[1] for c, _ in unfinished if c.startswith("service:")
                        ),
                    )
                ]
            )
        with self._lock:
            observations = tuple(self._added)
        self._result = RunResult(
            observations=observations,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            duration_s=self._duration_s or round(time.monotonic() - start, 3),
            outcome=outcome,
        )
        self._emit(ProgressEvent("done", "run", "", done, total))
        self._finished.set()

    def _add(self, records: Sequence[Observation]) -> None:
        with self._lock:
            self._added.extend(records)

    def _emit(self, event: ProgressEvent) -> None:
        if self._on_event is not None:
            # Like CheckRun: a broken listener must not break the run.
            with contextlib.suppress(Exception):
                self._on_event(event)


def _assign(
    observations: list[Observation], skip_sensitive: bool
) -> list[tuple[str, str, list[Observation]]]:
    """[(check id, label, records)], the plan first, then the checks in the order the
    engine lists them."""
    plan = next((o for o in observations if isinstance(o, RunPlan)), None)
    if plan is None:
        raise ValueError("a recorded run needs the run's plan among its observations")
    services = list(plan.services)
    skipped_hosts: set[str] = set()
    if skip_sensitive:
        kept = [s for s in services if not s.sensitive]
        skipped = [s for s in services if s.sensitive]
        skipped_hosts = {_host(u) for s in skipped for u in s.urls}
        plan = replace(
            plan,
            services=tuple(kept),
            skipped_services=(*plan.skipped_services, *(s.id for s in skipped)),
        )
        services = kept
    host_owner = {_host(u): s.id for s in services for u in s.urls}
    address_owner: dict[str, str] = {}
    for record in observations:
        if isinstance(record, DnsQuery | DohQuery) and record.name.lower() in host_owner:
            for address in record.addresses:
                address_owner.setdefault(address, host_owner[record.name.lower()])
    checks: dict[str, list[Observation]] = {"network": [], "dns": [], "doh": [], "clock": []}
    captive_index = 0
    for record in observations:
        owner: str | None = None
        if isinstance(record, RunPlan | Unfinished):
            continue
        if isinstance(record, NetworkEnvironment):
            owner = "network"
        elif isinstance(record, DnsQuery):
            name = record.name.lower()
            if name in skipped_hosts:
                continue
            if record.role == "system" and name in host_owner:
                owner = f"service:{host_owner[name]}"
            else:
                owner = "dns"
        elif isinstance(record, DohQuery):
            if record.name.lower() in skipped_hosts:
                continue
            owner = "doh"
        elif isinstance(record, TlsHandshake) and not record.control:
            if record.server_name.lower() in skipped_hosts:
                continue
            service = host_owner.get(record.server_name.lower()) or address_owner.get(
                record.address
            )
            owner = f"service:{service}" if service else "dns"
        elif isinstance(record, TcpConnect | TlsHandshake):
            service = address_owner.get(record.address)
            if service is None:
                continue  # a skipped service's address
            owner = f"service:{service}"
        elif isinstance(record, HttpFetch):
            if record.host.lower() in skipped_hosts:
                continue
            service = host_owner.get(record.host.lower())
            owner = f"service:{service}" if service else "dns"
        elif isinstance(record, ClockCheck):
            owner = "clock"
        elif isinstance(record, CaptiveCheck):
            owner = f"captive:{captive_index}"
            captive_index += 1
        elif isinstance(record, ExitCheck):
            owner = "exit"
        if owner is not None:
            checks.setdefault(owner, []).append(record)
    names = {s.id: s.name for s in services}
    ordered: list[tuple[str, str, list[Observation]]] = [("plan", "plan", [plan])]
    labels = {"network": "network", "dns": "DNS", "doh": "DNS-over-HTTPS", "clock": "clock"}
    for check in ("network", "dns", "doh", "clock"):
        if check != "doh" or checks["doh"]:
            ordered.append((check, labels[check], checks[check]))
    for check in sorted(c for c in checks if c.startswith("captive:")):
        records = checks[check]
        url = records[0].url if isinstance(records[0], CaptiveCheck) else check
        ordered.append((check, url, records))
    if "exit" in checks:
        ordered.append(("exit", "exit", checks["exit"]))
    for service in services:
        check = f"service:{service.id}"
        ordered.append((check, names[service.id], checks.get(check, [])))
    return ordered


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def recorded_engine(
    observations: Sequence[Observation],
    *,
    step_s: float = 0.02,
    hold_after: int | None = None,
    duration_s: float | None = None,
    runs: list[RecordedRun] | None = None,
) -> Callable[[Profile, bool, ProgressCallback], RecordedRun]:
    """An engine factory for the window: every run replays ``observations`` (whatever
    profile it is given). Each run created is appended to ``runs`` when given."""

    def factory(profile: Profile, skip_sensitive: bool, on_event: ProgressCallback) -> RecordedRun:
        run = RecordedRun(
            observations,
            skip_sensitive=skip_sensitive,
            on_event=on_event,
            step_s=step_s,
            hold_after=hold_after,
            duration_s=duration_s,
        )
        if runs is not None:
            runs.append(run)
        return run

    return factory
