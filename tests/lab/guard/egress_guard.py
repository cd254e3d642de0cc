"""Egress guard: no test may send a packet beyond loopback and the lab's own address ranges.

Standard library only: the same file runs inside the pytest process (installed by
``tests/conftest.py``) and, through ``sitecustomize.py`` in this directory, inside every Python
subprocess started with ``PYTHONPATH=<this dir>`` and ``CLEARSIGHT_EGRESS_GUARD=1`` (the lab's
``run_client`` does both).

What it does, before any packet can leave:

* ``socket.connect`` / ``connect_ex`` / ``sendto`` / ``sendmsg`` on AF_INET/AF_INET6 sockets
  check the destination. Allowed: loopback (127.0.0.0/8, ::1), the unspecified address (a
  connection to oneself) and, *only from inside a network namespace other than the host's*,
  the lab ranges 10.77.0.0/16, 198.18.0.0/15 and fd77::/48. (From the host namespace a lab
  address is not a lab host: the packet would go to the machine's real default gateway.)
* ``getaddrinfo`` / ``gethostbyname(_ex)`` / ``gethostbyaddr`` of a host *name* is refused unless
  the name is in ``/etc/hosts`` or every ``nameserver`` of ``/etc/resolv.conf`` is an allowed
  address (inside the lab client namespace it is the lab's resolver; on the host it is the
  machine's resolver, which tests must never query).

A violation raises :class:`EgressViolation` (a ``BaseException``, so ``except Exception`` in the
code under test cannot swallow it), is recorded in :func:`violations` (the pytest fixture fails
the test even if something swallowed the exception), and, when ``CLEARSIGHT_EGRESS_GUARD_LOG``
names a file, is appended to it (``run_client`` turns a non-empty log into a test failure).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
LAB_NETWORKS = (
    ipaddress.ip_network("10.77.0.0/16"),
    ipaddress.ip_network("198.18.0.0/15"),
    ipaddress.ip_network("fd77::/48"),
)
UNSPECIFIED = ("", "0.0.0.0", "::")

ENV_ENABLE = "CLEARSIGHT_EGRESS_GUARD"
ENV_LOG = "CLEARSIGHT_EGRESS_GUARD_LOG"
# The inode of the host's network namespace, passed down by the lab: /proc/1/ns/net is not
# readable everywhere (containers), and a process started inside a lab namespace cannot
# otherwise tell that namespace from the host's.
ENV_HOST_NETNS = "CLEARSIGHT_EGRESS_GUARD_HOST_NETNS"


class EgressViolation(BaseException):
    """A test tried to send traffic outside loopback and the lab. Deliberately not an
    ``Exception``: probe code that turns failures into values must not hide it."""


_lock = threading.Lock()
_violations: list[str] = []
_originals: dict[str, Any] = {}
_host_netns: int | None = None
_log_path: str | None = None
_resolver_allowed = False
_hosts_names: frozenset[str] = frozenset()


def violations() -> list[str]:
    """Every violation recorded in this process since install (or the last clear)."""
    with _lock:
        return list(_violations)


def clear_violations() -> None:
    with _lock:
        _violations.clear()


def installed() -> bool:
    return bool(_originals)


def _netns_inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def host_netns_inode() -> int | None:
    """The host's network namespace: from the environment (set by the lab), else PID 1's,
    else (unreadable) the caller's own, assuming it runs on the host."""
    if _host_netns is not None:
        return _host_netns
    from_env = os.environ.get(ENV_HOST_NETNS, "")
    if from_env.isdigit():
        return int(from_env)
    host = _netns_inode("/proc/1/ns/net")
    return host if host is not None else _netns_inode("/proc/thread-self/ns/net")


def in_host_netns() -> bool:
    """True when the calling *thread* is in the host's network namespace (network namespaces
    are per thread: the lab enters a namespace from a helper thread)."""
    mine = _netns_inode("/proc/thread-self/ns/net")
    return mine is None or mine == _host_netns


def address_allowed(host: str) -> bool:
    """Whether a literal address may be a destination from the calling thread."""
    if host in UNSPECIFIED:
        return True
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if any(addr in net for net in LOOPBACK):
        return True
    if any(addr in net for net in LAB_NETWORKS):
        return not in_host_netns()
    return False


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _violation(what: str) -> EgressViolation:
    stack = "".join(traceback.format_stack(limit=12)[:-2])
    message = f"egress guard: {what} (pid {os.getpid()}, {sys.argv[:3]!r})"
    with _lock:
        _violations.append(message)
    if _log_path:
        with contextlib.suppress(OSError), open(_log_path, "a", encoding="utf-8") as log:
            log.write(message + "\n" + stack + "\n")
    with contextlib.suppress(Exception):
        sys.stderr.write(message + "\n")
    return EgressViolation(message)


