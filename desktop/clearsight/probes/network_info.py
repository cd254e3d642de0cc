"""The machine's own view of its network: interfaces, the egress route, resolvers.

No packet is sent: a UDP ``connect()`` only asks the kernel which local address it would
use (docs/lab.md), which also works with policy routing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket

import psutil

from clearsight.probes import failures
from clearsight.probes.records import (
    EgressRoute,
    InterfaceAddress,
    NetworkEnvironment,
    NetworkInterface,
)
from clearsight.probes.system_dns import system_nameservers
from clearsight.probes.system_network import SystemNetworkReader, reader_for
from clearsight.probes.vpn_clients import process_list_limited, running_clients


def egress_address(target: str) -> str | None:
    """The local address the OS would use to reach ``target``; None when there is no route."""
    address, _failure = _egress(target)
    return address


def _egress(target: str) -> tuple[str | None, str | None]:
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((target, 53))
            address = sock.getsockname()[0]
    except OSError as exc:
        return None, failures.failure_name(exc)
    return str(address).split("%")[0], None


def egress_route(
    target: str,
    purpose: str,
    found: tuple[NetworkInterface, ...],
    started_s: float = 0.0,
) -> EgressRoute:
    """Which interface the OS would send ``target``'s traffic through (no packet sent)."""
    local, failure = _egress(target)
    return EgressRoute(
        target=target,
        purpose=purpose,
        family="ipv6" if ":" in target else "ipv4",
        local_address=local,
        interface=interface_of(local, found),
        failure=failure,
        started_s=started_s,
    )


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


def with_os_details(
    found: tuple[NetworkInterface, ...], reader: SystemNetworkReader
) -> tuple[NetworkInterface, ...]:
    """psutil's interfaces with what the OS adds (link type, description, DNS servers)."""
    try:
        details = reader.interface_details()
    except Exception:  # an OS quirk must not cost the interface list
        return found
    out: list[NetworkInterface] = []
    for interface in found:
        extra = details.get(interface.name)
        if extra is None:
            out.append(interface)
            continue
        out.append(
            dataclasses.replace(
                interface,
                link_type=extra.link_type,
                if_type=extra.if_type,
                description=extra.description,
                dns_servers=extra.dns_servers,
            )
        )
    return tuple(out)


def network_environment(
    targets: tuple[str, ...], *, reader: SystemNetworkReader | None = None
) -> NetworkEnvironment:
    """``targets``: addresses the run will contact (from the profile), one per family used
    to ask the kernel for the egress route."""
    reader = reader or reader_for()
    found = with_os_details(interfaces(), reader)
    try:
        vpn_services = reader.vpn_services()
    except Exception:
        vpn_services = ()
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
        clients=running_clients(),
        vpn_services=vpn_services,
        limited=("process_list",) if process_list_limited() else (),
    )
