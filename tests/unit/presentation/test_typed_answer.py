"""The answer composed from the typed diagnosis (``presentation.reported``): rows, badges,
finding lines and evidence lines of a diagnosis built directly, and what a report that does
not read back exactly (older rules, damaged, hostile) still shows, in every renderer."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from clearsight.diagnosis.model import (
    Diagnosis,
    Finding,
    LayerResult,
    Layers,
    NetworkSummary,
    Params,
    ServiceEvidence,
    ServiceVerdict,
)
from clearsight.diagnosis.vocabulary import FindingCode, LayerStatus, ServicePath, Status, Verdict
from clearsight.explanations import LANGUAGES, catalog
from clearsight.explanations.evidence import evidence_rows
from clearsight.gui.view_model import build_view as window_view
from clearsight.presentation.answer import (
    MERGED_FINDINGS,
    Answer,
    compose,
    compose_reported,
    support_message,
)
from clearsight.presentation.reported import (
    NO_EVIDENCE,
    Reported,
    ReportedFinding,
    ReportedService,
    Words,
    read_reported,
)
from clearsight.report.build import build_report, load_report, meta_from_report
from clearsight.report.codec import diagnosis_from_report, evidence_json
from clearsight.report.html import render_html
from clearsight.report.pdf import print_html
from clearsight.report.text import render_email_text, render_text
from clearsight.report.view import build_view
from tests.unit.report.people_read import report_of, scenario_builders

EN = catalog("en")
BUILT = scenario_builders()


@cache
def built(name: str, language: str = "en") -> dict[str, Any]:
    return report_of(BUILT[name], language)


def _copy(name: str, language: str = "en") -> dict[str, Any]:
    return copy.deepcopy(built(name, language))


# A diagnosis built directly ---------------------------------------------------------------
def _layers(**statuses: LayerStatus) -> Layers:
    def one(layer: str) -> LayerResult:
        status = statuses.get(layer, "ok")
        return LayerResult(status, "timeout" if status == "failed" else None)

    return Layers(dns=one("dns"), tcp=one("tcp"), tls=one("tls"), http=one("http"))


def _service(
    verdict: Verdict,
    *,
    domestic: bool = False,
    path: ServicePath = "direct",
    via_proxy: Verdict | None = None,
    layers: Layers | None = None,
) -> ServiceVerdict:
    return ServiceVerdict(
        id="svc",
        name="Service",
        group="Email",
        domestic=domestic,
        verdict=verdict,
        advice_verdict=verdict,
        layers=layers or _layers(),
        evidence=ServiceEvidence(host="svc.example", reason=None, urls=()),
        path=path,
        via_proxy=via_proxy,
    )


def _reported(
    status: Status,
    services: tuple[ServiceVerdict, ...] = (),
    findings: tuple[Finding, ...] = (),
) -> Reported:
    return Reported(
        diagnosis=Diagnosis(status, services, findings, NetworkSummary()),
        services=tuple(
            ReportedService(s, f"Shown {s.name}", Words("Title", "Explanation", "Advice"))
            for s in services
        ),
        findings=tuple(
            ReportedFinding(f, Words(f"Title of {f.code}", "Explanation", "Advice"))
            for f in findings
        ),
        language="en",
        report_id="CS-TEST-0001",
        started_at="2026-11-02T08:00:00Z",
        support_contact=None,
        headline="Headline",
        actions=(),
    )


ROWS = [
    # (status, verdict, tone, badge, summary, advice)
    ("ok", "reachable", "good", EN.verdict_badge("reachable"), "Title", None),
    ("blocked", "ip_blocked", "bad", EN.verdict_badge("ip_blocked"), "Explanation", "Advice"),
    ("blocked", "dns_tampered", "bad", EN.verdict_badge("dns_tampered"), "Explanation", "Advice"),
    (
        "blocked",
        "tls_intercepted",
        "bad",
        EN.verdict_badge("tls_intercepted"),
        "Explanation",
        "Advice",
    ),
    ("degraded", "slow", "warn", EN.verdict_badge("slow"), "Explanation", "Advice"),
    (
        "degraded",
        "geo_restricted",
        "warn",
        EN.verdict_badge("geo_restricted"),
        "Explanation",
        "Advice",
    ),
    (
        "inconclusive",
        "inconclusive",
        "warn",
        EN.verdict_badge("inconclusive"),
        "Explanation",
        "Advice",
    ),
    # Behind a login page every failure is the login page's, never "blocked".
    ("captive_portal", "ip_blocked", "warn", EN.ui("badge_login_first"), "Explanation", "Advice"),
    ("captive_portal", "reachable", "good", EN.verdict_badge("reachable"), "Title", None),
]


@pytest.mark.parametrize(("status", "verdict", "tone", "badge", "summary", "advice"), ROWS)
def test_the_row_of_a_typed_verdict(
    status: Status, verdict: Verdict, tone: str, badge: str, summary: str, advice: str | None
) -> None:
    answer = compose_reported(_reported(status, (_service(verdict),)))
    (row,) = answer.services
    assert (row.verdict, row.tone, row.badge, row.summary, row.advice) == (
        verdict,
        tone,
        badge,
        summary,
        advice,
    )
    assert row.name == "Shown Service"  # the report's name, not the profile's
    assert row.group_title == EN.group("Email")
    assert answer.headline == "Headline" and answer.report_id == "CS-TEST-0001"


NOTES = [
    ({"domestic": True}, [EN.ui("domestic_control")]),
    ({"path": "vpn"}, [EN.ui("path_vpn")]),
    ({"path": "proxy"}, [EN.ui("path_proxy")]),
    ({"via_proxy": "reachable"}, [EN.ui("via_proxy", result=EN.verdict_badge("reachable"))]),
    ({}, []),
]


@pytest.mark.parametrize(("options", "notes"), NOTES)
def test_the_notes_of_a_typed_verdict(options: dict[str, Any], notes: list[str]) -> None:
    (row,) = compose_reported(_reported("ok", (_service("reachable", **options),))).services
    assert list(row.notes) == notes


def test_the_layer_lines_of_a_typed_verdict() -> None:
    service = _service("ip_blocked", layers=_layers(tcp="failed", tls="not_run", http="not_run"))
    (row,) = compose_reported(_reported("blocked", (service,))).services
    assert [(line.layer, line.status, line.failure) for line in row.layers] == [
        ("dns", "ok", None),
        ("tcp", "failed", "timeout"),
        ("tls", "not_run", None),
        ("http", "not_run", None),
    ]
    assert row.layers[1].line == EN.ui(
        "layer_line_failure",
        layer=EN.layer_label("tcp"),
        status=EN.layer_status_label("failed"),
        failure="timeout",
    )


@pytest.mark.parametrize(
    ("status", "verdicts", "badge"),
    [
        ("blocked", ("tls_intercepted",), EN.ui("badge_not_safe")),
        ("blocked", ("tls_intercepted", "ip_blocked"), EN.summary_badge("blocked")),
        ("ok", ("reachable",), EN.summary_badge("ok")),
        ("offline", ("inconclusive",), EN.summary_badge("offline")),
    ],
)
def test_the_badge_of_a_typed_diagnosis(
    status: Status, verdicts: tuple[Verdict, ...], badge: str
) -> None:
    services = tuple(_service(v) for v in verdicts)
    assert compose_reported(_reported(status, services)).badge == badge


FINDINGS = [
    # (finding, section, evidence lines)
    (
        Finding("dns_tampering", "problem", ("svc",), {"names": ["a.example"]}),
        "dns",
        ["a.example", "Shown Service"],
    ),
    (Finding("vpn_active", "info", (), {"interface": "tun0"}), "vpn", ["tun0"]),
    (Finding("proxy_configured", "info", (), {"proxy": "http://p:8080"}), "vpn", ["p:8080"]),
    (Finding("clock_wrong", "problem", (), {"skew_hours": 5}), "connection", ["5"]),
    # Its params name the services: the subjects are not said again.
    (
        Finding("tls_interception", "problem", ("svc",), {"issuer": "X", "services": ["S"]}),
        "connection",
        ["X", "S"],
    ),
]


@pytest.mark.parametrize(("finding", "section", "said"), FINDINGS, ids=lambda v: str(v)[:30])
def test_the_line_of_a_typed_finding(finding: Finding, section: str, said: list[str]) -> None:
    answer = compose_reported(_reported("degraded", (_service("slow"),), (finding,)))
    (line,) = answer.findings
    assert (line.code, line.section, line.title) == (
        finding.code,
        section,
        f"Title of {finding.code}",
    )
    assert line.tone == {"problem": "bad", "warning": "warn", "info": "info"}[finding.severity]
    assert all(words in line.evidence for words in said), line.evidence
    if finding.params.get("services"):
        assert "Shown Service" not in line.evidence


@pytest.mark.parametrize("code", sorted(MERGED_FINDINGS))
def test_findings_said_once_for_all_their_instances(code: FindingCode) -> None:
    params: list[Params] = [
        {"resolver": "Cloudflare", "address": "192.0.2.1"},
        {"resolver": "Google", "address": "192.0.2.1"},
        {"resolver": "Quad9", "address": "192.0.2.9"},
    ]
    findings = tuple(Finding(code, "info", (f"s{i}",), p) for i, p in enumerate(params))
    (line,) = compose_reported(_reported("ok", (), findings)).findings
    assert line.subjects == ("s0", "s1", "s2")
    # Every param, each value once, in the order found.
    assert line.evidence.splitlines()[:2] == [
        f"{EN.raw('evidence', 'resolver')}: Cloudflare, Google, Quad9",
        f"{EN.raw('evidence', 'address')}: 192.0.2.1, 192.0.2.9",
    ]
    assert all(name in line.explanation for name in ("Cloudflare", "Google", "Quad9"))
    assert line.title != f"Title of {code}"  # said again for all of them


def test_evidence_lines_of_the_typed_evidence_are_those_of_its_json() -> None:
    """Every built scenario: the typed evidence reads in words exactly as the report's JSON."""
    for name in sorted(BUILT):
        report = built(name)
        diagnosis = diagnosis_from_report(report)
        assert diagnosis is not None, name
        for verdict, saved in zip(diagnosis.services, report["services"], strict=True):
            typed = evidence_rows(EN, verdict.evidence)
            assert typed == evidence_rows(EN, saved["evidence"]), (name, verdict.id)
            assert typed == evidence_rows(EN, evidence_json(verdict.evidence))


