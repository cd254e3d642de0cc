"""VPN server reachability without credentials (docs/censorship.md, "VPN protocols").

* OpenVPN over UDP: a client hard-reset packet (first byte ``0x38``); a reply whose
  first byte is ``0x40`` (server hard reset) proves a live server. Servers with tls-auth or
  tls-crypt drop packets without a valid HMAC, so silence proves nothing.
* OpenVPN over TCP: the same packet behind its 2-byte length prefix.
* IKEv2: an IKE_SA_INIT to UDP 500; any IKE reply (even "no proposal chosen") proves
  reachability.
* WireGuard: silent by design to unknown peers; only other evidence can show a block.
* TCP / HTTPS: a connect (and a handshake).

Each probe records what came back; the diagnosis decides what it proves.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import time

from clearsight.probes import failures, tcp
from clearsight.probes.context import ProbeContext, elapsed_ms, probe_failure
from clearsight.probes.records import VpnEndpointProbe

OPENVPN_CLIENT_RESET = 0x38  # P_CONTROL_HARD_RESET_CLIENT_V2, key id 0
OPENVPN_SERVER_RESET = 0x40  # P_CONTROL_HARD_RESET_SERVER_V2, key id 0


def openvpn_client_reset(session_id: bytes | None = None) -> bytes:
    """opcode | session id (8) | ack array length (0) | packet id (4), no payload."""
    session = session_id or os.urandom(8)
    return bytes([OPENVPN_CLIENT_RESET]) + session + b"\x00" + b"\x00\x00\x00\x00"


def is_openvpn_server_reset(data: bytes) -> bool:
    return len(data) >= 10 and data[0] >> 3 == OPENVPN_SERVER_RESET >> 3


def ike_sa_init(spi: bytes | None = None) -> bytes:
    """A minimal IKEv2 IKE_SA_INIT (RFC 7296): SA (AES-CBC-256, HMAC-SHA2-256, group 14),
    KE and Nonce payloads. No secret is involved; any IKE answer proves reachability."""
    spi_i = spi or os.urandom(8)

    def transform(last: bool, kind: int, ident: int, attrs: bytes = b"") -> bytes:
        body = struct.pack("!BBH", kind, 0, ident) + attrs
        return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body

    transforms = (
        transform(False, 1, 12, struct.pack("!HH", 0x800E, 256))  # ENCR_AES_CBC, 256 bits
        + transform(False, 2, 5)  # PRF_HMAC_SHA2_256
        + transform(False, 3, 12)  # AUTH_HMAC_SHA2_256_128
        + transform(True, 4, 14)  # DH group 14
    )
    proposal_body = struct.pack("!BBBB", 1, 1, 0, 4) + transforms  # #1, IKE, no SPI, 4
    proposal = struct.pack("!BBH", 0, 0, 4 + len(proposal_body)) + proposal_body
    sa = struct.pack("!BBH", 34, 0, 4 + len(proposal)) + proposal  # next: KE
    ke_data = struct.pack("!HH", 14, 0) + os.urandom(256)
    ke = struct.pack("!BBH", 40, 0, 4 + len(ke_data)) + ke_data  # next: Nonce
    nonce_data = os.urandom(32)
    nonce = struct.pack("!BBH", 0, 0, 4 + len(nonce_data)) + nonce_data
    payloads = sa + ke + nonce
    header = spi_i + b"\x00" * 8 + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(payloads))
    return header + payloads


def is_ike_reply(data: bytes, spi_i: bytes) -> bool:
    return len(data) >= 28 and data[:8] == spi_i and data[17] >> 4 == 2 and data[18] == 34


def _udp_exchange(
    ctx: ProbeContext,
    address: str,
    port: int,
    packet: bytes,
    accept: object,
    *,
    silence_possible: bool = False,
) -> tuple[bytes | None, str | None]:
    """Send ``packet`` (again about a second later: one lost packet is no silence) and
    wait for a datagram ``accept`` likes. ``silence_possible``: an honest server may say
    nothing (OpenVPN with tls-auth), so after the resend only the silence window is
    awaited, not the whole timeout (docs/design.md, "Waiting for silence")."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    deadline = ctx.op_deadline()
    resend_at = time.monotonic() + ctx.hedge_after_s()
    resent = False
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((address, port))
            sock.send(packet)
            while True:
                ctx.check()
                now = time.monotonic()
                give_up = deadline
                if silence_possible:
                    give_up = min(deadline, resend_at + ctx.silence_s())
                if now >= give_up:
                    return None, failures.TIMEOUT
                if not resent and now >= resend_at:
                    sock.send(packet)
                    resent = True
                wait_until = give_up if resent else min(give_up, resend_at)
                sock.settimeout(max(0.01, min(0.25, wait_until - now)))
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                if callable(accept) and accept(data):
                    return data, None
        except Exception as exc:
            return None, probe_failure(ctx, exc)


