"""The composition rules (docs/design.md, "Presentation") as one check of a report.

``problems(report)`` lists every rule the report's answer breaks, in words a failing test
can print. The unit tests run it over every scenario the tests build and every captured lab
scenario; ``tests/lab_scenarios/scenario.py`` runs it on every live lab report too.
"""

from __future__ import annotations

from typing import Any

from clearsight.explanations import catalog
from clearsight.presentation.answer import compose
from clearsight.presentation.summary import BLOCKED, DNS_CHANGE_USELESS, DNS_VERDICTS, MAX_NAMED


def _dns_change_texts(language: str) -> list[str]:
    """Every text that advises changing the DNS server, with its variable part cut off."""
    texts = catalog(language)
    found = [
        texts.raw("action", "change_dns"),
        texts.raw("verdict", "dns_tampered", "advice"),
        texts.raw("verdict", "dns_failed", "advice"),
        texts.raw("finding", "dns_tampering", "advice"),
    ]
    return [t.split("{")[0][:30] for t in found if t]


def problems(report: dict[str, Any]) -> list[str]:
    language = str(report.get("language") or "en")
    texts = catalog(language)
    summary = report["summary"]
    status = summary["status"]
    answer = compose(report)
    codes = {f["code"] for f in report["findings"]}
    services = report["services"]
    out: list[str] = []

    actions = summary.get("actions") or []
    ids = [a["id"] for a in actions]
    if not 1 <= len(actions) <= 3:
        out.append(f"{len(actions)} actions: {ids}")
    if len(set(ids)) != len(ids):
        out.append(f"an action twice: {ids}")
    if summary.get("advice") != [a["text"] for a in actions]:
        out.append("summary.advice is not the actions' texts")
    if len(set(summary.get("advice") or [])) != len(summary.get("advice") or []):
        out.append("the same advice twice")

    # No action contradicts a finding.
    useless = bool(codes & DNS_CHANGE_USELESS) or any(
        s["verdict"] in DNS_VERDICTS and s["advice_verdict"] not in DNS_VERDICTS for s in services
    )
    if useless:
        said = [*summary["advice"], *(s["advice"] for s in services if s["verdict"] != "reachable")]
        for start in _dns_change_texts(language):
            if any(start in line for line in said):
                out.append(f"advises a DNS change although it can't help: {start!r}")
        if "change_dns" in ids:
            out.append("change_dns although a DNS change can't help")
    vpn_on = bool(codes & {"vpn_active", "vpn_split_tunnel"})
    if vpn_on and "vpn_dns_leak" in codes and ids[:1] != ["fix_vpn_dns"]:
        out.append(f"VPN on and leaking, but the leak fix is not first: {ids}")

    # Headline.
    headline = summary["headline"]
    named = [s["name"] for s in services if s["name"] and s["name"] in headline]
    named = [n for n in named if not any(n != m and n in m for m in named)]
    if len(named) > MAX_NAMED:
        out.append(f"the headline names {len(named)} services")
    blocked = [s for s in services if s["verdict"] in BLOCKED]
    if status == "captive_portal":
        if ids[:1] != ["log_in"]:
            out.append(f"a login page, but the first action is {ids[:1]}")
        if any(row.tone == "bad" for row in answer.services):
            out.append("a login page, but a row says blocked")
        for s in services:
            if s["verdict"] != "reachable" and s["advice"] != texts.raw("action", "log_in"):
                out.append(f"a login page, but {s['id']}'s row advises {s['advice']!r}")
    if "vpn_not_passing_traffic" in codes and status == "offline":
        if headline == texts.headline("offline", {}):
            out.append("a dead VPN tunnel headlined as no internet connection")
        cable = texts.raw("unclear", "offline", "advice")
        if any(s["advice"] == cable for s in services):
            out.append("a dead VPN tunnel, but a row says to plug the cable in")
    domestic = [s for s in services if s["domestic"]]
    dns_broken = headline in (texts.ui("headline_dns_broken"), texts.ui("headline_dns_missing"))
    no_lookups = bool(domestic) and all(s["verdict"] == "dns_failed" for s in domestic)
    if (
        no_lookups
        and codes & {"dns_resolver_unreachable", "dns_resolver_missing"}
        and not dns_broken
    ):
        out.append("a DNS server that answers nothing, not headlined so")
    if status == "blocked" and blocked and not dns_broken:
        shown = f"{len(blocked)}"
        if shown not in headline and "selective_blocking" not in codes:
            out.append(f"the headline does not count {shown} blocked services")
    if (
        status == "blocked"
        and not blocked
        and not any(s["verdict"] == "tls_intercepted" for s in services)
    ):
        out.append("blocked, but no service is blocked or intercepted")
    intercepted = [s for s in services if s["verdict"] == "tls_intercepted"]
    if (
        intercepted
        and status == "blocked"
        and not blocked
        and answer.badge != texts.ui("badge_not_safe")
    ):
        out.append("only intercepted services, but the badge says blocked")
    selective = next((f for f in report["findings"] if f["code"] == "selective_blocking"), None)
    if selective is not None:
        by_id = {s["id"]: s for s in services}
        for sid in selective["subjects"]:
            if by_id[sid]["verdict"] not in BLOCKED or by_id[sid]["domestic"]:
                out.append(f"{sid} counted among the blocked foreign services")
    if status == "degraded":
        if headline == texts.headline("degraded", {}):
            out.append("a degraded run that does not name its top problem")
        endpoint_blocked = "vpn_endpoint_blocked" in codes
        nothing = texts.raw("headline", "slow") or ""
        if (
            endpoint_blocked
            and nothing.split("{")[0]
            and headline.startswith(nothing.split("{")[0])
        ):
            out.append("'nothing is blocked' beside a blocked VPN server")
    if "vpn_not_active" in codes:
        for sentence in (texts.ui("headline_vpn_expected"),):
            if sentence in headline and "vpn_expected_missing" not in codes:
                out.append("says what VPN the person has")
    return out
