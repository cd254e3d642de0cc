"""The built-in default profile on a simulated Great Firewall.

Every host the default profile names (services, captive checks, the exit check, DoH
servers, injection-probe addresses, plain resolvers) gets a lab stand-in, and the censor
treats each service the way the Great Firewall treats the real one (docs/censorship.md):

* forged DNS answers injected on the path (the forged reply races the real one, for any
  destination, even an address that runs no DNS server), pointing at other companies'
  addresses, often with the genuine address blackholed too (Google, Facebook, X, ...);
* TCP resets on the name in the ClientHello (Wikipedia, news sites);
* blackholed addresses (Signal, Proton);
* DNS-over-HTTPS servers whose packets are dropped;
* services that refuse the country themselves (ChatGPT, Claude: not censorship);
* everything else, and every domestic control, works.

A stand-in is named ``<real host>.gfw-lab.test`` and lives on a lab address; the real
address ranges of ``known_networks`` become the stand-in's own address. The scenario test
(``tests/lab_scenarios/test_great_firewall.py``) checks the verdicts; the benchmark
(``benchmarks/core_benchmarks.py``) times the run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from clearsight.profile.loader import load_default_profile
from tests.lab.lab import (
    FOREIGN_RESOLVER_V4,
    SYSTEM_RESOLVER_V4,
    Host,
    Lab,
    Route,
    Site,
    toml_dumps,
)

SUFFIX = ".gfw-lab.test"

# How the simulated firewall treats each default service (by id); the rest work.
INJECTED_AND_BLACKHOLED = frozenset(
    {
        "google-search",
        "google-maps",
        "gmail",
        "google-docs",
        "google-play",
        "gemini",
        "google-translate",
        "google-drive",
        "youtube",
        "facebook",
        "instagram",
        "whatsapp",
        "messenger",
        "x",
        "telegram",
    }
)
INJECTED = frozenset({"reddit", "dropbox", "nytimes", "bloomberg", "discord", "line"})
SNI_RESET = frozenset({"wikipedia", "bbc-news", "reuters", "guardian", "duckduckgo"})
BLACKHOLED = frozenset({"signal", "proton-mail"})
REFUSES_THE_COUNTRY = frozenset({"chatgpt", "claude"})
# Real injections answer with addresses of other companies (Facebook, Twitter, Dropbox
# ranges): here, the stand-ins' own addresses of these services.
FORGED_POOL_OWNERS = ("facebook", "x", "dropbox")
# Google's names share a few front-end addresses, as the real ones do.
GOOGLE_FRONT_ENDS = 3


def stand_in(host: str) -> str:
    return host.lower() + SUFFIX


def _stand_in_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = stand_in(parts.hostname or "")
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def expected_verdict(service_id: str, domestic: bool) -> str:
    if domestic:
        return "reachable"
    if service_id in INJECTED_AND_BLACKHOLED | INJECTED:
        return "dns_tampered"
    if service_id in SNI_RESET:
        return "tls_blocked"
    if service_id in BLACKHOLED:
        return "ip_blocked"
    if service_id in REFUSES_THE_COUNTRY:
        return "geo_restricted"
    return "reachable"


@dataclass
class GreatFirewall:
    """A started lab with the stand-ins and the censor's rules in place."""

    lab: Lab
    profile_path: Path
    expected: dict[str, str]  # service id -> verdict


