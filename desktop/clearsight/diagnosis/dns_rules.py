"""Is the system resolver's answer for a name genuine? (docs/design.md, "Ground rules: DNS")

Evidence, strongest first: a valid certificate for the name at a returned address
(decisive, whatever the address range); an answer heard from an injection-probe address
(injected); several differing replies to one query (injected); agreement with the DoH
reference or the service's known networks; a forged-pool match (supports, never decides
alone); bogus addresses. When the local answer differs from the reference, the
reference's addresses present a valid certificate and the local ones do not (or cannot be
reached), the local answer is forged. When the injection probe heard answers for this very
name (the injector picks its addresses from a pool, so they rarely match the local ones)
and nothing vouches for the local answer, it is forged too. Injection probes that answer
an innocuous (domestic) name are a transparent DNS proxy, not a path: they are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from clearsight.diagnosis import addresses as addr
from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.vocabulary import DnsStatus
from clearsight.probes import failures

CERT_PROBLEMS = frozenset({"untrusted", "name_mismatch", "expired", "not_yet_valid"})
# The lookup was not measured to the end (the run's deadline, cancel); like a lookup that
# could not be made (no system resolver found), no verdict about the network comes from it.
NOT_MEASURED = frozenset({failures.NOT_RUN, failures.CANCELLED, failures.DEADLINE})


@dataclass(frozen=True)
class DnsJudgement:
    status: DnsStatus
    reason: str
    failure: str | None = None
    local: tuple[str, ...] = ()  # the system resolver's first answers (both families)
    reference: tuple[str, ...] = ()  # the DoH reference's answers
    genuine: tuple[str, ...] = ()  # addresses known to be the service's own
    injected: tuple[str, ...] = ()
    pool_matches: tuple[str, ...] = ()
    # qtype -> the addresses of every reply to the system resolver's query
    all_replies: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


def _local(ev: Evidence, name: str) -> tuple[tuple[str, ...], str | None, bool]:
    """(addresses of the first usable replies, failure, several differing replies?)"""
    found: list[str] = []
    failure: str | None = None
    differing = False
    for qtype in ("A", "AAAA"):
        query = ev.system_dns.get((name, qtype))
        if query is None:
            continue
        found.extend(query.addresses)
        if qtype == "A" or failure is None:
            failure = failure or query.failure
        answer_sets = {
            frozenset(r.addresses) for r in query.replies if r.malformed is None and r.addresses
        }
        if len(answer_sets) > 1:
            differing = True
    if found:
        failure = None
    return tuple(dict.fromkeys(found)), failure, differing


def _reference(ev: Evidence, name: str) -> tuple[tuple[str, ...], bool, bool]:
    """(the reference's addresses, did it answer at all, does it say NXDOMAIN)"""
    found: list[str] = []
    answered = False
    nxdomain = False
    for qtype in ("A", "AAAA"):
        record = ev.doh_answer(name, qtype)
        if record is None:
            continue
        answered = True
        found.extend(record.addresses)
        nxdomain = nxdomain or record.rcode == "NXDOMAIN"
    return tuple(dict.fromkeys(found)), answered, nxdomain and not found


TIME_PROBLEMS = frozenset({"expired", "not_yet_valid"})


def _certificate_ok(ev: Evidence, address: str, port: int, name: str, clock_wrong: bool) -> bool:
    """A valid certificate for the name at the address. With the clock wrong, a certificate
    whose only fault is its validity period counts: OpenSSL checks the chain and the name
    before the dates, so "expired"/"not yet valid" means a trusted chain for this name."""
    if ev.valid_certificate(address, port, name):
        return True
    handshake = ev.tls.get((address, port, name))
    return clock_wrong and handshake is not None and handshake.verify in TIME_PROBLEMS


def _serves_another_site(ev: Evidence, address: str, port: int, name: str) -> bool:
    """A certificate from a trusted authority, for another name: the address is someone
    else's (OpenSSL checks the chain before the name, so ``name_mismatch`` means trusted)."""
    handshake = ev.tls.get((address, port, name))
    return handshake is not None and handshake.verify == "name_mismatch"


def _bad_or_unreachable(ev: Evidence, address: str, port: int, name: str) -> bool:
    handshake = ev.tls.get((address, port, name))
    if handshake is not None:
        return handshake.verify in CERT_PROBLEMS or handshake.failure is not None
    return ev.tcp_ok(address, port) is False


def judge_dns(
    ev: Evidence,
    name: str,
    port: int,
    known_networks: tuple[str, ...],
    with_tls: bool,
    *,
    clock_wrong: bool = False,
) -> DnsJudgement:
    name = name.lower()
    # A wrong clock makes every certificate look invalid: its date errors prove nothing.
    problems = CERT_PROBLEMS - TIME_PROBLEMS if clock_wrong else CERT_PROBLEMS

    def valid(address: str) -> bool:
        return with_tls and _certificate_ok(ev, address, port, name, clock_wrong)

    if addr.parse(name) is not None:
        return DnsJudgement("ok", "address_literal", local=(name,), genuine=(name,))
    local, failure, differing = _local(ev, name)
    reference, ref_answered, ref_nxdomain = _reference(ev, name)
    injected_all = ev.injected_answers(name)
    replies = {
        qtype: tuple(tuple(r.addresses) for r in q.replies if r.malformed is None)
        for qtype in ("A", "AAAA")
        if (q := ev.system_dns.get((name, qtype))) is not None
    }
    ref_genuine = tuple(a for a in reference if valid(a)) or (reference if not with_tls else ())

    if not local:
        if failure is None:
            failure = failures.NOT_RUN
        if failure in NOT_MEASURED:
            return DnsJudgement(
                "not_measured", "not_finished", failure, reference=reference, all_replies=replies
            )
        if ref_nxdomain and failure == failures.NXDOMAIN:
            return DnsJudgement(
                "nonexistent",
                "reference_nxdomain",
                failure,
                reference=reference,
                all_replies=replies,
            )
        exists = bool(reference) or bool(known_networks)
        if exists:
            return DnsJudgement(
                "failed",
                "reference_has_answer" if reference else "known_networks",
                failure,
                genuine=reference,
                reference=reference,
                all_replies=replies,
            )
        return DnsJudgement(
            "unverified_failed", "no_reference", failure, reference=reference, all_replies=replies
        )

    valid_local = tuple(a for a in local if valid(a))
    pool = tuple(a for a in local if addr.in_forged_pool(a))
    if valid_local:
        return DnsJudgement(
            "ok",
            "valid_certificate",
            genuine=valid_local,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    injected = tuple(a for a in local if a in injected_all)
    if injected:
        return DnsJudgement(
            "forged",
            "injected_on_path",
            injected=injected,
            genuine=ref_genuine,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    if differing:
        return DnsJudgement(
            "forged",
            "several_replies",
            genuine=ref_genuine,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    reference_public = any(not addr.is_private(a) for a in reference)
    if any(addr.is_bogus(a, name) for a in local) or (
        reference_public and all(addr.is_private(a) for a in local)
    ):
        return DnsJudgement(
            "forged",
            "bogus_address",
            genuine=ref_genuine,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    agrees = [a for a in local if a in reference or addr.in_networks(a, known_networks)]
    if agrees:
        return DnsJudgement(
            "ok",
            "agrees_with_reference",
            genuine=tuple(agrees),
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    if injected_all:
        # Answers for this very name were injected on the path (the injector draws its
        # forged addresses from a pool, so the probe rarely hears the same ones), and
        # nothing vouches for the local answer: no certificate, no reference, no network.
        return DnsJudgement(
            "forged",
            "injection_seen_for_name",
            injected=tuple(sorted(injected_all)),
            genuine=ref_genuine,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    unreachable_or_bad = all(_bad_or_unreachable(ev, a, port, name) for a in local)
    if ref_genuine and with_tls and unreachable_or_bad:
        return DnsJudgement(
            "forged",
            "reference_verified",
            genuine=ref_genuine,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    other_site = with_tls and all(_serves_another_site(ev, a, port, name) for a in local)
    if other_site and (pool or reference):
        return DnsJudgement(
            "forged",
            "address_of_another_site",
            genuine=ref_genuine,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    if pool and (
        reference
        or other_site
        or any(
            (h := ev.tls.get((a, port, name))) is not None and h.verify in problems for a in pool
        )
    ):
        return DnsJudgement(
            "forged",
            "forged_pool",
            genuine=ref_genuine,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    if pool or other_site:
        return DnsJudgement(
            "unverified",
            "forged_pool_unconfirmed",
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    if ev.injection_probed(name) or ref_answered:
        # No sign of forgery where forgery would show: treat the answer as the service's.
        return DnsJudgement(
            "ok",
            "no_sign_of_forgery",
            genuine=local,
            local=local,
            pool_matches=pool,
            reference=reference,
            all_replies=replies,
        )
    return DnsJudgement(
        "unverified",
        "no_reference",
        local=local,
        pool_matches=pool,
        reference=reference,
        all_replies=replies,
    )
