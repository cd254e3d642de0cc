"""The composition rules (docs/design.md, "Presentation"), table-driven over every scenario
the tests build and every lab scenario (``lab/``: the observations of each lab test's run,
kept by ``CLEARSIGHT_CAPTURE_REPORTS=… pytest tests/lab_scenarios``), in both languages;
and the same answer from the window, the HTML, PDF and text reports."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from clearsight.explanations import LANGUAGES, catalog
from clearsight.gui.view_model import build_view as window_view
from clearsight.presentation.answer import compose, support_message
from clearsight.probes.records import observation_from_json
from clearsight.report.build import build_report, meta_from_report
from clearsight.report.html import render_html
from clearsight.report.pdf import print_html
from clearsight.report.text import render_email_text, render_text
from clearsight.report.view import build_view
from tests.unit.report.people_read import report_of, scenario_builders, visible_html

from .rules import problems

LAB = Path(__file__).parent / "lab"
LAB_SCENARIOS = sorted(p.name.removesuffix(".json.gz") for p in LAB.glob("*.json.gz"))
BUILT = scenario_builders()


@cache
def lab_report(name: str, language: str) -> dict[str, Any]:
    saved = json.loads(gzip.decompress((LAB / f"{name}.json.gz").read_bytes()))
    observations = tuple(observation_from_json(o) for o in saved["observations"])
    return build_report(observations, meta_from_report(saved), language=language, redact=False)


@cache
def built_report(name: str, language: str) -> dict[str, Any]:
    return report_of(BUILT[name], language)


def test_every_lab_scenario_is_kept() -> None:
    assert len(LAB_SCENARIOS) >= 40


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", LAB_SCENARIOS)
def test_every_lab_scenario_keeps_the_composition_rules(name: str, language: str) -> None:
    report = lab_report(name, language)
    assert problems(report) == [], report["summary"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(BUILT))
def test_every_built_scenario_keeps_the_composition_rules(name: str, language: str) -> None:
    report = built_report(name, language)
    assert problems(report) == [], report["summary"]


# One answer, every renderer --------------------------------------------------------------
SAME = [*(("lab", n) for n in LAB_SCENARIOS[::4]), *(("built", n) for n in sorted(BUILT)[::6])]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "name"), SAME, ids=[f"{k}:{n}" for k, n in SAME])
def test_window_html_pdf_and_text_say_the_same_answer(kind: str, name: str, language: str) -> None:
    report = lab_report(name, language) if kind == "lab" else built_report(name, language)
    answer = compose(report)
    window = window_view(catalog(language), report, None)
    view = build_view(report)
    html = visible_html(render_html(report))
    pdf = visible_html(print_html(view))
    text = render_text(report)
    email = render_email_text(report, max_lines=200)
    # The headline and the actions, word for word, in the same order everywhere.
    assert window.overview.headline == view.headline == answer.headline
    assert window.overview.actions == view.actions == answer.actions
    for shown in (html, pdf, text, email):
        assert answer.headline in shown
        positions = [shown.find(a.text) for a in answer.actions]
        assert -1 not in positions and positions == sorted(positions)
    # The same rows, with the same badges and colours.
    window_rows = {
        row.key.removeprefix("service:"): (row.badge, row.tone)
        for section in window.sections
        for row in section.rows
        if row.key.startswith("service:")
    }
    rows = {s.id: (s.badge, s.tone) for s in answer.services} if answer.show_services else {}
    assert window_rows == rows
    assert {r.id: (r.badge, r.tone) for r in view.services} == rows
    for service in answer.services if answer.show_services else ():
        assert service.name in html and service.badge in html
        assert service.name in text and service.badge in text
        assert service.badge in pdf


def test_an_old_report_without_actions_still_shows_its_advice() -> None:
    report = built_report("report:blocked", "en")
    old = {**report, "summary": {k: v for k, v in report["summary"].items() if k != "actions"}}
    answer = compose(old)
    assert [a.text for a in answer.actions] == report["summary"]["advice"]
    assert render_html(old) and render_text(old) and window_view(catalog("en"), old, None)


def test_an_old_saved_report_opens_and_gains_actions(tmp_path: Path) -> None:
    """A report saved before actions existed (no summary.actions, its own old advice)
    opens: it is diagnosed again and gets today's answer."""
    from clearsight.report.build import load_report

    report = built_report("report:blocked", "en")
    old = json.loads(json.dumps(report))
    old["summary"] = {"status": "blocked", "headline": "old", "advice": ["old advice"]}
    path = tmp_path / "old.clearsight-report"
    path.write_text(json.dumps(old), encoding="utf-8")
    saved, observations = load_report(path)
    again = build_report(observations, meta_from_report(saved), language="en")
    assert [a["id"] for a in again["summary"]["actions"]][:1] == ["use_vpn"]
    assert problems(again) == []


