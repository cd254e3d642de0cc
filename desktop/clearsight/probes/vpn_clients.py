"""VPN and proxy clients running on this machine, recognised by process name.

The table is data (``resources/vpn_clients.toml``) so support staff can extend it without
touching code. Only names are read: no command lines, no paths, no users.
"""

from __future__ import annotations

import functools
import os
import sys
import tomllib
from dataclasses import dataclass
from importlib import resources

import psutil

from clearsight.probes.records import ClientSeen


@dataclass(frozen=True)
class KnownClient:
    name: str
    kind: str  # "vpn" | "proxy"
    processes: frozenset[str]
    per_app: bool = False


def _normalise(process_name: str) -> str:
    name = process_name.strip().lower()
    return name[:-4] if name.endswith(".exe") else name


@functools.cache
def known_clients() -> tuple[KnownClient, ...]:
    text = (resources.files("clearsight.resources") / "vpn_clients.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return tuple(
        KnownClient(
            name=str(entry["name"]),
            kind=str(entry.get("kind", "vpn")),
            processes=frozenset(_normalise(p) for p in entry.get("processes", [])),
            per_app=bool(entry.get("per_app", False)),
        )
        for entry in table.get("client", [])
    )


def match_clients(process_names: list[str]) -> tuple[ClientSeen, ...]:
    """The known clients among these process names, each once, in table order."""
    running = {_normalise(n) for n in process_names if n}
    seen: list[ClientSeen] = []
    for client in known_clients():
        hit = sorted(client.processes & running)
        if hit:
            seen.append(ClientSeen(client.name, client.kind, hit[0], client.per_app))
    return tuple(seen)


def running_process_names() -> list[str]:
    names: list[str] = []
    for process in psutil.process_iter(["name"]):
        try:
            name = process.info.get("name")
        except (psutil.Error, AttributeError):
            continue
        if isinstance(name, str):
            names.append(name)
    return names


def process_list_limited(proc: str = "/proc") -> bool:
    """Whether other users' programs are hidden from this one (Linux ``/proc`` mounted with
    ``hidepid``): a VPN daemon running as root would then go unseen. Elsewhere the names of
    all programs are visible without administrator rights."""
    if not sys.platform.startswith("linux") or os.geteuid() == 0:
        return False
    try:
        with open(os.path.join(proc, "1", "comm"), "rb") as handle:
            handle.read(64)
    except OSError:
        return True  # hidepid=1: not readable; hidepid=2: not even there
    return False


def running_clients() -> tuple[ClientSeen, ...]:
    try:
        return match_clients(running_process_names())
    except (psutil.Error, OSError):
        return ()
