"""Where the system sends web traffic: the proxy settings, read behind one small interface
with a reader per place they live (docs/design.md, "VPN and proxy").

* :class:`EnvironmentProxyReader`: ``http_proxy``, ``https_proxy``, ``all_proxy``,
  ``no_proxy`` (either case); what command-line programs use, on every OS.
* :class:`WindowsProxyReader`: the user's Internet Settings in the registry.
* :class:`MacProxyReader`: ``scutil --proxy`` (the primary network service's settings).
* :class:`GnomeProxyReader`: ``gsettings`` ``org.gnome.system.proxy`` (GNOME, Cinnamon,
  Budgie, Unity), only when such a desktop is running.

A user name or password in a setting is never recorded; ``credentials`` says one was
there. Each reader's parsing is a pure function of the OS's own text or values, tested
from recorded (or documented) outputs.

PAC files are fetched and recorded but not evaluated: a PAC file is JavaScript whose
helpers (``dnsResolve``, ``isInNet``, ``myIpAddress``) resolve names through the
system's ``getaddrinfo``; the Python PAC libraries (pypac) bring a JavaScript engine and
resolve that way, which docs/design.md rules out. Which sites go through the proxy is then
reported as unknown.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Mapping
from urllib.parse import urlsplit

from clearsight.probes import macos, windows
from clearsight.probes.records import ProxySource

GSETTINGS_TIMEOUT_S = 2.0
# Desktops that keep their proxy in org.gnome.system.proxy.
GNOME_DESKTOPS = ("gnome", "unity", "cinnamon", "budgie", "pantheon", "ubuntu", "pop")
# Where WPAD looks when no PAC URL is given (the browsers' convention).
WPAD_DEFAULT_URL = "http://wpad/wpad.dat"


def host_port(value: str | None, default_port: int | None = None) -> tuple[str | None, bool]:
    """("host:port" or None, whether credentials were present) from a proxy setting such as
    ``http://user:pw@10.0.0.1:3128/``, ``127.0.0.1:7890`` or ``[::1]:8080``."""
    if not value:
        return None, False
    text = value.strip()
    if not text:
        return None, False
    parts = urlsplit(text if "://" in text else "http://" + text)
    credentials = parts.username is not None or parts.password is not None
    try:
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None, credentials
    if not host:
        return None, credentials
    if port is None:
        port = default_port or (1080 if parts.scheme.startswith("socks") else 80)
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}", credentials


def _scheme(value: str) -> str:
    return value.split("://", 1)[0].lower() if "://" in value else ""


class ProxySettingsReader(ABC):
    """One place the proxy can be set."""

    @abstractmethod
    def read(self) -> ProxySource | None:
        """The setting found there, or None when nothing is set."""


# ---------------------------------------------------------------------------- environment
class EnvironmentProxyReader(ProxySettingsReader):
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def read(self) -> ProxySource | None:
        return proxy_from_environment(self.environ)


def proxy_from_environment(environ: Mapping[str, str]) -> ProxySource | None:
    def get(name: str) -> str | None:
        return environ.get(name) or environ.get(name.upper()) or None

    http_raw, https_raw, all_raw = get("http_proxy"), get("https_proxy"), get("all_proxy")
    if not (http_raw or https_raw or all_raw):
        return None
    credentials = False
    http = https = socks = None
    for raw, slot in ((http_raw, "http"), (https_raw, "https"), (all_raw, "all")):
        if not raw:
            continue
        address, had = host_port(raw)
        credentials = credentials or had
        if _scheme(raw).startswith("socks"):
            socks = socks or address
            continue
        if slot in ("http", "all"):
            http = http or address
        if slot in ("https", "all"):
            https = https or address
    bypass = tuple(item.strip() for item in (get("no_proxy") or "").split(",") if item.strip())
    return ProxySource(
        source="environment",
        mode="manual",
        http=http,
        https=https,
        socks=socks,
        bypass=bypass,
        credentials=credentials,
    )


