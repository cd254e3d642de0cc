"""The ``history`` section a saved report may carry (the person chooses): each service's
recent results on this computer, so IT sees whether a block is new, comes and goes, or
has been there for weeks.

Only times and verdicts (no addresses, no names beyond the report's own service ids): the
section is as redacted as the report. Runs on the same profile and network as the report
(docs/design.md, "History").

``{"runs": N, "services": [{"id", "results": [{"started_at", "verdict"}] (oldest first),
"pattern", "blocked", "total", "since"}]}``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clearsight.history.store import HistoryError, HistoryStore, Run
from clearsight.history.timeline import TIMELINE_LENGTH, Point, pattern

MAX_SECTION_SERVICES = 200


def points_of(runs: Sequence[Run], service: str) -> list[Point]:
    """Newest first: the results of *service* in *runs* (newest first)."""
    return [Point(r.started_at, r.services[service]) for r in runs if service in r.services]


def section_from_runs(runs: Sequence[Run], services: Sequence[str]) -> dict[str, Any]:
    timelines = {s: points_of(runs, s)[:TIMELINE_LENGTH] for s in services[:MAX_SECTION_SERVICES]}
    return section_from_points(timelines, services, len(runs))


def section_from_points(
    timelines: Mapping[str, Sequence[Point]], services: Sequence[str], runs: int
) -> dict[str, Any]:
    """The section from each service's points (newest first)."""
    entries: list[dict[str, Any]] = []
    for service in services[:MAX_SECTION_SERVICES]:
        points = list(timelines.get(service, ()))[:TIMELINE_LENGTH]
        if not points:
            continue
        kind, blocked, total, since = pattern(points)
        entries.append(
            {
                "id": service,
                "results": [
                    {"started_at": p.started_at, "verdict": p.verdict} for p in reversed(points)
                ],
                "pattern": kind,
                "blocked": blocked,
                "total": total,
                "since": since,
            }
        )
    return {"runs": runs, "services": entries}


def report_services(report: Mapping[str, Any]) -> list[str]:
    return [
        str(s["id"])
        for s in report.get("services") or ()
        if isinstance(s, Mapping) and isinstance(s.get("id"), str)
    ]


def history_section(
    store: HistoryStore, report: Mapping[str, Any], run: Run | None = None
) -> dict[str, Any] | None:
    """The section for *report* (already recorded as *run*), or None when history cannot be
    read. The runs are those on the report's profile and network, up to the report."""
    try:
        if run is None:
            found = store.runs(1, report_id=str(report.get("report_id") or ""))
            run = found[0] if found else None
        if run is None:
            return None
        runs = store.runs(
            TIMELINE_LENGTH * 3,
            profile=run.profile,
            network=run.network,
            until=run.started_at,
        )
    except HistoryError:
        return None
    return section_from_runs(runs, report_services(report))
