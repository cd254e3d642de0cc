"""Redaction: personal values become tokens that keep their class (``private-v4#1``).

Personal: the public IP (its country stays), local and MAC addresses, the user and host
names, home-directory paths. DNS answers and other evidence stay, so a redacted report
diagnoses exactly like the original. The Wi-Fi network name is never collected.
"""

from __future__ import annotations

import contextlib
import getpass
import ipaddress
import os
import re
import socket
from pathlib import Path
from typing import Any


def _address_class(value: str) -> str:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return "address"
    version = f"v{ip.version}"
    if ip.is_link_local:
        return f"link-local-{version}"
    if ip.is_private:
        return f"private-{version}"
    return f"public-{version}"


class Redactor:
    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def add(self, value: str | None, kind: str) -> None:
        if not value or value in self.tokens or len(value) < 2:
            return
        if kind == "address":
            kind = _address_class(value)
        self._counts[kind] = self._counts.get(kind, 0) + 1
        self.tokens[value] = f"{kind}#{self._counts[kind]}"

    def pattern(self) -> re.Pattern[str] | None:
        if not self.tokens:
            return None
        values = sorted(self.tokens, key=len, reverse=True)
        alternation = "|".join(re.escape(v) for v in values)
        # Whole values only: 10.0.0.1 must not eat the start of 10.0.0.12.
        return re.compile(rf"(?<![\w.:-])(?:{alternation})(?![\w:-]|\.\d)")

    def apply(self, data: Any, pattern: re.Pattern[str]) -> Any:
        if isinstance(data, str):
            return pattern.sub(lambda m: self.tokens[m.group(0)], data)
        if isinstance(data, list):
            return [self.apply(item, pattern) for item in data]
        if isinstance(data, dict):
            return {key: self.apply(value, pattern) for key, value in data.items()}
        return data


def _personal_values(report: dict[str, Any], redactor: Redactor) -> None:
    network = report.get("network") or {}
    redactor.add(network.get("public_ip"), "address")
    egress = network.get("egress") or {}
    redactor.add(egress.get("ipv4"), "address")
    redactor.add(egress.get("ipv6"), "address")
    for observation in report.get("observations") or []:
        kind = observation.get("kind") if isinstance(observation, dict) else None
        if kind == "network":
            for interface in observation.get("interfaces") or []:
                for entry in interface.get("addresses") or []:
                    value = entry.get("address")
                    if entry.get("family") == "mac":
                        redactor.add(value, "mac")
                    elif value and not _is_loopback(value):
                        redactor.add(value, "address")
            redactor.add(observation.get("egress_ipv4"), "address")
            redactor.add(observation.get("egress_ipv6"), "address")
        elif kind == "exit":
            redactor.add(observation.get("ip"), "address")
    for interface in network.get("interfaces") or []:
        for entry in interface.get("addresses") or []:
            value = entry.get("address")
            if entry.get("family") == "mac":
                redactor.add(value, "mac")
            elif value and not _is_loopback(value):
                redactor.add(value, "address")


def _identity_values(redactor: Redactor) -> None:
    home = str(Path.home())
    if len(home) > 1:
        redactor.add(home, "home")
    with contextlib.suppress(Exception):
        redactor.add(getpass.getuser(), "user")
    with contextlib.suppress(Exception):
        redactor.add(socket.gethostname(), "host")
    redactor.add(os.environ.get("USERNAME"), "user")
    redactor.add(os.environ.get("COMPUTERNAME"), "host")


def _is_loopback(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False


# Where a user name, host name or home path can appear. They are replaced only there: a
# user called "mail" must not rewrite the evidence "mail.example.com" (a redacted report
# must diagnose exactly like the original).
_IDENTITY_FIELDS = ("platform", "profile")


def redact_report(report: dict[str, Any]) -> dict[str, Any]:
    addresses = Redactor()
    _personal_values(report, addresses)
    out = dict(report)
    pattern = addresses.pattern()
    if pattern is not None:
        out = addresses.apply(out, pattern)
    identity = Redactor()
    identity._counts = dict(addresses._counts)
    _identity_values(identity)
    identity_pattern = identity.pattern()
    if identity_pattern is not None:
        for key in _IDENTITY_FIELDS:
            if key in out:
                out[key] = identity.apply(out[key], identity_pattern)
        for observation in out.get("observations") or []:
            if (
                isinstance(observation, dict)
                and observation.get("kind") == "plan"
                and isinstance(observation.get("ca_file"), str)
            ):
                observation["ca_file"] = identity.apply(observation["ca_file"], identity_pattern)
    used = [*addresses.tokens.values(), *identity.tokens.values()]
    out["redacted"] = True
    out["redactions"] = sorted({token.rsplit("#", 1)[0] for token in used})
    return out
