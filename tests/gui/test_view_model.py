"""What the window shows when: rows that wait, check and fill in; findings held for the
end; the answer in one sentence. Plain data, no window."""

from __future__ import annotations

from typing import Any

import pytest

from clearsight.explanations import catalog
from clearsight.gui.view_model import (
    BAD,
    GOOD,
    PENDING,
    RUNNING,
    PlannedRow,
    RunProgress,
    build_view,
    group_title,
    idle_view,
)
from clearsight.report.build import RunMeta, build_report
from tests.gui import scenarios
from tests.gui.conftest import cached

META = RunMeta(
    profile_name="Test",
    support_contact="it@example.com",
    started_at="2025-11-28T08:00:00Z",
    finished_at="2025-11-28T08:00:14Z",
    duration_s=14.2,
)


def report_of(name: str, language: str = "en") -> dict[str, Any]:
    observations = cached(name, scenarios.SCENARIOS[name])
    return build_report(observations, META, language=language, redact=False)


def planned(report: dict[str, Any]) -> tuple[PlannedRow, ...]:
    return tuple(
        PlannedRow(s["id"], s["name"], s["group"], s["domestic"]) for s in report["services"]
    )


def rows_by_key(view: Any) -> dict[str, Any]:
    return {row.key: row for section in view.sections for row in section.rows}


def test_every_status_has_a_colour_and_a_word_and_a_shape() -> None:
    view = build_view(catalog("en"), report_of("blocked"), None)
    rows = rows_by_key(view)
    gmail = rows["service:gmail"]
    assert gmail.tone == BAD and gmail.badge == "Forged address"
    assert rows["service:baidu"].tone == GOOD and rows["service:baidu"].badge == "Works"
    assert all(row.badge for row in rows.values())  # never colour alone


def test_the_headline_answers_in_one_sentence_with_what_to_do() -> None:
    view = build_view(catalog("en"), report_of("blocked"), None)
    assert view.overview.headline.startswith("30 of 55 services are blocked on this network")
    assert view.overview.tone == BAD and view.overview.badge == "Blocked"
    assert view.overview.advice and all(line.endswith(".") for line in view.overview.advice)
    assert "it@example.com" in view.overview.meta


def test_sections_come_in_order_connection_dns_vpn_then_service_groups() -> None:
    view = build_view(catalog("en"), report_of("blocked"), None)
    titles = [section.title for section in view.sections]
    assert titles[:3] == ["Internet connection", "DNS (address lookup)", "VPN & proxy"]
    groups = dict.fromkeys(s.group for s in scenarios.default_profile().services)
    assert titles[3:] == [catalog("en").group(group) for group in groups]


def test_a_problem_row_explains_at_once_and_opens_to_the_next_step_and_evidence() -> None:
    rows = rows_by_key(build_view(catalog("en"), report_of("blocked"), None))
    gmail = rows["service:gmail"]
    assert "fake address" in gmail.summary
    assert gmail.advice.startswith("Use a VPN")
    assert "Name lookup: Forged" in gmail.layers
    assert "Server address › Address: 31.13.94.37" in gmail.evidence
    assert "Server address › Connection attempt 1 › Error: no answer" in gmail.evidence
    assert "Server address › Connection attempt 2 › Time: 5000 ms" in gmail.evidence
    assert gmail.service_id == "gmail"
    working = rows["service:github"]
    assert working.summary == "Works normally" and working.advice == ""
    assert "Certificate › Issued to: CN=github.com" in working.evidence
    assert "Web request › Answer code: 200" in working.evidence


def test_the_evidence_is_in_the_users_language() -> None:
    rows = rows_by_key(build_view(catalog("zh_CN"), report_of("blocked", "zh_CN"), None))
    evidence = rows["service:gmail"].evidence
    assert "服务器地址 › 连接尝试 1 › 错误：无响应" in evidence
    assert "服务器地址 › 连接尝试 2 › 用时：5000 毫秒" in evidence
    assert "结论：地址被伪造" in evidence


