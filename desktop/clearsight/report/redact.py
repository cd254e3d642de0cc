"""Redaction: personal values become tokens that keep their class (``private-v4#1``).

Personal: the public address (its country stays), the machine's own addresses and MAC
addresses, the user and host names, home-directory paths and, on request, the names of
VPN and proxy clients. They are found where the machine describes itself (the network
record, the exit check, this computer's names) and then replaced wherever they occur,
including free text a network sent back (a block page that echoes the visitor's address,
a captive portal's redirect carrying the MAC address).

Evidence stays: DNS answers, the addresses probes connected to, DNS names, URLs' hosts and
certificate fields are kept verbatim (``_EVIDENCE_KEYS``), so a redacted report diagnoses
exactly like the original (a test checks it). The Wi-Fi network name is never collected.

A redacted report says what was removed: ``redactions`` lists each class with a count.
"""

from __future__ import annotations

import contextlib
import getpass
import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from clearsight.probes.records import (
    ExitCheck,
    NetworkEnvironment,
    Observation,
    observation_from_json,
    to_json,
)

#: Token classes, in the order a person reads the list of what was removed.
CLASSES = (
    "public-v4",
    "public-v6",
    "private-v4",
    "private-v6",
    "link-local-v4",
    "link-local-v6",
    "mac",
    "user",
    "host",
    "home",
    "vpn-client",
    "proxy-client",
)
TOKEN = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, CLASSES)) + r")#(\d+)(?!\d)")

# Values that name nobody (the account of a service or CI, the loopback name).
_GENERIC_NAMES = frozenset({"root", "localhost", "localhost.localdomain", "user", "admin"})
# Suffixes under which a computer announces its own name on a local network.
_LOCAL_SUFFIXES = (".local", ".lan", ".home", ".localdomain", ".home.arpa", ".fritz.box")

# Per observation kind, the keys whose values are evidence the diagnosis compares or
# classifies (answers, probed addresses, names, certificate fields): kept verbatim.
_EVIDENCE_KEYS: Mapping[str, frozenset[str]] = {
    "dns": frozenset({"role", "resolver", "name", "qtype", "addresses", "cnames", "rcode"}),
    "doh": frozenset({"resolver", "url", "name", "qtype", "addresses", "rcode"}),
    "tcp": frozenset({"address", "family"}),
    "tls": frozenset({"address", "server_name", "previous_real_name", "certificate"}),
    # ``url`` as ``final_url``: a redirect's next hop is requested at the URL the answer
    # named, which may carry personal values; both redacted alike, the way stays whole.
    "http": frozenset({"host", "address", "via", "proxy"}),
    "captive": frozenset({"url", "addresses", "expect_body"}),
    "clock": frozenset({"url", "address"}),
    "exit": frozenset({"url", "address", "country", "via"}),
    "vpn_endpoint": frozenset({"name", "host", "port", "protocol", "address"}),
    "network": frozenset(
        {
            "name",
            "family",
            "netmask",
            "flags",
            "egress_ipv4_interface",
            "egress_ipv6_interface",
            "kind",
            "per_app",
            "link_type",
            "description",
            "status",
        }
    ),
    # Which interface each target is reached through (the local address is personal).
    "route": frozenset({"target", "purpose", "family", "interface", "failure"}),
    "proxy": frozenset(
        {
            "source",
            "mode",
            "http",
            "https",
            "socks",
            "pac_url",
            "bypass",
            "pac_failure",
            "failure",
        }
    ),
    "plan": frozenset(
        {
            "country",
            "services",
            "skipped_services",
            "resolvers",
            "doh",
            "injection_probe_addresses",
            "platform",
            "vpn_endpoints",
        }
    ),
    "unfinished": frozenset({"checks", "services"}),
}
# URL fields whose host the diagnosis reads (a redirect to a local address is a block):
# the host stays, the rest (a query string carrying ?ip=…&mac=…) is redacted.
_URL_KEYS = frozenset({"final_url", "url"})


@dataclass(frozen=True)
class Identity:
    """Names that identify the person or the computer."""

    users: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    homes: tuple[str, ...] = ()


def machine_identity() -> Identity:
    """This computer's user name, host name and home folder."""
    users: list[str] = []
    hosts: list[str] = []
    with contextlib.suppress(Exception):
        users.append(getpass.getuser())
    for variable in ("USERNAME", "USER", "LOGNAME"):
        users.append(os.environ.get(variable) or "")
    with contextlib.suppress(OSError):
        hosts.append(socket.gethostname())
    hosts.append(os.environ.get("COMPUTERNAME") or "")
    homes = [str(Path.home()), os.environ.get("USERPROFILE") or ""]
    return Identity(users=tuple(users), hosts=tuple(hosts), homes=tuple(homes))


@dataclass(frozen=True)
class RedactionOptions:
    identity: Identity | None = None  # None: this computer's
    client_names: bool = False  # also replace the names of VPN and proxy clients


