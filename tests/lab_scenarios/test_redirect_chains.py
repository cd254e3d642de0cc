"""Redirect chains, end to end: a service whose page sends the browser on to another host
(twitter.com to x.com, office.com to its sign-in host). The engine measures the new host
like the first (DNS with the reference and the injection probes, TCP, TLS, HTTP) and the
worst hop decides the verdict; the explanation names both (docs/design.md, "Service
verdicts"; diagnosis/redirect_rules.py)."""

from __future__ import annotations

import itertools

import pytest

from clearsight.explanations.catalog import catalog
from tests.lab.lab import Lab, Site

from .scenario import Outcome, run

pytestmark = pytest.mark.lab

START = "start.redirect-lab.test"  # the service's own URL: it works, and sends you on
TARGET = "next.redirect-lab.test"
LIMIT = 10  # engine/service_flow.py MAX_CHAIN_REDIRECTS


def _world(lab: Lab, target: str = TARGET) -> dict[str, Site]:
    """The redirecting service, its target, a foreign and a domestic control, a probe."""
    sites = {
        "start": lab.add_site(START, redirect=f"https://{target}/"),
        "chat": lab.add_site("chat.foreign-lab.test"),
        "news": lab.add_site("news.local-lab.test"),
    }
    if target == TARGET:
        sites["target"] = lab.add_site(TARGET)
    return sites


def _services(sites: dict[str, Site]) -> list[dict[str, object]]:
    return [
        sites["start"].service("tweets", name="Tweets"),
        sites["chat"].service("chat", name="Chat"),
        sites["news"].service("news", name="News", domestic=True),
    ]


def _run(lab: Lab, sites: dict[str, Site], **profile: object) -> Outcome:
    probe = lab.add_host()  # runs no DNS server: any answer from it was injected
    return run(lab, _services(sites), injection_probes=[probe], **profile)


def _check(outcome: Outcome, condition: bool) -> None:
    assert condition, outcome.explain()


def _hosts_requested(outcome: Outcome) -> list[str]:
    return [o["host"] for o in outcome.report["observations"] if o["kind"] == "http"]


def _names_both(outcome: Outcome, service_id: str, target: str, blocked: bool) -> None:
    """The report's explanation, and the same params in Chinese, say both names."""
    service = outcome.service(service_id)
    _check(outcome, service["params"].get("redirected_to") == target)
    said = "which is blocked on this network" if blocked else f"sends you on to {target}."
    _check(outcome, service["explanation"].startswith(f"{service['name']} sends you on to"))
    _check(outcome, said in service["explanation"])
    chinese = catalog("zh_CN").verdict(
        service["verdict"], service["params"], service["evidence"]["reason"]
    )
    start = f"打开 {service['name']} 会跳转到 {target}"
    _check(outcome, chinese.explanation.startswith(start))
    _check(outcome, ("被屏蔽" in chinese.explanation) == blocked)


def test_a_redirect_to_a_working_host_is_reachable_and_each_hop_is_measured(lab: Lab) -> None:
    sites = _world(lab)
    outcome = _run(lab, sites)
    _check(outcome, outcome.verdict("tweets") == "reachable" and outcome.status == "ok")
    _check(outcome, TARGET in _hosts_requested(outcome))
    # The new host got what the first gets: the system resolver, the reference, the
    # injection probe, the innocuous control and the real name.
    kinds = {
        (o["kind"], o.get("role"))
        for o in outcome.report["observations"]
        if o.get("name") == TARGET or o.get("server_name") == TARGET
    }
    _check(outcome, {("dns", "system"), ("doh", None), ("dns", "injection_probe")} <= kinds)
    _check(outcome, ("tls", None) in kinds)
    way = outcome.service("tweets")["evidence"]["urls"][0]["way"]
    _check(outcome, [hop["host"] for hop in way] == [START, TARGET])
    _check(outcome, "redirected_to" not in outcome.service("tweets")["params"])
    # A healthy way costs about one more host measurement, not a timeout.
    _check(outcome, outcome.report["duration_s"] < 2.0)


