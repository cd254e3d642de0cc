"""The e-mail/chat summary: at most 40 lines, the report ID in every format."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clearsight.diagnosis.vocabulary import FINDING_CODES
from clearsight.presentation.answer import MERGED_FINDINGS
from clearsight.report.files import report_json
from clearsight.report.html import render_html
from clearsight.report.pdf import print_html
from clearsight.report.text import display_width, render_email_text, render_text
from clearsight.report.view import build_view

from .conftest import make_report
from .scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_report_id_is_in_every_format(scenario: str, language: str) -> None:
    report = make_report(scenario, language=language)
    report_id = report["report_id"]
    assert report_id.startswith("CS-") and len(report_id) == 12
    for text in (
        report_json(report),
        render_html(report),
        print_html(build_view(report)),
        render_text(report),
        render_email_text(report),
    ):
        assert report_id in text


def test_the_report_id_does_not_depend_on_language_or_redaction() -> None:
    ids = {
        make_report("blocked", language=language, redact=redact)["report_id"]
        for language in ("en", "zh_CN")
        for redact in (True, False)
    }
    assert len(ids) == 1


def _crowded(report: dict[str, Any], services: int, findings: int) -> dict[str, Any]:
    crowded = copy.deepcopy(report)
    template = next(s for s in report["services"] if s["verdict"] == "tls_blocked")
    crowded["services"] += [
        template | {"id": f"extra{i}", "name": f"Extra service {i}", "group": f"Group {i % 7}"}
        for i in range(services)
    ]
    # Findings of every code (each said once: none of those said once for all their
    # instances), with the words of the report's own.
    codes = [c for c in FINDING_CODES if c not in MERGED_FINDINGS]
    crowded["findings"] += [
        report["findings"][i % len(report["findings"])] | {"code": codes[i % len(codes)]}
        for i in range(findings)
    ]
    return crowded


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize(("services", "findings"), [(0, 0), (10, 3), (60, 25), (200, 100)])
def test_the_summary_fits_in_forty_lines(language: str, services: int, findings: int) -> None:
    report = _crowded(make_report("blocked", language=language), services, findings)
    text = render_email_text(report)
    lines = text.splitlines()
    assert len(lines) <= 40
    assert lines[0].endswith(report["report_id"])
    assert report["summary"]["headline"] in text
    assert all(advice in text for advice in report["summary"]["advice"])
    assert "it-help@acme.example" in text


def test_the_summary_names_what_does_not_work_first() -> None:
    text = render_email_text(make_report("blocked"))
    services = text.split("Services", 1)[1]
    assert services.index("Gmail") < services.index("Baidu")
    assert "Also working: Baidu, WeChat, Slack" in services
    assert text.count("\n") <= 40


def test_a_crowded_summary_counts_what_it_cannot_list() -> None:
    text = render_email_text(_crowded(make_report("blocked"), 60, 25))
    assert "…and" in text and "more" in text


def test_the_offline_summary_is_one_answer() -> None:
    text = render_email_text(make_report("offline"))
    assert "Services" not in text
    assert "No internet connection" in text


def test_chinese_columns_line_up() -> None:
    text = render_email_text(make_report("blocked", language="zh_CN"))
    rows = [line for line in text.splitlines() if line.startswith(("  ✖ ", "  ! "))]
    rows = [line for line in rows if any(n in line for n in ("Gmail", "GitHub", "Wikipedia"))]
    columns = {display_width(line.rsplit("  ", 1)[0]) for line in rows}
    assert len(columns) == 1, rows


def test_the_terminal_summary_has_no_trailing_spaces() -> None:
    for language in ("en", "zh_CN"):
        text = render_text(make_report("blocked", language=language))
        assert all(line == line.rstrip() for line in text.splitlines())
