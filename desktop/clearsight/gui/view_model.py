"""What the window shows, as plain data: the overview card and the result rows.

Built from a report dict (``report/build.py``) and, during a run, which checks have
finished. No Qt here, so every rule of what is shown when is tested without a window.

During a run a service shows its verdict only once its own check and the checks its
verdict depends on (DNS, clock, login-page checks) have finished; until then it shows
"Waiting" or "Checking". Findings that only make sense for a whole run (offline, some
checks unfinished, foreign services blocked) wait for the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS
from clearsight.explanations import Catalog
from clearsight.presentation.answer import (
    SECTION_TITLES,
    SECTIONS,
    Answer,
    FindingLine,
    ServiceLine,
    compose,
    finding_evidence,
    finding_section,
)
from clearsight.presentation.summary import Action
from clearsight.presentation.tones import BAD, GOOD, INFO, WARN, verdict_tone

PENDING = "pending"
RUNNING = "running"
TONES = (GOOD, BAD, WARN, INFO, PENDING, RUNNING)

# Judgements about a whole run: shown only when it has ended.
END_OF_RUN_FINDINGS = frozenset(
    {
        "offline",
        "checks_unfinished",
        "selective_blocking",
        "residual_blocking_possible",
        "ipv6_broken",
        "doh_blocked",
        "exit_abroad",
    }
)


@dataclass(frozen=True)
class PlannedRow:
    """A service the run will check (known before any result)."""

    id: str
    name: str
    group: str
    domestic: bool = False


@dataclass(frozen=True)
class Row:
    key: str  # "service:<id>" | "finding:<code>:<n>" | "section:<name>"
    name: str
    tone: str
    badge: str
    summary: str  # the one line under the name
    explanation: str = ""
    advice: str = ""
    layers: str = ""  # how far the check got, in words
    evidence: str = ""  # technical details (addresses, timings, certificate, error names)
    note: str = ""  # e.g. "Local service, for comparison"
    service_id: str | None = None  # a service row that can be checked again
    expandable: bool = True
    compact: bool = False  # the summary fits beside the name ("Works normally")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Overview:
    tone: str
    badge: str
    headline: str
    detail: str = ""  # a line under the headline (what the profile checks, progress so far)
    advice: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # warnings about the result itself (stopped, incomplete)
    actions: tuple[Action, ...] = ()  # what to do, with ids (the window offers buttons)
    meta: str = ""  # report id, profile, when


@dataclass(frozen=True)
class RunProgress:
    """Where a run stands: what the view needs to know besides the report."""

    planned: tuple[PlannedRow, ...]
    started: frozenset[str] = frozenset()
    finished: frozenset[str] = frozenset()
    gating: frozenset[str] = frozenset()  # checks every verdict waits for
    skipped_sensitive: bool = False

    @property
    def gate_open(self) -> bool:
        return self.gating <= self.finished


@dataclass(frozen=True)
class View:
    overview: Overview
    sections: tuple[Section, ...] = field(default=())


def group_title(texts: Catalog, group: str) -> str:
    """A group of the built-in profile in the user's language; other groups as written."""
    return texts.group(group)


# --------------------------------------------------------------------------- overview
def idle_view(texts: Catalog, *, profile_name: str, deadline_s: float | None) -> View:
    seconds = round(deadline_s) if deadline_s else None
    return View(
        Overview(
            tone=INFO,
            badge=texts.ui("badge_ready"),
            headline=texts.ui("app_tagline"),
            detail=texts.ui("idle_hint", seconds=seconds),
            meta=texts.ui("profile_name", name=profile_name) if profile_name else "",
        )
    )


def build_view(
    texts: Catalog,
    report: Mapping[str, Any] | None,
    progress: RunProgress | None,
    *,
    opened_from: str | None = None,
    profile_name: str = "",
    answer: Answer | None = None,
) -> View:
    """The whole view: ``progress`` while a run goes on (None once it has ended or for an
    opened report), ``report`` the latest diagnosis (None before the first). ``answer``:
    the report's answer in ``texts``'s language, when it was composed already (off the
    GUI thread)."""
    running = progress is not None
    if answer is None and report:
        answer = compose(report, texts)
    services = {s.id: s for s in answer.services} if answer else {}
    findings = list(answer.findings) if answer else []
    status = answer.status if answer else ""
    if running:
        assert progress is not None
        overview = _running_overview(texts, progress, services, profile_name)
        if not progress.gate_open:
            findings = []
        findings = [f for f in findings if f.code not in END_OF_RUN_FINDINGS]
    else:
        overview = _final_overview(texts, report or {}, answer, opened_from)
    sections: list[Section] = []
    names = {sid: s.name for sid, s in services.items()}
    for key in SECTIONS:
        rows = [
            _finding_row(f, i, names) for i, f in enumerate(f for f in findings if f.section == key)
        ]
        if not rows:
            rows = [_empty_section_row(texts, key, running, status)]
        sections.append(Section(f"section:{key}", texts.ui(SECTION_TITLES[key]), tuple(rows)))
    if not running and answer is not None and not answer.show_services:
        return View(overview, tuple(sections))
    planned = progress.planned if progress is not None else _planned_from_report(report)
    groups: dict[str, list[Row]] = {}
    for item in planned:
        row = _service_row(texts, item, services.get(item.id), progress)
        groups.setdefault(item.group, []).append(row)
    for group, rows in groups.items():
        sections.append(Section(f"group:{group}", group_title(texts, group), tuple(rows)))
    return View(overview, tuple(sections))


