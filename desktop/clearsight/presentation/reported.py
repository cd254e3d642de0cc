"""What the presentation needs from a report: its typed diagnosis, and what the report adds
to it in its language (the services' names, the texts of each service and finding, the
summary composed when it was built, its ID, the support contact, when it ran).

:func:`read_reported` is the one place the presentation reads a report's dict. A report the
current rules wrote reads back exactly (``report/codec.py``). Any other (hand-edited,
damaged, or of older rules and handed to a renderer without being opened, which diagnoses
it again) is read service by service and finding by finding, as far as each can be typed:
a word outside the vocabulary becomes the safe default (an unclear verdict, a layer not
run, no evidence), and a service without an ID or a finding whose code this version does
not know is left out. Nothing in it raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from clearsight.diagnosis.model import (
    DIAGNOSIS_VERSION,
    Diagnosis,
    Finding,
    LayerResult,
    Layers,
    NetworkSummary,
    ParamValue,
    ServiceEvidence,
    ServiceVerdict,
    VpnSummary,
)
from clearsight.diagnosis.vocabulary import (
    FINDING_CODES,
    LAYER_STATUSES,
    SERVICE_PATHS,
    SEVERITIES,
    STATUSES,
    VERDICTS,
    Verdict,
)
from clearsight.explanations import clean_value
from clearsight.presentation.summary import Action
from clearsight.report.codec import (
    CodecError,
    diagnosis_from_report,
    read_data,
    read_finding,
    read_network,
    read_service,
    read_vpn,
)

W = TypeVar("W", bound=str)

# What reading a damaged part of a report may raise (codec.diagnosis_from_report's list).
_UNREADABLE: Final = (CodecError, TypeError, ValueError, KeyError)
# No evidence: what a service whose evidence does not read shows.
NO_EVIDENCE: Final = ServiceEvidence(host=None, reason=None, urls=())


@dataclass(frozen=True)
class Words:
    """What the report says of a service or a finding, in its language (composed when
    the report was built: ``report.build._fill_texts``)."""

    title: str
    explanation: str
    advice: str


@dataclass(frozen=True)
class ReportedService:
    verdict: ServiceVerdict
    name: str  # in the report's language (the verdict's ``name`` is the profile's)
    words: Words


@dataclass(frozen=True)
class ReportedFinding:
    finding: Finding
    words: Words


@dataclass(frozen=True)
class Reported:
    """A report as the presentation reads it."""

    diagnosis: Diagnosis
    services: tuple[ReportedService, ...]  # diagnosis.services, each with its words
    findings: tuple[ReportedFinding, ...]  # diagnosis.findings, each with its words
    language: str
    report_id: str
    started_at: str
    support_contact: str | None
    headline: str
    actions: tuple[Action, ...]


def text_of(value: object, limit: int = 2000) -> str:
    """Text safe to show (no control or bidi characters), cut only when absurdly long."""
    if value is None:
        return ""
    text = str(value)
    # Printable text has no control, format (bidi) or surrogate characters: nothing to do.
    if len(text) <= limit and text.isprintable():
        return text.strip()
    return clean_value(text, limit)


def read_reported(report: Mapping[str, object], diagnosis: Diagnosis | None = None) -> Reported:
    """The typed diagnosis of *report* with its words. *diagnosis*, when given, is the one
    the report was built from (its services and findings in the report's order)."""
    services = _items(report.get("services"))
    findings = _items(report.get("findings"))
    summary = _fields(report.get("summary"))
    exact = diagnosis or diagnosis_from_report(report)
    if exact is not None and (len(exact.services), len(exact.findings)) != (
        len(services),
        len(findings),
    ):
        exact = None  # not the diagnosis of these items: read them one by one
    service_pairs: Iterable[tuple[ServiceVerdict, Mapping[str, object]]]
    finding_pairs: Iterable[tuple[Finding, Mapping[str, object]]]
    if exact is not None:
        service_pairs = zip(exact.services, services, strict=True)
        finding_pairs = zip(exact.findings, findings, strict=True)
    else:  # item by item, as far as each reads
        service_pairs = ((v, d) for d in services if (v := _service(d)) is not None)
        finding_pairs = ((f, d) for d in findings if (f := _finding(d)) is not None)
    shown_services = tuple(
        ReportedService(v, _name(d, v.id), _service_words(d)) for v, d in service_pairs
    )
    shown_findings = tuple(ReportedFinding(f, _finding_words(d, f.code)) for f, d in finding_pairs)
    typed = (
        exact
        if exact is not None
        else Diagnosis(
            status=_word(summary.get("status"), STATUSES, "inconclusive"),
            services=tuple(s.verdict for s in shown_services),
            findings=tuple(f.finding for f in shown_findings),
            network=_network(report.get("network")),
            version=text_of(report.get("diagnosis_version")) or DIAGNOSIS_VERSION,
            vpn=_vpn(report.get("vpn")),
        )
    )
    contact = _fields(report.get("profile")).get("support_contact")
    return Reported(
        diagnosis=typed,
        services=shown_services,
        findings=shown_findings,
        language=text_of(report.get("language")) or "en",
        report_id=text_of(report.get("report_id")),
        started_at=text_of(report.get("started_at")),
        support_contact=text_of(contact) if isinstance(contact, str) and contact.strip() else None,
        headline=text_of(summary.get("headline")),
        actions=_actions(summary),
    )


# ------------------------------------------------------------------------ the report's words
def _name(service: Mapping[str, object], service_id: str) -> str:
    return text_of(service.get("name") or service_id)


def _service_words(service: Mapping[str, object]) -> Words:
    return Words(
        title=text_of(service.get("title")),
        explanation=text_of(service.get("explanation")),
        advice=text_of(service.get("advice")),
    )


def _finding_words(finding: Mapping[str, object], code: str) -> Words:
    return Words(
        title=text_of(finding.get("title") or code),
        explanation=text_of(finding.get("explanation")),
        advice=text_of(finding.get("advice")),
    )


def _actions(summary: Mapping[str, object]) -> tuple[Action, ...]:
    """``summary.actions``; a report from before actions had ids has only ``advice``."""
    actions: list[Action] = []
    for item in _items(summary.get("actions")):
        if item.get("text"):
            url = item.get("url")
            actions.append(
                Action(
                    text_of(item.get("id")),
                    text_of(item.get("text")),
                    url
                    if isinstance(url, str) and url.startswith(("http://", "https://"))
                    else None,
                )
            )
    if actions:
        return tuple(actions)
    advice = summary.get("advice")
    return tuple(
        Action(f"advice_{index}", text_of(text))
        for index, text in enumerate(advice if isinstance(advice, list) else [], start=1)
        if text
    )


# ------------------------------------------------------------------------ best effort
def _service(data: Mapping[str, object]) -> ServiceVerdict | None:
    """One service as the codec reads it, else its parts that read (None: no ID)."""
    try:
        return read_service(data)
    except _UNREADABLE:
        pass
    service_id = data.get("id")
    if not isinstance(service_id, str):
        return None
    params = _fields(data.get("params"))
    name = params.get("service")
    verdict: Verdict = _word(data.get("verdict"), VERDICTS, "inconclusive")
    group = data.get("group")
    reason = data.get("reason")
    return ServiceVerdict(
        id=service_id,
        name=name if isinstance(name, str) else _name(data, service_id),
        group=group if isinstance(group, str) else "",
        domestic=data.get("domestic") is True,
        verdict=verdict,
        advice_verdict=_word(data.get("advice_verdict"), VERDICTS, verdict),
        layers=_layers(data.get("layers")),
        evidence=_evidence(data.get("evidence")),
        path=_word(data.get("path"), SERVICE_PATHS, "direct"),
        via_proxy=_known(data.get("via_proxy"), VERDICTS),
        reason=reason if isinstance(reason, str) else None,
    )


def _layers(value: object) -> Layers:
    try:
        return read_data(Layers, value)
    except _UNREADABLE:
        pass
    data = _fields(value)

    def layer(name: str) -> LayerResult:
        result = _fields(data.get(name))
        failure = result.get("failure")
        return LayerResult(
            status=_word(result.get("status"), LAYER_STATUSES, "not_run"),
            failure=failure if isinstance(failure, str) else None,
        )

    return Layers(dns=layer("dns"), tcp=layer("tcp"), tls=layer("tls"), http=layer("http"))


def _evidence(value: object) -> ServiceEvidence:
    try:
        return read_data(ServiceEvidence, value)
    except _UNREADABLE:
        return NO_EVIDENCE


def _finding(data: Mapping[str, object]) -> Finding | None:
    """One finding as the codec reads it, else its parts that read (None: a code this
    version does not know)."""
    try:
        return read_finding(data)
    except _UNREADABLE:
        pass
    known = _known(data.get("code"), FINDING_CODES)
    if known is None:
        return None
    subjects = data.get("subjects")
    return Finding(
        code=known,
        severity=_word(data.get("severity"), SEVERITIES, "info"),
        subjects=tuple(s for s in subjects if isinstance(s, str))
        if isinstance(subjects, list)
        else (),
        params={
            name: param
            for name, value in _fields(data.get("params")).items()
            if (param := _param(value)) is not None
        },
    )


def _param(value: object) -> ParamValue:
    """A param's value when it is one a finding's texts can use (None otherwise)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, str | int | float | bool):
        return value
    return None


def _network(value: object) -> NetworkSummary:
    try:
        return read_network(value)
    except _UNREADABLE:
        return NetworkSummary()


def _vpn(value: object) -> VpnSummary | None:
    data = _fields(value)
    if "state" not in data:
        return None
    try:
        return read_vpn(data)
    except _UNREADABLE:
        return None


# ------------------------------------------------------------------------ JSON shapes
def _fields(value: object) -> Mapping[str, object]:
    """A JSON object, or an empty one when the value is something else."""
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[Mapping[str, object]]:
    """The objects of a JSON list (anything else in it, or no list, is left out)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _known(value: object, words: tuple[W, ...]) -> W | None:
    """*value* when it is one of *words* (None otherwise)."""
    return next((word for word in words if word == value), None)


def _word(value: object, words: tuple[W, ...], default: W) -> W:
    """*value* when it is one of *words*, else *default*."""
    known = _known(value, words)
    return default if known is None else known


__all__ = [
    "NO_EVIDENCE",
    "Reported",
    "ReportedFinding",
    "ReportedService",
    "Words",
    "read_reported",
    "text_of",
]
