"""Hostile DNS on loopback: UdpDnsClient against a server answering every bad way there is.

Each query ends within its timeout (plus the 500 ms it keeps listening), with a failure
name, never an exception; a packet that is not a reply to the question asked never lends
an address; the client's one thread survives and answers the next query normally.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.dns_udp import MAX_REPLIES, UdpDnsClient
from clearsight.probes.records import DnsQuery

from ..unit.probes.loopback_servers import answer, udp_dns_server
from .hostile_dns import MODES, hostile_dns_process, hostile_dns_server

TIMEOUT_S = 0.8
LISTEN_S = 0.5

# mode -> (failure of the query, addresses the record may hold)
EXPECTED: dict[str, tuple[set[str | None], bool]] = {
    "random_bytes": ({failures.DNS_MALFORMED}, False),
    "truncated": ({failures.DNS_MALFORMED}, False),
    "header_only": ({failures.DNS_MALFORMED}, False),
    "wrong_id": ({failures.DNS_MALFORMED}, False),
    "wrong_question": ({failures.DNS_MALFORMED}, False),
    "not_a_reply": ({failures.DNS_MALFORMED}, False),
    "compression_loop": ({failures.DNS_MALFORMED}, False),
    "pointer_ping_pong": ({failures.DNS_MALFORMED}, False),
    "answer_64kb": ({failures.DNS_MALFORMED}, False),
    "thousands_of_records": ({failures.DNS_MALFORMED}, False),
    "wrong_address": ({failures.TIMEOUT}, False),
    "flood": ({failures.DNS_MALFORMED}, False),
    "late": ({failures.TIMEOUT}, False),
    "silent": ({failures.TIMEOUT}, False),
    "weird_rcode": ({failures.DNS_MALFORMED}, False),
    "truncated_flag": ({failures.NO_ANSWER}, False),
    "forged": ({None}, True),  # well-formed: recorded as heard; the diagnosis judges it
    "forged_then_junk": ({None}, True),
}


def test_every_mode_has_an_expectation() -> None:
    assert set(EXPECTED) == set(MODES)


@pytest.fixture
def client() -> Iterator[tuple[UdpDnsClient, list[DnsQuery]]]:
    ctx = ProbeContext(timeout_s=TIMEOUT_S, deadline=time.monotonic() + 60)
    records: list[DnsQuery] = []
    dns_client = UdpDnsClient(ctx, records.append)
    yield dns_client, records
    dns_client.close()


def _still_works(dns_client: UdpDnsClient) -> None:
    def good(query, sock, peer) -> None:  # type: ignore[no-untyped-def]
        sock.sendto(answer(query, "198.51.100.9"), peer)

    with udp_dns_server(good) as port:
        pending = dns_client.submit(
            "127.0.0.1", "ok.example.test", "A", role="system", resolver="system", port=port
        )
        assert pending.wait_first(timeout=2) == (("198.51.100.9",), None)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("qtype", ["A", "AAAA"])
def test_a_hostile_resolver_gives_a_failure_name_in_time(
    client, mode: str, qtype: str, figure
) -> None:
    dns_client, records = client
    with hostile_dns_server(mode, timeout_s=TIMEOUT_S) as server:
        started = time.monotonic()
        pending = dns_client.submit(
            "127.0.0.1",
            "www.example.test",
            qtype,
            role="system",
            resolver="system",
            port=server.port,
            timeout_s=TIMEOUT_S,
        )
        addresses, failure = pending.wait_first(timeout=TIMEOUT_S + 2)
        first_after = time.monotonic() - started
        record = pending.wait_record(timeout=TIMEOUT_S + LISTEN_S + 2)
        record_after = time.monotonic() - started
    figure(
        "dns (loopback)",
        f"{qtype} {mode}",
        first_answer_s=round(first_after, 3),
        record_s=round(record_after, 3),
    )
    failures_ok, may_hold = EXPECTED[mode]
    assert first_after <= TIMEOUT_S + 0.3, first_after
    assert record_after <= TIMEOUT_S + LISTEN_S + 0.5, record_after
    assert record is not None and record in records
    assert record.failure in failures_ok, (record.failure, record.replies[:2])
    assert failure == record.failure or (failure is None and record.failure is None)
    assert len(record.replies) <= MAX_REPLIES
    if not may_hold:
        assert addresses == () and record.addresses == ()
    for address in server.sent.forged_addresses:
        assert address not in str(record)  # a reply from the wrong address is never heard
    _still_works(dns_client)


def test_many_hostile_resolvers_at_once_do_not_starve_an_honest_one(client) -> None:
    """One selector thread serves every query: a flood or a 64 KB datagram on one socket
    must not delay the honest reply on another."""
    dns_client, _ = client
    with contextlib_exit_stack() as stack:
        servers = [
            stack.enter_context(hostile_dns_server(m, timeout_s=TIMEOUT_S))
            for m in ("flood", "answer_64kb", "thousands_of_records", "random_bytes", "flood")
        ]
        pendings = [
            dns_client.submit(
                "127.0.0.1",
                f"h{i}.example.test",
                "A",
                role="resolver",
                resolver="h",
                port=s.port,
                timeout_s=TIMEOUT_S,
            )
            for i, s in enumerate(servers)
        ]

        def good(query, sock, peer) -> None:  # type: ignore[no-untyped-def]
            time.sleep(0.05)
            sock.sendto(answer(query, "198.51.100.10"), peer)

        with udp_dns_server(good) as port:
            started = time.monotonic()
            honest = dns_client.submit(
                "127.0.0.1", "ok.example.test", "A", role="system", resolver="system", port=port
            )
            assert honest.wait_first(timeout=2) == (("198.51.100.10",), None)
            assert time.monotonic() - started < 0.5
        for pending in pendings:
            assert pending.wait_record(timeout=3) is not None
    assert threading.active_count() < 200


def contextlib_exit_stack():  # type: ignore[no-untyped-def]
    import contextlib

    return contextlib.ExitStack()


def test_many_queries_to_64_kb_answers_and_floods_stay_small(client, figure) -> None:
    """Every reply is read into a 4 KB buffer and at most 16 are kept per query: 40 queries
    to servers sending 64 KB datagrams and floods use little memory. The servers run in a
    process of their own: tracemalloc counts the client alone, and the floods' 80,000
    ``sendto`` calls do not take Python's lock from the client's selector thread."""
    import gc
    import tracemalloc

    dns_client, _ = client
    modes = ("answer_64kb", "thousands_of_records", "flood", "flood")
    with hostile_dns_process(modes, timeout_s=TIMEOUT_S) as ports:
        gc.collect()
        tracemalloc.start()
        try:
            pendings = [
                dns_client.submit(
                    "127.0.0.1",
                    f"q{i}.example.test",
                    "A",
                    role="resolver",
                    resolver="h",
                    port=ports[i % len(ports)],
                    timeout_s=TIMEOUT_S,
                )
                for i in range(40)
            ]
            records = [p.wait_record(timeout=TIMEOUT_S + LISTEN_S + 3) for p in pendings]
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    figure(
        "dns (loopback)",
        "40 queries, 64 KB answers and floods",
        tracemalloc_peak_mb=round(peak / 2**20, 2),
        last_record_ms=max((r.listened_ms for r in records if r is not None), default=None),
    )
    missing = [p.name for p, r in zip(pendings, records, strict=True) if r is None]
    assert missing == [], f"no record in time for {missing}"
    assert all(len(r.replies) <= MAX_REPLIES for r in records if r is not None)
    assert peak < 5 * 2**20, peak
