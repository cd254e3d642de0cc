"""What Windows says about its network adapters and its proxy, without extra tools.

Adapters come from ``GetAdaptersAddresses`` (iphlpapi, through ctypes): psutil has no
adapter type or description, and ``wmic`` is gone from current Windows. VPN adapters are
told apart by their type (``IfType``) and description: Wintun ("Wintun Userspace
Tunnel", WireGuard and many others), TAP-Windows (OpenVPN), "WireGuard Tunnel", PPP
adapters of the built-in VPN client (IKEv2, L2TP, SSTP). Each adapter also carries its own
DNS servers: Windows asks the resolvers of every adapter, not only the first one, which
matters for DNS leaks (OpenVPN's ``block-outside-dns`` exists because of it).

The proxy comes from the current user's Internet Settings in the registry (what WinINet,
browsers and most apps use).

Only :func:`read_adapters` and :func:`read_internet_settings` call Windows; the walking
of the adapter list and the reading of the settings are plain functions, tested on any
system from structures and values built from Microsoft's documentation.
"""

from __future__ import annotations

import ctypes
import ipaddress
import sys
from dataclasses import dataclass
from typing import Any

# ipifcons.h
IF_TYPE_NAMES = {
    1: "other",
    6: "ethernet",
    23: "ppp",
    24: "loopback",
    53: "virtual",  # IF_TYPE_PROP_VIRTUAL: TAP-Windows, Wintun, WireGuard
    71: "wifi",  # IF_TYPE_IEEE80211
    131: "tunnel",  # IF_TYPE_TUNNEL: Teredo, ISATAP, 6to4, IP-HTTPS, also some VPNs
    243: "wwan",
    244: "wwan",
}
IF_OPER_STATUS_UP = 1
# Winsock's address families (AF_INET6 is 23 on Windows, 10 on Linux).
WIN_AF_INET = 2
WIN_AF_INET6 = 23
GAA_FLAG_SKIP_ANYCAST = 0x0002
GAA_FLAG_SKIP_MULTICAST = 0x0004
GAA_FLAG_INCLUDE_GATEWAYS = 0x0080
ERROR_BUFFER_OVERFLOW = 111
AF_UNSPEC = 0


class SOCKET_ADDRESS(ctypes.Structure):
    _fields_ = (("lpSockaddr", ctypes.c_void_p), ("iSockaddrLength", ctypes.c_int))


class _AddressEntry(ctypes.Structure):
    """The common head of IP_ADAPTER_UNICAST_ADDRESS_LH, IP_ADAPTER_DNS_SERVER_ADDRESS_XP
    and IP_ADAPTER_GATEWAY_ADDRESS_LH: a length/flags union, Next, the address."""


_AddressEntry._fields_ = (
    ("Alignment", ctypes.c_ulonglong),
    ("Next", ctypes.POINTER(_AddressEntry)),
    ("Address", SOCKET_ADDRESS),
)


class IP_ADAPTER_ADDRESSES(ctypes.Structure):
    """The head of IP_ADAPTER_ADDRESSES_LH, up to the fields read here (the list is walked
    through ``Next``, so the rest of the real structure does not need to be declared)."""


IP_ADAPTER_ADDRESSES._fields_ = (
    ("Alignment", ctypes.c_ulonglong),  # union { ULONGLONG; { ULONG Length; DWORD IfIndex } }
    ("Next", ctypes.POINTER(IP_ADAPTER_ADDRESSES)),
    ("AdapterName", ctypes.c_char_p),
    ("FirstUnicastAddress", ctypes.POINTER(_AddressEntry)),
    ("FirstAnycastAddress", ctypes.c_void_p),
    ("FirstMulticastAddress", ctypes.c_void_p),
    ("FirstDnsServerAddress", ctypes.POINTER(_AddressEntry)),
    ("DnsSuffix", ctypes.c_wchar_p),
    ("Description", ctypes.c_wchar_p),
    ("FriendlyName", ctypes.c_wchar_p),
    ("PhysicalAddress", ctypes.c_ubyte * 8),
    ("PhysicalAddressLength", ctypes.c_uint32),
    ("Flags", ctypes.c_uint32),
    ("Mtu", ctypes.c_uint32),
    ("IfType", ctypes.c_uint32),
    ("OperStatus", ctypes.c_int),
)


@dataclass(frozen=True)
class Adapter:
    """One adapter as ``GetAdaptersAddresses`` describes it."""

    friendly_name: str  # what psutil calls the interface ("Ethernet", "Wi-Fi")
    description: str
    if_type: int
    up: bool
    mtu: int | None
    addresses: tuple[str, ...]
    dns_servers: tuple[str, ...]

    @property
    def link_type(self) -> str:
        return IF_TYPE_NAMES.get(self.if_type, "other")


def sockaddr_text(entry: SOCKET_ADDRESS) -> str | None:
    """The address inside a Winsock SOCKET_ADDRESS (AF_INET or AF_INET6), as text."""
    if not entry.lpSockaddr or entry.iSockaddrLength < 8:
        return None
    raw = ctypes.string_at(entry.lpSockaddr, entry.iSockaddrLength)
    family = int.from_bytes(raw[0:2], sys.byteorder)
    try:
        if family == WIN_AF_INET and len(raw) >= 8:
            return str(ipaddress.IPv4Address(raw[4:8]))
        if family == WIN_AF_INET6 and len(raw) >= 24:
            return str(ipaddress.IPv6Address(raw[8:24]))
    except ValueError:
        return None
    return None


