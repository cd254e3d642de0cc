"""One run of the checks, as the window sees it: progress, live results, the final report.

The engine calls ``on_event`` from its worker threads; ``CheckSession`` turns each call
into a queued signal, so everything else here runs on the GUI thread. While the run goes
on, the observations collected so far are diagnosed again off the GUI thread (at most one
diagnosis at a time, at most every ``LIVE_INTERVAL_MS``), and each result arrives as
``diagnosed``. When the engine says "done", the final report is built off the GUI thread
and arrives as ``ended``, kept in history (redacted) in that same background operation.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from clearsight.engine.events import ProgressCallback, ProgressEvent, RunResult
from clearsight.gui.background import run_in_background
from clearsight.probes.records import Observation

if TYPE_CHECKING:
    from clearsight.diagnosis import Diagnosis
    from clearsight.history.window import WindowHistory
    from clearsight.presentation.answer import Answer
    from clearsight.profile.model import Profile
    from clearsight.report.build import RunMeta

LIVE_INTERVAL_MS = 250
WATCHDOG_MS = 250
KEEP_DELAY_MS = 400  # after the answer is shown, the run is kept in history


class RunHandle(Protocol):
    """What the window needs of an engine run (``engine.run.CheckRun`` has it)."""

    def start(self) -> None: ...

    def wait(self, timeout: float | None = None) -> RunResult | None: ...

    def cancel(self) -> None: ...

    def snapshot(self) -> tuple[Observation, ...]: ...

    @property
    def finished(self) -> bool: ...


EngineFactory = Callable[["Profile", bool, ProgressCallback], RunHandle]


def real_engine(profile: Profile, skip_sensitive: bool, on_event: ProgressCallback) -> RunHandle:
    """The real engine (imported on first use: it is the heaviest import of the app)."""
    from clearsight.engine.run import CheckRun

    return CheckRun(profile, skip_sensitive=skip_sensitive, on_event=on_event)


@dataclass(frozen=True)
class ReportState:
    """A diagnosed set of observations and the report built from them."""

    report: dict[str, Any]
    observations: tuple[Observation, ...]
    meta: RunMeta
    language: str
    final: bool
    finished_checks: frozenset[str] = frozenset()
    opened_from: Path | None = None
    diagnosis: Diagnosis | None = None
    # The run kept in history: what changed, each service's recent results (None: not kept).
    history: WindowHistory | None = None
    # The answer composed from the report in ``language``, off the GUI thread with every
    # service's evidence and layer lines already worked out (the window only lays it out).
    answer: Answer | None = None


def build_state(
    observations: tuple[Observation, ...],
    meta: RunMeta,
    language: str,
    *,
    final: bool,
    finished_checks: frozenset[str] = frozenset(),
    opened_from: Path | None = None,
    diagnosis: Diagnosis | None = None,
) -> ReportState:
    """Diagnose and build the (unredacted) report. Runs off the GUI thread.

    A live state (``final=False``) is built often while checks run, on a thread that
    competes with the GUI thread for Python's lock: its report carries only the plan and
    network records, not every observation (half the work; the view needs no more). A
    final report carries them all, as a saved one must. *diagnosis*, when given, is
    theirs already (a saved report's: ``report.codec.diagnosis_from_report``).
    """
    from clearsight.diagnosis import diagnose
    from clearsight.probes.records import NetworkEnvironment, RunPlan
    from clearsight.report.build import build_report

    diagnosis = diagnosis or diagnose(observations)
    carried = (
        observations
        if final
        else tuple(o for o in observations if isinstance(o, RunPlan | NetworkEnvironment))
    )
    report = build_report(carried, meta, language=language, redact=False, diagnosis=diagnosis)
    return ReportState(
        report=report,
        observations=observations,
        meta=meta,
        language=language,
        final=final,
        finished_checks=finished_checks,
        opened_from=opened_from,
        diagnosis=diagnosis,
        answer=composed_answer(report, language, diagnosis),
    )


def composed_answer(
    report: dict[str, Any], language: str, diagnosis: Diagnosis | None = None
) -> Answer:
    """The answer of *report* (built from *diagnosis*, when given: not read back from the
    report), with each service's lazily worked-out lines filled in now: composing 55 rows
    with their evidence on the GUI thread held the window up for 40-80 ms per redraw while
    a run went on."""
    from clearsight.explanations import catalog
    from clearsight.presentation.answer import compose

    answer = compose(report, catalog(language), diagnosis)
    for service in answer.services:
        _ = service.evidence_text
    return answer


def rebuild_state(state: ReportState, language: str) -> ReportState:
    """The same result in another language (off the GUI thread)."""
    rebuilt = build_state(
        state.observations,
        state.meta,
        language,
        final=state.final,
        finished_checks=state.finished_checks,
        opened_from=state.opened_from,
        diagnosis=state.diagnosis,
    )
    return replace(rebuilt, history=state.history)


def keep_in_history(state: ReportState, *, consent_sensitive: bool) -> ReportState:
    """Record a finished run in history (redacted). Runs off the GUI thread: redaction and
    the database write never stall the window. A history problem is a notice, never an
    error: the run is shown whatever happens here.

    The state's diagnosis is that of its observations (``build_state``): redaction starts
    from it instead of diagnosing them all over again (it diagnoses the redacted
    observations only where a token changed them)."""
    try:
        from clearsight.history.window import keep_run
        from clearsight.report.build import build_report

        redacted = build_report(
            state.observations, state.meta, language=state.language, diagnosis=state.diagnosis
        )
        return replace(state, history=keep_run(redacted, consent_sensitive=consent_sensitive))
    except Exception:
        return state


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class CheckSession(QObject):
    """One run of the checks. Create, connect, ``start()``; ``cancel()`` at any time."""

    progressed = Signal(object)  # the latest ProgressEvent (events come in batches)
    diagnosed = Signal(object)  # ReportState (live, final=False)
    ended = Signal(object)  # ReportState (final=True)
    failed = Signal(str)  # the checks could not run at all
    history_kept = Signal(object)  # ReportState with its history, after ``ended``
    _events_arrived = Signal()  # from engine threads; queued to the GUI thread

    def __init__(
        self,
        engine: EngineFactory,
        profile: Profile,
        *,
        skip_sensitive: bool,
        language: str,
        combine: Callable[[tuple[Observation, ...]], tuple[Observation, ...]] | None = None,
        meta: RunMeta | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self.profile = profile
        self.skip_sensitive = skip_sensitive
        self.language = language
        self._combine = combine
        self._fixed_meta = meta
        self._run: RunHandle | None = None
        self.started_checks: dict[str, str] = {}  # check id -> label, in order
        self.finished_checks: set[str] = set()
        self.last_event: ProgressEvent | None = None
        self.cancelling = False
        self.has_ended = False
        self._ending = False
        self._keep = False  # keep the final report in history once it is shown
        self._kept_state: ReportState | None = None
        self._keeping = False  # from the final state shown until ``history_kept``
        self._dirty = False
        self._in_flight = False
        self._last_live = 0.0
        self._started_at = datetime.now(UTC)
        self._started_mono = time.monotonic()
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.timeout.connect(self._on_live_timer_timeout)
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(WATCHDOG_MS)
        self._watchdog.timeout.connect(self._on_watchdog_timeout)
        # Engines report in bursts (64 checks start at once): the events wait here and
        # the GUI thread takes them all at each wake-up, not one signal per event.
        self._inbox: deque[ProgressEvent] = deque()
        self._inbox_lock = threading.Lock()
        self._wake_pending = False
        self._events_arrived.connect(self._on_events_arrived)

    # -------------------------------------------------------------------- control
    def start(self) -> None:
        self._started_at = datetime.now(UTC)
        self._started_mono = time.monotonic()
        try:
            self._run = self._engine(self.profile, self.skip_sensitive, self._relay_event)
            self._run.start()
        except Exception as exc:  # the engine could not even start: say so
            self.has_ended = True
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self._watchdog.start()

    def cancel(self) -> None:
        if self._run is None or self.has_ended:
            return
        self.cancelling = True
        self._run.cancel()

    def set_language(self, language: str) -> None:
        """Texts in another language from the next diagnosis on (one is asked for now)."""
        self.language = language
        if not self._ending and self._run is not None:
            self._dirty = True
            self._schedule(immediately=True)

    @property
    def running(self) -> bool:
        return self._run is not None and not self.has_ended

    @property
    def keeping(self) -> bool:
        """The run has ended and is being kept in history: ``history_kept`` follows (the
        session must live until then, else the run is never kept)."""
        return self._keeping

    # ------------------------------------------------------------- engine events
    def _relay_event(self, event: ProgressEvent) -> None:
        """Called on engine worker threads: queue the event, wake the GUI thread once."""
        with self._inbox_lock:
            self._inbox.append(event)
            if self._wake_pending:
                return
            self._wake_pending = True
        with contextlib.suppress(RuntimeError):  # the session is gone: nothing to tell
            self._events_arrived.emit()

    @Slot()
    def _on_events_arrived(self) -> None:
        with self._inbox_lock:
            events = list(self._inbox)
            self._inbox.clear()
            self._wake_pending = False
        if self.has_ended or not events:
            return
        done = False
        for event in events:
            if event.kind == "started":
                self.started_checks.setdefault(event.check, event.label)
            elif event.kind == "finished":
                self.finished_checks.add(event.check)
                self._dirty = True
            elif event.kind == "done":
                done = True
        self.last_event = events[-1]
        if done:
            self._finish()
        else:
            self._schedule()
        self.progressed.emit(events[-1])

    @Slot()
    def _on_watchdog_timeout(self) -> None:
        # The "done" event is the normal way to learn the end; this covers an engine that
        # ended without it (a listener error swallowed by the engine).
        if self._run is not None and self._run.finished:
            self._finish()

    # ---------------------------------------------------------- live diagnosis
    def _schedule(self, immediately: bool = False) -> None:
        if self._in_flight or self._ending or not self._dirty:
            return
        wait_ms = (
            0 if immediately else LIVE_INTERVAL_MS - (time.monotonic() - self._last_live) * 1000
        )
        if wait_ms <= 0:
            self._live_timer.stop()
            self._diagnose_now()
        elif not self._live_timer.isActive():
            self._live_timer.start(int(wait_ms))

    @Slot()
    def _on_live_timer_timeout(self) -> None:
        self._schedule()

    def _meta(self, result: RunResult | None) -> RunMeta:
        from clearsight.report.build import RunMeta

        if self._fixed_meta is not None:
            if result is None:
                return self._fixed_meta
            return replace(self._fixed_meta, finished_at=_iso(result.finished_at))
        if result is None:
            return RunMeta(
                profile_name=self.profile.name,
                support_contact=self.profile.support_contact,
                started_at=_iso(self._started_at),
                finished_at="",
                duration_s=round(time.monotonic() - self._started_mono, 1),
                names=self.profile.names_by_language(),
                service_names=self.profile.service_names_by_language(),
            )
        return RunMeta(
            profile_name=self.profile.name,
            support_contact=self.profile.support_contact,
            started_at=_iso(result.started_at),
            finished_at=_iso(result.finished_at),
            duration_s=result.duration_s,
            outcome=result.outcome,
            names=self.profile.names_by_language(),
            service_names=self.profile.service_names_by_language(),
        )

    def _diagnose_now(self) -> None:
        run = self._run
        if run is None:
            return
        self._dirty = False
        self._in_flight = True
        self._last_live = time.monotonic()
        finished = frozenset(self.finished_checks)
        language = self.language
        combine = self._combine

        def op() -> ReportState:
            meta = self._meta(None)  # here: its import must not hold up the GUI thread
            observations = run.snapshot()
            if combine is not None:
                observations = combine(observations)
            return build_state(observations, meta, language, final=False, finished_checks=finished)

        run_in_background(op, self._on_live_state_built, self._on_live_state_failed, owner=self)

    def _on_live_state_built(self, state: ReportState) -> None:
        self._in_flight = False
        if self._ending:
            return
        self.diagnosed.emit(state)
        self._schedule()

    def _on_live_state_failed(self, error: BaseException) -> None:
        # A live diagnosis that fails is skipped; the final one will say what it can.
        self._in_flight = False
        self._schedule()

    # ------------------------------------------------------------------ the end
    def _finish(self) -> None:
        if self._ending or self._run is None:
            return
        self._ending = True
        self._watchdog.stop()
        self._live_timer.stop()
        run = self._run
        combine = self._combine
        finished = frozenset(self.finished_checks)

        def op() -> ReportState:
            result = run.wait()
            assert result is not None
            observations = result.observations
            if combine is not None:
                observations = combine(observations)
            state = build_state(
                observations,
                self._meta(result),
                self.language,
                final=True,
                finished_checks=finished,
            )
            self._keep = combine is None and result.outcome != "cancelled"
            return state

        run_in_background(op, self._on_final_state_built, self._on_final_state_failed, owner=self)

    def _on_final_state_built(self, state: ReportState) -> None:
        if state.language != self.language:  # switched while the report was being built
            run_in_background(
                lambda: rebuild_state(state, self.language),
                self._on_final_state_built,
                self._on_final_state_failed,
                owner=self,
            )
            return
        self.has_ended = True
        keep, self._keep = self._keep, False
        self._keeping = keep  # already while ``ended`` is handled (watch mode waits for it)
        self.ended.emit(state)
        if keep:
            # Kept in history once the answer is on screen and the window is idle, off the
            # GUI thread (redacting a report again is ~0.1 s of CPU on a 2-core machine the
            # window must not compete with while it lays the answer out): the strip of what
            # changed follows a moment later.
            self._kept_state = state
            QTimer.singleShot(KEEP_DELAY_MS, self, self._keep_now)

    @Slot()
    def _keep_now(self) -> None:
        state, self._kept_state = self._kept_state, None
        if state is None:
            self._keeping = False
            return
        consent = not self.skip_sensitive
        run_in_background(
            lambda: keep_in_history(state, consent_sensitive=consent),
            self._on_kept,
            None,
            owner=self,
        )

    def _on_kept(self, kept: ReportState) -> None:
        self._keeping = False
        self.history_kept.emit(kept)

    def _on_final_state_failed(self, error: BaseException) -> None:
        self.has_ended = True
        self.failed.emit(f"{type(error).__name__}: {error}")
