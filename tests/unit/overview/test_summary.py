"""The overview of many reports: counts, first and last seen blocked, which reports say
what, files not counted, and its forms (JSON contract, CSV, HTML, terminal table)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest

from clearsight.overview import (
    SCHEMA,
    summarize,
    summary_csv,
    summary_html,
    summary_json,
    summary_text,
)
from clearsight.overview.summary import report_files
from tests.unit.overview import reports
from tests.unit.overview.reports import START


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four reports of one office over a week and one broken file:

    day 0  en   Gmail dns_tampered, Slack throttled
    day 2  zh   Gmail reachable (a VPN), Slack reachable
    day 5  en   Gmail ip_blocked
    day 6  html the same run as day 5 (its HTML): counted once
    plus an old version's report (40 days before) and a truncated file."""
    folder = tmp_path_factory.mktemp("office")
    reports.write_report(folder / "a.clearsight-report", reports.report(started=START))
    reports.write_report(
        folder / "b.clearsight-report",
        reports.report(
            language="zh_CN",
            started=START + timedelta(days=2),
            verdicts={"gmail": "reachable", "slack": "reachable"},
        ),
    )
    day5 = reports.report(started=START + timedelta(days=5), verdicts={"gmail": "ip_blocked"})
    reports.write_report(folder / "c.clearsight-report", day5)
    (folder / "sub").mkdir()
    reports.write_report(folder / "sub" / "c.html", day5)
    reports.write_report(folder / "old.json", reports.old_version_report())
    (folder / "cut.json").write_text(reports.template()[:5000])
    (folder / "notes.txt").write_text("not a report, not looked at")
    (folder / ".hidden.json").write_text("{}")
    return folder


def test_a_folder_gives_its_report_files_sorted_and_recursively(office: Path) -> None:
    names = [p.relative_to(office).as_posix() for p in report_files([office])]
    assert names == [
        "a.clearsight-report",
        "b.clearsight-report",
        "c.clearsight-report",
        "cut.json",
        "old.json",
        "sub/c.html",
    ]


def test_counts_dates_and_reports_per_verdict(office: Path) -> None:
    summary = summarize([office])
    assert len(summary.reports) == 4
    gmail = summary.services["gmail"]
    assert dict(gmail.verdicts) == {"dns_tampered": 2, "reachable": 1, "ip_blocked": 1}
    assert gmail.blocked == 3 and gmail.total == 4
    assert gmail.first_seen_blocked == START - timedelta(days=40)  # the old version's report
    assert gmail.last_seen_blocked == START + timedelta(days=5)
    files = [summary.reports[i].path.name for i in gmail.reports["reachable"]]
    assert files == ["b.clearsight-report"]
    slack = summary.services["slack"]
    assert slack.blocked == 0 and slack.first_seen_blocked is None
    assert summary.services["baidu"].name("zh_CN") == "百度"
    assert summary.services["baidu"].name("en") == "Baidu"


def test_files_not_counted_are_listed_with_a_reason(office: Path) -> None:
    summary = summarize([office, office / "missing.json"])
    listed = {item.path.name: item.problem.code for item in summary.unreadable}
    assert listed == {
        "cut.json": "overview_cut_short",
        "c.html": "overview_duplicate",
        "missing.json": "no_such_file",
    }
    duplicate = next(i for i in summary.unreadable if i.path.name == "c.html")
    assert "c.clearsight-report" in duplicate.message("en")
    assert "只计一次" in duplicate.message("zh_CN")


def test_the_most_blocked_services_come_first(office: Path) -> None:
    summary = summarize([office])
    ordered = summary.sorted_services("en")
    assert ordered[0].blocked >= ordered[1].blocked >= ordered[-1].blocked
    assert ordered[-1].blocked == 0


def test_json_follows_the_contract(office: Path) -> None:
    data = summary_json(summarize([office]), "en")
    assert data["schema"] == SCHEMA == "clearsight-summary/1"
    assert data["reports"] == 4
    gmail = next(s for s in data["services"] if s["id"] == "gmail")
    assert set(gmail) >= {"id", "name", "verdicts", "first_seen_blocked", "last_seen_blocked"}
    assert gmail["verdicts"] == {"reachable": 1, "dns_tampered": 2, "ip_blocked": 1}
    assert gmail["first_seen_blocked"] == "2026-09-23T08:00:00Z"
    assert gmail["last_seen_blocked"] == "2026-11-07T08:00:00Z"
    names = [Path(f["path"]).name for f in data["files"]]
    who = {verdict: [names[i] for i in ix] for verdict, ix in gmail["reports"].items()}
    assert who["ip_blocked"] == ["c.clearsight-report"]
    assert {u["path"].rsplit("/", 1)[1] for u in data["unreadable"]} == {"cut.json", "c.html"}
    json.dumps(data)  # plain JSON


