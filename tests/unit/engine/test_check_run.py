"""The engine against real servers on loopback: ordering, deadline, cancel, progress."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearsight.engine.events import ProgressEvent
from clearsight.engine.run import CheckRun
from clearsight.probes.records import HttpFetch, TcpConnect, TlsHandshake, Unfinished
from clearsight.profile.model import Profile, Service, Settings, VpnSettings

from ..probes.loopback_servers import Pki, hold, make_pki, raw_tcp_server


def _profile(services: list[Service], timeout: float, deadline: float, ca: Path | None) -> Profile:
    return Profile(
        format=1,
        name="loopback",
        support_contact=None,
        country="CN",
        include_default=False,
        settings=Settings(timeout_s=timeout, deadline_s=deadline, ca_file=ca),
        resolvers=(),
        doh=(),
        dns_injection=None,
        captive_checks=(),
        exit_check=None,
        services=tuple(services),
        vpn=VpnSettings(),
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), "127.0.0.1")


@pytest.fixture
def sni_server(pki: Pki) -> Iterator[tuple[int, list[str]]]:
    """A TLS server recording the server names it is offered, in order."""
    seen: list[str] = []
    lock = threading.Lock()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki.cert_pem), str(pki.key_pem))

    def on_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        with lock:
            seen.append(name or "")

    context.sni_callback = on_sni  # type: ignore[assignment]

    def serve(conn: socket.socket) -> None:
        try:
            conn.settimeout(3)
            tls = context.wrap_socket(conn, server_side=True)
            request = tls.recv(4096)
            if request:
                body = b"hello"
                tls.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n" + body
                )
            tls.close()
        except OSError:
            conn.close()

    with raw_tcp_server(serve) as port:
        yield port, seen


def test_no_real_name_reaches_an_address_before_the_innocuous_control(sni_server, pki):
    port, seen = sni_server
    services = [
        Service(id=f"s{i}", name=f"Service {i}", group="G", urls=(f"https://127.0.0.1:{port}/",))
        for i in range(4)
    ]
    # An address as the URL's host sends no server name in the real handshake; the lab
    # scenarios check the same ordering with names (and a censor that resets them).
    result = CheckRun(_profile(services, 2.0, 10.0, pki.ca_pem)).run()
    controls = [o for o in result.observations if isinstance(o, TlsHandshake) and o.control]
    reals = [o for o in result.observations if isinstance(o, TlsHandshake) and not o.control]
    assert len(controls) == 1  # one control per (address, port), shared by every service
    assert reals and all(r.started_s >= controls[0].started_s for r in reals)
    assert seen[0] == "example.com"
    assert result.outcome == "complete"


def test_the_deadline_holds_and_unfinished_checks_are_recorded():
    with raw_tcp_server(lambda conn: hold(conn, 8)) as port:
        services = [
            Service(id="stuck", name="Stuck", group="G", urls=(f"https://127.0.0.1:{port}/",))
        ]
        started = time.monotonic()
        result = CheckRun(_profile(services, 5.0, 1.5, None)).run()
        took = time.monotonic() - started
    assert took < 1.5 + 0.5
    assert result.outcome == "deadline"
    unfinished = [o for o in result.observations if isinstance(o, Unfinished)]
    assert unfinished and "stuck" in unfinished[0].services


def test_cancel_returns_control_within_a_second_and_leaves_no_waiting_thread():
    with raw_tcp_server(lambda conn: hold(conn, 8)) as port:
        services = [
            Service(id=f"s{i}", name=f"S{i}", group="G", urls=(f"https://127.0.0.1:{port}/p{i}",))
            for i in range(5)
        ]
        run = CheckRun(_profile(services, 6.0, 30.0, None))
        run.start()
        time.sleep(0.5)
        cancelled_at = time.monotonic()
        run.cancel()
        result = run.wait(timeout=5)
        returned_after = time.monotonic() - cancelled_at
    assert result is not None and returned_after < 1.0
    assert result.outcome == "cancelled"
    probe_threads = [t for t in threading.enumerate() if t.name.startswith("clearsight-probe")]
    assert all(t.daemon for t in probe_threads)


def test_a_cancel_noticed_after_every_cut_check_has_ended_is_still_cancelled():
    """Stop cuts the checks still running and they end at once; on a loaded machine the run's
    own thread may wake only after all of them have. The run is cancelled, never complete:
    its records end in the cancel, not on their own."""

    class LateRun(CheckRun):
        def _wait_all(self, ctx, pending):  # type: ignore[no-untyped-def]
            self._cancel_requested.wait(10)
            limit = time.monotonic() + 5
            while not all(f.done() for f in pending.values()) and time.monotonic() < limit:
                time.sleep(0.01)
            return super()._wait_all(ctx, pending)

    with raw_tcp_server(lambda conn: hold(conn, 8)) as port:
        services = [
            Service(id=f"s{i}", name=f"S{i}", group="G", urls=(f"https://127.0.0.1:{port}/p{i}",))
            for i in range(3)
        ]
        run = LateRun(_profile(services, 6.0, 30.0, None))
        run.start()
        time.sleep(0.5)
        run.cancel()
        result = run.wait(timeout=8)
    assert result is not None
    assert result.outcome == "cancelled"


def test_progress_events_count_every_check_and_end_with_done(sni_server, pki):
    port, _ = sni_server
    events: list[ProgressEvent] = []
    services = [Service(id="a", name="A", group="G", urls=(f"https://127.0.0.1:{port}/",))]
    result = CheckRun(_profile(services, 2.0, 10.0, pki.ca_pem), on_event=events.append).run()
    assert result.outcome == "complete"
    assert events[-1].kind == "done" and events[-1].fraction == 1.0
    started = {e.check for e in events if e.kind == "started"}
    finished = {e.check for e in events if e.kind == "finished"}
    assert "service:a" in started and started == finished


def test_a_refused_port_is_recorded_once_per_pair_with_its_failure():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    services = [
        Service(id="x", name="X", group="G", urls=(f"https://127.0.0.1:{port}/",)),
        Service(id="y", name="Y", group="G", urls=(f"https://127.0.0.1:{port}/y",)),
    ]
    result = CheckRun(_profile(services, 2.0, 10.0, None)).run()
    tcp = [o for o in result.observations if isinstance(o, TcpConnect)]
    assert [t.failure for t in tcp] == ["connection_refused"]


def test_a_check_that_raises_is_recorded_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    from clearsight.engine.service_flow import ServiceFlow

    def broken(self: object, service: Service) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ServiceFlow, "run", broken)
    services = [Service(id="x", name="X", group="G", urls=("https://127.0.0.1:9/",))]
    result = CheckRun(_profile(services, 1.0, 5.0, None)).run()
    unfinished = [o for o in result.observations if isinstance(o, Unfinished)]
    assert [u.reason for u in unfinished] == ["internal_error:RuntimeError"]
    assert unfinished[0].services == ("x",)


def test_the_request_goes_out_on_the_connection_whose_handshake_was_verified(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path, None, addresses=("127.0.0.1",))  # valid for https://127.0.0.1
    seen: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki.cert_pem), str(pki.key_pem))
    context.sni_callback = lambda sock, name, ctx: seen.append(name or "")  # type: ignore[assignment,misc]

    def serve(conn: socket.socket) -> None:
        try:
            conn.settimeout(3)
            tls = context.wrap_socket(conn, server_side=True)
            if tls.recv(4096):
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            tls.close()
        except OSError:
            conn.close()

    with raw_tcp_server(serve) as port:
        services = [Service(id="a", name="A", group="G", urls=(f"https://127.0.0.1:{port}/",))]
        result = CheckRun(_profile(services, 2.0, 10.0, pki.ca_pem)).run()
    fetches = [o for o in result.observations if isinstance(o, HttpFetch)]
    assert [(f.status, f.on_verified_connection) for f in fetches] == [(200, True)]
    # Three handshakes in all: the innocuous control, the clock check's, and the real
    # one that carried the request (no third connection for the request itself).
    real = [o for o in result.observations if isinstance(o, TlsHandshake) and not o.control]
    assert [h.verify for h in real] == ["ok"]
    assert len(seen) == 3


def test_a_pool_of_two_threads_still_finishes_every_check(sni_server, pki):
    # Nothing waits on work queued behind it: with every thread busy, fan-outs run in
    # the thread that made them, and the DoH reference has threads of its own.
    port, _ = sni_server
    services = [
        Service(id=f"s{i}", name=f"S{i}", group="G", urls=(f"https://127.0.0.1:{port}/p{i}",))
        for i in range(6)
    ]
    started = time.monotonic()
    result = CheckRun(_profile(services, 2.0, 20.0, pki.ca_pem), max_workers=2).run()
    assert result.outcome == "complete"
    assert time.monotonic() - started < 10.0
