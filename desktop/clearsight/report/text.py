"""The plain-text summary: for the terminal (optionally coloured) and for e-mail or chat."""

from __future__ import annotations

from typing import Any

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS
from clearsight.explanations import catalog

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
    if services:
        out.add()
        out.add(out.bold(texts.ui("section_services")))
    for group, members in groups.items():
        out.add(f"  {group}")
        width = max(len(str(s.get("name", ""))) for s in members)
        for service in members:
            verdict = str(service.get("verdict"))
            service_tone = _tone_of_verdict(verdict)
            badge = texts.verdict_badge(verdict)
            name = str(service.get("name", "")).ljust(width)
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
    return "\n".join(out.lines) + "\n"


def render_email_text(report: dict[str, Any], max_lines: int = 40) -> str:
    """The summary for an e-mail or a chat: no colour, at most ``max_lines`` lines."""
    lines = render_text(report, colour=False, details=False).splitlines()
    texts = catalog(str(report.get("language") or "en"))
    footer = [
        "",
        texts.ui("checked_at", time=report.get("started_at") or ""),
    ]
    if len(lines) + len(footer) > max_lines:
        lines = [*lines[: max_lines - len(footer) - 1], "  …"]
    return "\n".join(lines + footer) + "\n"