def _tcp_openvpn(
    ctx: ProbeContext, address: str, port: int
) -> tuple[bytes | None, str | None, bool]:
    """(the server's packet, the failure, whether the TCP connect itself succeeded)."""
    connection = tcp.connect(ctx, address, port)
    sock = connection.sock
    if sock is None:
        return None, connection.failure, False
    deadline = ctx.op_deadline()
    packet = openvpn_client_reset()
    try:
        with ctx.watchdog.guard(sock, deadline):
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.sendall(struct.pack("!H", len(packet)) + packet)
            data = b""
            while len(data) < 2 + 10:
                chunk = sock.recv(4096)
                if not chunk:
                    failure = failures.EOF if not data else failures.HTTP_PROTOCOL_ERROR
                    return None, failure, True
                data += chunk
            return data[2:], None, True
    except Exception as exc:
        return None, probe_failure(ctx, exc), True
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def probe_endpoint(
    ctx: ProbeContext,
    name: str,
    host: str,
    port: int,
    protocol: str,
    address: str,
) -> VpnEndpointProbe:
    """One probe of one endpoint address. ``replied`` is True only when the answer is the
    protocol's own (a server hard reset, an IKE header with our SPI, a TCP accept)."""
    started_s = ctx.elapsed_s()
    start = time.monotonic()
    replied = False
    failure: str | None = None
    detail = ""
    tcp_connected: bool | None = None
    if protocol == "openvpn-udp":
        # Servers with tls-auth or tls-crypt drop the packet without a word.
        data, failure = _udp_exchange(
            ctx,
            address,
            port,
            openvpn_client_reset(),
            is_openvpn_server_reset,
            silence_possible=True,
        )
        replied = data is not None
        detail = "server_hard_reset" if replied else "no_reply"
    elif protocol == "openvpn-tcp":
        data, failure, tcp_connected = _tcp_openvpn(ctx, address, port)
        replied = data is not None and is_openvpn_server_reset(data)
        if replied:
            detail = "server_hard_reset"
        elif tcp_connected:
            detail = "tcp_connected_no_reply"  # tls-auth/tls-crypt servers stay silent
        else:
            detail = "tcp_" + (failure or "unexpected_reply")
        if data is not None and not replied:
            failure = "unexpected_reply"
    elif protocol == "ikev2":
        spi = os.urandom(8)
        data, failure = _udp_exchange(
            ctx, address, port, ike_sa_init(spi), lambda d: is_ike_reply(d, spi)
        )
        replied = data is not None
        detail = "ike_reply" if replied else "no_reply"
    elif protocol == "wireguard":
        # A WireGuard server answers only peers it knows; nothing to send that proves
        # anything. Reachability of the host is judged from its other ports.
        failure = failures.NOT_RUN
        detail = "silent_by_design"
    else:  # "tcp" and "https": the connect is the evidence; the handshake is extra
        connection = tcp.connect(ctx, address, port)
        sock = connection.sock
        failure = connection.failure
        replied = sock is not None
        tcp_connected = replied
        detail = "tcp_connected" if replied else f"tcp_{failure}"
        if sock is not None and protocol == "https":
            from clearsight.probes.tls import TrustStores, control_handshake

            handshake = control_handshake(ctx, TrustStores.build(None), address, port, sock)
            detail = "tls_answered" if handshake.server_responded else f"tls_{handshake.failure}"
        elif sock is not None:
            sock.close()
    return VpnEndpointProbe(
        name=name,
        host=host,
        port=port,
        protocol=protocol,
        address=address,
        replied=replied,
        failure=failure,
        detail=detail,
        elapsed_ms=elapsed_ms(start),
        started_s=started_s,
        tcp_connected=tcp_connected,
    )
