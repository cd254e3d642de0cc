"""What macOS's ``scutil`` says about VPNs, resolvers and proxies.

``scutil --nc list`` lists the VPN services the system manages (IKEv2, L2TP, Cisco IPSec
and the apps that use Apple's Network Extension, such as the WireGuard app) with their
status; ``scutil --dns`` lists every resolver with the interface it is bound to;
``scutil --proxy`` prints the proxy settings of the primary service.

On macOS ``utun`` interfaces exist without any VPN (iCloud Private Relay, Back to My Mac,
the Continuity features): their presence proves nothing, so the VPN view also needs what
``scutil`` reports. The parsers are pure functions of the command's text, tested from
fixtures; only :func:`run_scutil` touches the system.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from clearsight.probes.records import SystemVpnService

SCUTIL_TIMEOUT_S = 2.0

# "* (Connected)      6D5C… PPP --> L2TPoverIPSec "Office VPN"      [PPP:L2TPoverIPSec]"
_NC_LINE = re.compile(
    r"^\s*\*?\s*\((?P<status>[^)]*)\)\s+(?P<id>[0-9A-Fa-f-]{8,})\s+(?P<what>.*?)\s+"
    r"\"(?P<name>(?:[^\"\\]|\\.)*)\"\s*(?:\[(?P<kind>[^\]]*)\])?\s*$"
)
_DNS_RESOLVER = re.compile(r"^resolver #\d+", re.IGNORECASE)
_DNS_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z_]+)(?:\[(?P<index>\d+)\])?\s*:\s*(?P<value>.*)$")
_IF_INDEX = re.compile(r"^\d+\s*\((?P<name>[^)]+)\)")


def run_scutil(*args: str) -> str | None:
    """The output of ``scutil ARGS``, or None when it is missing or fails."""
    path = shutil.which("scutil")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, *args],
            capture_output=True,
            text=True,
            timeout=SCUTIL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def parse_nc_list(text: str) -> tuple[SystemVpnService, ...]:
    """The services of ``scutil --nc list`` (the first, descriptive line is skipped)."""
    found: list[SystemVpnService] = []
    for line in text.splitlines():
        match = _NC_LINE.match(line)
        if match is None:
            continue
        kind = (match.group("kind") or match.group("what") or "").strip()
        found.append(
            SystemVpnService(
                name=match.group("name").replace('\\"', '"'),
                kind=kind,
                status=match.group("status").strip(),
            )
        )
    return tuple(found)


@dataclass
class DnsResolverEntry:
    """One ``resolver #n`` block of ``scutil --dns``."""

    nameservers: list[str] = field(default_factory=list)
    interface: str | None = None
    domain: str | None = None
    scoped: bool = False
    flags: str = ""


def parse_dns(text: str) -> list[DnsResolverEntry]:
    """The resolvers of ``scutil --dns`` in order. Only the first section ("DNS
    configuration") is read: the "for scoped queries" section repeats per interface."""
    entries: list[DnsResolverEntry] = []
    current: DnsResolverEntry | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.lower().startswith("dns configuration (for scoped queries)"):
            break
        if _DNS_RESOLVER.match(stripped):
            current = DnsResolverEntry()
            entries.append(current)
            continue
        if current is None:
            continue
        match = _DNS_FIELD.match(line)
        if match is None:
            continue
        key, value = match.group("key").lower(), match.group("value").strip()
        if key == "nameserver":
            try:
                current.nameservers.append(str(ipaddress.ip_address(value.split("%")[0])))
            except ValueError:
                continue
        elif key == "if_index":
            name = _IF_INDEX.match(value)
            current.interface = name.group("name") if name else None
        elif key == "domain":
            current.domain = value
        elif key == "flags":
            current.flags = value
            current.scoped = "scoped" in value.lower()
    return entries


def dns_servers_by_interface(entries: list[DnsResolverEntry]) -> dict[str, tuple[str, ...]]:
    """Interface name -> the resolvers bound to it (from ``if_index``)."""
    out: dict[str, list[str]] = {}
    for entry in entries:
        if entry.interface:
            bucket = out.setdefault(entry.interface, [])
            bucket.extend(a for a in entry.nameservers if a not in bucket)
    return {name: tuple(addresses) for name, addresses in out.items()}


def parse_dictionary(text: str) -> dict[str, object]:
    """A ``scutil`` dictionary (``<dictionary> { Key : value … }``, nested arrays and
    dictionaries) as Python values; numbers stay strings."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    position = 0

    def block() -> dict[str, object] | list[object]:
        nonlocal position
        kind = "array" if lines[position].endswith("<array> {") else "dictionary"
        position += 1
        items: dict[str, object] = {}
        while position < len(lines):
            line = lines[position]
            if line == "}":
                position += 1
                break
            key, _, value = line.partition(" : ")
            if value.endswith("{") and value.startswith("<"):
                lines[position] = value
                items[key.strip()] = block()
                continue
            items[key.strip()] = value.strip()
            position += 1
        if kind == "array":
            return [items[k] for k in sorted(items, key=lambda k: int(k) if k.isdigit() else 0)]
        return items

    while position < len(lines) and not lines[position].startswith("<dictionary>"):
        position += 1
    if position >= len(lines):
        return {}
    result = block()
    return result if isinstance(result, dict) else {}


__all__ = [
    "DnsResolverEntry",
    "dns_servers_by_interface",
    "parse_dictionary",
    "parse_dns",
    "parse_nc_list",
    "run_scutil",
]
