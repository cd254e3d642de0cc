"""The built-in default profile: valid, and holding what DESIGN asks of it."""

from __future__ import annotations

import ipaddress
from importlib.resources import files
from urllib.parse import urlsplit

import pytest

from clearsight.profile import Profile, load_default_profile, parse_profile


@pytest.fixture(scope="module")
def default() -> Profile:
    return load_default_profile()


def test_default_is_valid_standalone_for_china(default: Profile) -> None:
    assert default.format == 1
    assert default.country == "CN"
    assert default.include_default is False
    assert default.source is None and default.is_builtin
    assert default.settings.ca_file is None


def test_default_parses_from_the_packaged_resource() -> None:
    data = files("clearsight.resources").joinpath("default.clearsight").read_bytes()
    assert parse_profile(data, "default.clearsight", None) == load_default_profile()


def test_default_services(default: Profile) -> None:
    assert len(default.foreign_services) >= 25
    assert len(default.domestic_services) >= 5
    assert {s.group for s in default.domestic_services} == {"Domestic (for comparison)"}
    expected_groups = {
        "Search",
        "Email & office",
        "Chat & calls",
        "Social",
        "Work tools",
        "News & reference",
        "AI & translation",
        "Cloud storage",
    }
    assert expected_groups <= set(default.groups)
    for wanted in (
        "google-search", "gmail", "google-drive", "youtube", "whatsapp", "facebook", "instagram",
        "x", "telegram", "signal", "wikipedia", "microsoft-365", "teams", "zoom", "slack",
        "dropbox", "github", "linkedin", "bbc-news", "nytimes", "reuters", "chatgpt", "deepl",
        "notion", "google-maps", "icloud", "discord", "line",
        "baidu", "qq", "taobao", "netease-163", "bing-cn", "jd", "weibo",
    ):  # fmt: skip
        assert default.service(wanted) is not None, wanted


def test_default_service_urls_are_https(default: Profile) -> None:
    for service in default.services:
        for url in service.urls:
            assert urlsplit(url).scheme == "https", url


def test_default_marks_news_and_messengers_sensitive(default: Profile) -> None:
    for sid in ("bbc-news", "nytimes", "reuters", "whatsapp", "telegram", "signal", "facebook"):
        service = default.service(sid)
        assert service is not None and service.sensitive, sid
    for sid in ("baidu", "gmail", "github"):
        service = default.service(sid)
        assert service is not None and not service.sensitive, sid


def test_default_known_networks(default: Profile) -> None:
    google = default.service("google-search")
    assert google is not None
    for network in ("142.250.0.0/15", "172.217.0.0/16", "216.58.192.0/19", "2607:f8b0::/32"):
        assert network in google.known_networks
    telegram = default.service("telegram")
    assert telegram is not None and "149.154.160.0/20" in telegram.known_networks
    # The domestic controls carry none: they are judged by working, not by address.
    assert all(not s.known_networks for s in default.domestic_services)


def test_default_resolvers(default: Profile) -> None:
    addresses = {r.address for r in default.resolvers}
    assert {"114.114.114.114", "223.5.5.5", "119.29.29.29"} <= addresses
    assert {"8.8.8.8", "1.1.1.1", "9.9.9.9"} <= addresses


def test_default_doh_has_bootstrap_addresses(default: Profile) -> None:
    by_url = {d.url: d for d in default.doh}
    assert "1.1.1.1" in by_url["https://cloudflare-dns.com/dns-query"].bootstrap
    assert "8.8.8.8" in by_url["https://dns.google/dns-query"].bootstrap
    assert "9.9.9.9" in by_url["https://dns.quad9.net/dns-query"].bootstrap
    for doh in default.doh:
        assert doh.bootstrap


def test_default_injection_probe(default: Profile) -> None:
    injection = default.dns_injection
    assert injection is not None and injection.names is None
    resolvers = {r.address for r in default.resolvers} | {
        a for d in default.doh for a in d.bootstrap
    }
    for address in injection.probe_addresses:
        ip = ipaddress.ip_address(address)
        assert ip.is_global, address
        assert address not in resolvers, "a probe address must not run a DNS server"
    names = default.injection_names
    assert "www.google.com" in names and "www.facebook.com" in names
    assert "www.baidu.com" not in names  # domestic controls are left out


def test_default_captive_checks_do_not_rely_on_google(default: Profile) -> None:
    hosts = {urlsplit(c.url).hostname for c in default.captive_checks}
    assert "connect.rom.miui.com" in hosts and "captive.apple.com" in hosts
    assert not any(h and ("gstatic" in h or "google" in h) for h in hosts)
    for check in default.captive_checks:
        assert check.expect_status is not None or check.expect_body is not None


def test_default_exit_check(default: Profile) -> None:
    assert default.exit_check is not None
    assert default.exit_check.url == "https://www.cloudflare.com/cdn-cgi/trace"
