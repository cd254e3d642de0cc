"""The plain-text summary: for the terminal (optionally coloured) and for e-mail or chat."""

from __future__ import annotations

import unicodedata
from typing import Any

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS
from clearsight.explanations import catalog
from clearsight.report.view import build_view

CONNECTION_CODES = (
    "offline",
    "captive_portal",
    "clock_wrong",
    "selective_blocking",
    "ipv6_broken",
    "udp_blocked",
    "residual_blocking_possible",
    "local_network_denied",
    "tls_interception",
    "tls_inspection",
    "checks_unfinished",
)
DNS_PREFIXES = ("dns_", "doh_")
VPN_PREFIXES = ("vpn_", "proxy_", "exit_")

_COLOURS = {"good": "\x1b[32m", "bad": "\x1b[31m", "warn": "\x1b[33m", "dim": "\x1b[2m"}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def _tone_of_verdict(verdict: str) -> str:
    if verdict == "reachable":
        return "good"
    if verdict in BLOCKING_VERDICTS:
        return "bad"
    return "warn"


_ICONS = {"good": "✔", "bad": "✖", "warn": "!", "info": "i"}
_TONE_OF_SEVERITY = {"problem": "bad", "warning": "warn", "info": "info"}
_VIEW_TONE = {"ok": "good", "bad": "bad", "warn": "warn"}
_TONE_ICON = {"ok": "good", "bad": "bad", "warn": "warn", "info": "info"}
_SEVERITY_ICON = _TONE_OF_SEVERITY


