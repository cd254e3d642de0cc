"""One service's recent results in one phrase, both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clearsight.history.timeline import Point, pattern, phrase

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # a Thursday


def points(verdicts: str) -> list[Point]:
    """'BBW' newest first: B blocked, W working, ? unclear; one check a day back from NOW."""
    codes = {"B": "tls_blocked", "W": "reachable", "?": "inconclusive"}
    return [Point(f"2026-12-{9 - i:02d}T09:10:00Z", codes[c]) for i, c in enumerate(verdicts)]


@pytest.mark.parametrize(
    ("verdicts", "kind", "blocked"),
    [
        ("", "none", 0),
        ("B", "first", 1),
        ("BBB", "always_blocked", 3),
        ("WWW", "always_working", 0),
        ("BBWW", "blocked_since", 2),
        ("WWBB", "works_since", 2),
        ("WBWB", "came_and_went", 2),
        ("BWB", "came_and_went", 2),
        ("W?W", "always_working", 0),  # unclear is not blocked
    ],
)
def test_patterns(verdicts: str, kind: str, blocked: int) -> None:
    found = pattern(points(verdicts))
    assert (found[0], found[1], found[2]) == (kind, blocked, len(verdicts))


@pytest.mark.parametrize(
    ("verdicts", "language", "expected"),
    [
        ("BBWW", "en", "Blocked since Tuesday"),
        ("BBWW", "zh_CN", "从周二"),
        ("WBWBWBWWWW", "en", "Came and went: blocked in 3 of the last 10 checks"),
        ("WBWBWBWWWW", "zh_CN", "时好时坏：最近 10 次检查中有 3 次被屏蔽"),
        ("B", "en", "First check"),
        ("WWBB", "en", "Working since Tuesday"),
    ],
)
def test_phrases(verdicts: str, language: str, expected: str) -> None:
    assert expected in phrase(points(verdicts), language, NOW)


def test_the_verdict_sets_match_the_vocabulary() -> None:
    from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS, VERDICTS
    from clearsight.history.verdicts import BLOCKING, WORKING

    assert BLOCKING == BLOCKING_VERDICTS
    assert set(VERDICTS) >= WORKING