def test_csv_has_one_row_per_service_and_a_column_per_verdict(office: Path) -> None:
    summary = summarize([office])
    text = summary_csv(summary, "en")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(summary.services) == 55
    head = next(csv.reader(io.StringIO(text)))
    assert head[:3] == ["id", "name", "verdicts.reachable"]
    assert head[-3:] == ["first_seen_blocked", "last_seen_blocked", "reports"]
    assert len(head) == 2 + 12 + 3
    gmail = next(r for r in rows if r["id"] == "gmail")
    assert gmail["verdicts.dns_tampered"] == "2" and gmail["verdicts.slow"] == "0"
    assert gmail["first_seen_blocked"] == "2026-09-23T08:00:00Z" and gmail["reports"] == "4"
    assert "\r\n" in text


def test_csv_cells_never_become_formulas(tmp_path: Path) -> None:
    data = reports.report()
    data["services"][0]["names"] = {"en": '=HYPERLINK("http://evil")'}
    data["services"][1]["id"] = "@SUM(A1)"
    reports.write_report(tmp_path / "evil.json", data)
    text = summary_csv(summarize([tmp_path]), "en")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert not re.search(r"(^|,)[=@+\-][A-Z]", text, re.M)


def test_html_is_one_page_escaped_and_inert(tmp_path: Path) -> None:
    data = reports.report()
    data["services"][0]["names"] = {"en": '<script>alert(1)</script><img src="x">'}
    data["report_id"] = "<b>CS</b>"
    reports.write_report(tmp_path / "<evil>.json", data)
    page = summary_html(summarize([tmp_path]), "en")
    assert "<script>" not in page and "<img" not in page and "<b>CS" not in page
    assert "&lt;script&gt;" in page and "&lt;evil&gt;.json" in page
    assert "default-src &#x27;none&#x27;" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_html_and_text_in_chinese(office: Path) -> None:
    summary = summarize([office])
    page = summary_html(summary, "zh_CN")
    assert 'lang="zh-CN"' in page and "多份报告汇总" in page and "百度" in page
    assert "地址被伪造（2）：" in page and "a.clearsight-report（CS-" in page
    assert "cut.json：" in page
    text = summary_text(summary, "zh_CN")
    assert text.startswith("已读取 4 份报告")
    assert "最早发现屏蔽" in text and "有 2 个文件未计入：" in text


def test_the_terminal_table_uses_the_apps_words_and_lines_up(office: Path) -> None:
    from clearsight.report.text import display_width

    text = summary_text(summarize([office]), "en")
    lines = text.splitlines()
    assert lines[0] == "4 reports read"
    head = lines[2]
    assert head.startswith("Service") and "Works" in head and "Forged address" in head
    assert "First seen blocked" in head
    gmail = next(line for line in lines if line.startswith("Gmail "))
    # the date columns start where their headings do
    assert gmail.index("2026-09-23") == head.index("First seen blocked")
    assert display_width(lines[3]) <= display_width(head) + 20


def test_terminal_text_drops_control_characters(tmp_path: Path) -> None:
    data = reports.report()
    data["services"][0]["names"] = {"en": "Evil\x1b[2J\x07Name"}
    reports.write_report(tmp_path / "evil.json", data)
    text = summary_text(summarize([tmp_path]), "en")
    assert "\x1b" not in text and "\x07" not in text


def test_a_summary_of_only_broken_files_is_empty_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{")
    summary = summarize([tmp_path])
    assert summary.reports == [] and len(summary.unreadable) == 1
    assert "None of these reports" in summary_text(summary, "en")


def test_progress_and_cancel(office: Path) -> None:
    seen: list[int] = []
    summary = summarize([office], progress=seen.append, cancelled=lambda: len(seen) >= 2)
    assert seen == [1, 2] and len(summary.reports) == 2


def test_200_reports_fast_and_in_bounded_memory(tmp_path: Path) -> None:
    """Generous bounds that cannot flake on a busy machine (the benchmark has the real
    figures: about 10 ms a report)."""
    reports.fleet(tmp_path, 200, hostile_every=25)
    tracemalloc.start()
    started = time.perf_counter()
    summary = summarize([tmp_path])
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(summary.reports) == 192 and len(summary.unreadable) == 8
    assert elapsed < 60
    assert peak < 60 * 2**20, f"peak {peak / 2**20:.0f} MB"