# The rules themselves, on the situations of issue 11 -------------------------------------
def _lab(fragment: str, language: str = "en") -> dict[str, Any]:
    name = next(n for n in LAB_SCENARIOS if fragment in n)
    return lab_report(name, language)


def _ids(report: dict[str, Any]) -> list[str]:
    return [a["id"] for a in report["summary"]["actions"]]


def test_the_great_firewall_never_advises_a_dns_change() -> None:
    report = _lab("great_firewall")
    assert "change_dns" not in _ids(report)
    assert _ids(report)[0] == "use_vpn"
    assert "and let it look up addresses too" in report["summary"]["advice"][0]
    assert " more" in report["summary"]["headline"]  # at most three services named


def test_a_captive_portal_says_log_in_at_its_own_page() -> None:
    for language in LANGUAGES:
        report = _lab("captive", language)
        assert _ids(report) == ["log_in"]
        action = report["summary"]["actions"][0]
        assert "generate_204" not in action["text"]
        assert action["url"] == "http://10.77.3.80/login"  # the portal's own page
        answer = compose(report)
        assert all(s.tone != "bad" for s in answer.services)


def test_a_lying_resolver_gets_one_dns_action_not_three() -> None:
    report = built_report("verdicts:dns-lying-resolver", "en")
    assert _ids(report) == ["change_dns"]


def test_injection_gets_one_vpn_action() -> None:
    report = built_report("verdicts:dns-injected-on-path", "en")
    assert _ids(report) == ["use_vpn"]
    assert report["services"][0]["advice"] != catalog("en").verdict("dns_tampered", {}).advice


def test_a_vpn_leak_is_fixed_first() -> None:
    assert _ids(built_report("report:vpn_proxy", "en"))[0] == "fix_vpn_dns"
    assert _ids(built_report("vpn:dns-leak", "en")) == ["fix_vpn_dns"]


def test_a_dead_tunnel_is_not_no_internet() -> None:
    report = built_report("vpn:tunnel-up-passing-nothing", "en")
    assert report["summary"]["headline"].startswith("Your VPN is on, but nothing gets through")
    assert _ids(report) == ["fix_vpn"]


def test_interception_is_not_safe_rather_than_blocked() -> None:
    report = built_report("verdicts:tls-intercepted", "en")
    assert "may be read" in report["summary"]["headline"]
    assert compose(report).badge == "Not safe"
    assert not any(f["code"] == "selective_blocking" for f in report["findings"])


def test_a_blocked_vpn_server_is_never_beside_nothing_is_blocked() -> None:
    report = built_report("vpn:tcp-endpoint-times-out", "en")
    assert "Nothing" not in report["summary"]["headline"]
    assert "Can't reach your VPN server" in report["summary"]["headline"]


def test_nothing_abroad_answering_has_its_own_headline() -> None:
    report = built_report("verdicts:trap-blackhole-while-nothing-abroad-answers", "en")
    assert report["summary"]["status"] == "blocked"
    assert report["summary"]["headline"].startswith("Local websites work")


def test_the_message_for_it_support_names_the_contact_and_the_report() -> None:
    for language in LANGUAGES:
        report = built_report("report:blocked", language)
        message = support_message(report)
        assert report["profile"]["support_contact"] in message.splitlines()[0]
        assert report["report_id"] in message
        assert report["summary"]["headline"] in message


def test_one_finding_per_dns_server_is_said_once() -> None:
    for language in LANGUAGES:
        report = _lab("great_firewall", language)
        assert sum(f["code"] == "doh_blocked" for f in report["findings"]) == 3
        lines = [f for f in compose(report).findings if f.code == "doh_blocked"]
        assert len(lines) == 1
        assert all(name in lines[0].explanation for name in ("Cloudflare", "Google", "Quad9"))
