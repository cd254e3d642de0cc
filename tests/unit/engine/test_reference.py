"""The DoH reference: questions wait for a server that answers; a silent one costs one
timeout however many questions wait, and no thread per question."""

from __future__ import annotations

import threading
import time

import pytest

from clearsight.engine.reference import DohReference
from clearsight.engine.sink import ObservationSink
from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.records import DohQuery
from clearsight.probes.tls import TrustStores
from clearsight.profile.model import DohResolver

from ..probes.loopback_servers import (
    Pki,
    closed_tcp_port,
    doh_address,
    doh_handler,
    http_server,
    make_pki,
    silent_tcp_port,
)

NAME = "doh.test"
QUESTIONS = [(f"host{i}.example.test", q) for i in range(60) for q in ("A", "AAAA")]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), NAME)


def _reference(
    ctx: ProbeContext, pki: Pki, ports: list[int]
) -> tuple[DohReference, ObservationSink]:
    sink = ObservationSink()
    resolvers = tuple(
        DohResolver(f"Ref{i}", f"https://{NAME}:{port}/dns-query", ("127.0.0.1",))
        for i, port in enumerate(ports)
    )
    trust = TrustStores.build(pki.ca_pem).public
    return DohReference(ctx, sink, trust, resolvers), sink


def test_a_silent_reference_costs_one_timeout_and_no_thread_per_question(pki: Pki) -> None:
    ctx = ProbeContext(timeout_s=1.0, deadline=time.monotonic() + 30)
    with silent_tcp_port() as first, silent_tcp_port() as second:
        threads_before = threading.active_count()
        reference, sink = _reference(ctx, pki, [first, second])
        started = time.monotonic()
        futures = reference.ask(QUESTIONS)
        busy = threading.active_count()
        results = [f.result(timeout=5) for f in futures]
        took = time.monotonic() - started
        reference.close()
    assert took < 1.6  # one timeout, not one per server or per question
    assert busy - threads_before <= 6  # the questions wait for a server: no thread each
    records = [r for r in sink.close() if isinstance(r, DohQuery)]
    # Each server was tried once, for the question that waited first.
    assert sorted((r.resolver, r.failure) for r in records) == [
        ("Ref0", failures.TIMEOUT),
        ("Ref1", failures.TIMEOUT),
    ]
    assert all(r is None or r.failure == failures.TIMEOUT for r in results)
    # Later questions get no server either: the reference is unavailable for the run.
    assert reference.lookup("late.example.test", "A").result(timeout=1) is None


def test_the_first_server_that_answers_serves_every_question(pki: Pki) -> None:
    ctx = ProbeContext(timeout_s=2.0, deadline=time.monotonic() + 30)
    handler, connections = doh_handler()
    with http_server(handler, tls=(pki.cert_pem, pki.key_pem)) as port:
        reference, sink = _reference(ctx, pki, [closed_tcp_port(), port])
        results = [f.result(timeout=5) for f in reference.ask(QUESTIONS)]
        reference.close()
    assert all(r is not None and r.resolver == "Ref1" for r in results)
    for (name, qtype), record in zip(QUESTIONS, results, strict=True):
        assert record is not None and (record.name, record.qtype) == (name, qtype)
        if qtype == "A":
            assert record.addresses == (doh_address(name),)
    assert len(connections) <= 4  # a few reused connections, not one per question
    refused = [r for r in sink.close() if isinstance(r, DohQuery) and r.resolver == "Ref0"]
    assert [r.failure for r in refused] == [failures.CONNECTION_REFUSED]
