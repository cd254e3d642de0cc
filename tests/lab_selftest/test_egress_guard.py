"""The egress guard refuses traffic beyond loopback and the lab *before* a packet is sent.
Only TEST-NET addresses (192.0.2.0/24, 2001:db8::/32) are used as forbidden targets."""

from __future__ import annotations

import _socket
import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.guard import GUARD_DIR, egress_guard
from tests.lab.guard.egress_guard import EgressViolation


@pytest.fixture
def no_real_send(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Replace the real socket operations behind the guard with recorders: if the guard let
    anything through to them, the test sees it (and nothing reaches the network)."""
    assert egress_guard.installed(), "conftest installs the guard"
    reached: list[str] = []

    def recorder(name: str) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            reached.append(name)
            raise AssertionError(f"the guard let {name} through")

        return record

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and egress_guard._is_literal(str(host)):
            return _socket.getaddrinfo(host, *args, **kwargs)  # no lookup: nothing is sent
        reached.append(f"getaddrinfo {host}")
        raise AssertionError(f"the guard let a lookup of {host} through")

    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        monkeypatch.setitem(egress_guard._originals, name, recorder(name))
    monkeypatch.setitem(egress_guard._originals, "getaddrinfo", getaddrinfo)
    with egress_guard.expect_violations():
        yield reached


def test_violation_is_not_an_ordinary_exception() -> None:
    assert not issubclass(EgressViolation, Exception)
    assert issubclass(EgressViolation, BaseException)


@pytest.mark.parametrize("address", ["192.0.2.1", "::ffff:192.0.2.1"])
def test_tcp_connect_to_test_net_raises_before_sending(
    no_real_send: list[str], address: str
) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(EgressViolation, match=r"192\.0\.2\.1"):
            sock.connect((address, 443))
        with pytest.raises(EgressViolation):
            sock.connect_ex((address, 443))
    assert no_real_send == []


def test_create_connection_and_ipv6_test_net(no_real_send: list[str]) -> None:
    with pytest.raises(EgressViolation):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with (
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock,
        pytest.raises(EgressViolation, match="2001:db8::1"),
    ):
        sock.connect(("2001:db8::1", 443))
    assert no_real_send == []


def test_udp_sendto_and_sendmsg(no_real_send: list[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(EgressViolation):
            sock.sendto(b"x", ("192.0.2.1", 53))
        with pytest.raises(EgressViolation):
            sock.sendto(b"x", 0, ("192.0.2.1", 53))
        with pytest.raises(EgressViolation):
            sock.sendmsg([b"x"], [], 0, ("192.0.2.1", 53))
        with pytest.raises(EgressViolation):
            sock.connect(("192.0.2.1", 53))  # a UDP connect sends nothing, but is refused too
    assert no_real_send == []


def test_name_lookups_through_the_machine_resolver(no_real_send: list[str]) -> None:
    with pytest.raises(EgressViolation, match="name lookup"):
        socket.getaddrinfo("www.example.com", 443)
    with pytest.raises(EgressViolation):
        socket.gethostbyname("www.example.com")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, pytest.raises(EgressViolation):
        sock.sendto(b"x", ("www.example.com", 53))
    assert no_real_send == []


def test_lab_addresses_from_the_host_namespace(no_real_send: list[str]) -> None:
    # Outside a lab namespace a lab address would be routed to the machine's real gateway.
    for address in ("198.18.1.1", "10.77.53.53", "fd77::1"):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(EgressViolation):
            sock.connect((address, 443))
    assert no_real_send == []


def test_swallowed_violations_are_still_recorded() -> None:
    # contextlib.suppress(BaseException): what careless code under test might do
    with egress_guard.expect_violations() as caught, contextlib.suppress(BaseException):
        socket.create_connection(("192.0.2.7", 80), timeout=1)
    assert len(caught) == 1 and "192.0.2.7" in caught[0]


def test_loopback_and_unix_sockets_are_allowed(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        accepted: list[Any] = []
        thread = threading.Thread(target=lambda: accepted.append(server.accept()))
        thread.start()
        with socket.create_connection(server.getsockname(), timeout=5):
            thread.join(5)
        accepted[0][0].close()
    assert socket.getaddrinfo("localhost", 80)
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as unix_server, socket.socket(socket.AF_UNIX) as client:
        unix_server.bind(path)
        unix_server.listen(1)
        client.connect(path)


def _guarded_python(
    code: str, tmp_path: Path, enable: bool = True
) -> tuple[subprocess.CompletedProcess[str], Path]:
    log = tmp_path / "guard.log"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(GUARD_DIR),
        "CLEARSIGHT_EGRESS_GUARD_LOG": str(log),
    }
    if enable:
        env["CLEARSIGHT_EGRESS_GUARD"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return proc, log


def test_sitecustomize_guards_subprocesses(tmp_path: Path) -> None:
    # The subprocess raises in connect() before any packet: the guard is installed by
    # sitecustomize at interpreter start.
    code = (
        "import socket, egress_guard\nassert egress_guard.installed()\n"
        "try:\n    socket.create_connection(('192.0.2.1', 80), 1)\n"
        "except Exception:\n    print('swallowed')\n"
    )
    proc, log = _guarded_python(code, tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert "swallowed" not in proc.stdout  # not an Exception: `except Exception` cannot hide it
    assert "EgressViolation" in proc.stderr
    assert "192.0.2.1" in log.read_text()


def test_sitecustomize_does_nothing_without_the_switch(tmp_path: Path) -> None:
    proc, log = _guarded_python(
        "import egress_guard; print(egress_guard.installed())", tmp_path, enable=False
    )
    assert proc.stdout.strip() == "False"
    assert not log.exists()