@dataclass
class _Kind:
    """Values of one boundary style, and the compiled pattern that finds them."""

    before: str  # characters that may not precede a match
    after: str  # a lookahead that may not follow a match
    flags: int = re.IGNORECASE
    values: dict[str, str] = field(default_factory=dict)  # casefolded value -> token
    _pattern: re.Pattern[str] | None = None
    _dirty: bool = True

    def add(self, value: str, token: str) -> None:
        self.values.setdefault(value.casefold(), token)
        self._dirty = True

    def pattern(self) -> re.Pattern[str] | None:
        if self._dirty:
            self._dirty = False
            if not self.values:
                self._pattern = None
            else:
                alternation = "|".join(
                    re.escape(v) for v in sorted(self.values, key=len, reverse=True)
                )
                self._pattern = re.compile(
                    rf"(?<![{self.before}])(?:{alternation})(?!{self.after})", self.flags
                )
        return self._pattern

    def sub(self, text: str, used: set[str]) -> str:
        pattern = self.pattern()
        if pattern is None:
            return text

        def token(match: re.Match[str]) -> str:
            found = self.values[match.group(0).casefold()]
            used.add(found)
            return found

        return pattern.sub(token, text)


class Redactor:
    """Collects personal values, numbers them per class, and replaces them in text."""

    def __init__(self, existing: Iterable[str] = ()) -> None:
        self.tokens: dict[str, str] = {}  # casefolded value -> token
        self.used: set[str] = set()  # tokens that replaced something
        # Tokens already in a report (redacted before) keep their numbers; new ones follow.
        self._next: dict[str, int] = {}
        for text in existing:
            for match in TOKEN.finditer(text):
                number = int(match.group(2))
                self._next[match.group(1)] = max(self._next.get(match.group(1), 0), number)
        # An IPv4 address may follow ":" ("ip:192.0.2.7", "::ffff:192.0.2.7") but must not
        # be the start of a longer one (192.0.2.7 inside 192.0.2.71 or 192.0.2.7.5).
        self._v4 = _Kind(before=r"\w.", after=r"\w|\.\d")
        self._v6 = _Kind(before=r"\w:.", after=r"[\w:]|\.\d")
        self._mac = _Kind(before=r"\w:.-", after=r"[\w:-]")
        # Names are found as whole words only, and never as a label of a DNS name
        # ("mail" must not rewrite mail.example.com).
        self._names = _Kind(before=r"\w.-", after=r"[\w-]|\.\w")
        # VPN and proxy client names are replaced everywhere, evidence included: an
        # interface or a process may carry the same name.
        self._clients = _Kind(before=r"\w", after=r"\w")

    # -- collecting -------------------------------------------------------------------

    def _token(self, cls: str) -> str:
        self._next[cls] = self._next.get(cls, 0) + 1
        return f"{cls}#{self._next[cls]}"

    def _register(self, kind: _Kind, cls: str, variants: Iterable[str]) -> None:
        variants = [v for v in dict.fromkeys(variants) if v]
        if not variants:
            return
        known = next(
            (self.tokens[v.casefold()] for v in variants if v.casefold() in self.tokens), None
        )
        token = known or self._token(cls)
        for variant in variants:
            self.tokens.setdefault(variant.casefold(), token)
            kind.add(variant, token)

    def add_address(self, value: str | None, *, public: bool = False) -> None:
        if not value or TOKEN.fullmatch(value):
            return
        bare = value.split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(bare)
        except ValueError:
            return
        if ip.is_loopback or ip.is_unspecified or ip.is_multicast:
            return
        version = f"v{ip.version}"
        if public:
            cls = f"public-{version}"
        elif ip.is_link_local:
            cls = f"link-local-{version}"
        elif ip.is_global:
            cls = f"public-{version}"
        else:
            cls = f"private-{version}"
        if ip.version == 4:
            self._register(self._v4, cls, [str(ip)])
        else:
            variants = [str(ip), ip.exploded, value]
            self._register(self._v6, cls, variants)

    def add_mac(self, value: str | None) -> None:
        if not value or TOKEN.fullmatch(value):
            return
        digits = re.sub(r"[^0-9a-fA-F]", "", value).lower()
        if len(digits) != 12 or digits == "0" * 12:
            return
        pairs = [digits[i : i + 2] for i in range(0, 12, 2)]
        quads = [digits[i : i + 4] for i in range(0, 12, 4)]
        variants = [
            ":".join(pairs),
            "-".join(pairs),
            "%3A".join(pairs),
            ".".join(quads),  # Cisco style: 1e2b.3c4d.5e6f
            digits,
        ]
        self._register(self._mac, "mac", variants)

    def add_identity(self, identity: Identity) -> None:
        for home in identity.homes:
            if home and len(home) > 1 and home not in ("/", "/root") and not TOKEN.fullmatch(home):
                self._register(self._names, "home", [home, home.replace("\\", "/")])
        for user in identity.users:
            if _personal_name(user):
                self._register(self._names, "user", [user])
        for host in identity.hosts:
            if _personal_name(host):
                short = host.split(".", 1)[0]
                names = [host, *(host + s for s in _LOCAL_SUFFIXES)]
                if _personal_name(short):
                    names += [short, *(short + s for s in _LOCAL_SUFFIXES)]
                self._register(self._names, "host", names)

    def add_client(self, cls: str, *names: str | None) -> None:
        """One VPN or proxy client, by every name it shows (app name, process name)."""
        variants: list[str] = []
        for name in names:
            if name and len(name) >= 2 and not TOKEN.fullmatch(name):
                variants.append(name)
                # A process name usually shows its file name too (clash-verge.exe).
                stem, dot, suffix = name.rpartition(".")
                if dot and suffix.lower() in ("exe", "app"):
                    variants.append(stem)
        self._register(self._clients, cls, variants)

    # -- replacing --------------------------------------------------------------------

    def text(self, value: str) -> str:
        for kind in (self._v6, self._v4, self._mac, self._names, self._clients):
            value = kind.sub(value, self.used)
        return value

    def _clients_only(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._clients.sub(value, self.used)
        if isinstance(value, list | tuple):
            return [self._clients_only(item) for item in value]
        if isinstance(value, dict):
            return {key: self._clients_only(item) for key, item in value.items()}
        return value

    def data(self, value: Any, keep: Callable[[str], bool] | None = None) -> Any:
        """Replace in every string of a JSON-like value; keys for which *keep* says so stay."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list | tuple):
            return [self.data(item, keep) for item in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if keep is not None and keep(key):
                    out[key] = item
                elif key in _URL_KEYS and isinstance(item, str):
                    out[key] = self._url(item)
                else:
                    out[key] = self.data(item, keep)
            return out
        return value

    def _url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.netloc:
            return self.text(url)
        head = f"{parts.scheme}://{parts.netloc}"
        return head + self.text(url[len(head) :]) if url.startswith(head) else self.text(url)

    def observation(self, record: dict[str, Any]) -> dict[str, Any]:
        evidence = _EVIDENCE_KEYS.get(str(record.get("kind")), frozenset())
        out = {
            key: value
            if key == "kind" or key in evidence
            else self.data(value, evidence.__contains__)
            for key, value in record.items()
        }
        if self._clients.values:
            out = {
                key: value if key == "kind" else self._clients_only(value)
                for key, value in out.items()
            }
        return out

    def observations(self, records: Iterable[Observation]) -> tuple[Observation, ...]:
        if not self.tokens:
            return tuple(records)
        return tuple(observation_from_json(self.observation(to_json(r))) for r in records)

    def summary(self) -> list[dict[str, Any]]:
        """What was removed: each class with the number of distinct values replaced
        (a name that never occurred is not counted)."""
        counts: dict[str, int] = {}
        for token in self.used:
            cls = token.rsplit("#", 1)[0]
            counts[cls] = counts.get(cls, 0) + 1
        return merge_summaries([{"class": cls, "count": n} for cls, n in counts.items()])


def _personal_name(value: str | None) -> bool:
    return bool(value) and len(value or "") >= 2 and (value or "").casefold() not in _GENERIC_NAMES


def collect(
    records: Iterable[Observation],
    identity: Identity,
    existing: Iterable[str] = (),
    *,
    client_names: bool = False,
) -> Redactor:
    """A redactor that knows this run's personal values (the public address first, so an
    address seen both as the exit address and on an interface counts as public)."""
    records = list(records)
    redactor = Redactor(existing)
    for record in records:
        if isinstance(record, ExitCheck):
            redactor.add_address(record.ip, public=True)
    for record in records:
        if not isinstance(record, NetworkEnvironment):
            continue
        redactor.add_address(record.egress_ipv4)
        redactor.add_address(record.egress_ipv6)
        for interface in record.interfaces:
            for entry in interface.addresses:
                if entry.family == "mac":
                    redactor.add_mac(entry.address)
                else:
                    redactor.add_address(entry.address)
        if client_names:
            for client in record.clients:
                cls = "proxy-client" if client.kind == "proxy" else "vpn-client"
                redactor.add_client(cls, client.name, client.process)
            for service in record.vpn_services:  # the user's own name for a VPN (macOS)
                redactor.add_client("vpn-client", service.name)
    redactor.add_identity(identity)
    return redactor


def merge_summaries(*summaries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One list of what was removed, from a report redacted before and a new pass."""
    counts: dict[str, int] = {}
    for summary in summaries:
        for item in summary:
            cls = str(item.get("class") or "")
            count = item.get("count")
            if cls and isinstance(count, int) and not isinstance(count, bool):
                counts[cls] = counts.get(cls, 0) + count
    order = {cls: index for index, cls in enumerate(CLASSES)}
    return [
        {"class": cls, "count": count}
        for cls, count in sorted(counts.items(), key=lambda kv: order.get(kv[0], 99))
    ]


__all__ = [
    "CLASSES",
    "TOKEN",
    "Identity",
    "RedactionOptions",
    "Redactor",
    "collect",
    "machine_identity",
    "merge_summaries",
]