@pytest.mark.parametrize("name", sorted(BUILT)[::5])
def test_the_answer_is_the_same_read_back_or_given(name: str) -> None:
    report = built(name)
    diagnosis = diagnosis_from_report(report)
    assert diagnosis is not None
    assert compose(report) == compose(report, diagnosis=diagnosis)


# Reports that do not read back exactly ----------------------------------------------------
def _renders(report: dict[str, Any]) -> Answer:
    """Every renderer shows the report (no traceback), and its answer."""
    answer = compose(report)
    for language in LANGUAGES:
        window_view(catalog(language), report, None)
    render_html(report)
    print_html(build_view(report))
    render_text(report)
    render_email_text(report)
    support_message(report)
    return answer


@pytest.mark.parametrize("name", ["report:blocked", "report:vpn_proxy", "window:captive_portal"])
def test_a_report_of_older_rules_shows_what_it_holds(name: str) -> None:
    """Rendered without being opened (opening diagnoses it again): read item by item, the
    same answer."""
    older = _copy(name)
    older["diagnosis_version"] = "clearsight-rules/0"
    assert diagnosis_from_report(older) is None
    assert _renders(older) == compose(built(name))


def test_an_unknown_finding_code_from_an_older_report() -> None:
    report = _copy("report:blocked")
    report["diagnosis_version"] = "clearsight-rules/0"
    gone = {**report["findings"][0], "code": "dns_hijack_v0", "title": "An old finding"}
    report["findings"].insert(0, gone)
    answer = _renders(report)
    # Left out (this version has no words of its own for it); everything else is shown.
    assert "dns_hijack_v0" not in {f.code for f in answer.findings}
    assert answer.findings == compose(built("report:blocked")).findings
    assert answer.services == compose(built("report:blocked")).services