def build(lab: Lab, *, timeout_s: float = 5.0, deadline_s: float | None = None) -> GreatFirewall:
    """Add the stand-ins to ``lab``, start it, install the censor's rules, write the
    profile. ``deadline_s`` defaults to the default profile's own."""
    default = load_default_profile()
    sites: dict[str, Site] = {}  # real host -> stand-in site
    google: list[Site] = []  # the front ends Google's names share
    for service in default.services:
        for host in service.hosts:
            if host in sites:
                continue
            is_google = "google" in host.split(".")
            if is_google and len(google) == GOOGLE_FRONT_ENDS:
                front_end = google[len(sites) % GOOGLE_FRONT_ENDS]
                sites[host] = lab.add_site(stand_in(host), same_address_as=front_end)
                continue
            behaviour: dict[str, Any] = {}
            if service.id in REFUSES_THE_COUNTRY:
                behaviour = {"status": 403, "region_blocked": True}
            sites[host] = lab.add_site(stand_in(host), **behaviour)
            if is_google:
                google.append(sites[host])
    captive = []
    for spec in default.captive_checks:
        parts = urlsplit(spec.url)
        route = Route(spec.expect_status or 200, spec.expect_body or "")
        lab.add_site(stand_in(parts.hostname or ""), routes={parts.path or "/": route})
        entry: dict[str, Any] = {"url": _stand_in_url(spec.url)}
        if spec.expect_status is not None:
            entry["expect_status"] = spec.expect_status
        if spec.expect_body is not None:
            entry["expect_body"] = spec.expect_body
        captive.append(entry)
    exit_url = None
    if default.exit_check is not None:
        lab.add_site(stand_in(urlsplit(default.exit_check.url).hostname or ""))
        exit_url = _stand_in_url(default.exit_check.url)
    # DoH servers: stand-ins that the firewall silences (their packets are dropped), with
    # as many bootstrap addresses of each family as the real ones have.
    doh_hosts: list[Host] = []
    doh = []
    for resolver in default.doh:
        v4 = [a for a in resolver.bootstrap if ":" not in a]
        v6 = [a for a in resolver.bootstrap if ":" in a]
        hosts = [
            lab.add_host(ipv4=i < len(v4), ipv6=i < len(v6)) for i in range(max(len(v4), len(v6)))
        ]
        doh_hosts.extend(hosts)
        bootstrap = [h.ipv4 for h in hosts if h.ipv4] + [h.ipv6 for h in hosts if h.ipv6]
        doh.append(
            {
                "name": resolver.name,
                "url": _stand_in_url(resolver.url),
                "bootstrap": bootstrap,
            }
        )
    probes = [
        lab.add_host(ipv4=":" not in a, ipv6=":" in a)
        for a in (default.dns_injection.probe_addresses if default.dns_injection else ())
    ]
    lab.start()

    def genuine(service_id: str) -> str:
        service = default.service(service_id)
        assert service is not None and sites[service.hosts[0]].ipv4 is not None
        return str(sites[service.hosts[0]].ipv4)

    pool = itertools.cycle([genuine(s) for s in FORGED_POOL_OWNERS])
    lab.censor.drop(doh_hosts)
    for service in default.services:
        if service.id in INJECTED_AND_BLACKHOLED | INJECTED:
            for host in service.hosts:
                forged = next(pool)
                if forged == sites[host].ipv4:
                    forged = next(pool)
                lab.censor.dns_lie_on_path(stand_in(host), forged)
        if service.id in INJECTED_AND_BLACKHOLED | BLACKHOLED:
            lab.censor.drop([sites[h] for h in service.hosts])
        if service.id in SNI_RESET:
            for host in service.hosts:
                lab.censor.sni_reset(stand_in(host))

    services = []
    for service in default.services:
        entry: dict[str, Any] = {
            "id": service.id,
            "name": service.name,
            "group": service.group,
            "urls": [_stand_in_url(u) for u in service.urls],
            "domestic": service.domestic,
            "sensitive": service.sensitive,
        }
        if service.names:  # 百度, 谷歌地图: what a Chinese reader sees, as with the default
            entry["names"] = dict(service.names)
        if service.known_networks:
            entry["known_networks"] = sorted(
                {f"{sites[h].ipv4}/32" for h in service.hosts if sites[h].ipv4}
            )
        services.append(entry)
    # Domestic resolvers are asked beyond the border in the lab too: the firewall's
    # injection reaches their answers as it does the real ones.
    resolvers = [
        {
            "name": r.name,
            "address": SYSTEM_RESOLVER_V4 if "(China)" in r.name else FOREIGN_RESOLVER_V4,
        }
        for r in default.resolvers
    ]
    data: dict[str, Any] = {
        "format": 1,
        "name": default.name + " (lab stand-ins)",
        "country": default.country,
        "include_default": False,
        "names": {lang: f"{name}（实验室替身）" for lang, name in default.names},
        "settings": {
            "timeout_s": timeout_s,
            "deadline_s": deadline_s or default.settings.deadline_s,
            "ca_file": str(lab.ca_pem),
        },
        "resolvers": resolvers,
        "doh": doh,
        "dns_injection": {"probe_addresses": [a for h in probes for a in h.addresses]},
        "captive_checks": captive,
        "services": services,
    }
    if exit_url is not None:
        data["exit_check"] = {"url": exit_url}
    path = lab.workdir / "great-firewall.clearsight"
    path.write_text(toml_dumps(data), encoding="utf-8")
    expected = {s.id: expected_verdict(s.id, s.domestic) for s in default.services}
    return GreatFirewall(lab, path, expected)
