"""Hostile HTTP and TLS servers on loopback: per-operation timeouts hold, every failure is a
name (never an exception), bodies and redirects stay bounded, and nothing a broken server
sends is taken for a working page."""

from __future__ import annotations

import contextlib
import time

import pytest

from clearsight.probes import failures, tls
from clearsight.probes.context import ProbeContext
from clearsight.probes.http import MAX_BODY_BYTES, MAX_REDIRECTS, fetch, fetch_bytes
from clearsight.probes.records import HttpFetch

from .hostile_http import (
    HTTP_BEHAVIOURS,
    TLS_BEHAVIOURS,
    HostileServer,
    Pki,
    hostile_server,
    make_pki,
)

TIMEOUT_S = 1.5
# The watchdog wakes within a few ms of a deadline; thread scheduling on a busy CI machine
# takes the rest.
SLACK_S = 0.6
KNOWN_FAILURES = {v for k, v in vars(failures).items() if k.isupper() and isinstance(v, str)}

# Behaviours whose answer is nevertheless a complete, ordinary HTTP response.
ANSWERS = {"status_999", "negative_length", "binary_headers", "gzip_bomb"}
# Behaviours that end in a redirect that is recorded and not followed.
RECORDED_REDIRECTS = {"redirect_odd_scheme", "redirect_javascript"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("hostile-pki"))


@pytest.fixture(scope="module")
def trust(pki: Pki) -> tls.TrustStores:
    return tls.TrustStores.build(pki.ca_pem)


def _ctx() -> ProbeContext:
    return ProbeContext(timeout_s=TIMEOUT_S, deadline=time.monotonic() + 60)


# What each behaviour is called: the name must say what happened (a server that drips is a
# timeout, not a reset; a close is an EOF; a page that is not HTTP is a protocol error).
NAMED: dict[str, set[str | None]] = {
    "drip_status": {failures.TIMEOUT},
    "drip_body": {failures.TIMEOUT},
    "silence": {failures.TIMEOUT},
    "chunk_size_huge": {failures.TIMEOUT},
    "bad_status_line": {failures.HTTP_PROTOCOL_ERROR},
    "no_status_line": {failures.HTTP_PROTOCOL_ERROR},
    "header_1mb_line": {failures.HTTP_PROTOCOL_ERROR},
    "headers_1mb_many": {failures.HTTP_PROTOCOL_ERROR},
    "headers_endless": {failures.HTTP_PROTOCOL_ERROR},
    "huge_location": {failures.HTTP_PROTOCOL_ERROR},
    "broken_chunked": {failures.HTTP_PROTOCOL_ERROR},
    "short_body": {failures.EOF},
    "close_at_once": {failures.EOF},
    # a RST after part of the body; over TLS it reads as the end of the stream
    "reset_after_headers": {failures.CONNECTION_RESET, failures.EOF},
    "redirect_chain": {failures.TOO_MANY_REDIRECTS},
    "redirect_loop": {failures.TOO_MANY_REDIRECTS},
    "endless_body": {None},
    "endless_chunked": {None},
    "redirect_odd_scheme": {None},
    "redirect_javascript": {None},
    "status_999": {None},
    "negative_length": {None},
    "binary_headers": {None},
    "gzip_bomb": {None},
}
TLS_NAMED: dict[str, set[str]] = {
    "tls_never_completes": {failures.TIMEOUT},
    "tls_partial_record": {failures.TIMEOUT},
    "tls_drip": {failures.TIMEOUT},
    "tls_endless": {failures.TIMEOUT},
    "tls_garbage": {failures.TLS_HANDSHAKE_FAILED},
    "tls_plain_http": {failures.TLS_HANDSHAKE_FAILED},
    "tls_alert": {failures.TLS_ALERT},
}


def test_every_behaviour_has_a_name() -> None:
    assert set(NAMED) == set(HTTP_BEHAVIOURS)
    assert set(TLS_NAMED) == set(TLS_BEHAVIOURS)


def _check_fetch(behaviour: str, result: HttpFetch, took: float) -> None:
    assert result.failure in NAMED[behaviour], (behaviour, result.failure)
    assert took <= TIMEOUT_S + SLACK_S, f"{behaviour}: {took:.2f} s"
    assert result.failure is None or result.failure in KNOWN_FAILURES, result.failure
    assert result.failure != failures.UNKNOWN, result
    assert result.body_bytes <= MAX_BODY_BYTES
    assert len(result.body_prefix) <= 2048
    assert len(result.redirects) <= MAX_REDIRECTS + 1
    for _name, value in result.headers:
        assert len(value) <= 300
    if behaviour in ANSWERS:
        assert result.status is not None
        return
    if behaviour in RECORDED_REDIRECTS:
        assert result.redirects and result.final_url == result.redirects[-1].location
        assert result.body_bytes == 0
        return
    if behaviour in ("redirect_chain", "redirect_loop"):
        assert result.failure == failures.TOO_MANY_REDIRECTS
        return
    if behaviour in ("endless_body", "endless_chunked"):
        # 200 and the start of the page: what was read is recorded, and that it is unfinished
        assert result.status == 200 and not result.body_complete
        assert result.body_bytes == MAX_BODY_BYTES
        return
    # Everything else is broken: it must not look like a complete page.
    assert result.failure is not None or not result.body_complete, result


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("behaviour", sorted(HTTP_BEHAVIOURS))
def test_fetch_against_a_hostile_server(
    behaviour: str, scheme: str, pki: Pki, trust: tls.TrustStores, figure
) -> None:
    with hostile_server(behaviour, tls=pki if scheme == "https" else None) as server:
        started = time.monotonic()
        result = fetch(
            _ctx(),
            server.url,
            "127.0.0.1",
            ssl_context=trust.public if scheme == "https" else None,
        )
        took = time.monotonic() - started
    figure(
        "http/tls fetch",
        f"{scheme} {behaviour}",
        seconds=round(took, 3),
        body_bytes=result.body_bytes,
    )
    _check_fetch(behaviour, result, took)