def test_an_unknown_finding_code_is_gone_once_the_report_is_opened(tmp_path: Path) -> None:
    """Opening a report diagnoses its observations again (the command line and the window
    both do): the old finding is not there, the answer is today's."""
    report = _copy("report:blocked")
    report["diagnosis_version"] = "clearsight-rules/0"
    report["findings"].append({**report["findings"][0], "code": "dns_hijack_v0"})
    path = tmp_path / "old.clearsight-report"
    path.write_text(json.dumps(report), encoding="utf-8")
    saved, observations = load_report(path)
    assert diagnosis_from_report(saved) is None
    again = build_report(observations, meta_from_report(saved), language="en", redact=False)
    assert "dns_hijack_v0" not in {f.code for f in compose(again).findings}
    assert diagnosis_from_report(again) is not None


HOSTILE_PARAMS: list[object] = [
    {"nested": {"deeper": [1, 2]}},
    [1, 2, 3],
    "not params",
    {"names": [{"x": 1}, "ok.example"]},
    {"names": None, "addresses": float("inf")},
]


@pytest.mark.parametrize("params", HOSTILE_PARAMS, ids=lambda v: repr(v)[:30])
def test_a_hostile_params_value(params: object) -> None:
    report = _copy("report:blocked")
    finding = next(f for f in report["findings"] if f["code"] == "dns_injection_on_path")
    finding["params"] = params
    answer = _renders(report)
    line = next(f for f in answer.findings if f.code == "dns_injection_on_path")
    # The finding is still said, in the report's words; only values it can use are shown.
    assert line.title == finding["title"]
    assert "deeper" not in line.evidence and "{" not in line.evidence


