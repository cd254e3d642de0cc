"""Which network a run was on: a salted hash of the default gateway and the exit country.

Changes are only computed between runs on the same network, so moving from home to the
office is not "Gmail is now blocked". The Wi-Fi name is never read. The gateway address
is personal (it can be a public address), so only a hash leaves this module, salted with
a random value kept once per install (``network-salt`` in the data folder): the same
gateway gives different ids on different computers.

The gateway is read from the system without sending a packet: ``/proc/net/route`` on
Linux, ``route -n get default`` on macOS, ``route print`` on Windows (each parser is a pure
function tested from fixtures). When it cannot be read, the id rests on the exit country
alone.

This is the one definition of "the same network" in Clearsight: the history store keys
its runs by :func:`network_of`, and watch mode's in-memory comparison (used while history
is off or paused) keys by it too.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import secrets
import socket
import struct
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SALT_FILE = "network-salt"
_COMMAND_TIMEOUT_S = 1.0
# Where no salt file can be read or written: one salt for this process, so ids still
# match within it (a fresh salt per call would make every run a new network).
_PROCESS_SALT = secrets.token_bytes(16)


def parse_proc_net_route(text: str) -> str | None:
    """The IPv4 default gateway in Linux's ``/proc/net/route`` (lowest metric first)."""
    best: tuple[int, str] | None = None
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 8:
            continue
        destination, gateway, flags, metric, mask = parts[1], parts[2], parts[3], parts[6], parts[7]
        try:
            if int(destination, 16) != 0 or int(mask, 16) != 0 or not int(flags, 16) & 0x2:
                continue
            address = socket.inet_ntoa(struct.pack("<I", int(gateway, 16)))
            rank = int(metric)
        except (ValueError, struct.error, OSError):
            continue
        if best is None or rank < best[0]:
            best = (rank, address)
    return best[1] if best else None


def parse_route_get(text: str) -> str | None:
    """The gateway in macOS's ``route -n get default``."""
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if key.strip() == "gateway" and value.strip():
            return _address(value.strip())
    return None


def parse_route_print(text: str) -> str | None:
    """The default gateway in Windows's ``route print -4`` (the lowest metric)."""
    best: tuple[int, str] | None = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] == "0.0.0.0" and parts[1] == "0.0.0.0":
            gateway = _address(parts[2])
            try:
                metric = int(parts[4])
            except ValueError:
                continue
            if gateway and (best is None or metric < best[0]):
                best = (metric, gateway)
    return best[1] if best else None


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.split("%")[0]))
    except ValueError:
        return None


def _command(*argv: str) -> str:
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=_COMMAND_TIMEOUT_S,
            check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.decode("utf-8", "replace")


def default_gateway(platform: str | None = None) -> str | None:
    """This machine's IPv4 default gateway now, or None (no packet is sent)."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        try:
            return parse_proc_net_route(Path("/proc/net/route").read_text(errors="replace"))
        except OSError:
            return None
    if platform == "darwin":
        return parse_route_get(_command("/sbin/route", "-n", "get", "default"))
    if platform == "win32":
        return parse_route_print(_command("route", "print", "-4", "0.0.0.0"))
    return None


def _read_salt(path: Path) -> bytes | None:
    with contextlib.suppress(OSError, ValueError):
        value = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(value) >= 16:
            return value
    return None


def known_salt(folder: Path | None) -> bytes:
    """The install's salt when its file is there, else this process's; never writes (for
    comparisons kept in memory while history is off: nothing is created on disk)."""
    found = _read_salt(folder / SALT_FILE) if folder is not None else None
    return found or _PROCESS_SALT


def install_salt(folder: Path) -> bytes:
    """The random salt of this install, created once (a file that cannot be written gives a
    salt for this process only: ids then match within the process)."""
    path = folder / SALT_FILE
    found = _read_salt(path)
    if found is not None:
        return found
    salt = secrets.token_bytes(16)
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{SALT_FILE}.{os.getpid()}.tmp")
        temporary.write_text(salt.hex() + "\n", encoding="ascii")
        os.replace(temporary, path)
        # Two processes may race to create it: whoever renamed last wins, read it back.
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    return _PROCESS_SALT


def exit_country(report: Mapping[str, Any]) -> str | None:
    """The exit country the report's network section (or its exit observation) names."""
    network = report.get("network")
    if isinstance(network, Mapping):
        country = network.get("exit_country")
        if isinstance(country, str) and country:
            return country.upper()[:8]
    observations = report.get("observations")
    if isinstance(observations, list):
        for record in observations:
            if isinstance(record, Mapping) and record.get("kind") == "exit":
                country = record.get("country")
                if isinstance(country, str) and country:
                    return country.upper()[:8]
    return None


def network_id(salt: bytes, gateway: str | None, country: str | None) -> str:
    """A short salted hash; the same gateway and exit country give the same id."""
    digest = hashlib.sha256(salt + f"{gateway or '-'}|{country or '-'}".encode()).hexdigest()
    return f"net-{digest[:16]}"


def network_of(report: Mapping[str, Any], salt: bytes) -> str:
    """The id of the network *report* was run on: this machine's gateway now and the
    report's exit country (call it when the run has just ended, off the GUI thread: on
    macOS and Windows the gateway is a command's output)."""
    return network_id(salt, default_gateway(), exit_country(report))
