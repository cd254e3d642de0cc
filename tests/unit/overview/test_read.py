"""Reading one saved report for the overview: what it keeps, and every kind of file it
refuses with a reason (in both languages), never a traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from clearsight.explanations import catalog
from clearsight.overview.read import MAX_NAME_CHARS, read_saved_report
from clearsight.report.build import ReportError
from clearsight.report.files import report_json
from tests.unit.overview import reports

# file name (tests/unit/overview/reports.py) -> the [file_problem] code, and the code of
# its detail where it has one.
HOSTILE: dict[str, tuple[str, str | None]] = {
    "truncated.clearsight-report": ("overview_cut_short", None),
    "truncated-at-brace.json": ("overview_cut_short", None),
    "not-json.clearsight-report": ("report_bad_json", "json_at_line"),
    "binary.clearsight-report": ("report_not_utf8", None),
    "empty.json": ("overview_empty", None),
    "huge.clearsight-report": ("overview_too_large", None),
    "deep.json": ("report_bad_json", "json_too_deep"),
    "token-bomb.json": ("overview_too_complex", None),
    "list.json": ("report_not_object", None),
    "other-schema.json": ("report_other_schema", None),
    "no-schema.json": ("report_no_schema", None),
    "services-text.json": ("overview_services_not_list", None),
    "verdict-number.json": ("overview_service_damaged", "overview_no_verdict"),
    "id-missing.json": ("overview_service_damaged", "overview_no_id"),
    "service-list.json": ("overview_service_damaged", "overview_not_an_object"),
    "time-number.json": ("overview_bad_time", None),
    "time-garbage.json": ("overview_bad_time", None),
    "long-number.json": ("report_bad_json", "json_long_number"),
    "latin1.clearsight-report": ("report_not_utf8", None),
    "utf16.json": ("report_not_utf8", None),
    "html-without-report.html": ("report_html_without_report", None),
    "html-cut-short.html": ("report_html_cut_short", None),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return reports.hostile_files(tmp_path_factory.mktemp("hostile"))


def test_every_hostile_kind_is_in_the_table(hostile: dict[str, Path]) -> None:
    assert set(hostile) == set(HOSTILE)


@pytest.mark.parametrize(("name", "expected"), sorted(HOSTILE.items()))
def test_a_hostile_file_is_refused_with_its_reason(
    hostile: dict[str, Path], name: str, expected: tuple[str, str | None]
) -> None:
    with pytest.raises(ReportError) as caught:
        read_saved_report(hostile[name])
    code, detail = expected
    assert caught.value.phrase.code == code
    if detail is not None:
        inner = caught.value.phrase.params["detail"]
        assert getattr(inner, "code", None) == detail
    for language in ("en", "zh_CN"):
        message = caught.value.message(language)
        assert name in message
        assert code not in message and "Traceback" not in message
    assert "：" in caught.value.message("zh_CN")  # full-width colon after the file name


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: p, "no_such_file"),
        (lambda p: (p.mkdir(), p)[1], "report_is_folder"),
        (lambda p: reports.fifo(p), "not_regular"),
    ],
    ids=["missing", "folder", "fifo"],
)
def test_what_is_not_a_file_is_refused(
    tmp_path: Path, make: Callable[[Path], Path], code: str
) -> None:
    path = make(tmp_path / "x.clearsight-report")
    with pytest.raises(ReportError) as caught:
        read_saved_report(path)
    assert caught.value.phrase.code == code


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    with pytest.raises(ReportError) as caught:
        read_saved_report(path)
    assert caught.value.phrase.code == "unreadable"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("suffix", [".clearsight-report", ".html"])
def test_a_real_report_gives_its_run_and_verdicts(
    tmp_path: Path, language: str, suffix: str
) -> None:
    data = reports.report("blocked", language, report_id="CS-AAAA-BBBB")
    saved = read_saved_report(reports.write_report(tmp_path / f"r{suffix}", data))
    assert saved.report_id == "CS-AAAA-BBBB"
    assert saved.started_at == "2026-11-02T08:00:00Z"
    assert saved.language == language
    assert saved.status == "blocked"
    assert len(saved.services) == len(data["services"]) == 55
    by_id = {s.id: s for s in saved.services}
    assert by_id["gmail"].verdict == "dns_tampered"
    assert by_id["baidu"].verdict == "reachable"
    names = dict(by_id["baidu"].names)
    assert names["zh_CN"] == "百度" and names["en"] == "Baidu"


def test_an_old_version_report_is_read(tmp_path: Path) -> None:
    saved = read_saved_report(
        reports.write_report(tmp_path / "old.json", reports.old_version_report())
    )
    assert saved.report_id is None and saved.app_version == "0.0.3"
    gmail = next(s for s in saved.services if s.id == "gmail")
    assert gmail.verdict == "dns_tampered" and dict(gmail.names) == {"en": "Gmail"}


def test_a_verdict_of_a_newer_version_is_kept(tmp_path: Path) -> None:
    data = reports.report(verdicts={"gmail": "quic_blocked"})
    saved = read_saved_report(reports.write_report(tmp_path / "new.json", data))
    assert next(s for s in saved.services if s.id == "gmail").verdict == "quic_blocked"


def test_observations_before_services_are_still_read(tmp_path: Path) -> None:
    """Another tool may write the keys sorted: observations then come first."""
    data = reports.report()
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(data, sort_keys=True))
    assert len(read_saved_report(path).services) == 55


def test_brackets_in_strings_after_the_services_do_not_fool_the_check(tmp_path: Path) -> None:
    data = reports.report()
    data["observations"].append({"kind": "note", "text": "[[[{{{"})
    path = reports.write_report(tmp_path / "odd.json", data)
    assert len(read_saved_report(path).services) == 55
    cut = path.read_text()[:-3]
    path.write_text(cut)
    with pytest.raises(ReportError) as caught:
        read_saved_report(path)
    assert caught.value.phrase.code == "overview_cut_short"


def test_names_and_ids_from_the_file_are_cut_and_flattened(tmp_path: Path) -> None:
    data = reports.report()
    data["services"][0]["name"] = "A\nB " + "x" * 5000
    data["services"][0].pop("names")
    saved = read_saved_report(reports.write_report(tmp_path / "long.json", data))
    name = dict(saved.services[0].names)["en"]
    assert len(name) == MAX_NAME_CHARS and name.startswith("A B x") and name.endswith("…")


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + report_json(reports.report()).encode())
    assert read_saved_report(path).status == "blocked"


def test_a_report_without_services_is_refused(tmp_path: Path) -> None:
    data = reports.report()
    del data["services"]
    path = tmp_path / "none.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ReportError) as caught:
        read_saved_report(path)
    assert caught.value.phrase.code == "overview_no_services"
    assert "服务列表" in caught.value.message("zh_CN")


def test_error_messages_are_said_in_chinese(hostile: dict[str, Path]) -> None:
    with pytest.raises(ReportError) as caught:
        read_saved_report(hostile["truncated.clearsight-report"])
    zh = caught.value.message("zh_CN")
    assert "文件不完整" in zh
    assert catalog("en").say(caught.value.phrase) in caught.value.message("en")
