"""VPN endpoint probes against fake servers on loopback that speak just enough protocol."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.vpn_endpoint import (
    ike_sa_init,
    is_ike_reply,
    is_openvpn_server_reset,
    openvpn_client_reset,
    probe_endpoint,
)

from .loopback_servers import raw_tcp_server


def _ctx(timeout: float = 0.8) -> ProbeContext:
    return ProbeContext(timeout_s=timeout, deadline=time.monotonic() + 20)


@contextmanager
def udp_server(reply: Callable[[bytes], bytes | None]) -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except OSError:
                continue
            answer = reply(data)
            if answer is not None:
                sock.sendto(answer, peer)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def _server_reset(client_packet: bytes) -> bytes | None:
    if client_packet[:1] != b"\x38":
        return None
    # opcode 8 (server hard reset v2), server session id, ack of the client's packet 0
    return b"\x40" + b"S" * 8 + b"\x01" + b"\x00\x00\x00\x00" + client_packet[1:9] + b"\x00" * 4


def test_the_openvpn_client_reset_has_the_documented_shape():
    packet = openvpn_client_reset(b"12345678")
    assert packet == b"\x3812345678\x00\x00\x00\x00\x00"
    assert is_openvpn_server_reset(_server_reset(packet) or b"")


def test_an_openvpn_udp_server_answering_proves_reachability():
    with udp_server(_server_reset) as port:
        record = probe_endpoint(_ctx(), "Office", "vpn.test", port, "openvpn-udp", "127.0.0.1")
    assert record.replied and record.failure is None and record.detail == "server_hard_reset"


def test_a_silent_openvpn_udp_server_is_only_silence():
    with udp_server(lambda data: None) as port:
        record = probe_endpoint(_ctx(0.5), "Office", "vpn.test", port, "openvpn-udp", "127.0.0.1")
    assert not record.replied and record.failure == failures.TIMEOUT


def test_silence_from_an_openvpn_udp_server_is_not_awaited_for_the_whole_timeout():
    # A server with tls-auth says nothing to a stranger on an honest network: after one
    # resend (about a second in), only the silence window is awaited, not 6 s.
    seen: list[bytes] = []
    with udp_server(lambda data: seen.append(data)) as port:
        started = time.monotonic()
        record = probe_endpoint(_ctx(6.0), "Office", "vpn.test", port, "openvpn-udp", "127.0.0.1")
        took = time.monotonic() - started
    assert record.failure == failures.TIMEOUT and not record.replied
    assert 1.5 <= took < 2.6
    assert len(seen) == 2  # sent, and sent again once


def test_openvpn_over_tcp_uses_the_length_prefix():
    def serve(conn: socket.socket) -> None:
        conn.settimeout(2)
        data = conn.recv(4096)
        (length,) = struct.unpack("!H", data[:2])
        answer = _server_reset(data[2 : 2 + length]) or b""
        conn.sendall(struct.pack("!H", len(answer)) + answer)
        conn.close()

    with raw_tcp_server(serve) as port:
        record = probe_endpoint(_ctx(), "Office", "vpn.test", port, "openvpn-tcp", "127.0.0.1")
    assert record.replied and record.detail == "server_hard_reset"


def test_any_ike_reply_with_our_spi_proves_an_ikev2_server():
    packet = ike_sa_init(b"A" * 8)
    assert packet[17] == 0x20 and packet[18] == 34  # version 2.0, IKE_SA_INIT
    assert struct.unpack("!I", packet[24:28])[0] == len(packet)

    def responder(data: bytes) -> bytes:
        # NO_PROPOSAL_CHOSEN notify: still an IKE answer from a live server
        header = data[:8] + b"R" * 8 + struct.pack("!BBBBII", 41, 0x20, 34, 0x20, 0, 36)
        return header + struct.pack("!BBHBBH", 0, 0, 8, 0, 0, 14)

    with udp_server(responder) as port:
        record = probe_endpoint(_ctx(), "IPsec", "vpn.test", port, "ikev2", "127.0.0.1")
    assert record.replied and record.detail == "ike_reply"
    assert not is_ike_reply(b"\x00" * 40, b"A" * 8)


def test_wireguard_is_not_probed_and_says_why():
    record = probe_endpoint(_ctx(), "WG", "vpn.test", 51820, "wireguard", "127.0.0.1")
    assert not record.replied and record.detail == "silent_by_design"


def test_a_tcp_endpoint_that_accepts_is_reachable_and_a_closed_one_refused():
    with raw_tcp_server(lambda conn: conn.close()) as port:
        ok = probe_endpoint(_ctx(), "T", "vpn.test", port, "tcp", "127.0.0.1")
    assert ok.replied
    closed = probe_endpoint(_ctx(), "T", "vpn.test", port, "tcp", "127.0.0.1")
    assert not closed.replied and closed.failure == failures.CONNECTION_REFUSED
