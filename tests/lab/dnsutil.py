"""DNS answers for the lab's Python DNS servers (DoH, the liar in the censor, the injector and
the helper that makes a resolver fail), built with dnspython.

Zone data is ``{name: {"A": [...], "AAAA": [...]}}`` (names lower case, no trailing dot).
An override is ``{"action": "answer"|"nxdomain"|"servfail"|"refused"|"drop", "A": [...],
"AAAA": [...], "ttl": N}``; the key ``"*"`` matches every name.
"""

from __future__ import annotations

from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Zone = dict[str, dict[str, list[str]]]
Overrides = dict[str, dict[str, Any]]

DEFAULT_TTL = 60


def normalize(name: str) -> str:
    return name.lower().rstrip(".")


def find_override(qname: str, overrides: Overrides, *, subdomains: bool) -> dict[str, Any] | None:
    name = normalize(qname)
    if name in overrides:
        return overrides[name]
    if subdomains:
        labels = name.split(".")
        for i in range(1, len(labels)):
            parent = ".".join(labels[i:])
            if parent in overrides:
                return overrides[parent]
    return overrides.get("*")


def _add_addresses(
    response: dns.message.Message,
    qname: dns.name.Name,
    qtype: int,
    record: dict[str, Any],
    ttl: int,
) -> None:
    kind = {dns.rdatatype.A: "A", dns.rdatatype.AAAA: "AAAA"}.get(dns.rdatatype.RdataType(qtype))
    if kind is None:
        return
    addresses = [str(a) for a in record.get(kind, [])]
    if addresses:
        response.answer.append(
            dns.rrset.from_text_list(qname, ttl, dns.rdataclass.IN, kind, addresses)
        )


def respond(
    query: dns.message.Message,
    zone: Zone,
    overrides: Overrides | None = None,
    *,
    subdomains: bool = False,
    only_overrides: bool = False,
) -> dns.message.Message | None:
    """The response to ``query``, or None when the server must stay silent.

    ``only_overrides``: names without an override get no response (the injector uses this).
    """
    response = dns.message.make_response(query, recursion_available=True)
    if not query.question:
        response.set_rcode(dns.rcode.FORMERR)
        return response
    question = query.question[0]
    qname, qtype = question.name, question.rdtype
    override = find_override(qname.to_text(), overrides or {}, subdomains=subdomains)
    if override is None and only_overrides:
        return None
    if override is not None:
        action = override.get("action", "answer")
        if action == "drop":
            return None
        if action == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if action == "refused":
            response.set_rcode(dns.rcode.REFUSED)
            return response
        if action == "nxdomain":
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        _add_addresses(response, qname, qtype, override, int(override.get("ttl", DEFAULT_TTL)))
        return response
    record = zone.get(normalize(qname.to_text()))
    if record is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
        return response
    response.flags |= dns.flags.AA
    _add_addresses(response, qname, qtype, record, DEFAULT_TTL)
    return response


def respond_wire(
    wire: bytes,
    zone: Zone,
    overrides: Overrides | None = None,
    *,
    subdomains: bool = False,
    only_overrides: bool = False,
) -> bytes | None:
    """Like :func:`respond`, from and to wire format; None for silence or unparsable input."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return None
    if query.flags & dns.flags.QR:
        return None
    response = respond(query, zone, overrides, subdomains=subdomains, only_overrides=only_overrides)
    return None if response is None else response.to_wire()


def name_hex_pattern(name: str) -> str:
    """``mail.example.test`` → ``|04|mail|07|example|04|test|00|`` for ``-m string
    --hex-string``: label-aligned, so it matches the name and its subdomains only."""
    parts = []
    for label in normalize(name).split("."):
        parts.append(f"|{len(label):02x}|{label}")
    return "".join(parts) + "|00|"
