"""Rendering: hostile and missing params, lists, numbers, plurals, languages."""

from __future__ import annotations

import pytest

from clearsight.diagnosis import vocabulary
from clearsight.explanations import (
    LANGUAGES,
    Catalog,
    TemplateError,
    Texts,
    catalog,
    clean_value,
    format_number,
    normalise_language,
    parse_template,
    template_fields,
)
from clearsight.explanations.catalog import COUNTRY_PARAMS, MAX_LIST_ITEMS, MAX_VALUE_CHARS

HOSTILE = [
    "{",
    "}",
    "{0}",
    "{proxy}",
    "{__class__}",
    "%s",
    "%(x)s",
    "<script>alert(1)</script>",
    "{{}}",
    "{!r}",
    "${HOME}",
    "a}b{c",
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_params_render_verbatim(language: str, value: str) -> None:
    texts = catalog(language)
    for code, names in vocabulary.FINDINGS.items():
        rendered = texts.finding(code, {name: value for name in names})
        for name in set(names) - COUNTRY_PARAMS:  # a country is said by its name, or "unknown"
            if name in template_fields(texts.raw("finding", code, "explanation") or ""):
                assert value in rendered.explanation, (code, name)
    verdict = texts.verdict("dns_tampered", {"service": value, "host": value, "seconds": value})
    assert value in verdict.explanation
    assert value in texts.headline("blocked", {"blocked": [value, value]})
    assert value in texts.ui("saved_to", path=value)


def test_a_value_never_becomes_a_template() -> None:
    texts = catalog("en")
    rendered = texts.finding("proxy_unreachable", {"proxy": "{proxy}{proxy}"})
    assert "{proxy}{proxy}" in rendered.explanation
    rendered = texts.verdict("slow", {"service": "{seconds}", "seconds": 5})
    assert rendered.explanation.startswith("{seconds} works")


@pytest.mark.parametrize("language", LANGUAGES)
def test_missing_params_render_a_placeholder(language: str) -> None:
    texts = catalog(language)
    for code in vocabulary.FINDINGS:
        rendered = texts.finding(code, {})
        assert isinstance(rendered, Texts)
        assert "{" not in rendered.explanation
    rendered = texts.finding("proxy_unreachable", {})
    assert "…" in rendered.explanation
    assert "…" in texts.finding("proxy_unreachable", {"proxy": None}).explanation
    assert "…" in texts.finding("proxy_unreachable", {"proxy": ""}).explanation
    assert "…" in texts.finding("dns_tampering", {"names": []}).explanation


def test_control_and_bidi_characters_are_neutralised() -> None:
    texts = catalog("en")
    issuer = "Evil\x1b[2J CA\r\nFake line\u202egnp.exe\x00"
    rendered = texts.finding("tls_interception", {"issuer": issuer, "services": ["Gmail"]})
    assert "\x1b" not in rendered.explanation
    assert "\n" not in rendered.explanation and "\r" not in rendered.explanation
    assert "\u202e" not in rendered.explanation and "\x00" not in rendered.explanation
    assert "Evil\ufffd[2J CA  Fake line\ufffdgnp.exe\ufffd" in rendered.explanation


def test_long_values_are_cut() -> None:
    long = "x" * 10_000
    rendered = catalog("en").finding("proxy_pac", {"url": long}).explanation
    assert len(rendered) < MAX_VALUE_CHARS + 100
    assert "x…" in rendered
    assert clean_value("abcdef", limit=4) == "abc…"


def test_lists_are_joined_per_language() -> None:
    params = {"names": ["www.google.com", "twitter.com"], "addresses": ["1.2.3.4"]}
    assert (
        "www.google.com, twitter.com" in catalog("en").finding("dns_tampering", params).explanation
    )
    assert (
        "www.google.com、twitter.com"
        in catalog("zh_CN").finding("dns_tampering", params).explanation
    )
    assert catalog("en").join(["a", "b"]) == "a, b"
    assert catalog("zh_CN").join(["甲", "乙"]) == "甲、乙"
    assert catalog("en").join([]) == "…"


def test_long_lists_are_shortened() -> None:
    names = [f"n{i}" for i in range(MAX_LIST_ITEMS + 5)]
    english = catalog("en").headline("blocked", {"blocked": names})
    assert "n9 and 5 more" in english
    assert f"n{MAX_LIST_ITEMS}" not in english
    chinese = catalog("zh_CN").headline("blocked", {"blocked": names})
    assert f"等 {MAX_LIST_ITEMS + 5} 项" in chinese


def test_tuples_and_sets_are_lists_too() -> None:
    texts = catalog("en")
    assert "a, b" in texts.finding("vpn_dns_leak", {"resolvers": ("a", "b")}).explanation
    assert "a, b" in texts.finding("vpn_dns_leak", {"resolvers": {"b", "a"}}).explanation


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (0, "0"),
        (-2, "-2"),
        (3.0, "3"),
        (2.35, "2.4"),
        (0.04, "0"),
        (12.25, "12.2"),
        (-0.01, "0"),
        (1e6, "1000000"),
        (float("nan"), "…"),
        (float("inf"), "…"),
    ],
)
def test_numbers(value: float, text: str) -> None:
    assert format_number(value) == text


