"""Checking one service again: the profile for that one check, and how its new
observations replace the old ones so the whole report can be diagnosed again.

The new run measures the service's names and the addresses they lead to; every older
record about those names and addresses is dropped (a newer measurement of the same
address counts for every service that shares it, as Gmail and Drive share Google's).
The rest of the run (the plan, the network, the clock, the login-page checks, the other
services) stays as it was.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from clearsight.probes.records import (
    DnsQuery,
    DohQuery,
    HttpFetch,
    Observation,
    TcpConnect,
    TlsHandshake,
    Unfinished,
)
from clearsight.profile.model import DnsInjection, Profile, Service


def _hosts(service: Service) -> set[str]:
    return {(urlsplit(u).hostname or "").lower() for u in service.urls} - {""}


def single_service_profile(profile: Profile, service: Service) -> Profile:
    """``profile`` reduced to what judging ``service`` needs: its URLs, the resolvers and
    encrypted DNS to compare with, the injection probe for its names; no login-page, exit
    or VPN checks (the first run has them)."""
    injection = profile.dns_injection
    if injection is not None:
        names = tuple(sorted(_hosts(service))) if not service.domestic else ()
        injection = DnsInjection(probe_addresses=injection.probe_addresses, names=names)
    return replace(
        profile,
        services=(service,),
        captive_checks=(),
        exit_check=None,
        dns_injection=injection,
        vpn=replace(profile.vpn, endpoints=()),
    )


def _addresses(records: tuple[Observation, ...], hosts: set[str]) -> set[str]:
    found: set[str] = set()
    for record in records:
        if isinstance(record, DnsQuery | DohQuery) and record.name.lower() in hosts:
            found.update(record.addresses)
            if isinstance(record, DnsQuery):
                for reply in record.replies:
                    found.update(reply.addresses)
    return found


def _about(record: Observation, hosts: set[str], addresses: set[str]) -> bool:
    """Whether ``record`` measured one of the service's names or addresses."""
    if isinstance(record, DnsQuery):
        return record.role != "nxdomain_probe" and record.name.lower() in hosts
    if isinstance(record, DohQuery):
        return record.name.lower() in hosts
    if isinstance(record, TcpConnect):
        return record.address in addresses
    if isinstance(record, TlsHandshake):
        return record.address in addresses or record.server_name.lower() in hosts
    if isinstance(record, HttpFetch):
        return record.host.lower() in hosts or record.address in addresses
    return False


def merge_rerun(
    old: tuple[Observation, ...], new: tuple[Observation, ...], service: Service
) -> tuple[Observation, ...]:
    """The first run's observations with ``service``'s measurements replaced by ``new``."""
    hosts = _hosts(service)
    addresses = _addresses(old, hosts) | _addresses(new, hosts)
    kept: list[Observation] = []
    for record in old:
        if _about(record, hosts, addresses):
            continue
        if isinstance(record, Unfinished) and service.id in record.services:
            services = tuple(s for s in record.services if s != service.id)
            checks = tuple(c for c in record.checks if c != service.name)
            if services or checks:
                kept.append(replace(record, services=services, checks=checks))
            continue
        kept.append(record)
    for record in new:
        if _about(record, hosts, addresses):
            kept.append(record)
        elif isinstance(record, Unfinished) and service.id in record.services:
            kept.append(replace(record, services=(service.id,), checks=(service.name,)))
    return tuple(kept)
