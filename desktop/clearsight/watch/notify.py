"""Whether a finished check is worth a notification, and its words.

Watch mode speaks up only when a verdict changed since the previous check on the same
network and profile, and only for the checks it started itself (a check the person started
in the window is on their screen already). Pure: the catalog gives the words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clearsight.explanations import Catalog

MAX_LINES = 3  # a notification bubble shows a few lines; the rest is counted


@dataclass(frozen=True)
class Notice:
    title: str
    message: str


def service_names(report: Mapping[str, Any]) -> dict[str, str]:
    """service id -> its name in the report's language."""
    names: dict[str, str] = {}
    services = report.get("services")
    for service in services if isinstance(services, list) else ():
        if isinstance(service, Mapping) and isinstance(service.get("id"), str):
            names[service["id"]] = str(service.get("name") or service["id"])
    return names


def change_lines(
    changes: Sequence[tuple[str, str, str]], names: Mapping[str, str], texts: Catalog
) -> list[str]:
    """One line per change: "Gmail: Works → Blocked", "Slack works again"."""
    lines = []
    for service, before, after in changes:
        name = names.get(service, service)
        if after == "reachable":
            lines.append(texts.ui("watch_change_works", service=name))
        else:
            lines.append(
                texts.ui(
                    "watch_change",
                    service=name,
                    before=texts.verdict_badge(before),
                    after=texts.verdict_badge(after),
                )
            )
    return lines


def notice_for(
    changes: Sequence[tuple[str, str, str]],
    report: Mapping[str, Any],
    texts: Catalog,
    *,
    started_by_watch: bool,
) -> Notice | None:
    """The notification for a finished check, or None when there is nothing to say."""
    if not started_by_watch or not changes:
        return None
    lines = change_lines(changes, service_names(report), texts)
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(texts.ui("watch_change_more", count=len(lines) - MAX_LINES))
    return Notice(texts.ui("watch_notice_title"), "\n".join(shown))


__all__ = ["Notice", "change_lines", "notice_for", "service_names"]
