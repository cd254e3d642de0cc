"""The per-OS readers of interfaces and VPN services, from recorded or documented outputs
(tests/unit/probes/fixtures: each file says which), so the Windows and macOS logic runs
here even though those systems do not."""

from __future__ import annotations

import ctypes
import ipaddress
import json
import socket
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from clearsight.diagnosis.vpn_rules import is_tunnel
from clearsight.probes import macos, windows
from clearsight.probes.network_info import with_os_details
from clearsight.probes.records import InterfaceAddress, NetworkInterface
from clearsight.probes.system_network import (
    InterfaceDetails,
    LinuxNetworkReader,
    SystemNetworkReader,
    details_from_adapters,
    details_from_scutil_dns,
    reader_for,
)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------- macOS
def test_scutil_nc_list_gives_each_vpn_service_and_its_status() -> None:
    services = macos.parse_nc_list(fixture("macos-scutil-nc-list.txt"))
    assert [(s.name, s.kind, s.status) for s in services] == [
        ("Office IKEv2", "IPSec", "Connected"),
        ("Home L2TP", "PPP/L2TP", "Disconnected"),
        ('WireGuard "Tokyo"', "VPN/com.wireguard.macos", "Disconnected"),
    ]


def test_scutil_dns_binds_resolvers_to_interfaces_and_skips_the_scoped_copy() -> None:
    entries = macos.parse_dns(fixture("macos-scutil-dns.txt"))
    assert [e.nameservers for e in entries] == [["10.8.0.1"], [], ["192.168.1.1", "fe80::1"]]
    assert entries[0].interface == "utun3" and not entries[0].scoped
    assert entries[2].scoped and entries[1].domain == "local"
    details = details_from_scutil_dns(fixture("macos-scutil-dns.txt"))
    assert details == {
        "utun3": InterfaceDetails(dns_servers=("10.8.0.1",)),
        "en0": InterfaceDetails(dns_servers=("192.168.1.1", "fe80::1")),
    }


def test_scutil_dictionaries_nest_arrays() -> None:
    values = macos.parse_dictionary(fixture("macos-scutil-proxy-manual.txt"))
    assert values["HTTPProxy"] == "127.0.0.1" and values["HTTPPort"] == "7890"
    assert values["ExceptionsList"] == ["*.local", "169.254/16"]
    assert macos.parse_dictionary("no dictionary here") == {}


# ----------------------------------------------------------------------------- Windows
def _sockaddr(address: str) -> tuple[Any, int]:
    """A Winsock SOCKADDR_IN / SOCKADDR_IN6 (AF_INET6 is 23 on Windows)."""
    ip = ipaddress.ip_address(address)
    # The family in host order, as the OS writes it; then port, (flow info,) address.
    if ip.version == 4:
        raw = struct.pack("=H", windows.WIN_AF_INET) + b"\0\0" + ip.packed + b"\0" * 8
    else:
        raw = struct.pack("=H", windows.WIN_AF_INET6) + b"\0" * 6 + ip.packed + b"\0" * 4
    buffer = ctypes.create_string_buffer(raw, len(raw))
    return buffer, len(raw)