def test_english_plurals() -> None:
    texts = catalog("en")
    assert "about 1 hour." in texts.finding("clock_wrong", {"skew_hours": 1}).explanation
    assert "about 1 hour." in texts.finding("clock_wrong", {"skew_hours": 1.0}).explanation
    assert "about 8 hours." in texts.finding("clock_wrong", {"skew_hours": 8}).explanation
    assert "about …." in texts.finding("clock_wrong", {}).explanation
    assert "took 1 second to" in texts.verdict("slow", {"seconds": 1}).explanation
    assert "took 2.5 seconds to" in texts.verdict("slow", {"seconds": 2.5}).explanation
    one = texts.headline("blocked", {"blocked_count": 1, "service_count": 5, "blocked": ["Gmail"]})
    assert one == "1 of 5 services is blocked on this network: Gmail."
    two = texts.headline("blocked", {"blocked_count": 2, "service_count": 2, "blocked": ["A", "B"]})
    assert two == "2 of 2 services are blocked on this network: A, B."


def test_booleans_are_words() -> None:
    assert "yes" in catalog("en").finding("proxy_configured", {"proxy": True}).explanation


def test_code_like_values_get_plain_words() -> None:
    assert (
        "(time ran out)"
        in catalog("en")
        .finding("checks_unfinished", {"count": 3, "reason": "deadline"})
        .explanation
    )
    assert (
        "（时间到了）"
        in catalog("zh_CN")
        .finding("checks_unfinished", {"count": 3, "reason": "deadline"})
        .explanation
    )
    unfinished = {"count": 1, "reason": "internal_error:KeyError"}
    assert (
        "(an internal error)" in catalog("en").finding("checks_unfinished", unfinished).explanation
    )
    assert catalog("en").value("reason", "something_new") == "something_new"


def test_chinese_spaces_latin_values_but_not_chinese_ones() -> None:
    texts = catalog("zh_CN")
    assert texts.verdict("slow", {"service": "Gmail", "seconds": 3}).explanation.startswith(
        "Gmail 能打开，但用了 3 秒才响应"
    )
    assert (
        texts.verdict("reachable", {"service": "微信"}).explanation
        == "在这个网络上可以正常访问微信。"
    )
    assert texts.verdict("reachable", {"service": "Slack"}).explanation == (
        "在这个网络上可以正常访问 Slack。"
    )
    # no space before full-width punctuation, none added inside the template's own text
    assert texts.ui("progress", current="Gmail", done=1, total=9) == "正在检查 Gmail…（1/9）"
    # English never gets extra spaces
    assert catalog("en").ui("report_id", id="ab12") == "Report ab12"


def test_unknown_language_falls_back_to_english() -> None:
    for value in ("fr", "de_DE.UTF-8", "", None, "klingon", "C", "POSIX"):
        texts = catalog(value)
        assert texts.language == "en"
        assert texts.verdict("reachable", {"service": "X"}).title == "Works normally"


def test_catalogs_are_cached() -> None:
    assert catalog("zh_CN") is catalog("zh-CN") is catalog("zh_CN.UTF-8")
    assert catalog("en") is catalog("fr")


