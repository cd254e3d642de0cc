"""What the window shows, as plain data: the overview card and the result rows.

Built from a report dict (``report/build.py``) and, during a run, which checks have
finished. No Qt here, so every rule of what is shown when is tested without a window.

During a run a service shows its verdict only once its own check and the checks its
verdict depends on (DNS, clock, login-page checks) have finished; until then it shows
"Waiting" or "Checking". Findings that only make sense for a whole run (offline, some
checks unfinished, foreign services blocked) wait for the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS
from clearsight.explanations import Catalog
from clearsight.explanations.evidence import evidence_rows, finding_rows, label

GOOD = "good"
BAD = "bad"
WARN = "warn"
INFO = "info"
PENDING = "pending"
RUNNING = "running"
TONES = (GOOD, BAD, WARN, INFO, PENDING, RUNNING)

DNS_PREFIXES = ("dns_", "doh_")
VPN_PREFIXES = ("vpn_", "proxy_", "exit_")
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

_SEVERITY_TONE = {"problem": BAD, "warning": WARN, "info": INFO}
_STATUS_TONE = {
    "ok": GOOD,
    "blocked": BAD,
    "offline": BAD,
    "degraded": WARN,
    "captive_portal": WARN,
    "inconclusive": WARN,
}
# The sentence the headline adds about the VPN, by finding code.
_VPN_SENTENCE = {
    "vpn_not_active": "headline_vpn_off",
    "vpn_expected_missing": "headline_vpn_off",
    "vpn_not_passing_traffic": "headline_vpn_broken",
    "vpn_active": "headline_vpn_on",
}


def verdict_tone(verdict: str) -> str:
    if verdict == "reachable":
        return GOOD
    if verdict in BLOCKING_VERDICTS:
        return BAD
    return WARN


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


def finding_section(code: str) -> str:
    if code.startswith(DNS_PREFIXES):
        return "dns"
    if code.startswith(VPN_PREFIXES):
        return "vpn"
    return "connection"


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
) -> View:
    """The whole view: ``progress`` while a run goes on (None once it has ended or for an
    opened report), ``report`` the latest diagnosis (None before the first)."""
    running = progress is not None
    services = _services_by_id(report)
    findings = [f for f in (report or {}).get("findings") or [] if isinstance(f, dict)]
    status = str(((report or {}).get("summary") or {}).get("status") or "")
    if running:
        assert progress is not None
        overview = _running_overview(texts, progress, services, profile_name)
        if not progress.gate_open:
            findings = []
        findings = [f for f in findings if f.get("code") not in END_OF_RUN_FINDINGS]
    else:
        overview = _final_overview(texts, report or {}, findings, opened_from)
    sections: list[Section] = []
    by_section: dict[str, list[dict[str, Any]]] = {"connection": [], "dns": [], "vpn": []}
    for finding in findings:
        by_section[finding_section(str(finding.get("code") or ""))].append(finding)
    titles = {
        "connection": texts.ui("section_connection"),
        "dns": texts.ui("section_dns"),
        "vpn": texts.ui("section_vpn_proxy"),
    }
    for key in ("connection", "dns", "vpn"):
        names = {sid: str(s.get("name") or sid) for sid, s in services.items()}
        rows = [_finding_row(texts, f, i, names) for i, f in enumerate(by_section[key])]
        if not rows:
            rows = [_empty_section_row(texts, key, running, status)]
        sections.append(Section(f"section:{key}", titles[key], tuple(rows)))
    if (
        not running
        and status in ("offline", "captive_portal")
        and all(s.get("verdict") == "inconclusive" for s in services.values())
    ):
        # Nothing answered, or a login page answered for everything: the answer is above;
        # a list of "unclear" rows would only bury it.
        return View(overview, tuple(sections))
    planned = progress.planned if progress is not None else _planned_from_report(report)
    groups: dict[str, list[Row]] = {}
    for item in planned:
        row = _service_row(texts, item, services.get(item.id), progress)
        groups.setdefault(item.group, []).append(row)
    for group, rows in groups.items():
        sections.append(Section(f"group:{group}", group_title(texts, group), tuple(rows)))
    return View(overview, tuple(sections))


def _services_by_id(report: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for service in (report or {}).get("services") or []:
        if isinstance(service, dict) and isinstance(service.get("id"), str):
            found[service["id"]] = service
    return found


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
    services: Mapping[str, dict[str, Any]],
    profile_name: str,
) -> Overview:
    shown = [
        services[p.id]
        for p in progress.planned
        if p.id in services and _service_done(p.id, progress)
    ]
    working = sum(1 for s in shown if s.get("verdict") in ("reachable", "slow"))
    blocked = sum(1 for s in shown if s.get("verdict") in BLOCKING_VERDICTS)
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
    findings: Sequence[Mapping[str, Any]],
    opened_from: str | None,
) -> Overview:
    summary = report.get("summary") or {}
    status = str(summary.get("status") or "inconclusive")
    headline = str(summary.get("headline") or "")
    codes = [str(f.get("code")) for f in findings]
    if status == "ok":
        codes = [c for c in codes if c != "vpn_not_active"]  # nothing to fix: no need to say
    vpn_key = next((_VPN_SENTENCE[c] for c in codes if c in _VPN_SENTENCE), None)
    if vpn_key is not None:
        headline = f"{headline}{texts.ui('sentence_gap')}{texts.ui(vpn_key)}"
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
    advice = tuple(str(a) for a in summary.get("advice") or [] if a)
    return Overview(
        tone=_STATUS_TONE.get(status, WARN),
        badge=texts.summary_badge(status),
        headline=headline,
        advice=advice,
        notes=tuple(notes),
        meta=texts.ui("meta_separator").join(meta_parts),
    )


# --------------------------------------------------------------------------- rows
def _service_done(service_id: str, progress: RunProgress) -> bool:
    return f"service:{service_id}" in progress.finished and progress.gate_open


def _service_row(
    texts: Catalog,
    planned: PlannedRow,
    service: Mapping[str, Any] | None,
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
    verdict = str(service.get("verdict") or "inconclusive")
    explanation = str(service.get("explanation") or "")
    # A problem is explained at once; "Works normally" is enough for a working service.
    summary = str(service.get("title") or "") if verdict == "reachable" else explanation
    return Row(
        key=key,
        name=str(service.get("name") or planned.name),
        tone=verdict_tone(verdict),
        badge=texts.verdict_badge(verdict),
        summary=summary,
        explanation=explanation if summary != explanation else "",
        advice=str(service.get("advice") or "") if verdict != "reachable" else "",
        layers=layers_text(texts, service.get("layers")),
        evidence=service_evidence(texts, service),
        note=note,
        service_id=planned.id,
        compact=verdict == "reachable",
    )


def _finding_row(
    texts: Catalog, finding: Mapping[str, Any], index: int, names: Mapping[str, str]
) -> Row:
    severity = str(finding.get("severity") or "info")
    code = str(finding.get("code") or "")
    return Row(
        key=f"finding:{code}:{index}",
        name=str(finding.get("title") or code),
        tone=_SEVERITY_TONE.get(severity, INFO),
        badge=texts.severity_label(severity),
        summary=str(finding.get("explanation") or ""),
        advice=str(finding.get("advice") or ""),
        evidence=finding_evidence(texts, finding, names),
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


# --------------------------------------------------------------------------- evidence
def layers_text(texts: Catalog, layers: object) -> str:
    """ "Name lookup: Works · Connection: Failed (no answer) · …" for a service's layers."""
    if not isinstance(layers, dict):
        return ""
    parts: list[str] = []
    for layer in ("dns", "tcp", "tls", "http"):
        data = layers.get(layer)
        if not isinstance(data, dict):
            continue
        label = texts.layer_label(layer)
        status = texts.layer_status_label(str(data.get("status") or "not_run"))
        failure = data.get("failure")
        if failure:
            parts.append(
                texts.ui("layer_line_failure", layer=label, status=status, failure=failure)
            )
        else:
            parts.append(texts.ui("layer_line", layer=label, status=status))
    return texts.ui("meta_separator").join(parts)


