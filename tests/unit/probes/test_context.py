"""How long probes wait: the hedge's start and the window of silence."""

from __future__ import annotations

import time

import pytest

from clearsight.probes.context import ProbeContext


def _ctx(timeout: float) -> ProbeContext:
    return ProbeContext(timeout_s=timeout, deadline=time.monotonic() + 60)


@pytest.mark.parametrize(
    ("timeout_s", "hedge_s"),
    [(5.0, 1.0), (2.0, 1.0), (1.0, 0.5), (0.4, 0.2)],
)
def test_a_second_attempt_starts_about_a_second_in_and_always_before_the_timeout(
    timeout_s: float, hedge_s: float
) -> None:
    assert _ctx(timeout_s).hedge_after_s() == pytest.approx(hedge_s)


@pytest.mark.parametrize(
    ("round_trips_s", "silence_s"),
    [
        ((), 1.0),  # nothing measured yet: about a second
        ((0.002, 0.030), 0.5),  # a fast network: never under half a second
        ((0.180, 0.320), 0.64),  # twice the longest round trip
        ((0.2, 0.9, 0.1), 1.0),  # never more than a second
    ],
)
def test_silence_is_awaited_about_a_second_or_less_where_round_trips_allow(
    round_trips_s: tuple[float, ...], silence_s: float
) -> None:
    ctx = _ctx(5.0)
    for rtt in round_trips_s:
        ctx.note_round_trip(rtt)
    assert ctx.silence_s() == pytest.approx(silence_s)
