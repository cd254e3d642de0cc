"""A hostile DNS server: every way a resolver on a censored network can answer badly.

Used on loopback (``hostile_dns_server``, with ``UdpDnsClient(port=...)``), in the lab's
world namespace (sockets made there through ``lab.call_in``, served by a thread here), and in
a process of its own (``hostile_dns_process``: ``python -m tests.hostile.hostile_dns MODE...``)
where a test measures the client and must not share its CPU and memory with the servers.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dns.flags
import dns.message
import dns.rrset

from . import strategies as hs

# mode -> (what the client can at best conclude, a short description)
MODES: dict[str, str] = {
    "random_bytes": "random bytes of random length",
    "truncated": "a valid reply cut in the middle of the answer",
    "header_only": "the first 6 bytes of a reply",
    "wrong_id": "a valid reply with another query ID",
    "wrong_question": "a valid reply to another name",
    "not_a_reply": "the query echoed back (QR bit clear)",
    "compression_loop": "an answer whose name is a pointer to itself",
    "pointer_ping_pong": "two name pointers pointing at each other",
    "answer_64kb": "a 64 KB datagram (one 64 KB TXT record after an A record)",
    "thousands_of_records": "4000 A records in one 64 KB datagram",
    "wrong_address": "a valid, forged reply sent from another address and port",
    "flood": "2000 datagrams of junk, as fast as the socket takes them",
    "late": "a valid reply only after the client's timeout",
    "silent": "nothing at all",
    "weird_rcode": "rcode 11 (unassigned) with an address",
    "truncated_flag": "TC bit set, no answer",
    "forged": "a well-formed reply with a forged address (198.18.250.1, nothing there)",
    "forged_then_junk": "a bogus address, then junk and a reply to another ID",
}

# What each mode may leave a run with, service by service: a resolver that gives no usable
# answer (where the reference has one) is dns_failed, never "tampered" (broken is not
# forged); a well-formed answer with a forged address is dns_tampered.
FORGING = frozenset({"forged", "forged_then_junk"})
EXPECTED_VERDICTS: dict[str, frozenset[str]] = {
    mode: frozenset({"dns_tampered"} if mode in FORGING else {"dns_failed", "inconclusive"})
    for mode in MODES
}


def _reply(query: dns.message.Message, *addresses: str, rcode: int = 0) -> bytes:
    reply = dns.message.make_response(query)
    reply.set_rcode(rcode)
    name = query.question[0].name
    for address in addresses:
        rdtype = "AAAA" if ":" in address else "A"
        reply.answer.append(dns.rrset.from_text(name, 60, "IN", rdtype, address))
    return bytes(reply.to_wire())


def _forged_for(query: dns.message.Message) -> str:
    return "fd77:0:0:250::1" if query.question[0].rdtype == 28 else "198.18.250.1"


@dataclass
class Sent:
    """What the server sent, for the test to check that nothing leaked into the record."""

    count: int = 0
    forged_addresses: set[str] = field(default_factory=set)


def respond(
    mode: str,
    data: bytes,
    sock: socket.socket,
    peer: tuple[str, int],
    other: socket.socket | None,
    timeout_s: float,
    sent: Sent,
) -> None:
    """Answer one query ``data`` from ``peer`` the way ``mode`` says."""
    try:
        query = dns.message.from_wire(data)
    except Exception:
        return
    qid = query.id

    def send(packet: bytes, via: socket.socket | None = None) -> None:
        with contextlib.suppress(OSError):
            (via or sock).sendto(packet, peer)
            sent.count += 1

    valid = _reply(query, _forged_for(query))
    if mode == "random_bytes":
        send(os.urandom(1 + os.urandom(1)[0] * 2))
    elif mode == "truncated":
        send(valid[: len(valid) - 3])
    elif mode == "header_only":
        send(valid[:6])
    elif mode == "wrong_id":
        bad = bytearray(valid)
        bad[0:2] = ((qid + 1) & 0xFFFF).to_bytes(2, "big")
        send(bytes(bad))
    elif mode == "wrong_question":
        other_query = dns.message.make_query("evil.example", "A")
        other_query.id = qid
        send(_reply(other_query, "198.18.250.2"))
    elif mode == "not_a_reply":
        send(data)
    elif mode == "compression_loop":
        send(hs.compression_loop(qid))
    elif mode == "pointer_ping_pong":
        send(hs.pointer_ping_pong(qid))
    elif mode == "answer_64kb":
        send(hs.many_records(qid, 1, size=65000))
    elif mode == "thousands_of_records":
        send(hs.many_records(qid, 4000))
    elif mode == "wrong_address":
        sent.forged_addresses.add(_forged_for(query))
        for via in (other, None):
            if via is not None:
                send(valid, via)
        # from this socket too, but to another port of the client (never its own)
        with contextlib.suppress(OSError):
            sock.sendto(valid, (peer[0], (peer[1] % 60000) + 1024))
    elif mode == "flood":
        junk = os.urandom(300)
        for index in range(2000):
            send(junk[: 12 + index % 280])
    elif mode == "late":
        time.sleep(timeout_s + 0.3)
        send(valid)
    elif mode == "silent":
        return
    elif mode == "weird_rcode":
        message = dns.message.from_wire(valid)
        message.set_rcode(11)
        send(bytes(message.to_wire()))
    elif mode == "truncated_flag":
        message = dns.message.make_response(query)
        message.flags |= dns.flags.TC
        send(bytes(message.to_wire()))
    elif mode == "forged":
        send(valid)
    elif mode == "forged_then_junk":
        send(valid)
        send(os.urandom(40))
        bad = bytearray(valid)
        bad[0:2] = ((qid + 7) & 0xFFFF).to_bytes(2, "big")
        send(bytes(bad))
    else:
        raise ValueError(mode)


def _bind(address: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # 64 KB datagrams must leave whole
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sock.bind((address, port))
    sock.settimeout(0.1)
    return sock


@dataclass
class HostileDns:
    """A running hostile server: ``mode`` can change between queries."""

    mode: str
    address: str
    port: int
    sent: Sent
    queries: list[tuple[str, int]]


@contextlib.contextmanager
def hostile_dns_server(
    mode: str,
    *,
    address: str = "127.0.0.1",
    other_address: str | None = None,
    port: int = 0,
    timeout_s: float = 1.0,
    make_socket: Callable[[str, int], socket.socket] | None = None,
    run_in: Callable[[Callable[[], None]], object] | None = None,
) -> Iterator[HostileDns]:
    """Serve ``mode`` at ``address``:``port`` (0: any free port). ``other_address``: where
    "wrong_address" replies come from (default: another port of ``address``).
    ``make_socket(address, port)`` creates the sockets and ``run_in(loop)`` runs the serving
    loop (e.g. both inside a lab namespace: threads the loop starts stay there too)."""
    make = make_socket or _bind
    sock = make(address, port)
    port = sock.getsockname()[1]
    other = make(other_address, port) if other_address else make(address, 0)
    stop = threading.Event()
    server = HostileDns(mode, address, port, Sent(), [])

    def loop() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            server.queries.append(peer[:2])
            threading.Thread(
                target=respond,
                args=(server.mode, data, sock, peer, other, timeout_s, server.sent),
                daemon=True,
            ).start()

    def serve() -> None:
        (run_in or (lambda fn: fn()))(loop)

    thread = threading.Thread(target=serve, name="hostile-dns", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(2)
        sock.close()
        other.close()


REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def hostile_dns_process(modes: Sequence[str], *, timeout_s: float = 1.0) -> Iterator[list[int]]:
    """One hostile server per mode on 127.0.0.1, all in a process of their own: yields their
    ports, in the order of ``modes``.

    Served from the test's own process, a flood is 2000 ``sendto`` calls in Python per query,
    one thread each: dozens of such threads take Python's lock from the client's one
    selector thread, and a test that measures the client (its memory, when its records
    come) measures the servers instead. The egress guard runs in that process too."""
    from tests.lab.guard import GUARD_DIR

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(GUARD_DIR), str(REPO / "desktop"), str(REPO)]),
        "CLEARSIGHT_EGRESS_GUARD": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.hostile_dns", f"--timeout={timeout_s}", *modes],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the hostile DNS process ended: exit {proc.wait()}")
        yield list(json.loads(line))
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: Sequence[str]) -> None:
    """Serve each mode of ``argv`` (after an optional ``--timeout=S``) on a port of its own,
    print the ports as one JSON list, and serve until standard input closes."""
    timeout_s = 1.0
    modes = list(argv)
    if modes and modes[0].startswith("--timeout="):
        timeout_s = float(modes.pop(0).split("=", 1)[1])
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(hostile_dns_server(mode, timeout_s=timeout_s)) for mode in modes
        ]
        print(json.dumps([server.port for server in servers]), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1:])