def _entries(head: Any) -> list[str]:
    found: list[str] = []
    node = head
    guard = 0
    while node and guard < 256:  # a corrupt list must not loop for ever
        text = sockaddr_text(node.contents.Address)
        if text is not None and text not in found:
            found.append(text)
        node = node.contents.Next
        guard += 1
    return found


def walk_adapters(head: Any) -> list[Adapter]:
    """The adapters of a ``GetAdaptersAddresses`` list (a POINTER(IP_ADAPTER_ADDRESSES))."""
    adapters: list[Adapter] = []
    node = head
    guard = 0
    while node and guard < 512:
        item = node.contents
        adapters.append(
            Adapter(
                friendly_name=item.FriendlyName or "",
                description=item.Description or "",
                if_type=int(item.IfType),
                up=int(item.OperStatus) == IF_OPER_STATUS_UP,
                mtu=int(item.Mtu) if item.Mtu not in (0, 0xFFFFFFFF) else None,
                addresses=tuple(_entries(item.FirstUnicastAddress)),
                dns_servers=tuple(_entries(item.FirstDnsServerAddress)),
            )
        )
        node = item.Next
        guard += 1
    return adapters


def read_adapters() -> list[Adapter]:
    """Every adapter of this Windows machine; empty elsewhere or when the call fails."""
    windll = getattr(ctypes, "windll", None)
    if windll is None:
        return []
    try:
        get = windll.iphlpapi.GetAdaptersAddresses
        flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST
        size = ctypes.c_uint32(16 * 1024)
        for _attempt in range(4):
            buffer = ctypes.create_string_buffer(size.value)
            result = get(AF_UNSPEC, flags, None, buffer, ctypes.byref(size))
            if result == ERROR_BUFFER_OVERFLOW:
                continue
            if result != 0:
                return []
            head = ctypes.cast(buffer, ctypes.POINTER(IP_ADAPTER_ADDRESSES))
            return walk_adapters(head)
    except (OSError, AttributeError, ValueError):
        return []
    return []


# ------------------------------------------------------------------------------ proxy
INTERNET_SETTINGS = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
CONNECTIONS = INTERNET_SETTINGS + r"\Connections"
# DefaultConnectionSettings, byte 8 (WinINet's INTERNET_PER_CONN_FLAGS)
PROXY_TYPE_PROXY = 0x02
PROXY_TYPE_AUTO_PROXY_URL = 0x04
PROXY_TYPE_AUTO_DETECT = 0x08


@dataclass(frozen=True)
class InternetSettings:
    """The values of the Internet Settings key that say where web traffic goes."""

    proxy_enable: bool = False
    proxy_server: str | None = None  # "127.0.0.1:7890" or "http=…;https=…;socks=…"
    proxy_override: str | None = None  # bypass list, ";"-separated, "<local>"
    auto_config_url: str | None = None
    auto_detect: bool = False


def internet_settings_from_values(
    values: dict[str, Any], connection_blob: bytes | None
) -> InternetSettings:
    """Interpret the registry values (as ``winreg`` returns them) and the
    ``DefaultConnectionSettings`` blob of the Connections subkey."""

    def text(name: str) -> str | None:
        value = values.get(name)
        return value.strip() or None if isinstance(value, str) else None

    enable = values.get("ProxyEnable")
    auto_detect = False
    if connection_blob is not None and len(connection_blob) > 8:
        auto_detect = bool(connection_blob[8] & PROXY_TYPE_AUTO_DETECT)
    return InternetSettings(
        proxy_enable=isinstance(enable, int) and enable != 0,
        proxy_server=text("ProxyServer"),
        proxy_override=text("ProxyOverride"),
        auto_config_url=text("AutoConfigURL"),
        auto_detect=auto_detect,
    )


def read_internet_settings() -> InternetSettings | None:
    """The current user's Internet Settings; None off Windows or when unreadable."""
    if sys.platform != "win32":
        return None
    import winreg

    values: dict[str, Any] = {}
    blob: bytes | None = None
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, INTERNET_SETTINGS) as key:
            for name in ("ProxyEnable", "ProxyServer", "ProxyOverride", "AutoConfigURL"):
                try:
                    values[name] = winreg.QueryValueEx(key, name)[0]
                except OSError:
                    continue
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, CONNECTIONS) as key:
                raw = winreg.QueryValueEx(key, "DefaultConnectionSettings")[0]
                blob = bytes(raw) if isinstance(raw, bytes | bytearray) else None
        except OSError:
            blob = None
    except OSError:
        return None
    return internet_settings_from_values(values, blob)


__all__ = [
    "IF_TYPE_NAMES",
    "IP_ADAPTER_ADDRESSES",
    "SOCKET_ADDRESS",
    "Adapter",
    "InternetSettings",
    "internet_settings_from_values",
    "read_adapters",
    "read_internet_settings",
    "sockaddr_text",
    "walk_adapters",
]
