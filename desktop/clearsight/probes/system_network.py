"""What each OS says about its interfaces beyond psutil: the kind of link (is it a tunnel?),
its description and its own DNS servers, and the VPNs the OS manages itself.

One small interface (:class:`SystemNetworkReader`) with a reader per OS, as Vorta does:

* Linux: sysfs (``/sys/class/net/<if>/type``, ``tun_flags``, ``uevent``'s ``DEVTYPE``).
* Windows: ``GetAdaptersAddresses`` (:mod:`clearsight.probes.windows`).
* macOS: ``scutil --dns`` and ``scutil --nc list`` (:mod:`clearsight.probes.macos`).

The readers record facts; which interface counts as a VPN is the diagnosis's call.
"""

from __future__ import annotations

import platform
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from clearsight.probes import macos, windows
from clearsight.probes.records import SystemVpnService

# linux/if_arp.h
ARPHRD_NAMES = {
    1: "ether",
    512: "ppp",
    768: "ipip",
    769: "ip6ip6",
    772: "loopback",
    776: "sit",
    778: "gre",
    823: "ip6gre",
    65534: "none",  # tun devices, WireGuard
}
IFF_TUN = 0x0001
IFF_TAP = 0x0002


@dataclass(frozen=True)
class InterfaceDetails:
    link_type: str | None = None
    if_type: int | None = None
    description: str | None = None
    dns_servers: tuple[str, ...] = ()


class SystemNetworkReader(ABC):
    """The OS's own description of its interfaces, keyed by the name psutil uses."""

    @abstractmethod
    def interface_details(self) -> dict[str, InterfaceDetails]: ...

    def vpn_services(self) -> tuple[SystemVpnService, ...]:
        return ()


class LinuxNetworkReader(SystemNetworkReader):
    def __init__(self, sysfs: Path = Path("/sys/class/net")) -> None:
        self.sysfs = sysfs

    def interface_details(self) -> dict[str, InterfaceDetails]:
        out: dict[str, InterfaceDetails] = {}
        try:
            entries = sorted(self.sysfs.iterdir())
        except OSError:
            return out
        for entry in entries:
            out[entry.name] = linux_details(entry)
        return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


def linux_details(folder: Path) -> InterfaceDetails:
    """One interface's sysfs folder: a tun/tap device has ``tun_flags``; a kernel
    WireGuard, bridge or VLAN device says so in ``uevent`` (``DEVTYPE=``)."""
    arphrd: int | None = None
    raw_type = _read(folder / "type")
    if raw_type and raw_type.isdigit():
        arphrd = int(raw_type)
    link_type = ARPHRD_NAMES.get(arphrd) if arphrd is not None else None
    flags = _read(folder / "tun_flags")
    if flags:
        try:
            bits = int(flags, 16)
        except ValueError:
            bits = 0
        link_type = "tap" if bits & IFF_TAP else "tun"
    else:
        for line in (_read(folder / "uevent") or "").splitlines():
            key, _, devtype = line.partition("=")
            if key == "DEVTYPE" and devtype:
                link_type = devtype.strip()
    return InterfaceDetails(link_type=link_type, if_type=arphrd)


class WindowsNetworkReader(SystemNetworkReader):
    def interface_details(self) -> dict[str, InterfaceDetails]:
        return details_from_adapters(windows.read_adapters())


def details_from_adapters(adapters: list[windows.Adapter]) -> dict[str, InterfaceDetails]:
    return {
        adapter.friendly_name: InterfaceDetails(
            link_type=adapter.link_type,
            if_type=adapter.if_type,
            description=adapter.description or None,
            dns_servers=adapter.dns_servers,
        )
        for adapter in adapters
        if adapter.friendly_name
    }


class MacNetworkReader(SystemNetworkReader):
    def interface_details(self) -> dict[str, InterfaceDetails]:
        text = macos.run_scutil("--dns")
        if text is None:
            return {}
        return details_from_scutil_dns(text)

    def vpn_services(self) -> tuple[SystemVpnService, ...]:
        text = macos.run_scutil("--nc", "list")
        return macos.parse_nc_list(text) if text else ()


def details_from_scutil_dns(text: str) -> dict[str, InterfaceDetails]:
    servers = macos.dns_servers_by_interface(macos.parse_dns(text))
    return {name: InterfaceDetails(dns_servers=found) for name, found in servers.items()}


def reader_for(system: str | None = None) -> SystemNetworkReader:
    name = (system or platform.system()).lower()
    if name == "windows":
        return WindowsNetworkReader()
    if name == "darwin":
        return MacNetworkReader()
    return LinuxNetworkReader()


__all__ = [
    "InterfaceDetails",
    "LinuxNetworkReader",
    "MacNetworkReader",
    "SystemNetworkReader",
    "WindowsNetworkReader",
    "details_from_adapters",
    "details_from_scutil_dns",
    "linux_details",
    "reader_for",
]
