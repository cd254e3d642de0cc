"""When watch mode checks again: the schedule and the debounce of network changes."""

from __future__ import annotations

import pytest

from clearsight.watch.schedule import (
    DEFAULT_INTERVAL_MIN,
    Debounce,
    interval_min,
    next_check_at,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(15, 15), ("60", 60), ("240", 240), (None, 60), ("x", 60), (5, 60), (-1, 60), ("", 60)],
)
def test_interval_min_keeps_only_the_offered_choices(value: object, expected: int) -> None:
    assert interval_min(value) == expected
    assert DEFAULT_INTERVAL_MIN == 60


@pytest.mark.parametrize(
    ("last", "interval", "now", "expected"),
    [
        (None, 900, 1000.0, 1000.0),  # never checked: now
        (1000.0, 900, 1100.0, 1900.0),
        (1000.0, 900, 1900.0, 1900.0),
        (1000.0, 900, 9000.0, 1900.0),  # slept through it: due at once on waking
        (5000.0, 900, 1000.0, 1900.0),  # clock set back: one interval from now
    ],
)
def test_next_check_at(last: float | None, interval: float, now: float, expected: float) -> None:
    assert next_check_at(last, interval, now) == expected


# (events: ("change", t) | ("check", t) | ("clear", t)), then due at what time
@pytest.mark.parametrize(
    ("events", "at", "due"),
    [
        ([], 100.0, False),
        ([("change", 0.0)], 9.9, False),
        ([("change", 0.0)], 10.0, True),
        ([("change", 0.0), ("change", 8.0)], 12.0, False),  # still settling
        ([("change", 0.0), ("change", 8.0)], 18.0, True),
        # a network that keeps flapping is checked after the longest wait all the same
        ([("change", float(t)) for t in range(0, 61, 5)], 60.0, True),
        ([("change", float(t)) for t in range(0, 61, 5)], 59.0, False),
        # a check that started after the change saw it
        ([("change", 0.0), ("check", 1.0)], 30.0, False),
        # one that started before the change did not
        ([("check", 0.0), ("change", 1.0)], 30.0, True),
        ([("change", 0.0), ("clear", 1.0)], 30.0, False),
    ],
)
def test_debounce(events: list[tuple[str, float]], at: float, due: bool) -> None:
    debounce = Debounce(quiet_s=10.0, max_wait_s=60.0)
    for kind, when in events:
        if kind == "change":
            debounce.changed(when)
        elif kind == "check":
            debounce.covered_by_check_started(when)
        else:
            debounce.clear()
    assert debounce.due(at) == due
    assert debounce.pending == (debounce.due_at() is not None)