def _planned_from_report(report: Mapping[str, Any] | None) -> tuple[PlannedRow, ...]:
    return tuple(
        PlannedRow(
            id=str(s.get("id")),
            name=str(s.get("name") or s.get("id")),
            group=str(s.get("group") or ""),
            domestic=bool(s.get("domestic")),
        )
        for s in (report or {}).get("services") or []
        if isinstance(s, dict) and isinstance(s.get("id"), str)
    )


def _running_overview(
    texts: Catalog,
    progress: RunProgress,
    services: Mapping[str, ServiceLine],
    profile_name: str,
) -> Overview:
    shown = [
        services[p.id]
        for p in progress.planned
        if p.id in services and _service_done(p.id, progress)
    ]
    working = sum(1 for s in shown if s.verdict in ("reachable", "slow"))
    blocked = sum(
        1 for s in shown if s.verdict in BLOCKING_VERDICTS and s.verdict != "tls_intercepted"
    )
    detail = ""
    if shown:
        detail = texts.ui(
            "so_far", working=working, blocked=blocked, other=len(shown) - working - blocked
        )
    notes = (texts.ui("sensitive_skipped"),) if progress.skipped_sensitive else ()
    return Overview(
        tone=RUNNING,
        badge=texts.ui("badge_running"),
        headline=texts.ui("running"),
        detail=detail,
        notes=notes,
        meta=texts.ui("profile_name", name=profile_name) if profile_name else "",
    )


def _final_overview(
    texts: Catalog,
    report: Mapping[str, Any],
    answer: Answer | None,
    opened_from: str | None,
) -> Overview:
    if answer is None:
        answer = compose({}, texts)
    notes: list[str] = []
    if opened_from:
        notes.append(texts.ui("opened_report", path=opened_from))
    outcome = str(report.get("outcome") or "complete")
    if outcome == "cancelled":
        notes.append(texts.ui("cancelled"))
    elif outcome == "deadline":
        notes.append(texts.ui("deadline_reached"))
    plan = next(
        (
            o
            for o in report.get("observations") or []
            if isinstance(o, dict) and o.get("kind") == "plan"
        ),
        None,
    )
    if plan and plan.get("skipped_services"):
        notes.append(texts.ui("sensitive_skipped"))
    profile = report.get("profile") or {}
    meta_parts = [texts.ui("report_id", id=report.get("report_id") or "")]
    if profile.get("name"):
        meta_parts.append(texts.ui("profile_name", name=profile.get("name")))
    if opened_from:
        meta_parts.append(texts.ui("checked_at", time=report.get("started_at") or ""))
    elif report.get("duration_s") is not None:
        meta_parts.append(texts.ui("duration", seconds=round(float(report["duration_s"]))))
    if profile.get("support_contact"):
        meta_parts.append(texts.ui("support_contact", contact=profile.get("support_contact")))
    return Overview(
        tone=answer.tone,
        badge=answer.badge,
        headline=answer.headline,
        advice=answer.advice,
        actions=answer.actions,
        notes=tuple(notes),
        meta=texts.ui("meta_separator").join(meta_parts),
    )


# --------------------------------------------------------------------------- rows
def _service_done(service_id: str, progress: RunProgress) -> bool:
    return f"service:{service_id}" in progress.finished and progress.gate_open


def _service_row(
    texts: Catalog,
    planned: PlannedRow,
    service: ServiceLine | None,
    progress: RunProgress | None,
) -> Row:
    key = f"service:{planned.id}"
    note = texts.ui("domestic_control") if planned.domestic else ""
    if progress is not None and (service is None or not _service_done(planned.id, progress)):
        if key in progress.started or key in progress.finished:
            return Row(
                key,
                planned.name,
                RUNNING,
                texts.ui("badge_checking"),
                texts.ui("row_checking"),
                note=note,
                expandable=False,
            )
        return Row(
            key,
            planned.name,
            PENDING,
            texts.ui("badge_waiting"),
            texts.ui("row_waiting"),
            note=note,
            expandable=False,
        )
    if service is None:  # a report without this service (should not happen)
        return Row(key, planned.name, PENDING, texts.ui("badge_waiting"), "", expandable=False)
    return Row(
        key=key,
        name=service.name or planned.name,
        tone=service.tone,
        badge=service.badge,
        summary=service.summary,
        explanation=service.explanation if service.summary != service.explanation else "",
        advice=service.advice or "",
        layers=service.layers_text,
        evidence=service.evidence_text,
        note=note,
        service_id=planned.id,
        compact=service.verdict == "reachable",
    )


def _finding_row(finding: FindingLine, index: int, names: Mapping[str, str]) -> Row:
    return Row(
        key=f"finding:{finding.code}:{index}",
        name=finding.title,
        tone=finding.tone,
        badge=finding.badge,
        summary=finding.explanation,
        advice=finding.advice,
        evidence=finding.evidence,
    )


def _empty_section_row(texts: Catalog, section: str, running: bool, status: str) -> Row:
    key = f"section:{section}"
    if running:
        return Row(
            key,
            texts.ui(f"section_{section}_checking"),
            RUNNING,
            texts.ui("badge_checking"),
            "",
            expandable=False,
        )
    if not status:
        return Row(key, texts.ui("no_findings"), PENDING, "", "", expandable=False)
    return Row(
        key,
        texts.ui(f"section_{section}_fine"),
        GOOD,
        texts.ui("badge_no_problems"),
        "",
        expandable=False,
    )


__all__ = [
    "BAD",
    "GOOD",
    "INFO",
    "PENDING",
    "RUNNING",
    "TONES",
    "WARN",
    "Overview",
    "PlannedRow",
    "Row",
    "RunProgress",
    "Section",
    "View",
    "build_view",
    "finding_evidence",
    "finding_section",
    "idle_view",
    "verdict_tone",
]
