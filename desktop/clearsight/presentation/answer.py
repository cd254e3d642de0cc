"""The whole answer of a report, as the window, the HTML, PDF and text reports all show it.

:func:`compose_reported` composes, from a report's typed diagnosis and the words the report
adds (:mod:`.reported`), its headline, actions, findings by section and service rows with
their tones, badges, layer lines and evidence lines; :func:`compose` does so for a report
dict (``report/build.py``: the diagnosis with its texts, or a saved one). The renderers only
lay this out; none decides what is said, in which colour or in which order.

Values are plain strings: each renderer escapes for its own format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Final

from clearsight.diagnosis.model import (
    Diagnosis,
    Finding,
    LayerResult,
    ParamValue,
    ServiceEvidence,
    ServiceVerdict,
)
from clearsight.diagnosis.vocabulary import (
    FindingCode,
    Layer,
    LayerStatus,
    ServicePath,
    Severity,
    Status,
    Verdict,
)
from clearsight.explanations import Catalog, catalog
from clearsight.explanations.evidence import evidence_rows, finding_rows, label
from clearsight.presentation.reported import (
    NO_EVIDENCE,
    Reported,
    ReportedFinding,
    ReportedService,
    Words,
    read_reported,
    text_of,
)
from clearsight.presentation.summary import Action
from clearsight.presentation.tones import Tone, severity_tone, status_tone, verdict_tone

LAYERS: Final = ("dns", "tcp", "tls", "http")
#: The sections findings are grouped in, in order.
SECTIONS: Final = ("connection", "dns", "vpn")
SECTION_TITLES: Final[Mapping[str, str]] = {
    "connection": "section_connection",
    "dns": "section_dns",
    "vpn": "section_vpn_proxy",
}
_DNS_PREFIXES: Final = ("dns_", "doh_")
_VPN_PREFIXES: Final = ("vpn_", "proxy_", "exit_")


def finding_section(code: str) -> str:
    """connection | dns | vpn: where a finding is shown."""
    if code.startswith(_DNS_PREFIXES):
        return "dns"
    if code.startswith(_VPN_PREFIXES):
        return "vpn"
    return "connection"


@dataclass(frozen=True)
class LayerLine:
    layer: Layer
    label: str
    status: LayerStatus
    status_label: str
    failure: str | None
    line: str  # "Connection: Failed (no answer)"


@dataclass(frozen=True)
class FindingLine:
    code: FindingCode
    severity: Severity
    section: str
    tone: Tone
    badge: str
    title: str
    explanation: str
    advice: str
    subjects: tuple[str, ...]
    evidence: str  # labelled lines, one fact a line


@dataclass(frozen=True)
class ServiceLine:
    id: str
    name: str
    group: str  # as the profile writes it
    group_title: str  # in the report's language
    domestic: bool
    path: ServicePath
    verdict: Verdict
    tone: Tone
    badge: str
    title: str
    explanation: str
    summary: str  # the one line under the name: "Works normally", or what is wrong
    advice: str | None  # None when the service works
    layers: tuple[LayerLine, ...]
    layers_text: str
    notes: tuple[str, ...]  # "Local service, for comparison", "Through your proxy: …"
    evidence: ServiceEvidence  # what the diagnosis measured
    via_proxy: Verdict | None = None  # what the same check gave through the proxy
    texts: Catalog = field(repr=False, compare=False, default_factory=lambda: catalog("en"))

    @cached_property
    def evidence_text(self) -> str:
        """The evidence, labelled, one fact a line (worked out when first shown: a window
        showing a run redraws often)."""
        return _service_evidence(self.texts, self.evidence, self.via_proxy)


@dataclass(frozen=True)
class Answer:
    texts: Catalog
    status: Status
    tone: Tone
    badge: str
    headline: str
    actions: tuple[Action, ...]
    findings: tuple[FindingLine, ...]
    services: tuple[ServiceLine, ...]
    # False when nothing answered or a login page answered for everything: the headline
    # is the answer, and a list of "unclear" rows would only bury it.
    show_services: bool
    support_contact: str | None
    report_id: str

    @property
    def advice(self) -> tuple[str, ...]:
        return tuple(action.text for action in self.actions)

    def section(self, key: str) -> tuple[FindingLine, ...]:
        return tuple(f for f in self.findings if f.section == key)

    @property
    def groups(self) -> tuple[tuple[str, tuple[ServiceLine, ...]], ...]:
        """The services by group (in the report's language), in the profile's order."""
        groups: dict[str, list[ServiceLine]] = {}
        for service in self.services:
            groups.setdefault(service.group_title, []).append(service)
        return tuple((title, tuple(rows)) for title, rows in groups.items())

    @property
    def blocked(self) -> tuple[ServiceLine, ...]:
        return tuple(s for s in self.services if s.tone == "bad")

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)


def compose(
    report: Mapping[str, object],
    texts: Catalog | None = None,
    diagnosis: Diagnosis | None = None,
) -> Answer:
    """The answer of a report, in its language (or ``texts``'s). *diagnosis*, when given,
    is the one the report was built from (else it is read from the report)."""
    return compose_reported(read_reported(report, diagnosis), texts)


def compose_reported(reported: Reported, texts: Catalog | None = None) -> Answer:
    """The answer of a report's typed diagnosis and words, in the report's language (or
    ``texts``'s)."""
    texts = texts or catalog(reported.language)
    status = reported.diagnosis.status
    services = tuple(_service_line(texts, s, status) for s in reported.services)
    names = {s.id: s.name for s in services}
    findings = tuple(_finding_line(texts, f, names) for f in _merged(texts, reported.findings))
    hide = status in ("offline", "captive_portal") and all(
        s.verdict == "inconclusive" for s in services
    )
    return Answer(
        texts=texts,
        status=status,
        tone=status_tone(status),
        badge=_status_badge(texts, status, services),
        headline=reported.headline,
        actions=reported.actions,
        findings=findings,
        services=services,
        show_services=not hide,
        support_contact=reported.support_contact,
        report_id=reported.report_id,
    )


#: Findings said once for all their instances (one per DNS server): "Encrypted DNS
#: (Cloudflare, Google, Quad9) is blocked", not three rows that differ in one word.
MERGED_FINDINGS: Final[frozenset[FindingCode]] = frozenset(
    {"doh_blocked", "dns_resolver_unreachable"}
)


def _merged(texts: Catalog, findings: Sequence[ReportedFinding]) -> list[ReportedFinding]:
    """The findings in order, those of ``MERGED_FINDINGS`` one per code and severity (in
    the place of the first)."""
    slots: list[list[ReportedFinding]] = []
    merged: dict[tuple[str, str], list[ReportedFinding]] = {}
    for item in findings:
        finding = item.finding
        if finding.code in MERGED_FINDINGS:
            key = (finding.code, finding.severity)
            if key in merged:
                merged[key].append(item)
                continue
            merged[key] = [item]
            slots.append(merged[key])
        else:
            slots.append([item])
    return [group[0] if len(group) == 1 else _merge(texts, group) for group in slots]


def _merge(texts: Catalog, group: Sequence[ReportedFinding]) -> ReportedFinding:
    """One finding for several: each param as the list of its words (each once), every
    subject, and its words said again for them all."""
    first = group[0].finding
    names = dict.fromkeys(name for item in group for name in item.finding.params)
    params: dict[str, ParamValue] = {
        name: list(dict.fromkeys(word for item in group for word in item.finding.words(name)))
        for name in names
    }
    finding = replace(
        first,
        subjects=tuple(s for item in group for s in item.finding.subjects),
        params=params,
    )
    texts_of = texts.finding(first.code, params)
    return ReportedFinding(finding, Words(texts_of.title, texts_of.explanation, texts_of.advice))


def _status_badge(texts: Catalog, status: str, services: Iterable[ServiceLine]) -> str:
    rows = list(services)
    if (
        status == "blocked"
        and any(s.verdict == "tls_intercepted" for s in rows)
        and not any(s.tone == "bad" and s.verdict != "tls_intercepted" for s in rows)
    ):
        return texts.ui("badge_not_safe")  # nothing is blocked: it is not safe
    return texts.summary_badge(status)


def _service_line(texts: Catalog, reported: ReportedService, status: str) -> ServiceLine:
    service: ServiceVerdict = reported.verdict
    words = reported.words
    verdict = service.verdict
    behind_login = status == "captive_portal" and verdict != "reachable"
    layers = tuple(_layer(texts, layer, result) for layer, result in service.layers.items())
    notes: list[str] = []
    if service.domestic:
        notes.append(texts.ui("domestic_control"))
    if service.path in ("vpn", "proxy"):
        notes.append(texts.ui(f"path_{service.path}"))
    if service.via_proxy is not None:
        notes.append(_via_proxy_note(texts, reported.name, service))
    group = text_of(service.group)
    return ServiceLine(
        id=text_of(service.id),
        name=reported.name,
        group=group,
        group_title=texts.group(group) if group else "",
        domestic=service.domestic,
        path=service.path,
        verdict=verdict,
        tone="warn" if behind_login else verdict_tone(verdict),
        badge=texts.ui("badge_login_first") if behind_login else texts.verdict_badge(verdict),
        title=words.title,
        explanation=words.explanation,
        # A problem is explained at once; "Works normally" is enough for a working service.
        summary=words.title if verdict == "reachable" else words.explanation,
        advice=words.advice if verdict != "reachable" else None,
        layers=layers,
        layers_text=texts.ui("meta_separator").join(layer.line for layer in layers),
        notes=tuple(notes),
        evidence=service.evidence,
        via_proxy=service.via_proxy,
        texts=texts,
    )


def _via_proxy_note(texts: Catalog, name: str, service: ServiceVerdict) -> str:
    """What the service gave through the proxy; where a later hop of its way through the
    proxy decided, both names ("Through your proxy, Twitter sends you on to x.com: ...")."""
    result = texts.verdict_badge(service.via_proxy) if service.via_proxy else ""
    redirected_to = service.evidence.via_proxy_redirected_to
    if redirected_to:
        return texts.ui(
            "via_proxy_redirected", service=name, redirected_to=redirected_to, result=result
        )
    return texts.ui("via_proxy", result=result)


def _layer(texts: Catalog, layer: Layer, result: LayerResult) -> LayerLine:
    layer_label = texts.layer_label(layer)
    status_label = texts.layer_status_label(result.status)
    failure = text_of(result.failure) or None
    if failure:
        line = texts.ui(
            "layer_line_failure", layer=layer_label, status=status_label, failure=failure
        )
    else:
        line = texts.ui("layer_line", layer=layer_label, status=status_label)
    return LayerLine(layer, layer_label, result.status, status_label, failure, line)


def _finding_line(
    texts: Catalog, reported: ReportedFinding, names: Mapping[str, str]
) -> FindingLine:
    finding = reported.finding
    return FindingLine(
        code=finding.code,
        severity=finding.severity,
        section=finding_section(finding.code),
        tone=severity_tone(finding.severity),
        badge=texts.severity_label(finding.severity),
        title=reported.words.title,
        explanation=reported.words.explanation,
        advice=reported.words.advice,
        subjects=finding.subjects,
        evidence=finding_evidence(texts, finding, names),
    )


def _lines(texts: Catalog, rows: Iterable[tuple[tuple[str, ...], str]]) -> str:
    return "\n".join(f"{' › '.join(path)}{texts.ui('label_colon')}{value}" for path, value in rows)


def _service_evidence(
    texts: Catalog, evidence: ServiceEvidence, via_proxy: Verdict | None = None
) -> str:
    """One labelled line per measured fact (addresses, timings, the certificate, what
    went wrong), in the report's language."""
    if evidence == NO_EVIDENCE:
        return ""
    rows = evidence_rows(texts, evidence)
    if via_proxy is not None:
        rows.append(((label(texts, "via_proxy"),), texts.verdict_badge(via_proxy)))
    return _lines(texts, rows)


def finding_evidence(
    texts: Catalog, finding: Finding, names: Mapping[str, str] | None = None
) -> str:
    """A finding's params, labelled, and the services it is about (by name, where its
    params do not already name them)."""
    rows = finding_rows(texts, finding.params)
    if finding.subjects and not finding.words("services"):
        shown = [(names or {}).get(s, s) for s in finding.subjects]
        rows.append(((label(texts, "subjects"),), texts.join(shown)))
    return _lines(texts, rows)


#: The message for IT support lists at most this many services that do not work.
MESSAGE_SERVICES: Final = 8


def support_message(report: Mapping[str, object]) -> str:
    """A ready message for IT support (the window copies it): who it is for, what was
    found, what does not work, and the report's ID, in the report's language."""
    reported = read_reported(report)
    answer = compose_reported(reported)
    texts = answer.texts
    lines: list[str] = []
    if answer.support_contact:
        lines += [texts.ui("it_message_to", contact=answer.support_contact), ""]
    started = reported.started_at
    when = f"{started[:10]} {started[11:16]} UTC" if len(started) >= 16 else started
    lines += [
        texts.ui("it_message_greeting"),
        "",
        texts.ui("it_message_intro", time=when),
        "",
        answer.headline,
    ]
    problems = [f for f in answer.findings if f.severity in ("problem", "warning")]
    broken = (
        [s for s in answer.services if s.verdict != "reachable"] if answer.show_services else []
    )
    if problems or broken:
        lines.append("")
    lines += [f"• {finding.title}" for finding in problems]
    colon = texts.ui("label_colon")
    lines += [f"• {s.name}{colon}{s.badge}" for s in broken[:MESSAGE_SERVICES]]
    if len(broken) > MESSAGE_SERVICES:
        lines.append("• " + texts.ui("email_more", count=len(broken) - MESSAGE_SERVICES))
    lines += [
        "",
        texts.ui("it_message_report", id=answer.report_id),
        "",
        texts.ui("it_message_thanks"),
    ]
    return "\n".join(lines) + "\n"
