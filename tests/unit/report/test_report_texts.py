"""Every word the reports use exists in English and Chinese; the Chinese texts read as
Chinese (full-width punctuation, no untranslated labels)."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import clearsight.cli
import clearsight.report
from clearsight.diagnosis import vocabulary
from clearsight.explanations import LANGUAGES, catalog
from clearsight.report.files import _REASONS
from clearsight.report.html import render_html
from clearsight.report.view import _REDACTION_GROUPS, build_view

from .conftest import make_report
from .scenarios import SCENARIOS

SOURCES = [*Path(clearsight.report.__file__).parent.glob("*.py"), Path(clearsight.cli.__file__)]
UI_CALL = re.compile(r"""\bui\(\s*["']([a-z0-9_]+)["']\s*[,)]""")


def ui_table(language: str) -> dict[str, Any]:
    path = resources.files("clearsight.resources").joinpath("explanations", f"{language}.toml")
    table: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["ui"]
    return table


def keys_used() -> set[str]:
    keys = {match for source in SOURCES for match in UI_CALL.findall(source.read_text())}
    # Keys built from a code.
    keys |= {f"save_problem_{reason}" for reason in [*_REASONS.values(), "other"]}
    keys |= {key for key, _ in _REDACTION_GROUPS}
    keys |= {f"path_{path}" for path in ("vpn", "proxy")}
    keys |= {f"endpoint_{status}" for status in ("reachable", "blocked", "inconclusive")}
    keys |= {f"verdict_badge_{v}" for v in vocabulary.VERDICTS}
    keys |= {f"summary_badge_{s}" for s in vocabulary.STATUSES}
    return keys


def test_the_scan_finds_the_keys() -> None:
    assert {"report_title", "what_to_do", "redaction_removed", "env_vpn"} <= keys_used()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_the_reports_use_is_in_the_catalog(language: str) -> None:
    missing = sorted(keys_used() - set(ui_table(language)))
    assert missing == [], f"{language} lacks ui keys {missing}"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_key_shows_through_as_itself(scenario: str) -> None:
    """An unknown ui key renders as the key: no rendered report may contain one."""
    for language in LANGUAGES:
        page = render_html(make_report(scenario, language=language))
        for key in keys_used():
            if "_" in key:
                assert f">{key}<" not in page and f" {key} " not in page, (language, key)


def test_chinese_report_strings_use_full_width_punctuation() -> None:
    table = ui_table("zh_CN")
    for key in keys_used():
        text = table.get(key, "")
        slip = re.search(r"[\u4e00-\u9fff][,;:!?()]|[,;:!?()][\u4e00-\u9fff]", text)
        assert slip is None, f"zh_CN ui.{key}: {text}"


def test_the_chinese_report_is_in_chinese() -> None:
    view = build_view(make_report("blocked", language="zh_CN"))
    han = re.compile(r"[\u4e00-\u9fff]")
    for label, _ in view.environment + view.about:
        if label not in ("VPN",):
            assert han.search(label), label
    assert han.search(view.headline) and han.search(view.service_count_line)
    assert all(han.search(row.badge) for row in view.services)
    assert catalog("zh_CN").language == "zh_CN"
    page = render_html(make_report("blocked", language="zh_CN"))
    assert '<html lang="zh-CN">' in page