class _Out:
    def __init__(self, colour: bool) -> None:
        self.colour = colour
        self.lines: list[str] = []

    def paint(self, text: str, tone: str) -> str:
        if not self.colour or tone not in _COLOURS:
            return text
        return f"{_COLOURS[tone]}{text}{_RESET}"

    def bold(self, text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if self.colour else text

    def add(self, line: str = "") -> None:
        self.lines.append(line)


def display_width(text: str) -> int:
    """Columns a terminal or a monospaced e-mail gives the text (Chinese characters: 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def _section(findings: list[dict[str, Any]], section: str) -> list[dict[str, Any]]:
    def belongs(code: str) -> bool:
        if section == "dns":
            return code.startswith(DNS_PREFIXES)
        if section == "vpn":
            return code.startswith(VPN_PREFIXES)
        return not code.startswith(DNS_PREFIXES + VPN_PREFIXES)

    return [f for f in findings if belongs(str(f.get("code", "")))]


def render_text(report: dict[str, Any], *, colour: bool = False, details: bool = True) -> str:
    """The summary a person reads: headline, what to do, then findings and services grouped."""
    texts = catalog(str(report.get("language") or "en"))
    out = _Out(colour)
    summary = report.get("summary") or {}
    status = str(summary.get("status") or "inconclusive")
    tone = {"ok": "good", "blocked": "bad", "offline": "bad", "captive_portal": "warn"}.get(
        status, "warn"
    )
    profile = report.get("profile") or {}
    out.add(
        out.bold(f"Clearsight — {profile.get('name') or ''}")
        + "  "
        + out.paint(texts.ui("report_id", id=report.get("report_id") or ""), "dim")
    )
    out.add(out.paint(f"{_ICONS.get(tone, '!')} {summary.get('headline', '')}", tone))
    advice = [a for a in summary.get("advice") or [] if a]
    if advice:
        out.add()
        out.add(out.bold(texts.ui("what_to_do")))
        for line in advice:
            out.add(f"  • {line}")
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    for section, key in (
        ("connection", "section_connection"),
        ("dns", "section_dns"),
        ("vpn", "section_vpn_proxy"),
    ):
        items = _section(findings, section)
        if not items:
            continue
        out.add()
        out.add(out.bold(texts.ui(key)))
        for finding in items:
            severity_tone = _TONE_OF_SEVERITY.get(str(finding.get("severity")), "info")
            badge = texts.severity_label(str(finding.get("severity")))
            out.add(
                "  "
                + out.paint(f"{_ICONS[severity_tone]} {badge}", severity_tone)
                + f"  {finding.get('title', '')}"
            )
            if details:
                out.add(f"      {finding.get('explanation', '')}")
    services = [s for s in report.get("services") or [] if isinstance(s, dict)]
    if status == "offline":
        services = []  # nothing answered: a list of "unclear" rows would only bury the answer
    groups: dict[str, list[dict[str, Any]]] = {}
    for service in services:
        group = str(service.get("group") or "")
        groups.setdefault(group, []).append(service)
    badge_width = max(
        (display_width(texts.verdict_badge(str(s.get("verdict")))) for s in services), default=0
    )
    if services:
        out.add()
        out.add(out.bold(texts.ui("section_services")))
    for group, members in groups.items():
        out.add(f"  {texts.group(group) if group else ''}")
        width = max(display_width(str(s.get("name", ""))) for s in members)
        for service in members:
            verdict = str(service.get("verdict"))
            service_tone = _tone_of_verdict(verdict)
            badge = texts.verdict_badge(verdict)
            name = pad(str(service.get("name", "")), width)
            badge = pad(badge, badge_width)
            line = f"    {out.paint(_ICONS[service_tone] + ' ' + badge, service_tone)}  {name}"
            if verdict != "reachable" and details:
                line += f"  {service.get('title', '')}"
            out.add(line)
            if verdict != "reachable" and details:
                out.add(f"        {service.get('explanation', '')}")
    contact = profile.get("support_contact")
    if contact:
        out.add()
        out.add(texts.ui("support_contact", contact=contact))
    return "\n".join(line.rstrip() for line in out.lines) + "\n"


def render_email_text(report: dict[str, Any], max_lines: int = 40) -> str:
    """The summary for an e-mail or a chat: plain text, at most *max_lines* lines.

    Most important first: the report ID (so a conversation can refer to it), the headline,
    what to do, the problems found, the services that do not work; working services share
    one line. When space runs short, notes go before problems and services are counted
    rather than listed.
    """
    view = build_view(report)
    head = [
        f"{view.title} · {view.report_id}",
        " · ".join(view.meta[1:]),
        f"{_ICONS[_VIEW_TONE.get(view.tone, 'warn')]} {view.headline}",
    ]
    if view.outcome_note:
        head.append(view.outcome_note)
    todo: list[str] = []
    if view.advice:
        todo = ["", view.ui("what_to_do")]
        todo += [f"  {index}. {line}" for index, line in enumerate(view.advice, start=1)]
    if view.support_line:
        todo.append(view.support_line)
    problems = [f for f in view.findings if f.severity == "problem"]
    notes = [f for f in view.findings if f.severity != "problem"]
    broken = sorted(
        (row for row in view.services if row.verdict != "reachable"),
        key=lambda row: row.tone != "bad",  # blocked first, then slow or unclear
    )
    working = [row.name for row in view.services if row.verdict == "reachable"]
    if view.status == "offline":
        broken, working = [], []  # nothing answered: rows of "unclear" would bury the answer
    foot = [""]
    if view.redaction_line:
        foot.append(view.redaction_line)
    else:
        foot.append(view.privacy_note)
    foot.append(view.ui("email_full_report"))

    def findings_block(items: list[Any], limit: int | None = None) -> list[str]:
        if not items:
            return []
        shown = items if limit is None else items[:limit]
        lines = ["", view.ui("section_findings")]
        lines += [
            f"  {_ICONS[_SEVERITY_ICON.get(f.severity, 'info')]} {f.badge}  {f.title}"
            for f in shown
        ]
        if len(shown) < len(items):
            lines.append("  " + view.ui("email_more", count=len(items) - len(shown)))
        return lines

    def services_block(limit: int | None) -> list[str]:
        if not broken and not working:
            return []
        lines = ["", view.ui("section_services")]
        width = max((display_width(row.badge) for row in broken), default=0)
        shown = broken if limit is None else broken[: max(limit, 0)]
        lines += [
            f"  {_ICONS[_TONE_ICON[row.tone]]} {pad(row.badge, width)}  {row.name}" for row in shown
        ]
        if len(shown) < len(broken):
            lines.append("  " + view.ui("email_more", count=len(broken) - len(shown)))
        if working:
            lines.append(f"  {_ICONS['good']} " + view.ui("email_also_working", services=working))
        return lines

    room = max_lines - len(head) - len(todo) - len(foot)
    lines = findings_block(problems + notes)
    services = services_block(None)
    if len(lines) + len(services) > room:
        # Problems before notes, and no more than six of them: the services need room too.
        lines = findings_block(problems, 6)
    if len(lines) + len(services) > room:
        # The section's header and blank line, "…and N more", the working line.
        overhead = 3 + (1 if working else 0)
        services = services_block(room - len(lines) - overhead)
    body = head + todo + lines + services + foot
    if len(body) > max_lines:
        body = [*body[: max_lines - 1], "…"]
    return "\n".join(body) + "\n"
