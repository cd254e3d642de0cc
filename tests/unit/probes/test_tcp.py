"""Connects, hedged: a silent address gets a second, overlapping attempt and costs one
timeout; an answer (even a refusal) ends it; the first of several addresses to answer
wins."""

from __future__ import annotations

import threading
import time

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.tcp import connect, connect_first

from .loopback_servers import closed_tcp_port, raw_tcp_server, read_some, silent_tcp_port

HOST = "127.0.0.1"


def _ctx(timeout: float) -> ProbeContext:
    return ProbeContext(timeout_s=timeout, deadline=time.monotonic() + 30)


def test_a_port_that_answers_connects_at_the_first_attempt() -> None:
    with raw_tcp_server(read_some) as port:
        connection = connect(_ctx(2.0), HOST, port)
        assert connection.sock is not None
        connection.sock.close()
    assert [(a.attempt, a.failure) for a in connection.attempts] == [(1, None)]
    assert connection.failure is None and connection.address == HOST


def test_a_refused_port_is_tried_once_and_at_once() -> None:
    started = time.monotonic()
    connection = connect(_ctx(2.0), HOST, closed_tcp_port())
    assert time.monotonic() - started < 0.5
    assert connection.sock is None
    assert [(a.attempt, a.failure) for a in connection.attempts] == [
        (1, failures.CONNECTION_REFUSED)
    ]


def test_a_silent_address_gets_a_second_overlapping_attempt_and_costs_one_timeout() -> None:
    ctx = _ctx(1.0)  # the hedge starts at half the timeout when that is under a second
    with silent_tcp_port() as port:
        started = time.monotonic()
        connection = connect(ctx, HOST, port)
        took = time.monotonic() - started
    first, second = connection.attempts
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.failure == second.failure == failures.TIMEOUT
    assert 0.4 <= second.started_s - first.started_s <= 0.8  # while the first still waited
    assert 0.95 <= took < 1.5  # both ended at the first one's deadline: one timeout
    assert connection.failure == failures.TIMEOUT


def test_the_first_address_to_answer_wins_and_a_silent_one_is_dropped_unrecorded() -> None:
    with silent_tcp_port() as silent, raw_tcp_server(read_some) as good:
        started = time.monotonic()
        connection = connect_first(_ctx(2.0), [(HOST, silent), (HOST, good)])
        took = time.monotonic() - started
        assert connection.sock is not None
        assert connection.sock.getpeername()[1] == good
        connection.sock.close()
    assert 0.9 <= took < 1.6  # the second started about a second after the first
    assert [(a.port, a.failure) for a in connection.attempts] == [(good, None)]


def test_a_failed_address_hands_over_to_the_next_at_once() -> None:
    refused = closed_tcp_port()
    with raw_tcp_server(read_some) as good:
        started = time.monotonic()
        connection = connect_first(_ctx(2.0), [(HOST, refused), (HOST, good)])
        took = time.monotonic() - started
        assert connection.sock is not None
        connection.sock.close()
    assert took < 0.5
    assert [(a.port, a.failure) for a in connection.attempts] == [
        (refused, failures.CONNECTION_REFUSED),
        (good, None),
    ]


def test_cancel_ends_a_waiting_connect_within_a_second() -> None:
    ctx = _ctx(10.0)
    with silent_tcp_port() as port:
        threading.Timer(0.2, ctx.cancel).start()
        started = time.monotonic()
        connection = connect(ctx, HOST, port)
        took = time.monotonic() - started
    assert took < 1.0
    assert connection.sock is None and connection.failure == failures.CANCELLED


def test_a_successful_connect_is_a_measured_round_trip() -> None:
    ctx = _ctx(2.0)
    with raw_tcp_server(read_some) as port:
        connection = connect(ctx, HOST, port)
        assert connection.sock is not None
        connection.sock.close()
    assert 0 < ctx.longest_round_trip_s < 0.5
