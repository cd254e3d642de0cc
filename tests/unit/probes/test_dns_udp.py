"""The UDP DNS client against real servers on loopback: races, hostile packets, loss."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import dns.message
import pytest

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.dns_udp import MAX_REPLIES, UdpDnsClient
from clearsight.probes.records import DnsQuery

from .loopback_servers import answer, udp_dns_server


@pytest.fixture
def client() -> Iterator[tuple[UdpDnsClient, list[DnsQuery]]]:
    ctx = ProbeContext(timeout_s=1.0, deadline=time.monotonic() + 20)
    records: list[DnsQuery] = []
    dns_client = UdpDnsClient(ctx, records.append)
    yield dns_client, records
    dns_client.close()


def _send(sock: socket.socket, peer: tuple[str, int], data: bytes, delay: float = 0.0) -> None:
    if delay:
        time.sleep(delay)
    sock.sendto(data, peer)


def test_an_injected_reply_racing_the_real_one_is_heard_and_both_are_kept(client):
    dns_client, _ = client

    def injector(query: dns.message.Message, sock: socket.socket, peer) -> None:
        _send(sock, peer, answer(query, "203.0.113.66"))  # forged, first
        _send(sock, peer, answer(query, "198.51.100.7"), delay=0.15)  # genuine, later

    with udp_dns_server(injector) as port:
        pending = dns_client.submit(
            "127.0.0.1", "www.example.test", "A", role="system", resolver="system", port=port
        )
        started = time.monotonic()
        addresses, failure = pending.wait_first(timeout=2)
        first_after = time.monotonic() - started
        record = pending.wait_record(timeout=3)
    assert (addresses, failure) == (("203.0.113.66",), None)
    assert first_after < 0.4  # the caller moves on at the first reply
    assert record is not None
    assert [r.addresses for r in record.replies] == [("203.0.113.66",), ("198.51.100.7",)]
    assert record.listened_ms >= 500  # kept listening for late replies


@pytest.mark.parametrize(
    ("packet", "malformed"),
    [
        (lambda q: b"\x00\x01garbage", "ShortHeader"),
        (
            lambda q: answer(dns.message.make_query("www.example.test", "A"), "192.0.2.1"),
            "wrong_id",
        ),
        (
            lambda q: answer(
                _with_id(dns.message.make_query("other.test", "A"), q.id), "192.0.2.1"
            ),
            "wrong_question",
        ),
        (lambda q: bytes(range(256)) * 8, None),
    ],
    ids=["random-bytes", "wrong-id", "wrong-question", "2kb-noise"],
)
def test_hostile_replies_are_recorded_as_malformed_never_raised(client, packet, malformed):
    dns_client, _ = client

    def hostile(query: dns.message.Message, sock: socket.socket, peer) -> None:
        _send(sock, peer, packet(query))

    with udp_dns_server(hostile) as port:
        pending = dns_client.submit(
            "127.0.0.1",
            "www.example.test",
            "A",
            role="system",
            resolver="system",
            port=port,
            timeout_s=0.6,
        )
        record = pending.wait_record(timeout=3)
    assert record is not None
    assert record.addresses == ()
    assert record.failure == failures.DNS_MALFORMED
    assert record.replies and all(r.malformed for r in record.replies)
    if malformed is not None:
        assert record.replies[0].malformed == malformed


def _with_id(message: dns.message.Message, query_id: int) -> dns.message.Message:
    message.id = query_id
    return message


def test_one_lost_packet_is_not_a_failure_the_query_is_sent_again(client):
    dns_client, _ = client
    seen: list[int] = []
    lock = threading.Lock()

    def lossy(query: dns.message.Message, sock: socket.socket, peer) -> None:
        with lock:
            seen.append(query.id)
            first = len(seen) == 1
        if not first:
            _send(sock, peer, answer(query, "198.51.100.9"))

    with udp_dns_server(lossy) as port:
        pending = dns_client.submit(
            "127.0.0.1",
            "www.example.test",
            "A",
            role="system",
            resolver="system",
            port=port,
            timeout_s=1.0,
        )
        addresses, failure = pending.wait_first(timeout=3)
    assert (addresses, failure) == (("198.51.100.9",), None)
    assert len(seen) == 2


def test_nxdomain_and_empty_answers_are_named(client):
    dns_client, _ = client

    def nx(query: dns.message.Message, sock: socket.socket, peer) -> None:
        rcode = 3 if str(query.question[0].name).startswith("nx") else 0
        _send(sock, peer, answer(query, rcode=rcode))

    with udp_dns_server(nx) as port:
        missing = dns_client.submit(
            "127.0.0.1", "nx.example.test", "A", role="system", resolver="system", port=port
        )
        empty = dns_client.submit(
            "127.0.0.1", "empty.example.test", "AAAA", role="system", resolver="system", port=port
        )
        assert missing.wait_first(timeout=2) == ((), failures.NXDOMAIN)
        assert empty.wait_first(timeout=2) == ((), failures.NO_ANSWER)


def test_a_closed_port_fails_fast_and_a_silent_server_times_out(client):
    dns_client, _ = client
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    started = time.monotonic()
    refused = dns_client.submit(
        "127.0.0.1",
        "www.example.test",
        "A",
        role="resolver",
        resolver="r",
        port=closed_port,
        timeout_s=1.0,
    )
    assert refused.wait_first(timeout=3) == ((), failures.CONNECTION_REFUSED)
    assert time.monotonic() - started < 0.9

    with udp_dns_server(lambda q, s, p: None) as port:
        silent = dns_client.submit(
            "127.0.0.1",
            "www.example.test",
            "A",
            role="resolver",
            resolver="r",
            port=port,
            timeout_s=0.5,
        )
        record = silent.wait_record(timeout=3)
    assert record is not None and record.failure == failures.TIMEOUT


def test_a_flood_of_replies_is_capped_and_not_read_past_the_cap(client, monkeypatch):
    """At most MAX_REPLIES replies are kept, and once they are, the socket is read no more:
    the one thread that serves every query spends no system call on the rest of a flood."""
    dns_client, _ = client
    reads = [0]
    real_socket = socket.socket

    class CountingSocket(real_socket):
        def recv(self, *args: Any) -> bytes:
            reads[0] += 1
            return super().recv(*args)

    def flood(query: dns.message.Message, sock: socket.socket, peer) -> None:
        for index in range(300):
            _send(sock, peer, answer(query, f"198.51.100.{index % 250 + 1}"))

    with udp_dns_server(flood) as port:
        monkeypatch.setattr(socket, "socket", CountingSocket)
        pending = dns_client.submit(
            "127.0.0.1", "www.example.test", "A", role="system", resolver="system", port=port
        )
        monkeypatch.undo()
        record = pending.wait_record(timeout=3)
    assert record is not None and len(record.replies) == MAX_REPLIES
    # a read that finds the queue empty (the flood arrives slower than it is read) counts too
    assert reads[0] <= 2 * MAX_REPLIES, reads[0]


def test_a_resend_goes_out_about_a_second_after_the_first_not_halfway_to_the_timeout():
    ctx = ProbeContext(timeout_s=6.0, deadline=time.monotonic() + 20)
    dns_client = UdpDnsClient(ctx, lambda record: None)
    seen: list[float] = []
    lock = threading.Lock()

    def lossy(query: dns.message.Message, sock: socket.socket, peer) -> None:
        with lock:
            seen.append(time.monotonic())
            first = len(seen) == 1
        if not first:
            _send(sock, peer, answer(query, "198.51.100.9"))

    try:
        with udp_dns_server(lossy) as port:
            started = time.monotonic()
            pending = dns_client.submit(
                "127.0.0.1", "www.example.test", "A", role="system", resolver="system", port=port
            )
            assert pending.wait_first(timeout=5) == (("198.51.100.9",), None)
            took = time.monotonic() - started
    finally:
        dns_client.close()
    assert len(seen) == 2
    assert 0.9 <= took < 2.0  # the timeout's halfway mark would be 3 s


@pytest.mark.parametrize(("round_trip_s", "window_s"), [(None, 1.0), (0.01, 0.5)])
def test_where_an_honest_network_answers_nothing_the_query_listens_only_the_silence_window(
    round_trip_s: float | None, window_s: float
):
    # An injection probe: the address runs no DNS server. Listening the whole timeout
    # (5 s) would make every healthy run wait for an answer that never comes.
    ctx = ProbeContext(timeout_s=5.0, deadline=time.monotonic() + 20)
    if round_trip_s is not None:
        ctx.note_round_trip(round_trip_s)
    dns_client = UdpDnsClient(ctx, lambda record: None)
    seen: list[int] = []
    try:
        with udp_dns_server(lambda q, s, p: seen.append(q.id)) as port:
            pending = dns_client.submit(
                "127.0.0.1",
                "www.example.test",
                "A",
                role="injection_probe",
                resolver="probe",
                port=port,
                expect_silence=True,
            )
            record = pending.wait_record(timeout=5)
    finally:
        dns_client.close()
    assert record is not None and record.failure == failures.TIMEOUT
    assert window_s * 1000 - 50 <= record.listened_ms <= window_s * 1000 + 400
    assert len(seen) == 1  # not resent: silence is the expected answer


def test_an_injected_answer_to_a_silent_address_is_heard_and_kept():
    ctx = ProbeContext(timeout_s=5.0, deadline=time.monotonic() + 20)
    dns_client = UdpDnsClient(ctx, lambda record: None)

    def injector(query: dns.message.Message, sock: socket.socket, peer) -> None:
        _send(sock, peer, answer(query, "203.0.113.66"), delay=0.3)

    try:
        with udp_dns_server(injector) as port:
            pending = dns_client.submit(
                "127.0.0.1",
                "www.example.test",
                "A",
                role="injection_probe",
                resolver="probe",
                port=port,
                expect_silence=True,
            )
            record = pending.wait_record(timeout=5)
    finally:
        dns_client.close()
    assert record is not None and record.addresses == ("203.0.113.66",)
    assert record.listened_ms < 1500
