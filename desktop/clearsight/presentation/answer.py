"""The whole answer of a report, as the window, the HTML, PDF and text reports all show it.

:func:`compose` reads a report (``report/build.py``: the diagnosis with its texts, or a
saved one) and returns its headline, actions, findings by section and service rows with
their tones, badges, layer lines and evidence lines. The renderers only lay this out; none
decides what is said, in which colour or in which order.

Values are plain strings: each renderer escapes for its own format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from clearsight.explanations import Catalog, catalog, clean_value
from clearsight.explanations.evidence import evidence_rows, finding_rows, label
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
    layer: str
    label: str
    status: str  # ok | failed | forged | not_run
    status_label: str
    failure: str | None
    line: str  # "Connection: Failed (no answer)"


@dataclass(frozen=True)
class FindingLine:
    code: str
    severity: str
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
    path: str
    verdict: str
    tone: Tone
    badge: str
    title: str
    explanation: str
    summary: str  # the one line under the name: "Works normally", or what is wrong
    advice: str | None  # None when the service works
    layers: tuple[LayerLine, ...]
    layers_text: str
    notes: tuple[str, ...]  # "Local service, for comparison", "Through your proxy: …"
    evidence: Any  # the diagnosis's evidence, as JSON values
    texts: Catalog = field(repr=False, compare=False, default_factory=lambda: catalog("en"))
    source: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @cached_property
    def evidence_text(self) -> str:
        """The evidence, labelled, one fact a line (worked out when first shown: a window
        showing a run redraws often)."""
        return _service_evidence(self.texts, self.source)


@dataclass(frozen=True)
class Answer:
    texts: Catalog
    status: str
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


def as_dict(value: object) -> dict[str, Any]:
    """A JSON object from a saved report, or an empty one when the value is something else."""
    return value if isinstance(value, dict) else {}


def text_of(value: object, limit: int = 2000) -> str:
    """Text safe to show (no control or bidi characters), cut only when absurdly long."""
    if value is None:
        return ""
    text = str(value)
    # Printable text has no control, format (bidi) or surrogate characters: nothing to do.
    if len(text) <= limit and text.isprintable():
        return text.strip()
    return clean_value(text, limit)


def compose(report: Mapping[str, Any], texts: Catalog | None = None) -> Answer:
    """The answer of a report, in its language (or ``texts``'s)."""
    texts = texts or catalog(str(report.get("language") or "en"))
    summary = as_dict(report.get("summary"))
    status = text_of(summary.get("status") or "inconclusive")
    services = tuple(
        _service_line(texts, s, status) for s in report.get("services") or [] if isinstance(s, dict)
    )
    names = {s.id: s.name for s in services}
    findings = tuple(
        _finding_line(texts, f, names)
        for f in _merged(texts, [f for f in report.get("findings") or [] if isinstance(f, dict)])
    )
    profile = as_dict(report.get("profile"))
    contact = profile.get("support_contact")
    hide = status in ("offline", "captive_portal") and all(
        s.verdict == "inconclusive" for s in services
    )
    return Answer(
        texts=texts,
        status=status,
        tone=status_tone(status),
        badge=_status_badge(texts, status, services),
        headline=text_of(summary.get("headline")),
        actions=_actions(summary),
        findings=findings,
        services=services,
        show_services=not hide,
        support_contact=text_of(contact) if isinstance(contact, str) and contact.strip() else None,
        report_id=text_of(report.get("report_id")),
    )


#: Findings said once for all their instances (one per DNS server): "Encrypted DNS
#: (Cloudflare, Google, Quad9) is blocked", not three rows that differ in one word.
MERGED_FINDINGS: Final = frozenset({"doh_blocked", "dns_resolver_unreachable"})


def _merged(texts: Catalog, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in findings:
        code = str(finding.get("code"))
        key = (code, str(finding.get("severity")))
        params = finding.get("params")
        if code not in MERGED_FINDINGS or not isinstance(params, dict):
            out.append(finding)
            continue
        first = seen.get(key)
        if first is None:
            merged = {**finding, "params": {k: [v] for k, v in params.items()}}
            seen[key] = merged
            out.append(merged)
            continue
        for name, value in params.items():
            values = first["params"].setdefault(name, [])
            if value not in values:
                values.append(value)
        first["subjects"] = [*(first.get("subjects") or []), *(finding.get("subjects") or [])]
        first["_merged"] = True
    for finding in out:
        if finding.pop("_merged", False):
            words = texts.finding(str(finding["code"]), finding["params"])
            finding.update(title=words.title, explanation=words.explanation, advice=words.advice)
        elif str(finding.get("code")) in MERGED_FINDINGS and isinstance(
            finding.get("params"), dict
        ):
            finding["params"] = {
                k: v[0] if isinstance(v, list) and len(v) == 1 else v
                for k, v in finding["params"].items()
            }
    return out


def _status_badge(texts: Catalog, status: str, services: Iterable[ServiceLine]) -> str:
    rows = list(services)
    if (
        status == "blocked"
        and any(s.verdict == "tls_intercepted" for s in rows)
        and not any(s.tone == "bad" and s.verdict != "tls_intercepted" for s in rows)
    ):
        return texts.ui("badge_not_safe")  # nothing is blocked: it is not safe
    return texts.summary_badge(status)


def _actions(summary: Mapping[str, Any]) -> tuple[Action, ...]:
    """``summary.actions``; a report from before actions had ids has only ``advice``."""
    actions: list[Action] = []
    for item in summary.get("actions") or []:
        if isinstance(item, dict) and item.get("text"):
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
    return tuple(
        Action(f"advice_{index}", text_of(text))
        for index, text in enumerate(summary.get("advice") or [], start=1)
        if text
    )


def _service_line(texts: Catalog, service: Mapping[str, Any], status: str) -> ServiceLine:
    verdict = text_of(service.get("verdict") or "inconclusive")
    behind_login = status == "captive_portal" and verdict != "reachable"
    explanation = text_of(service.get("explanation"))
    title = text_of(service.get("title"))
    layers_data = as_dict(service.get("layers"))
    layers = tuple(
        _layer(texts, layer, layers_data[layer])
        for layer in LAYERS
        if isinstance(layers_data.get(layer), dict)
    )
    notes: list[str] = []
    if service.get("domestic"):
        notes.append(texts.ui("domestic_control"))
    if service.get("path") in ("vpn", "proxy"):
        notes.append(texts.ui(f"path_{service.get('path')}"))
    via_proxy = service.get("via_proxy")
    if isinstance(via_proxy, str):
        notes.append(texts.ui("via_proxy", result=texts.verdict_badge(via_proxy)))
    group = text_of(service.get("group"))
    return ServiceLine(
        id=text_of(service.get("id")),
        name=text_of(service.get("name") or service.get("id")),
        group=group,
        group_title=texts.group(group) if group else "",
        domestic=bool(service.get("domestic")),
        path=text_of(service.get("path") or "direct"),
        verdict=verdict,
        tone="warn" if behind_login else verdict_tone(verdict),
        badge=texts.ui("badge_login_first") if behind_login else texts.verdict_badge(verdict),
        title=title,
        explanation=explanation,
        # A problem is explained at once; "Works normally" is enough for a working service.
        summary=title if verdict == "reachable" else explanation,
        advice=text_of(service.get("advice")) if verdict != "reachable" else None,
        layers=layers,
        layers_text=texts.ui("meta_separator").join(layer.line for layer in layers),
        notes=tuple(notes),
        evidence=service.get("evidence"),
        texts=texts,
        source=service,
    )


def _layer(texts: Catalog, layer: str, data: Mapping[str, Any]) -> LayerLine:
    status = text_of(data.get("status") or "not_run")
    layer_label = texts.layer_label(layer)
    status_label = texts.layer_status_label(status)
    failure = text_of(data.get("failure")) or None
    if failure:
        line = texts.ui(
            "layer_line_failure", layer=layer_label, status=status_label, failure=failure
        )
    else:
        line = texts.ui("layer_line", layer=layer_label, status=status_label)
    return LayerLine(layer, layer_label, status, status_label, failure, line)


def _finding_line(
    texts: Catalog, finding: Mapping[str, Any], names: Mapping[str, str]
) -> FindingLine:
    code = text_of(finding.get("code"))
    severity = text_of(finding.get("severity") or "info")
    return FindingLine(
        code=code,
        severity=severity,
        section=finding_section(code),
        tone=severity_tone(severity),
        badge=texts.severity_label(severity),
        title=text_of(finding.get("title") or code),
        explanation=text_of(finding.get("explanation")),
        advice=text_of(finding.get("advice")),
        subjects=tuple(str(s) for s in finding.get("subjects") or []),
        evidence=finding_evidence(texts, finding, names),
    )


def _lines(texts: Catalog, rows: Iterable[tuple[tuple[str, ...], str]]) -> str:
    return "\n".join(f"{' › '.join(path)}{texts.ui('label_colon')}{value}" for path, value in rows)


def _service_evidence(texts: Catalog, service: Mapping[str, Any]) -> str:
    """One labelled line per measured fact (addresses, timings, the certificate, what
    went wrong), in the report's language."""
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


#: The message for IT support lists at most this many services that do not work.
MESSAGE_SERVICES: Final = 8


def support_message(report: Mapping[str, Any]) -> str:
    """A ready message for IT support (the window copies it): who it is for, what was
    found, what does not work, and the report's ID, in the report's language."""
    answer = compose(report)
    texts = answer.texts
    lines: list[str] = []
    if answer.support_contact:
        lines += [texts.ui("it_message_to", contact=answer.support_contact), ""]
    started = text_of(report.get("started_at"))
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