def test_while_running_rows_wait_then_check_and_show_verdicts_only_when_their_inputs_are_in() -> (
    None
):
    report = report_of("blocked")
    checks = ["network", "dns", "clock", "captive:0", "service:gmail", "service:baidu"]
    progress = RunProgress(
        planned=planned(report),
        started=frozenset(checks),
        finished=frozenset({"network", "service:gmail", "service:baidu"}),
        gating=frozenset({"dns", "clock", "captive:0"}),
    )
    rows = rows_by_key(build_view(catalog("en"), report, progress))
    # Gmail's own check is done, but the DNS check (injection probes) is not: wait.
    assert rows["service:gmail"].tone == RUNNING and rows["service:gmail"].badge == "Checking…"
    assert rows["service:youtube"].tone == PENDING and rows["service:youtube"].badge == "Waiting"
    done = RunProgress(
        planned=progress.planned,
        started=progress.started,
        finished=frozenset(checks),
        gating=progress.gating,
    )
    view = build_view(catalog("en"), report, done)
    rows = rows_by_key(view)
    assert rows["service:gmail"].badge == "Forged address"
    assert rows["service:youtube"].badge == "Waiting"
    assert view.overview.tone == RUNNING and view.overview.headline == "Checking your network…"
    assert view.overview.detail.startswith("So far:")


def test_whole_run_findings_wait_for_the_end() -> None:
    report = report_of("blocked")
    codes = {f["code"] for f in report["findings"]}
    assert "selective_blocking" in codes
    progress = RunProgress(
        planned=planned(report),
        finished=frozenset({"dns", "clock"}),
        gating=frozenset({"dns", "clock"}),
    )
    rows = rows_by_key(build_view(catalog("en"), report, progress))
    assert not any(key.startswith("finding:selective_blocking") for key in rows)
    assert any(key.startswith("finding:dns_injection_on_path") for key in rows)
    final = rows_by_key(build_view(catalog("en"), report, None))
    assert any(key.startswith("finding:selective_blocking") for key in final)


def test_offline_shows_one_answer_not_a_list_of_unclear_services() -> None:
    profile = scenarios.small_profile()
    observations = scenarios.build_run(profile)[:2]  # the plan and the network: no answer
    report = build_report(observations, META, language="en", redact=False)
    view = build_view(catalog("en"), report, None)
    assert report["summary"]["status"] == "offline"
    assert [s.key for s in view.sections] == [
        "section:connection",
        "section:dns",
        "section:vpn",
    ]
    assert view.overview.headline == "This device is not connected to the internet."


def test_captive_portal_is_the_answer_and_says_to_log_in() -> None:
    view = build_view(catalog("en"), report_of("captive"), None)
    assert view.overview.badge == "Login needed"
    rows = rows_by_key(view)
    assert any(key.startswith("finding:captive_portal") for key in rows)


def test_an_all_fine_network_says_so_in_every_section() -> None:
    view = build_view(catalog("en"), report_of("all_fine"), None)
    assert view.overview.tone == GOOD
    rows = rows_by_key(view)
    assert rows["section:connection"].badge == "No problems"
    assert rows["section:dns"].tone == GOOD


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_built_in_groups_are_translated_and_other_groups_kept(language: str) -> None:
    texts = catalog(language)
    assert group_title(texts, "Acme intranet") == "Acme intranet"
    chinese = group_title(catalog("zh_CN"), "Email & office")
    assert chinese == "邮件与办公"
    # the glossary says "local", not "domestic"
    assert group_title(catalog("en"), "Domestic (for comparison)") == "Local sites (for comparison)"


def test_chinese_view_has_chinese_texts() -> None:
    view = build_view(catalog("zh_CN"), report_of("blocked", "zh_CN"), None)
    assert "被屏蔽" in view.overview.headline
    assert [s.title for s in view.sections][:3] == ["互联网连接", "DNS（域名解析）", "VPN 与代理"]


def test_the_idle_view_says_what_to_press_and_how_long_it_takes() -> None:
    view = idle_view(catalog("en"), profile_name="Acme", deadline_s=60.0)
    assert "Check my network" in view.overview.detail and "60" in view.overview.detail
    assert view.sections == ()


def test_no_vpn_in_use_says_nothing_about_what_the_person_has() -> None:
    for name in ("blocked", "all_fine"):
        view = build_view(catalog("en"), report_of(name), None)
        assert "VPN" not in view.overview.headline


def test_the_window_shows_the_headline_composed_once() -> None:
    report = report_of("vpn_leak")
    report["summary"]["headline"] = "Composed once. Your VPN is on."
    report["findings"].append(
        {
            "code": "vpn_active",
            "severity": "info",
            "title": "A VPN is on",
            "explanation": "",
            "advice": "",
            "params": {"interface": "tun0"},
            "subjects": [],
        }
    )
    view = build_view(catalog("en"), report, None)
    assert view.overview.headline == "Composed once. Your VPN is on."
    section = next(s for s in view.sections if s.key == "section:vpn")
    assert section.rows[0].name == "A VPN is on"