def test_a_redirect_to_a_host_reset_by_its_name_is_tls_blocked(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.sni_reset(TARGET)
    outcome = _run(lab, sites)
    _check(outcome, outcome.verdict("tweets") == "tls_blocked")
    _check(outcome, outcome.verdict("chat") == "reachable")
    _check(outcome, outcome.service("tweets")["layers"]["tls"]["status"] == "failed")
    _check(outcome, outcome.status == "blocked" and outcome.exit_code == 1)
    evidence = outcome.service("tweets")["evidence"]["urls"][0]
    _check(outcome, evidence["decided_by_hop"] == 1 and evidence["redirected_from"] == START)
    _names_both(outcome, "tweets", TARGET, blocked=True)


def test_a_redirect_to_a_host_forged_on_the_path_is_dns_tampered(lab: Lab) -> None:
    sites = _world(lab)
    forged = lab.add_host()  # a real address elsewhere, as the GFW's pools are
    lab.censor.dns_lie_on_path(TARGET, forged.ipv4)
    outcome = _run(lab, sites)
    _check(outcome, outcome.verdict("tweets") == "dns_tampered")
    _check(outcome, outcome.service("tweets")["layers"]["dns"]["status"] == "forged")
    finding = outcome.finding("dns_injection_on_path")
    _check(outcome, finding is not None and "tweets" in finding["subjects"])
    _names_both(outcome, "tweets", TARGET, blocked=True)


def test_a_redirect_loop_is_the_site_s_own_fault(lab: Lab) -> None:
    sites = _world(lab, target="loop.redirect-lab.test")
    lab.add_site("loop.redirect-lab.test", redirect=f"https://{START}/")
    outcome = _run(lab, sites)
    _check(outcome, outcome.verdict("tweets") == "site_error")
    _check(outcome, outcome.service("tweets")["evidence"]["reason"] == "redirect_loop")
    _check(outcome, _hosts_requested(outcome).count(START) == 1)  # measured once, not again
    _names_both(outcome, "tweets", "loop.redirect-lab.test", blocked=False)


def test_a_chain_longer_than_the_limit_is_not_followed_to_its_end(lab: Lab) -> None:
    hosts = [f"h{i}.chain-lab.test" for i in range(LIMIT + 1)]
    sites = _world(lab, target=hosts[0])
    for here, there in itertools.pairwise(hosts):
        lab.add_site(here, redirect=f"https://{there}/")
    lab.add_site(hosts[-1])
    outcome = _run(lab, sites, timeout_s=2.0)
    _check(outcome, outcome.verdict("tweets") == "site_error")
    _check(outcome, outcome.service("tweets")["evidence"]["reason"] == "too_many_redirects")
    requested = _hosts_requested(outcome)
    # START and h0..h9 are LIMIT redirects deep at most; h10 would be the eleventh.
    _check(outcome, hosts[LIMIT - 1] in requested and hosts[LIMIT] not in requested)


@pytest.mark.parametrize("blocked", [False, True])
def test_an_office_style_chain_to_a_sign_in_host(lab: Lab, blocked: bool) -> None:
    """office.com: the bare name sends you to www, which sends you to the sign-in host."""
    login = "login.signin-lab.test"
    sites = {
        "office": lab.add_site("office-lab.test", redirect="https://www.office-lab.test/"),
        "chat": lab.add_site("chat.foreign-lab.test"),
        "news": lab.add_site("news.local-lab.test"),
    }
    lab.add_site("www.office-lab.test", status=301, redirect=f"https://{login}/?from=office")
    lab.add_site(login)
    if blocked:
        lab.censor.sni_reset(login)
    services = [
        sites["office"].service("office", name="Office"),
        sites["chat"].service("chat", name="Chat"),
        sites["news"].service("news", name="News", domestic=True),
    ]
    outcome = run(lab, services, injection_probes=[lab.add_host()])
    way = outcome.service("office")["evidence"]["urls"][0]["way"]
    _check(outcome, [h["host"] for h in way] == ["office-lab.test", "www.office-lab.test", login])
    if blocked:
        _check(outcome, outcome.verdict("office") == "tls_blocked")
        _names_both(outcome, "office", login, blocked=True)
    else:
        _check(outcome, outcome.verdict("office") == "reachable" and outcome.status == "ok")