@pytest.mark.parametrize("behaviour", sorted(HTTP_BEHAVIOURS))
def test_fetch_bytes_against_a_hostile_server(
    behaviour: str, pki: Pki, trust: tls.TrustStores
) -> None:
    """The small whole-body reads (DoH, clock, exit country, PAC) have the same bounds."""
    with hostile_server(behaviour, tls=pki) as server:
        started = time.monotonic()
        response = fetch_bytes(
            _ctx(), server.url, "127.0.0.1", ssl_context=trust.public, max_body=8192
        )
        took = time.monotonic() - started
    assert took <= TIMEOUT_S + SLACK_S, took
    assert len(response.body) <= 8192
    assert response.failure is None or response.failure in KNOWN_FAILURES
    assert response.failure != failures.UNKNOWN
    assert len(response.headers) <= 50
    if behaviour not in ANSWERS and not behaviour.startswith(("redirect", "huge_location")):
        assert (
            response.failure is not None
            or response.status != 200
            or behaviour
            in (
                "endless_body",
                "endless_chunked",
            )
        ), response


@pytest.mark.parametrize("behaviour", sorted(TLS_BEHAVIOURS))
def test_tls_handshakes_against_a_hostile_server(
    behaviour: str, trust: tls.TrustStores, figure
) -> None:
    with hostile_server(behaviour) as server:
        for probe in ("control", "real", "fetch"):
            ctx = _ctx()
            started = time.monotonic()
            if probe == "control":
                record = tls.control_handshake(ctx, trust, "127.0.0.1", server.port)
                failure = record.failure
            elif probe == "real":
                verified = tls.real_name_connection(ctx, trust, "127.0.0.1", server.port, "x.test")
                if verified.sock is not None:
                    verified.sock.close()
                failure = verified.record.failure
            else:
                failure = fetch(ctx, server.url, "127.0.0.1", ssl_context=trust.public).failure
            took = time.monotonic() - started
            figure("tls handshake", f"{probe} {behaviour}", seconds=round(took, 3))
            # a real-name handshake that fails verification makes up to three handshakes
            assert took <= TIMEOUT_S + SLACK_S, (probe, took)
            assert failure in TLS_NAMED[behaviour], (probe, failure)


def test_cancel_unblocks_every_hostile_request_at_once(pki: Pki, trust: tls.TrustStores) -> None:
    """Cancel shuts every socket: requests stuck on dripping, silent or half-sent servers
    (over TLS, and in the middle of a handshake) all return within a fraction of a second."""
    import threading

    ctx = ProbeContext(timeout_s=30.0, deadline=time.monotonic() + 60)
    stuck = ["drip_status", "drip_body", "silence", "chunk_size_huge"]
    raw = ["tls_never_completes", "tls_drip", "tls_partial_record"]
    results: dict[str, str | None] = {}
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(hostile_server(b, tls=pki)) for b in stuck]
        servers += [stack.enter_context(hostile_server(b)) for b in raw]

        def one(server: HostileServer) -> None:
            results[server.behaviour] = fetch(
                ctx, server.url, "127.0.0.1", ssl_context=trust.public
            ).failure

        threads = [threading.Thread(target=one, args=(s,)) for s in servers]
        for thread in threads:
            thread.start()
        time.sleep(0.8)
        assert not results, f"finished before the cancel: {results}"
        started = time.monotonic()
        ctx.cancel()
        for thread in threads:
            thread.join(5)
        took = time.monotonic() - started
    assert took < 1.0, took
    assert results == {s.behaviour: failures.CANCELLED for s in servers}


@pytest.mark.parametrize("behaviour", sorted(HTTP_BEHAVIOURS) + sorted(TLS_BEHAVIOURS))
def test_doh_clock_and_exit_checks_against_a_hostile_server(
    behaviour: str, pki: Pki, trust: tls.TrustStores
) -> None:
    """The checks that read a whole small answer (DNS-over-HTTPS, the clock's Date header,
    the exit country's trace page) end in time with a record, whatever the server does."""
    from clearsight.probes.clock import clock_check
    from clearsight.probes.doh import doh_queries
    from clearsight.probes.exit_check import exit_check

    tls_server = pki if behaviour in HTTP_BEHAVIOURS else None
    with hostile_server(behaviour, tls=tls_server) as server:
        url = f"https://127.0.0.1:{server.port}/dns-query"
        for name, check in (
            (
                "doh",
                lambda: doh_queries(
                    _ctx(), trust.public, "R", url, "127.0.0.1", [("a.test", "A")]
                ).records[0],
            ),
            ("clock", lambda: clock_check(_ctx(), trust.unverified, server.url, ("127.0.0.1",))),
            ("exit", lambda: exit_check(_ctx(), trust.public, server.url, ("127.0.0.1",))),
        ):
            started = time.monotonic()
            record = check()
            took = time.monotonic() - started
            assert took <= TIMEOUT_S + SLACK_S, (name, took)
            if name == "doh":
                assert record.failure is not None and record.addresses == (), record
            if name == "exit":
                assert record.failure is not None or record.ip is not None
            assert record.failure != failures.UNKNOWN, (name, record)
