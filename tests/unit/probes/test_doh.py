"""DNS-over-HTTPS: many questions over one connection, pipelined, against a real HTTPS
server on loopback; a server that closes after each answer, or cannot be reached."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.doh import PIPELINE, doh_queries
from clearsight.probes.tls import TrustStores

from .loopback_servers import (
    Pki,
    closed_tcp_port,
    doh_address,
    doh_handler,
    http_server,
    make_pki,
)

NAME = "doh.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), NAME)


@pytest.fixture
def trust(pki: Pki) -> TrustStores:
    return TrustStores.build(pki.ca_pem)


def _ctx() -> ProbeContext:
    return ProbeContext(timeout_s=2.0, deadline=time.monotonic() + 30)


@contextlib.contextmanager
def _serve(pki: Pki, close_each: bool = False) -> Iterator[tuple[int, list[int]]]:
    handler, connections = doh_handler(close_each=close_each)
    with http_server(handler, tls=(pki.cert_pem, pki.key_pem)) as port:
        yield port, connections


def test_many_questions_share_one_connection_and_every_answer_is_matched(pki, trust):
    questions = [(f"host{i}.example.test", "A") for i in range(3 * PIPELINE + 5)]
    with _serve(pki) as (port, connections):
        url = f"https://{NAME}:{port}/dns-query"
        batch = doh_queries(_ctx(), trust.public, "Loopback", url, "127.0.0.1", questions)
    assert len(connections) == 1
    assert batch.unanswered == () and not batch.server_failed
    assert [(r.name, r.qtype) for r in batch.records] == questions
    for record in batch.records:
        assert record.failure is None and record.http_status == 200
        assert record.addresses == (doh_address(record.name),)


def test_a_server_that_closes_after_an_answer_leaves_the_rest_to_ask_again(pki, trust):
    questions = [(f"host{i}.example.test", "A") for i in range(5)]
    with _serve(pki, close_each=True) as (port, _connections):
        url = f"https://{NAME}:{port}/dns-query"
        batch = doh_queries(_ctx(), trust.public, "Loopback", url, "127.0.0.1", questions)
    assert [r.name for r in batch.records] == ["host0.example.test"]
    assert batch.unanswered == tuple(questions[1:])
    assert not batch.server_failed  # it answered: the same server is asked again


def test_a_server_that_cannot_be_reached_fails_once_and_returns_every_question(trust):
    questions = [(f"host{i}.example.test", "A") for i in range(5)]
    url = f"https://{NAME}:{closed_tcp_port()}/dns-query"
    batch = doh_queries(_ctx(), trust.public, "Loopback", url, "127.0.0.1", questions)
    assert batch.server_failed and batch.unanswered == tuple(questions)
    assert [(r.name, r.failure) for r in batch.records] == [
        ("host0.example.test", failures.CONNECTION_REFUSED)
    ]


def test_a_certificate_that_is_not_trusted_fails_the_server(pki):
    questions = [("host.example.test", "A")]
    with _serve(pki) as (port, _connections):
        url = f"https://{NAME}:{port}/dns-query"
        batch = doh_queries(
            _ctx(), TrustStores.build(None).public, "Loopback", url, "127.0.0.1", questions
        )
    assert batch.server_failed
    assert batch.records[0].failure == failures.TLS_CERT_UNTRUSTED
