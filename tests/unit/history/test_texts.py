"""History in words: relative dates, the change strip, notices, both languages."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from importlib import resources

import pytest

from clearsight.history.store import Change, Notice, Run
from clearsight.history.texts import strip_text, when

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # Thursday
LOCAL_NOON = NOW.astimezone()


def previous(started_at: str) -> Run:
    return Run(1, "CS-1", started_at, "ok", "Office", "net-x", {}, {}, ())


@pytest.mark.parametrize(
    ("moment", "en", "zh"),
    [
        ("2026-12-10T11:00:00Z", "today", "今天"),
        ("2026-12-09T11:00:00Z", "yesterday", "昨天"),
        ("2026-12-08T11:00:00Z", "Tuesday", "周二"),
        ("2026-11-02T11:00:00Z", "2 Nov", "11 月 2 日"),
        ("2025-03-02T11:00:00Z", "2 Mar 2025", "2025 年 3 月 2 日"),
        ("not a time", "an unknown time", "时间不明"),
    ],
)
def test_relative_dates(moment: str, en: str, zh: str) -> None:
    assert en in when(moment, "en", NOW)
    assert zh in when(moment, "zh_CN", NOW)


STRIP = [
    (
        "en",
        [Change("gmail", "reachable", "tls_blocked"), Change("slack", "ip_blocked", "reachable")],
        "Since your last check (yesterday {t}): Gmail is now blocked; Slack works again.",
    ),
    (
        "zh_CN",
        [Change("gmail", "reachable", "tls_blocked"), Change("slack", "ip_blocked", "reachable")],
        "与上次检查（昨天 {t}）相比：Gmail 现在被屏蔽了；Slack 又能用了。",
    ),
    ("en", [], "Since your last check (yesterday {t}): nothing has changed."),
    (
        "zh_CN",
        [Change("baidu", "reachable", "slow")],
        "与上次检查（昨天 {t}）相比：百度从“能用”变为“慢”。",
    ),
]


@pytest.mark.parametrize(("language", "changes", "expected"), STRIP)
def test_the_change_strip(language: str, changes: list[Change], expected: str) -> None:
    names = {"gmail": "Gmail", "slack": "Slack", "baidu": "百度"}
    moment = "2026-12-09T18:02:00Z"
    clock = datetime(2026, 12, 9, 18, 2, tzinfo=UTC).astimezone().strftime("%H:%M")
    found = strip_text(changes, previous(moment), names, language, NOW)
    if language == "zh_CN" and "slow" in str(changes):
        # The verdict badges come from the catalog: check the frame, not the badge words.
        assert found is not None and found.startswith(f"与上次检查（昨天 {clock}）相比：百度从“")
        return
    assert found == expected.format(t=clock)


def test_no_strip_for_the_first_run() -> None:
    assert strip_text([], None, {}, "en", NOW) is None


def _table(language: str) -> dict[str, str]:
    folder = resources.files("clearsight.resources").joinpath("history")
    with folder.joinpath(f"{language}.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    en, zh = _table("en"), _table("zh_CN")
    assert en.keys() == zh.keys()
    for key in en:
        assert set(re.findall(r"\{(\w+)", en[key])) == set(re.findall(r"\{(\w+)", zh[key])), key


def test_chinese_uses_full_width_punctuation_and_the_glossary() -> None:
    for key, value in _table("zh_CN").items():
        plain = re.sub(r"\{[^}]*\}", "", value)
        assert not re.search(r"[,:;()?!]", plain), (key, value)
        for word in ("封锁", "被墙", "您", "IT 部门"):
            assert word not in value, (key, value)


@pytest.mark.parametrize("code", ["off", "corrupt_moved", "newer", "locked", "full", "read_only"])
def test_every_notice_is_one_line_in_both_languages(code: str) -> None:
    for language in ("en", "zh_CN"):
        line = Notice(code, "/data/history.db").text(language)
        assert line and "\n" not in line and "notice_" not in line
