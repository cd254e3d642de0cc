"""Netfilter over netlink in pure Python: an NFQUEUE reader and a conntrack flush.

No compiled dependency (``NetfilterQueue`` needs a C build): the messages are small and
documented in ``linux/netfilter/nfnetlink_queue.h`` and ``nfnetlink_conntrack.h``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_NO_ENOBUFS = 5

NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 0x2
NLMSG_DONE = 0x3

NFNL_SUBSYS_CTNETLINK = 1
NFNL_SUBSYS_QUEUE = 3
IPCTNL_MSG_CT_DELETE = 2

NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2

NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3

NFQNL_CFG_CMD_BIND = 1
NFQNL_CFG_CMD_UNBIND = 2

NFQNL_COPY_META = 1
NFQNL_COPY_PACKET = 2

NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_PAYLOAD = 10

NF_DROP = 0
NF_ACCEPT = 1

_NLMSGHDR = struct.Struct("=IHHII")
_NLATTR = struct.Struct("=HH")


def _attr(kind: int, data: bytes) -> bytes:
    length = _NLATTR.size + len(data)
    return _NLATTR.pack(length, kind) + data + b"\0" * ((4 - length % 4) % 4)


def _message(
    msg_type: int, flags: int, seq: int, family: int, res_id: int, payload: bytes
) -> bytes:
    body = struct.pack("=BB", family, 0) + struct.pack("!H", res_id) + payload
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(body), msg_type, flags, seq, 0) + body


def _parse_messages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, seq, payload after nlmsghdr) for every message in a datagram."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, msg_type, _flags, seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size:
            return
        yield msg_type, seq, data[offset + _NLMSGHDR.size : offset + length]
        offset += (length + 3) & ~3


def _parse_attrs(data: bytes) -> dict[int, bytes]:
    attrs: dict[int, bytes] = {}
    offset = 0
    while offset + _NLATTR.size <= len(data):
        length, kind = _NLATTR.unpack_from(data, offset)
        if length < _NLATTR.size:
            break
        attrs[kind & 0x3FFF] = data[offset + _NLATTR.size : offset + length]
        offset += (length + 3) & ~3
    return attrs


class NetlinkError(OSError):
    pass


class _Netlink:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.bind((0, 0))
        self._seq = 0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.sock.close()

    def request(self, msg_type: int, family: int, res_id: int, payload: bytes) -> None:
        """Send a request with NLM_F_ACK and wait for its acknowledgement."""
        with self._lock:
            self._seq += 1
            seq = self._seq
        self.sock.send(_message(msg_type, NLM_F_REQUEST | NLM_F_ACK, seq, family, res_id, payload))
        while True:
            data = self.sock.recv(65536)
            for kind, got_seq, body in _parse_messages(data):
                if kind == NLMSG_ERROR and got_seq == seq:
                    (code,) = struct.unpack_from("=i", body)
                    if code != 0:
                        raise NetlinkError(-code, os.strerror(-code))
                    return


def flush_conntrack() -> None:
    """Forget every connection-tracking entry of the calling thread's network namespace, so
    NAT decisions made under old rules do not outlive them."""
    link = _Netlink()
    try:
        for family in (socket.AF_INET, socket.AF_INET6):
            try:
                link.request((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, family, 0, b"")
            except NetlinkError as exc:
                if exc.errno != errno.ENOENT:
                    raise
    finally:
        link.close()


@dataclass
class QueuedPacket:
    packet_id: int
    hw_protocol: int
    hook: int
    payload: bytes


class NfQueue:
    """One NFQUEUE (``iptables ... -j NFQUEUE --queue-num N``) read from Python.

    ``handler(packet)`` runs on the reader thread for every queued packet; it (or anyone
    later, from any thread) must call :meth:`verdict` with the packet id. Packets may be
    held: verdicts need not come in order.
    """

    def __init__(
        self,
        queue_num: int,
        handler: Callable[[QueuedPacket], None],
        *,
        copy_payload: bool = True,
        max_len: int = 20000,
    ) -> None:
        self.queue_num = queue_num
        self.handler = handler
        self._link = _Netlink()
        sock = self._link.sock
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, 33, 8 * 1024 * 1024)  # SO_RCVBUFFORCE
        with contextlib.suppress(OSError):
            sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
        queue_msg = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG
        self._link.request(
            queue_msg,
            socket.AF_UNSPEC,
            queue_num,
            _attr(NFQA_CFG_CMD, struct.pack("=BB", NFQNL_CFG_CMD_BIND, 0) + struct.pack("!H", 0)),
        )
        mode = NFQNL_COPY_PACKET if copy_payload else NFQNL_COPY_META
        self._link.request(
            queue_msg,
            socket.AF_UNSPEC,
            queue_num,
            _attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0xFFFF, mode)),
        )
        self._link.request(
            queue_msg,
            socket.AF_UNSPEC,
            queue_num,
            _attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", max_len)),
        )
        sock.settimeout(0.2)  # the reader polls _closed between datagrams
        self._closed = False
        self._send_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"nfqueue-{queue_num}", daemon=True)
        self._thread.start()

    def verdict(self, packet_id: int, verdict: int = NF_ACCEPT) -> None:
        if self._closed:
            return
        payload = _attr(NFQA_VERDICT_HDR, struct.pack("!II", verdict, packet_id))
        message = _message(
            (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT,
            NLM_F_REQUEST,
            0,
            socket.AF_UNSPEC,
            self.queue_num,
            payload,
        )
        with self._send_lock, contextlib.suppress(OSError):
            self._link.sock.send(message)

    def _run(self) -> None:
        packet_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET
        while not self._closed:
            try:
                data = self._link.sock.recv(262144)
            except TimeoutError:
                continue
            except OSError as exc:
                if self._closed or exc.errno == errno.EBADF:
                    return
                if exc.errno == errno.ENOBUFS:
                    continue
                return
            for kind, _seq, body in _parse_messages(data):
                if kind != packet_type:
                    continue
                attrs = _parse_attrs(body[4:])  # skip nfgenmsg
                header = attrs.get(NFQA_PACKET_HDR)
                if header is None or len(header) < 7:
                    continue
                packet_id, hw_protocol, hook = struct.unpack_from("!IHB", header)
                packet = QueuedPacket(packet_id, hw_protocol, hook, attrs.get(NFQA_PAYLOAD, b""))
                try:
                    self.handler(packet)
                except Exception:
                    self.verdict(packet_id, NF_ACCEPT)

    def close(self) -> None:
        """Unbind the queue. The kernel drops packets still held: give them verdicts first.
        (No acknowledgement is awaited: the reader thread owns the socket's receive side.)"""
        if self._closed:
            return
        message = _message(
            (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG,
            NLM_F_REQUEST,
            0,
            socket.AF_UNSPEC,
            self.queue_num,
            _attr(NFQA_CFG_CMD, struct.pack("=BB", NFQNL_CFG_CMD_UNBIND, 0) + struct.pack("!H", 0)),
        )
        with self._send_lock, contextlib.suppress(OSError):
            self._link.sock.send(message)
        self._closed = True
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
        self._link.close()
