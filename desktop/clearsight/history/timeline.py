"""One service's recent results and what they say: "blocked since Tuesday 09:10",
"came and went: blocked in 3 of the last 10 checks".

Pure functions over (time, verdict) points, newest first, so the window, the reports and
``clearsight history --service`` say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from clearsight.history.texts import text, when
from clearsight.history.verdicts import BLOCKING as BLOCKING_VERDICTS

#: How many recent checks a timeline shows.
TIMELINE_LENGTH = 10


@dataclass(frozen=True)
class Point:
    started_at: str
    verdict: str

    @property
    def blocked(self) -> bool:
        return self.verdict in BLOCKING_VERDICTS


def pattern(points: Sequence[Point]) -> tuple[str, int, int, str | None]:
    """(kind, blocked count, total, since) for points newest first. kind: ``first``,
    ``blocked_since``, ``works_since``, ``always_blocked``, ``always_working``,
    ``came_and_went``; *since*: when the current state began (its first check)."""
    total = len(points)
    blocked = sum(1 for p in points if p.blocked)
    if total == 0:
        return ("none", 0, 0, None)
    if total == 1:
        return ("first", blocked, 1, points[0].started_at)
    streak = 1
    while streak < total and points[streak].blocked == points[0].blocked:
        streak += 1
    since = points[streak - 1].started_at
    if streak == total:
        return ("always_blocked" if points[0].blocked else "always_working", blocked, total, since)
    if points[0].blocked and blocked == streak:
        return ("blocked_since", blocked, total, since)
    # Working now after one stretch of blocking (no earlier blocking before it).
    if not points[0].blocked:
        rest = points[streak:]
        run = 0
        while run < len(rest) and rest[run].blocked:
            run += 1
        if run == blocked:
            return ("works_since", blocked, total, since)
    return ("came_and_went", blocked, total, since)


def phrase(points: Sequence[Point], language: str, now: datetime | None = None) -> str:
    """The timeline in one phrase, in *language*."""
    kind, blocked, total, since = pattern(points)
    if kind in ("none", "first"):
        return text(language, "first_check")
    if kind in ("blocked_since", "works_since"):
        return text(language, kind, when=when(since or "", language, now))
    return text(language, kind, count=blocked, total=total)
