"""The system resolver's configuration, read without sending anything.

dnspython reads /etc/resolv.conf on Linux and macOS and the registry on Windows; its
queries have timeouts, unlike ``getaddrinfo`` (docs/design.md: name resolution goes through
dnspython).
"""

from __future__ import annotations

import ipaddress

import dns.resolver


def system_nameservers() -> tuple[str, ...]:
    """The addresses of the configured resolvers; empty when none is configured."""
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except Exception:  # NoResolverConfiguration, unreadable file, odd registry values
        return ()
    found: list[str] = []
    for server in resolver.nameservers:
        text = str(server)
        try:
            found.append(str(ipaddress.ip_address(text.split("%")[0])))
        except ValueError:
            continue  # DoH/DoT URLs are not plain resolvers
    return tuple(dict.fromkeys(found))