def test_a_language_missing_a_key_falls_back_to_english() -> None:
    english = catalog("en")
    partial = Catalog("zh_CN", ({"ui": {"report_id": "报告{id}"}}, *english._layers))
    assert partial.ui("report_id", id="7") == "报告 7"
    assert partial.verdict("reachable", {"service": "X"}) == english.verdict(
        "reachable", {"service": "X"}
    )


def test_unknown_codes_get_a_generic_text() -> None:
    for language in LANGUAGES:
        texts = catalog(language)
        finding = texts.finding("some_future_finding", {"x": 1})
        assert "some_future_finding" in finding.title
        assert finding.explanation and finding.advice
        assert "future_verdict" in texts.verdict("future_verdict", {}).title
        assert "later" in texts.headline("later", {})
        assert texts.summary_advice("later", {})
        assert texts.ui("no_such_key") == "no_such_key"
        assert texts.verdict_badge("future") == "future"


def test_hostile_unknown_code_is_still_safe() -> None:
    finding = catalog("en").finding("{x}\x1b", {})
    assert "{x}\ufffd" in finding.title


def test_labels() -> None:
    texts = catalog("en")
    assert texts.verdict_badge("dns_tampered") == "Forged address"
    assert texts.layer_label("tls") == "Secure connection"
    assert texts.layer_status_label("not_run") == "Not checked"
    assert texts.severity_label("warning") == "Warning"
    assert texts.summary_badge("captive_portal") == "Login needed"
    zh = catalog("zh_CN")
    assert zh.layer_label("dns") == "域名解析"
    assert zh.verdict_badge("reachable") == "正常"


def test_ui_strings() -> None:
    texts = catalog("en")
    assert texts.ui("progress", current="Gmail", done=3, total=10) == "Checking Gmail… (3 of 10)"
    assert texts.ui("support_contact", contact="it@acme.example") == (
        "Your IT support: it@acme.example"
    )
    assert texts.ui("profile_error", problem="line 3: unknown key 'foo'") == (
        "This profile can't be used: line 3: unknown key 'foo'"
    )
    assert texts.ui("section_connection") == "Internet connection"
    assert texts.ui("progress") == "Checking …… (… of …)"


@pytest.mark.parametrize(
    ("value", "language"),
    [
        ("zh", "zh_CN"),
        ("zh_CN", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("zh_CN.UTF-8", "zh_CN"),
        ("zh_CN.utf8", "zh_CN"),
        ("ZH-cn", "zh_CN"),
        ("zh-Hans", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("zh_SG", "zh_CN"),
        ("zh_TW.UTF-8", "zh_CN"),
        ("zh_HK", "zh_CN"),
        ("zh_CN@pinyin", "zh_CN"),
        ("Chinese (Simplified)_China.936", "zh_CN"),
        (" zh_CN ", "zh_CN"),
        ("zh_CN:en_US:en", "zh_CN"),
        ("fr_FR:zh_CN", "zh_CN"),
        ("en_US:zh_CN", "en"),
        ("en", "en"),
        ("en_US.UTF-8", "en"),
        ("en-GB", "en"),
        ("C", "en"),
        ("C.UTF-8", "en"),
        ("POSIX", "en"),
        ("", "en"),
        (None, "en"),
        ("fr", "en"),
        ("ja_JP", "en"),
        ("zhx", "en"),
        ("z", "en"),
    ],
)
def test_normalise_language(value: str | None, language: str) -> None:
    assert normalise_language(value) == language


def test_template_parser() -> None:
    assert template_fields("a {x} b {y|one|other} {{z}}") == {"x", "y"}
    assert parse_template("{{}}") == ("{}",)
    for bad in ("{", "}", "{x", "x}", "{1}", "{x.y}", "{x!r}", "{x:>3}", "{x|a}", "{}"):
        with pytest.raises(TemplateError):
            parse_template(bad)


def test_a_broken_catalog_string_is_shown_not_raised() -> None:
    broken = Catalog("en", ({"ui": {"oops": "Half {open"}},))
    assert broken.ui("oops", open="x") == "Half {open"