def test_a_damaged_service_shows_as_far_as_it_reads() -> None:
    report = _copy("report:blocked")
    service = report["services"][0]
    service.update(verdict="teleported", evidence="garbage", layers={"tcp": {"status": "failed"}})
    service["path"] = ["vpn"]
    answer = _renders(report)
    row = answer.services[0]
    assert row.id == service["id"] and row.name == service["name"]
    assert row.verdict == "inconclusive" and row.tone == "warn"
    assert row.evidence == NO_EVIDENCE and row.evidence_text == ""
    assert [line.status for line in row.layers] == ["not_run", "failed", "not_run", "not_run"]
    assert row.path == "direct"
    assert len(answer.services) == len(report["services"])


def test_a_service_without_an_id_is_left_out() -> None:
    report = _copy("report:blocked")
    del report["services"][0]["id"]
    answer = _renders(report)
    assert len(answer.services) == len(report["services"]) - 1


@pytest.mark.parametrize(
    "report",
    [
        {},
        {"services": "none", "findings": [1, None, "x"], "summary": []},
        {"summary": {"status": "exploded", "headline": ["x"], "actions": "y"}},
        {"services": [{"id": 7}, {}], "findings": [{"code": None}], "profile": "p"},
        {"language": "tlh", "report_id": {"a": 1}, "vpn": {"state": "sideways"}},
    ],
    ids=["empty", "wrong-shapes", "bad-summary", "bad-items", "bad-facts"],
)
def test_nothing_that_reads_as_a_report_raises(report: dict[str, Any]) -> None:
    answer = compose(report)
    assert answer.status == "inconclusive" and answer.services == () and answer.findings == ()
    assert read_reported(report).diagnosis.services == ()
    assert support_message(report)
