"""The proxy readers (environment, Windows registry, macOS scutil, GNOME gsettings) from
recorded or documented outputs (tests/unit/probes/fixtures: each file says which)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from clearsight.probes import proxy_settings as ps
from clearsight.probes.records import ProxySource
from clearsight.probes.windows import internet_settings_from_values

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# ------------------------------------------------------------------------- environment
@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        (
            {"http_proxy": "http://127.0.0.1:7890", "https_proxy": "http://127.0.0.1:7890"},
            ProxySource("environment", "manual", "127.0.0.1:7890", "127.0.0.1:7890"),
        ),
        (
            {"HTTPS_PROXY": "http://alice:secret@10.0.0.5:3128/", "NO_PROXY": "corp, .lan"},
            ProxySource(
                "environment",
                "manual",
                None,
                "10.0.0.5:3128",
                bypass=("corp", ".lan"),
                credentials=True,
            ),
        ),
        (
            {"all_proxy": "socks5://127.0.0.1:7891"},
            ProxySource("environment", "manual", socks="127.0.0.1:7891"),
        ),
        (
            {"all_proxy": "[::1]:8080"},
            ProxySource("environment", "manual", "[::1]:8080", "[::1]:8080"),
        ),
    ],
)
def test_environment_variables(environ: dict[str, str], expected: ProxySource | None) -> None:
    assert ps.EnvironmentProxyReader(environ).read() == expected


def test_credentials_never_reach_the_record() -> None:
    source = ps.proxy_from_environment({"https_proxy": "http://alice:secret@10.0.0.5:3128"})
    assert source is not None and "secret" not in repr(source) and "alice" not in repr(source)


# ----------------------------------------------------------------------------- Windows
def reg_query(text: str) -> tuple[dict[str, Any], bytes | None]:
    """The values of a ``reg query`` listing (fixture format), as winreg returns them."""
    values: dict[str, Any] = {}
    blob: bytes | None = None
    for line in text.splitlines():
        match = re.match(r"^\s{4}(.+?)\s{4}(REG_\w+)\s{4}(.*)$", line)
        if not match:
            continue
        name, kind, data = match.groups()
        if kind == "REG_DWORD":
            values[name] = int(data, 16)
        elif kind == "REG_BINARY":
            if name == "DefaultConnectionSettings":
                blob = bytes.fromhex(data)
            else:
                values[name] = bytes.fromhex(data)
        else:
            values[name] = data
    return values, blob


def test_windows_manual_proxy_with_bypass_list() -> None:
    values, blob = reg_query(fixture("windows-reg-internet-settings-manual.txt"))
    source = ps.proxy_from_internet_settings(internet_settings_from_values(values, blob))
    assert source == ProxySource(
        "windows",
        "manual",
        "127.0.0.1:7890",
        "127.0.0.1:7890",
        bypass=("localhost", "127.*", "10.*", "172.16.*", "192.168.*", "<local>"),
    )


def test_windows_pac_wins_over_the_stored_manual_proxy() -> None:
    values, blob = reg_query(fixture("windows-reg-internet-settings-pac.txt"))
    settings = internet_settings_from_values(values, blob)
    assert settings.auto_detect and not settings.proxy_enable
    source = ps.proxy_from_internet_settings(settings)
    assert source is not None and source.mode == "auto_config"
    assert source.pac_url == "http://wpad.corp.example/proxy.pac"
    assert source.http is None  # ProxyEnable is 0: the stored proxy is not in use


def test_windows_per_protocol_proxies_and_nothing_set() -> None:
    settings = internet_settings_from_values(
        {"ProxyEnable": 1, "ProxyServer": "http=10.0.0.5:3128;https=10.0.0.6:3129;socks=10.0.0.7"},
        None,
    )
    source = ps.proxy_from_internet_settings(settings)
    assert source is not None
    assert (source.http, source.https, source.socks) == (
        "10.0.0.5:3128",
        "10.0.0.6:3129",
        "10.0.0.7:1080",
    )
    assert ps.proxy_from_internet_settings(internet_settings_from_values({}, None)) is None
    wpad = internet_settings_from_values({}, bytes.fromhex("460000000100000009000000"))
    detected = ps.proxy_from_internet_settings(wpad)
    assert detected is not None and detected.mode == "auto_detect"


# ------------------------------------------------------------------------------- macOS
def test_macos_manual_proxy() -> None:
    source = ps.proxy_from_scutil(fixture("macos-scutil-proxy-manual.txt"))
    assert source == ProxySource(
        "macos",
        "manual",
        "127.0.0.1:7890",
        "127.0.0.1:7890",
        "127.0.0.1:7891",
        bypass=("*.local", "169.254/16"),
    )


def test_macos_pac_and_nothing() -> None:
    source = ps.proxy_from_scutil(fixture("macos-scutil-proxy-pac.txt"))
    assert source is not None and source.mode == "auto_config"
    assert source.pac_url == "http://wpad.corp.example/proxy.pac"
    assert ps.proxy_from_scutil(fixture("macos-scutil-proxy-none.txt")) is None


# ------------------------------------------------------------------------------- GNOME
def test_gnome_manual_proxy_from_a_real_recording() -> None:
    source = ps.proxy_from_gsettings(fixture("gsettings-proxy-manual.txt"))
    assert source == ProxySource(
        "gnome",
        "manual",
        "127.0.0.1:7890",
        "127.0.0.1:7890",
        "127.0.0.1:7891",
        bypass=("localhost", "127.0.0.0/8", "::1", "*.corp.example"),
        credentials=True,
    )
    assert "secret" not in repr(source)


def test_gnome_automatic_and_none_from_real_recordings() -> None:
    source = ps.proxy_from_gsettings(fixture("gsettings-proxy-auto.txt"))
    assert source is not None and source.mode == "auto_config"
    assert source.pac_url == "http://wpad.corp.example/proxy.pac"
    assert ps.proxy_from_gsettings(fixture("gsettings-proxy-none.txt")) is None


def test_gnome_is_read_only_on_gnome_like_desktops() -> None:
    assert ps.GnomeProxyReader({"XDG_CURRENT_DESKTOP": "KDE"}).read() is None
    assert ps.GnomeProxyReader({}).read() is None


# ------------------------------------------------------------------------ which proxy
def test_which_proxy_a_url_goes_to() -> None:
    source = ProxySource(
        "windows", "manual", "10.0.0.5:3128", None, bypass=("*.corp.example", "<local>")
    )
    assert ps.proxy_for_url(source, "https://mail.google.com/") == "10.0.0.5:3128"
    assert ps.proxy_for_url(source, "http://intranet/") is None
    assert ps.proxy_for_url(source, "https://wiki.corp.example/") is None
    env = ProxySource("environment", "manual", "127.0.0.1:8080", None)
    # curl and requests send https URLs only to https_proxy (or all_proxy).
    assert ps.proxy_for_url(env, "https://example.test/") is None
    assert ps.proxy_for_url(env, "http://example.test/") == "127.0.0.1:8080"
    pac = ProxySource("macos", "auto_config", pac_url="http://wpad/wpad.dat")
    assert ps.proxy_for_url(pac, "https://example.test/") is None


def test_readers_per_os_put_the_system_setting_first() -> None:
    assert [type(r).__name__ for r in ps.readers_for("Windows")] == [
        "WindowsProxyReader",
        "EnvironmentProxyReader",
    ]
    assert type(ps.readers_for("Darwin")[0]).__name__ == "MacProxyReader"
    assert [type(r).__name__ for r in ps.readers_for("Linux")] == [
        "EnvironmentProxyReader",
        "GnomeProxyReader",
    ]


def test_a_reader_that_fails_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(ps.ProxySettingsReader):
        def read(self) -> ProxySource | None:
            raise ValueError("odd registry value")

    monkeypatch.setattr(ps, "readers_for", lambda system=None: [Broken()])
    assert ps.read_proxy_settings() == ()