def _check_address(family: int, address: Any, what: str) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return
    if not isinstance(address, tuple) or not address:
        return
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host)
    if _is_literal(host) or host in UNSPECIFIED:
        if not address_allowed(host):
            raise _violation(f"{what} to {host}:{address[1] if len(address) > 1 else '?'}")
        return
    # A host name: resolve it through the guarded resolver, then check every result.
    for info in _guarded_getaddrinfo(host, None):
        resolved = str(info[4][0])
        if not address_allowed(resolved):
            raise _violation(f"{what} to {host} ({resolved})")


def _name_allowed(name: str) -> bool:
    lowered = name.lower().rstrip(".")
    if lowered in ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"):
        return True
    return _resolver_allowed or lowered in _hosts_names


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None:
        text = host.decode("idna") if isinstance(host, bytes) else str(host)
        if not _is_literal(text) and text not in UNSPECIFIED and not _name_allowed(text):
            raise _violation(f"name lookup of {text!r} through a non-lab resolver")
    return _originals["getaddrinfo"](host, *args, **kwargs)


def _guard_name_function(name: str) -> Callable[..., Any]:
    original = _originals[name]

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode("idna") if isinstance(host, bytes) else str(host)
        if not _is_literal(text) and text not in UNSPECIFIED and not _name_allowed(text):
            raise _violation(f"{name} of {text!r} through a non-lab resolver")
        if name == "gethostbyaddr" and _is_literal(text) and not address_allowed(text):
            raise _violation(f"reverse lookup of {text} through a non-lab resolver")
        return original(host, *args, **kwargs)

    guarded.__name__ = name
    return guarded


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self.family, address, "connect")
    return _originals["connect"](self, address)  # type: ignore[no-any-return]


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self.family, address, "connect_ex")
    return _originals["connect_ex"](self, address)  # type: ignore[no-any-return]


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1] if args else None
    _check_address(self.family, address, "sendto")
    return _originals["sendto"](self, data, *args)  # type: ignore[no-any-return]


def _guarded_sendmsg(self: socket.socket, buffers: Any, *args: Any, **kwargs: Any) -> int:
    address = kwargs.get("address", args[2] if len(args) >= 3 else None)
    if address is not None:
        _check_address(self.family, address, "sendmsg")
    return _originals["sendmsg"](self, buffers, *args, **kwargs)  # type: ignore[no-any-return]


def _read_resolvers() -> list[str]:
    servers: list[str] = []
    with contextlib.suppress(OSError), open("/etc/resolv.conf", encoding="utf-8") as conf:
        for line in conf:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver":
                servers.append(parts[1])
    return servers


def _read_hosts_names() -> frozenset[str]:
    names: set[str] = set()
    with contextlib.suppress(OSError), open("/etc/hosts", encoding="utf-8") as hosts:
        for line in hosts:
            fields = line.split("#", 1)[0].split()
            names.update(field.lower() for field in fields[1:])
    return frozenset(names)


def install(log_path: str | None = None) -> None:
    """Install the guard in this process (idempotent)."""
    global _host_netns, _log_path, _resolver_allowed, _hosts_names
    with _lock:
        if _originals:
            return
        _host_netns = host_netns_inode()
        _log_path = log_path or os.environ.get(ENV_LOG) or None
        resolvers = _read_resolvers()
        _hosts_names = _read_hosts_names()
        _originals.update(
            connect=socket.socket.connect,
            connect_ex=socket.socket.connect_ex,
            sendto=socket.socket.sendto,
            sendmsg=socket.socket.sendmsg,
            getaddrinfo=socket.getaddrinfo,
            gethostbyname=socket.gethostbyname,
            gethostbyname_ex=socket.gethostbyname_ex,
            gethostbyaddr=socket.gethostbyaddr,
        )
    # Outside the lock: address_allowed() needs _host_netns, which is set.
    _resolver_allowed = bool(resolvers) and all(address_allowed(r) for r in resolvers)
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
    socket.socket.sendmsg = _guarded_sendmsg  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo
    for name in ("gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        setattr(socket, name, _guard_name_function(name))


def uninstall() -> None:
    """Restore the original socket functions (for the guard's own tests)."""
    with _lock:
        if not _originals:
            return
        socket.socket.connect = _originals["connect"]  # type: ignore[method-assign]
        socket.socket.connect_ex = _originals["connect_ex"]  # type: ignore[method-assign]
        socket.socket.sendto = _originals["sendto"]  # type: ignore[method-assign]
        socket.socket.sendmsg = _originals["sendmsg"]  # type: ignore[method-assign]
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
            setattr(socket, name, _originals[name])
        _originals.clear()


@contextlib.contextmanager
def expect_violations() -> Iterator[list[str]]:
    """For tests of the guard: violations raised inside are collected, not left to fail the
    test. Yields the list of messages recorded inside the block."""
    with _lock:
        start = len(_violations)
    caught: list[str] = []
    try:
        yield caught
    finally:
        with _lock:
            caught.extend(_violations[start:])
            del _violations[start:]


def install_from_environment() -> None:
    """What ``sitecustomize`` calls: install when ``CLEARSIGHT_EGRESS_GUARD=1``."""
    if os.environ.get(ENV_ENABLE) == "1":
        install()