class _Keep:
    """Keeps the ctypes objects alive while the list is walked."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def __call__(self, item: Any) -> Any:
        self.items.append(item)
        return item


def _entries(addresses: list[str], keep: _Keep) -> Any:
    head = ctypes.POINTER(windows._AddressEntry)()
    for address in reversed(addresses):
        buffer, length = _sockaddr(address)
        keep(buffer)
        entry = keep(windows._AddressEntry())
        entry.Address = windows.SOCKET_ADDRESS(ctypes.cast(buffer, ctypes.c_void_p), length)
        entry.Next = head
        head = ctypes.pointer(entry)
        keep(head)
    return head


def _adapter_list(spec: list[dict[str, Any]], keep: _Keep) -> Any:
    head = ctypes.POINTER(windows.IP_ADAPTER_ADDRESSES)()
    for item in reversed(spec):
        node = keep(windows.IP_ADAPTER_ADDRESSES())
        node.FriendlyName = keep(item["friendly_name"])
        node.Description = keep(item["description"])
        node.IfType = item["if_type"]
        node.OperStatus = 1 if item["up"] else 2
        node.Mtu = item["mtu"]
        node.FirstUnicastAddress = _entries(item["addresses"], keep)
        node.FirstDnsServerAddress = _entries(item["dns"], keep)
        node.Next = head
        head = ctypes.pointer(node)
        keep(head)
    return head


def _windows_adapters() -> list[windows.Adapter]:
    spec = json.loads(fixture("windows-adapters.json"))["adapters"]
    keep = _Keep()
    return windows.walk_adapters(_adapter_list(spec, keep))


def test_get_adapters_addresses_list_is_walked_with_types_and_dns_servers() -> None:
    adapters = _windows_adapters()
    by_name = {a.friendly_name: a for a in adapters}
    assert list(by_name) == [
        "Ethernet",
        "OpenVPN Wintun",
        "OpenVPN TAP-Windows6",
        "wg-tokyo",
        "Office IKEv2",
        "Teredo Tunneling Pseudo-Interface",
        "vEthernet (Default Switch)",
        "Loopback Pseudo-Interface 1",
    ]
    assert by_name["Ethernet"].addresses == ("192.168.1.23", "fe80::1c2b:3cff:fe4d:5e6f")
    assert by_name["Ethernet"].dns_servers == ("192.168.1.1",)
    assert by_name["wg-tokyo"].addresses == ("10.66.66.2", "fd42::2")
    assert by_name["OpenVPN Wintun"].link_type == "virtual"
    assert by_name["Office IKEv2"].link_type == "ppp"
    assert not by_name["OpenVPN TAP-Windows6"].up
    assert by_name["Loopback Pseudo-Interface 1"].mtu is None


def test_windows_vpn_adapters_are_told_from_teredo_and_hyper_v() -> None:
    details = details_from_adapters(_windows_adapters())
    tunnels = {
        name
        for name, extra in details.items()
        if is_tunnel(
            NetworkInterface(
                name=name,
                is_up=True,
                link_type=extra.link_type,
                if_type=extra.if_type,
                description=extra.description,
            ),
            "Windows",
        )
    }
    assert tunnels == {"OpenVPN Wintun", "OpenVPN TAP-Windows6", "wg-tokyo", "Office IKEv2"}


@pytest.mark.skipif(sys.platform == "win32", reason="reads Windows there: test_os_readers_live")
def test_windows_reader_is_empty_off_windows() -> None:
    assert windows.read_adapters() == []
    assert windows.read_internet_settings() is None


def test_a_broken_sockaddr_is_skipped() -> None:
    assert windows.sockaddr_text(windows.SOCKET_ADDRESS(None, 0)) is None


# ------------------------------------------------------------------------------- Linux
def _sysfs(tmp_path: Path, name: str, files: dict[str, str]) -> None:
    folder = tmp_path / name
    folder.mkdir()
    for key, value in files.items():
        (folder / key).write_text(value + "\n")


def test_linux_sysfs_tells_tun_tap_wireguard_and_ppp(tmp_path: Path) -> None:
    _sysfs(tmp_path, "eth0", {"type": "1", "uevent": "INTERFACE=eth0\nIFINDEX=2"})
    _sysfs(tmp_path, "tun0", {"type": "65534", "tun_flags": "0x1001"})
    _sysfs(tmp_path, "tap0", {"type": "1", "tun_flags": "0x1002"})
    _sysfs(tmp_path, "wg0", {"type": "65534", "uevent": "DEVTYPE=wireguard\nINTERFACE=wg0"})
    _sysfs(tmp_path, "ppp0", {"type": "512"})
    details = LinuxNetworkReader(tmp_path).interface_details()
    assert {n: d.link_type for n, d in details.items()} == {
        "eth0": "ether",
        "tun0": "tun",
        "tap0": "tap",
        "wg0": "wireguard",
        "ppp0": "ppp",
    }
    assert details["ppp0"].if_type == 512
    assert LinuxNetworkReader(tmp_path / "missing").interface_details() == {}


def test_os_details_are_merged_into_psutil_interfaces() -> None:
    class Fake(SystemNetworkReader):
        def interface_details(self) -> dict[str, InterfaceDetails]:
            return {"tun0": InterfaceDetails(link_type="tun", dns_servers=("10.8.0.1",))}

    class Broken(SystemNetworkReader):
        def interface_details(self) -> dict[str, InterfaceDetails]:
            raise OSError("no")

    found = (
        NetworkInterface("eth0", True, (InterfaceAddress("ipv4", "192.0.2.5"),)),
        NetworkInterface("tun0", True, (InterfaceAddress("ipv4", "10.8.0.2"),)),
    )
    merged = with_os_details(found, Fake())
    assert merged[0] == found[0]
    assert merged[1].link_type == "tun" and merged[1].dns_servers == ("10.8.0.1",)
    assert with_os_details(found, Broken()) == found


def test_each_os_gets_its_reader() -> None:
    assert type(reader_for("Windows")).__name__ == "WindowsNetworkReader"
    assert type(reader_for("Darwin")).__name__ == "MacNetworkReader"
    assert type(reader_for("Linux")).__name__ == "LinuxNetworkReader"


def test_this_machines_interfaces_read_without_error() -> None:
    details = reader_for().interface_details()
    assert all(isinstance(name, str) for name in details)
    assert socket.AF_INET  # the module imports cleanly on this OS
