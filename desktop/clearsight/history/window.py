"""What the window shows of history, computed off the GUI thread (no Qt here).

:func:`keep_run` runs in the run's background operation (gui/session.py): it redacts and
records the finished report, then reads the recent results of each service on the same
profile and network. The window only formats the result (:class:`WindowHistory`), so the
GUI thread never touches the database or redaction, and opening the window reads nothing.

Watch mode reads the same result (``WindowHistory.result``): what changed since the last
run kept on this profile and network is what it tells. While history is off or paused,
the result still names the run's network (``RecordResult.network``), so watch mode can
compare in memory by the same network id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clearsight.history.network import known_salt, network_of
from clearsight.history.section import points_of
from clearsight.history.settings import load_settings
from clearsight.history.store import (
    HistoryError,
    HistoryUnavailable,
    Notice,
    RecordResult,
    open_history,
)
from clearsight.history.texts import notice_text, strip_text
from clearsight.history.timeline import TIMELINE_LENGTH, Point, phrase

#: Runs read back for the timelines (a service may be missing from some of them).
TIMELINE_RUNS = TIMELINE_LENGTH * 3


@dataclass(frozen=True)
class WindowHistory:
    """The outcome of keeping one run, ready for the window to word in any language."""

    result: RecordResult
    timelines: Mapping[str, tuple[Point, ...]] = field(default_factory=dict)  # newest first
    notices: tuple[Notice, ...] = ()

    def strip(self, language: str, now: datetime | None = None) -> str | None:
        """ "Since your last check (yesterday 18:02): Gmail is now blocked; …" or None."""
        run = self.result.run
        if not self.result.saved or run is None:
            return None
        names = {s: run.name(s, language) for s in run.services}
        return strip_text(self.result.changes, self.result.previous, names, language, now)

    def notice_lines(self, language: str) -> list[str]:
        return [notice_text(n, language) for n in self.notices if n.code != "off"]

    def section(self, report: Mapping[str, Any]) -> dict[str, Any] | None:
        """The ``history`` section for a saved copy of *report* (the save dialog's choice)."""
        from clearsight.history.section import report_services, section_from_points

        if not self.result.saved or not self.timelines:
            return None
        runs = max((len(p) for p in self.timelines.values()), default=0)
        return section_from_points(self.timelines, report_services(report), runs)

    def points(self, service: str) -> tuple[Point, ...]:
        return self.timelines.get(service, ())

    def phrase(self, service: str, language: str, now: datetime | None = None) -> str | None:
        """The timeline's phrase; None when there is nothing to compare yet."""
        points = self.points(service)
        return phrase(points, language, now) if len(points) > 1 else None


def keep_run(report: Mapping[str, Any], *, consent_sensitive: bool) -> WindowHistory:
    """Record a finished run and read its services' timelines; never raises."""
    settings = load_settings()
    notices: list[Notice] = []
    if settings.problem:
        notices.append(Notice("settings", settings.problem))
    store = open_history(settings)
    if isinstance(store, HistoryUnavailable):
        network = None
        if report.get("outcome") != "cancelled":
            network = network_of(report, known_salt(store.folder or settings.data_dir))
        return WindowHistory(
            RecordResult(saved=False, notice=store.notice, network=network),
            {},
            (*notices, store.notice),
        )
    if store.opened_notice is not None:
        notices.append(store.opened_notice)
    result = store.record(report, consent_sensitive=consent_sensitive)
    if result.notice is not None:
        notices.append(result.notice)
    timelines: dict[str, tuple[Point, ...]] = {}
    if result.saved and result.run is not None:
        try:
            runs = store.runs(
                TIMELINE_RUNS,
                profile=result.run.profile,
                network=result.run.network,
                until=result.run.started_at,
            )
        except HistoryError as exc:
            notices.append(exc.notice)
            runs = []
        for service in result.run.services:
            timelines[service] = tuple(points_of(runs, service)[:TIMELINE_LENGTH])
    return WindowHistory(result, timelines, tuple(notices))