# -------------------------------------------------------------------------------- Windows
class WindowsProxyReader(ProxySettingsReader):
    def read(self) -> ProxySource | None:
        settings = windows.read_internet_settings()
        return proxy_from_internet_settings(settings) if settings is not None else None


def proxy_from_internet_settings(settings: windows.InternetSettings) -> ProxySource | None:
    """WinINet's rules: the PAC URL wins over automatic detection, which wins over the
    manual proxy (all three can be on at once)."""
    http = https = socks = None
    credentials = False
    if settings.proxy_server:
        server = settings.proxy_server
        if "=" in server:
            for item in server.split(";"):
                key, _, value = item.partition("=")
                key = key.strip().lower()
                address, had = host_port(value, 1080 if key == "socks" else None)
                credentials = credentials or had
                if key == "http":
                    http = address
                elif key == "https":
                    https = address
                elif key == "socks":
                    socks = address
        else:
            http, credentials = host_port(server)
            https = http
    manual = settings.proxy_enable and bool(http or https or socks)
    if settings.auto_config_url:
        mode = "auto_config"
    elif settings.auto_detect:
        mode = "auto_detect"
    elif manual:
        mode = "manual"
    else:
        return None
    bypass = tuple(
        item.strip() for item in (settings.proxy_override or "").split(";") if item.strip()
    )
    return ProxySource(
        source="windows",
        mode=mode,
        http=http if manual else None,
        https=https if manual else None,
        socks=socks if manual else None,
        pac_url=settings.auto_config_url,
        bypass=bypass,
        credentials=credentials,
    )


# ---------------------------------------------------------------------------------- macOS
class MacProxyReader(ProxySettingsReader):
    def read(self) -> ProxySource | None:
        text = macos.run_scutil("--proxy")
        return proxy_from_scutil(text) if text else None


def proxy_from_scutil(text: str) -> ProxySource | None:
    values = macos.parse_dictionary(text)

    def on(key: str) -> bool:
        return str(values.get(key, "0")).strip() == "1"

    def address(prefix: str) -> str | None:
        if not on(f"{prefix}Enable"):
            return None
        host = values.get(f"{prefix}Proxy")
        port = values.get(f"{prefix}Port")
        if not isinstance(host, str) or not host:
            return None
        port_text = str(port) if isinstance(port, str) and port.isdigit() else ""
        found, _ = host_port(f"{host}:{port_text}" if port_text else host)
        return found

    http, https, socks = address("HTTP"), address("HTTPS"), address("SOCKS")
    pac = values.get("ProxyAutoConfigURLString")
    pac_url = pac if on("ProxyAutoConfigEnable") and isinstance(pac, str) and pac else None
    if pac_url:
        mode = "auto_config"
    elif on("ProxyAutoDiscoveryEnable"):
        mode = "auto_detect"
    elif http or https or socks:
        mode = "manual"
    else:
        return None
    exceptions = values.get("ExceptionsList")
    bypass = tuple(str(e) for e in exceptions) if isinstance(exceptions, list) else ()
    return ProxySource(
        source="macos",
        mode=mode,
        http=http,
        https=https,
        socks=socks,
        pac_url=pac_url,
        bypass=bypass,
    )


