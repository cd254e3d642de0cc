"""The Windows and macOS readers against the system they read. On a Windows or macOS machine
(the unit-test workflow's runners) what GetAdaptersAddresses, the registry and ``scutil`` say
must come through the readers, under the interface names psutil gives (the readers' details
are merged into psutil's interfaces by name); elsewhere these skip. The fixture tests cover the
situations a runner cannot show (VPNs, proxies); packaging/record_os_readers.py records a
runner's own output beside them."""

from __future__ import annotations

import sys

import psutil
import pytest

from clearsight.probes import macos, proxy_settings, windows
from clearsight.probes.records import ProxySource

on_windows = pytest.mark.skipif(sys.platform != "win32", reason="reads Windows itself")
on_macos = pytest.mark.skipif(sys.platform != "darwin", reason="reads macOS itself")

IF_TYPE_SOFTWARE_LOOPBACK = 24


@on_windows
def test_get_adapters_addresses_gives_this_machines_adapters_under_psutils_names() -> None:
    adapters = windows.read_adapters()
    loopback = [a for a in adapters if a.if_type == IF_TYPE_SOFTWARE_LOOPBACK]
    assert loopback and "127.0.0.1" in loopback[0].addresses
    in_use = {a.friendly_name for a in adapters if a.up and a.if_type != IF_TYPE_SOFTWARE_LOOPBACK}
    in_use_with_ipv4 = {
        a.friendly_name
        for a in adapters
        if a.friendly_name in in_use and any("." in address for address in a.addresses)
    }
    assert in_use_with_ipv4, adapters
    assert in_use_with_ipv4 <= set(psutil.net_if_addrs()), (in_use_with_ipv4, psutil.net_if_addrs())
    assert any(a.dns_servers for a in adapters if a.friendly_name in in_use), adapters


@on_windows
def test_the_users_internet_settings_are_read_from_the_registry() -> None:
    settings = windows.read_internet_settings()
    assert isinstance(settings, windows.InternetSettings)
    found = proxy_settings.read_proxy_settings("Windows")
    assert all(isinstance(source, ProxySource) for source in found)


@on_macos
def test_scutil_dns_binds_resolvers_to_interfaces_psutil_knows() -> None:
    text = macos.run_scutil("--dns")
    assert text is not None and "resolver #1" in text
    entries = macos.parse_dns(text)
    assert any(entry.nameservers for entry in entries), text
    by_interface = macos.dns_servers_by_interface(entries)
    assert by_interface, text
    assert set(by_interface) <= set(psutil.net_if_addrs()), (by_interface, psutil.net_if_addrs())


@on_macos
def test_scutil_proxy_is_a_dictionary_the_proxy_reader_reads() -> None:
    text = macos.run_scutil("--proxy")
    assert text is not None and "<dictionary>" in text
    assert macos.parse_dictionary(text), text
    found = proxy_settings.read_proxy_settings("Darwin")
    assert all(isinstance(source, ProxySource) for source in found)


@on_macos
def test_scutil_nc_list_parses_every_service_it_lists() -> None:
    text = macos.run_scutil("--nc", "list")
    assert text is not None and "network connection services" in text
    listed = [line for line in text.splitlines() if line.strip().startswith(("*", "("))]
    assert len(macos.parse_nc_list(text)) == len(listed), text