def _lines(texts: Catalog, rows: Iterable[tuple[tuple[str, ...], str]]) -> str:
    return "\n".join(f"{' › '.join(path)}{texts.ui('label_colon')}{value}" for path, value in rows)


def service_evidence(texts: Catalog, service: Mapping[str, Any]) -> str:
    """The technical evidence of one service, one labelled line per measured fact
    (addresses, timings, the certificate, what went wrong), in the user's language."""
    evidence = service.get("evidence")
    if not isinstance(evidence, dict):
        return ""
    rows = evidence_rows(texts, evidence)
    if service.get("via_proxy"):
        rows.append(((label(texts, "via_proxy"),), texts.verdict_badge(str(service["via_proxy"]))))
    return _lines(texts, rows)


def finding_evidence(
    texts: Catalog, finding: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> str:
    """A finding's params, labelled, and the services it is about (by name, where its
    params do not already name them)."""
    params = finding.get("params")
    rows = finding_rows(texts, params) if isinstance(params, dict) else []
    subjects = [str(s) for s in finding.get("subjects") or []]
    if subjects and not (isinstance(params, dict) and params.get("services")):
        shown = [(names or {}).get(s, s) for s in subjects]
        rows.append(((label(texts, "subjects"),), texts.join(shown)))
    return _lines(texts, rows)
