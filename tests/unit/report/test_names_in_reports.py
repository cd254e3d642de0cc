"""A report names the profile and its services in its own language, and keeps every name
so that it can be rendered again in another."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from clearsight.report.build import build_report, load_report, meta_from_report
from clearsight.report.html import render_html
from clearsight.report.text import render_text

from .people_read import texts_people_read
from .scenarios import META, SCENARIOS

NAMED = dataclasses.replace(
    META,
    names={"en": "Acme Shanghai office", "zh_CN": "Acme 上海办公室"},
    service_names={
        "baidu": {"en": "Baidu", "zh_CN": "百度"},
        "google": {"en": "Google Search", "zh_CN": "谷歌搜索"},
        "wikipedia": {"en": "Wikipedia", "zh_CN": "维基百科"},
    },
)


def report(language: str, meta: Any = NAMED) -> dict[str, Any]:
    return build_report(SCENARIOS["blocked"](), meta, language=language)


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in data["services"]}


def test_a_chinese_report_names_services_and_profile_in_chinese() -> None:
    data = report("zh_CN")
    services = by_id(data)
    assert services["baidu"]["name"] == "百度"
    assert services["google"]["names"] == {"en": "Google Search", "zh_CN": "谷歌搜索"}
    assert services["gmail"]["name"] == "Gmail"  # no Chinese name given: as written
    assert data["profile"]["name"] == "Acme 上海办公室"
    assert "谷歌搜索" in data["summary"]["headline"] and "Google Search" not in json.dumps(
        [data["summary"], [f["explanation"] for f in data["findings"]]], ensure_ascii=False
    )
    assert services["google"]["explanation"].startswith("设备一说明要访问谷歌搜索")
    # the params keep the names the profile wrote (a report is rendered again from them)
    assert services["google"]["params"]["service"] == "Google Search"
    for renderer, text in texts_people_read(data).items():
        assert "百度" in text and "Acme 上海办公室" in text, renderer


def test_an_english_report_keeps_the_english_names() -> None:
    data = report("en")
    assert by_id(data)["baidu"]["name"] == "Baidu"
    assert data["profile"]["name"] == "Acme Shanghai office"
    assert "Google Search" in data["summary"]["headline"]


def test_a_saved_report_is_rendered_again_in_the_other_language(tmp_path: Path) -> None:
    path = tmp_path / "saved.clearsight-report"
    path.write_text(json.dumps(report("zh_CN"), ensure_ascii=False), encoding="utf-8")
    saved, observations = load_report(path)
    meta = meta_from_report(saved)
    assert meta.service_names["google"] == {"en": "Google Search", "zh_CN": "谷歌搜索"}
    english = build_report(observations, meta, language="en")
    assert by_id(english)["google"]["name"] == "Google Search"
    assert english["profile"]["name"] == "Acme Shanghai office"
    assert english["report_id"] == saved["report_id"]
    chinese = build_report(observations, meta, language="zh_CN")
    assert by_id(chinese)["google"]["name"] == "谷歌搜索"


def test_a_report_without_names_shows_the_names_as_written() -> None:
    data = report("zh_CN", META)
    assert by_id(data)["baidu"]["name"] == "Baidu"
    assert data["profile"]["names"] == {
        "en": "Acme Shanghai office",
        "zh_CN": "Acme Shanghai office",
    }


def test_groups_of_the_built_in_profile_are_translated_in_every_renderer() -> None:
    meta = NAMED
    observations = SCENARIOS["blocked"]()
    data = build_report(observations, meta, language="zh_CN")
    # the report scenarios' groups are their own ("Email"): shown as written
    assert "  Email" in render_text(data)
    from tests.gui import scenarios as window

    chinese = build_report(window.blocked(), META, language="zh_CN")
    for text in (render_text(chinese), render_html(chinese)):
        assert "邮件与办公" in text and "Email & office" not in text
