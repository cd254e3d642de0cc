"""The machine's own view of its network: interfaces, the egress route, resolvers.

No packet is sent: a UDP ``connect()`` only asks the kernel which local address it would
use (LAB-NOTES.md), which also works with policy routing.
"""

from __future__ import annotations

import contextlib
import socket

import psutil

from clearsight.probes.records import InterfaceAddress, NetworkEnvironment, NetworkInterface
from clearsight.probes.system_dns import system_nameservers


def egress_address(target: str) -> str | None:
    """The local address the OS would use to reach ``target``; None when there is no route."""
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((target, 53))
            address = sock.getsockname()[0]
    except OSError:
        return None
    return str(address).split("%")[0]


def interfaces() -> tuple[NetworkInterface, ...]:
    try:
        addrs = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
    except Exception:
        return ()
    result: list[NetworkInterface] = []
    for name, entries in sorted(addrs.items()):
        addresses: list[InterfaceAddress] = []
        for entry in entries:
            if entry.family == socket.AF_INET:
                family = "ipv4"
            elif entry.family == socket.AF_INET6:
                family = "ipv6"
            elif entry.family == psutil.AF_LINK:
                family = "mac"
            else:
                continue
            addresses.append(
                InterfaceAddress(family, str(entry.address).split("%")[0], entry.netmask)
            )
        stat = stats.get(name)
        flags: tuple[str, ...] = ()
        with contextlib.suppress(AttributeError):
            flags = tuple(f for f in (stat.flags.split(",") if stat else []) if f)
        result.append(
            NetworkInterface(
                name=name,
                is_up=bool(stat.isup) if stat else False,
                addresses=tuple(addresses),
                mtu=stat.mtu if stat else None,
                flags=flags,
            )
        )
    return tuple(result)


def interface_of(address: str | None, found: tuple[NetworkInterface, ...]) -> str | None:
    if address is None:
        return None
    for interface in found:
        if any(a.address == address for a in interface.addresses):
            return interface.name
    return None


def network_environment(targets: tuple[str, ...]) -> NetworkEnvironment:
    """``targets``: addresses the run will contact (from the profile), one per family used
    to ask the kernel for the egress route."""
    found = interfaces()
    v4_target = next((t for t in targets if ":" not in t), None)
    v6_target = next((t for t in targets if ":" in t), None)
    egress4 = egress_address(v4_target) if v4_target else None
    egress6 = egress_address(v6_target) if v6_target else None
    return NetworkEnvironment(
        interfaces=found,
        egress_ipv4=egress4,
        egress_ipv4_interface=interface_of(egress4, found),
        egress_ipv6=egress6,
        egress_ipv6_interface=interface_of(egress6, found),
        system_resolvers=system_nameservers(),
    )
