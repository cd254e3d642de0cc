"""The plain-text summary: for the terminal (optionally coloured) and for e-mail or chat."""

from __future__ import annotations

import unicodedata
from typing import Any

from clearsight.presentation.answer import SECTION_TITLES, SECTIONS
from clearsight.report.view import build_view

_COLOURS = {"good": "\x1b[32m", "bad": "\x1b[31m", "warn": "\x1b[33m", "dim": "\x1b[2m"}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
_ICONS = {"good": "✔", "bad": "✖", "warn": "!", "info": "i"}


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


def render_text(report: dict[str, Any], *, colour: bool = False, details: bool = True) -> str:
    """The summary a person reads: headline, what to do, then findings and services grouped
    (the presentation's answer, as the window and the other reports show it)."""
    view = build_view(report)
    answer = view.answer
    texts = view.texts
    out = _Out(colour)
    profile = report.get("profile") or {}
    out.add(
        out.bold(f"Clearsight — {profile.get('name') or ''}")
        + "  "
        + out.paint(texts.ui("report_id", id=view.report_id), "dim")
    )
    out.add(out.paint(f"{_ICONS.get(answer.tone, '!')} {answer.headline}", answer.tone))
    if answer.actions:
        out.add()
        out.add(out.bold(texts.ui("what_to_do")))
        for action in answer.actions:
            out.add(f"  • {action.text}")
    for section in SECTIONS:
        items = answer.section(section)
        if not items:
            continue
        out.add()
        out.add(out.bold(texts.ui(SECTION_TITLES[section])))
        for finding in items:
            out.add(
                "  "
                + out.paint(f"{_ICONS[finding.tone]} {finding.badge}", finding.tone)
                + f"  {finding.title}"
            )
            if details:
                out.add(f"      {finding.explanation}")
    services = list(answer.services) if answer.show_services else []
    badge_width = max((display_width(s.badge) for s in services), default=0)
    if services:
        out.add()
        out.add(out.bold(texts.ui("section_services")))
    for group, members in answer.groups if services else ():
        out.add(f"  {group}")
        width = max(display_width(s.name) for s in members)
        for service in members:
            name = pad(service.name, width)
            badge = pad(service.badge, badge_width)
            icon = _ICONS[service.tone]
            line = f"    {out.paint(icon + ' ' + badge, service.tone)}  {name}"
            if service.verdict != "reachable" and details:
                line += f"  {service.title}"
            out.add(line)
            if service.verdict != "reachable" and details:
                out.add(f"        {service.explanation}")
    if answer.support_contact:
        out.add()
        out.add(texts.ui("support_contact", contact=answer.support_contact))
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
        f"{_ICONS.get(view.tone, '!')} {view.headline}",
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
        lines += [f"  {_ICONS[f.tone]} {f.badge}  {f.title}" for f in shown]
        if len(shown) < len(items):
            lines.append("  " + view.ui("email_more", count=len(items) - len(shown)))
        return lines

    def services_block(limit: int | None) -> list[str]:
        if not broken and not working:
            return []
        lines = ["", view.ui("section_services")]
        width = max((display_width(row.badge) for row in broken), default=0)
        shown = broken if limit is None else broken[: max(limit, 0)]
        lines += [f"  {_ICONS[row.tone]} {pad(row.badge, width)}  {row.name}" for row in shown]
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