# ---------------------------------------------------------------------------------- GNOME
class GnomeProxyReader(ProxySettingsReader):
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def read(self) -> ProxySource | None:
        desktop = self.environ.get("XDG_CURRENT_DESKTOP", "").lower()
        if not any(name in desktop for name in GNOME_DESKTOPS):
            return None
        path = shutil.which("gsettings")
        if path is None:
            return None
        try:
            done = subprocess.run(
                [path, "list-recursively", "org.gnome.system.proxy"],
                capture_output=True,
                text=True,
                timeout=GSETTINGS_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return proxy_from_gsettings(done.stdout) if done.returncode == 0 else None


_GVARIANT_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _gvariant(value: str) -> str | int | bool | list[str]:
    value = value.strip()
    if value.startswith("["):
        return [m.replace("\\'", "'") for m in _GVARIANT_STRING.findall(value)]
    if value.startswith("'"):
        match = _GVARIANT_STRING.match(value)
        return match.group(1).replace("\\'", "'") if match else ""
    if value in ("true", "false"):
        return value == "true"
    if value.lstrip("-").isdigit():
        return int(value)
    return value


def proxy_from_gsettings(text: str) -> ProxySource | None:
    """From ``gsettings list-recursively org.gnome.system.proxy`` lines
    (``org.gnome.system.proxy.http host '127.0.0.1'``)."""
    values: dict[str, str | int | bool | list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0].startswith("org.gnome.system.proxy"):
            schema = parts[0][len("org.gnome.system.proxy") :].lstrip(".")
            values[f"{schema}.{parts[1]}" if schema else parts[1]] = _gvariant(parts[2])
    mode = values.get("mode")

    def address(kind: str) -> str | None:
        host = values.get(f"{kind}.host")
        port = values.get(f"{kind}.port")
        if not isinstance(host, str) or not host or not isinstance(port, int) or port <= 0:
            return None
        return host_port(f"{host}:{port}")[0]

    ignore = values.get("ignore-hosts")
    bypass = tuple(ignore) if isinstance(ignore, list) else ()
    if mode == "manual":
        http, https, socks = address("http"), address("https"), address("socks")
        if not (http or https or socks):
            return None
        user = values.get("http.authentication-user")
        credentials = values.get("http.use-authentication") is True and bool(user)
        return ProxySource(
            source="gnome",
            mode="manual",
            http=http,
            https=https,
            socks=socks,
            bypass=bypass,
            credentials=credentials,
        )
    if mode == "auto":
        url = values.get("autoconfig-url")
        pac_url = url if isinstance(url, str) and url else None
        return ProxySource(
            source="gnome",
            mode="auto_config" if pac_url else "auto_detect",
            pac_url=pac_url,
            bypass=bypass,
        )
    return None


# ------------------------------------------------------------------------------------ all
def readers_for(system: str | None = None) -> list[ProxySettingsReader]:
    """The readers that apply on this OS, the one that decides for most apps first."""
    name = (system or platform.system()).lower()
    if name == "windows":
        return [WindowsProxyReader(), EnvironmentProxyReader()]
    if name == "darwin":
        return [MacProxyReader(), EnvironmentProxyReader()]
    return [EnvironmentProxyReader(), GnomeProxyReader()]


def read_proxy_settings(system: str | None = None) -> tuple[ProxySource, ...]:
    found: list[ProxySource] = []
    for reader in readers_for(system):
        try:
            source = reader.read()
        except Exception:  # an odd registry value or tool output must not stop the run
            continue
        if source is not None:
            found.append(source)
    return tuple(found)


def proxy_for_url(source: ProxySource, url: str) -> str | None:
    """The manual HTTP proxy ``source`` sends ``url`` to, or None (direct, bypassed, SOCKS
    only, or set up automatically)."""
    if source.mode != "manual":
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if bypassed(host, source.bypass):
        return None
    if parts.scheme.lower() == "https":
        return source.https or (source.http if source.source != "environment" else None)
    return source.http


def bypassed(host: str, rules: tuple[str, ...]) -> bool:
    """Whether ``host`` matches a bypass rule ("*.corp", ".corp", "corp", "<local>")."""
    for rule in rules:
        rule = rule.strip().lower()
        if not rule:
            continue
        if rule == "*":
            return True
        if rule == "<local>":
            if "." not in host:
                return True
            continue
        bare = rule.lstrip("*").lstrip(".")
        if host == bare or host.endswith("." + bare):
            return True
    return False


__all__ = [
    "WPAD_DEFAULT_URL",
    "EnvironmentProxyReader",
    "GnomeProxyReader",
    "MacProxyReader",
    "ProxySettingsReader",
    "WindowsProxyReader",
    "bypassed",
    "host_port",
    "proxy_for_url",
    "proxy_from_environment",
    "proxy_from_gsettings",
    "proxy_from_internet_settings",
    "proxy_from_scutil",
    "read_proxy_settings",
    "readers_for",
]
