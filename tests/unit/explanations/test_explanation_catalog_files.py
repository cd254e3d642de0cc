"""The catalog files: every code of the vocabulary has every text, in every language."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from clearsight.diagnosis import vocabulary
from clearsight.explanations import LANGUAGES, catalog, template_fields
from clearsight.explanations.catalog import SUMMARY_PARTS, TEXT_PARTS, UNCLEAR_PARTS


def load(language: str) -> dict[str, Any]:
    path = resources.files("clearsight.resources").joinpath("explanations", f"{language}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


FILES = {language: load(language) for language in LANGUAGES}

# Words a non-technical reader should never meet in a title, explanation or advice.
# "DNS" and "IPv6" stay: users meet them in their own settings, and the glossary
# explains them; "VPN" and "proxy" are everyday words for this audience.
JARGON = (
    "SNI",
    "TLS",
    "SSL",
    "RST",
    "NXDOMAIN",
    "DoH",
    "DNS-over-HTTPS",
    "TCP",
    "UDP",
    "ICMP",
    "QUIC",
    "MITM",
    "DPI",
    "GFW",
    "PAC",
    "NAT",
    "ECH",
    "ServerHello",
    "handshake",
    "resolver",
    "IP address",
    "packet",
    "HTTP",
    "HTTPS",
    "port",
    "protocol",
    "tunnel",
    "interface",
    "endpoint",
    "injection",
    "injected",
    "captive portal",
    "CA",
    "X.509",
)
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Codes whose evidence shows censorship (injection, resets on names); nowhere else.
CENSORSHIP_CODES = {("finding", "dns_injection_on_path"), ("verdict", "tls_blocked")}


def code_texts(data: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(section, code, part, text) of every verdict, finding and summary text."""
    for section in ("verdict", "finding"):
        for code, texts in data.get(section, {}).items():
            for part in TEXT_PARTS:
                if part in texts:
                    yield section, code, part, texts[part]
    for status, texts in data.get("summary", {}).items():
        for part in SUMMARY_PARTS:
            if part in texts:
                yield "summary", status, part, texts[part]
    for cause, texts in data.get("summary_cause", {}).items():
        for part in SUMMARY_PARTS:
            if part in texts:
                yield "summary_cause", cause, part, texts[part]
    for reason, texts in data.get("unclear", {}).items():
        for part in UNCLEAR_PARTS:
            if part in texts:
                yield "unclear", reason, part, texts[part]


def key_paths(node: object, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(node, dict):
        paths: set[tuple[str, ...]] = set()
        for key, value in node.items():
            paths |= key_paths(value, (*prefix, key))
        return paths
    return {prefix}


def declared_params(section: str, code: str) -> tuple[str, ...]:
    if section in ("verdict", "unclear"):
        return vocabulary.VERDICT_PARAMS
    if section == "finding":
        return vocabulary.FINDINGS[code]
    return vocabulary.SUMMARY_PARAMS


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("verdict", vocabulary.VERDICTS)
def test_every_verdict_has_every_part(language: str, verdict: str) -> None:
    texts = FILES[language].get("verdict", {}).get(verdict)
    assert texts is not None, f"{language}: no [verdict.{verdict}]"
    for part in TEXT_PARTS:
        assert isinstance(texts.get(part), str), f"{language}: verdict.{verdict}.{part} missing"
        assert texts[part].strip(), f"{language}: verdict.{verdict}.{part} empty"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", sorted(vocabulary.FINDINGS))
def test_every_finding_has_every_part(language: str, code: str) -> None:
    texts = FILES[language].get("finding", {}).get(code)
    assert texts is not None, f"{language}: no [finding.{code}]"
    for part in TEXT_PARTS:
        assert isinstance(texts.get(part), str), f"{language}: finding.{code}.{part} missing"
        assert texts[part].strip(), f"{language}: finding.{code}.{part} empty"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", vocabulary.STATUSES)
def test_every_status_has_headline_and_advice(language: str, status: str) -> None:
    texts = FILES[language].get("summary", {}).get(status)
    assert texts is not None, f"{language}: no [summary.{status}]"
    for part in SUMMARY_PARTS:
        assert isinstance(texts.get(part), str), f"{language}: summary.{status}.{part} missing"
        assert texts[part].strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_codes_outside_the_vocabulary(language: str) -> None:
    data = FILES[language]
    assert set(data["verdict"]) == set(vocabulary.VERDICTS)
    assert set(data["finding"]) == set(vocabulary.FINDINGS)
    assert set(data["summary"]) == set(vocabulary.STATUSES)
    assert set(data["unclear"]) == set(vocabulary.UNCLEAR_REASONS)
    assert set(data["summary_cause"]) == set(vocabulary.UNCLEAR_CAUSES)
    assert set(vocabulary.UNCLEAR_CAUSES) <= set(vocabulary.FINDINGS)
    for reason, texts in data["unclear"].items():
        assert set(texts) == set(UNCLEAR_PARTS), f"{language}: unclear.{reason}"
    for cause, texts in data["summary_cause"].items():
        assert set(texts) == set(SUMMARY_PARTS), f"{language}: summary_cause.{cause}"
    for section in ("verdict", "finding"):
        for code, texts in data[section].items():
            assert set(texts) == set(TEXT_PARTS), f"{language}: {section}.{code}"
    for status, texts in data["summary"].items():
        assert set(texts) == set(SUMMARY_PARTS), f"{language}: summary.{status}"


def test_both_files_have_the_same_keys() -> None:
    english = key_paths(FILES["en"])
    for language in LANGUAGES:
        other = key_paths(FILES[language])
        assert other - english == set(), f"{language} has keys English lacks"
        assert english - other == set(), f"{language} lacks keys"


@pytest.mark.parametrize("language", LANGUAGES)
def test_ui_has_the_labels_renderers_need(language: str) -> None:
    ui = FILES[language]["ui"]
    needed = [f"verdict_badge_{verdict}" for verdict in vocabulary.VERDICTS]
    needed += [f"summary_badge_{status}" for status in vocabulary.STATUSES]
    needed += [f"layer_{layer}" for layer in vocabulary.LAYERS]
    needed += [f"status_{status}" for status in vocabulary.LAYER_STATUSES]
    needed += [f"severity_{severity}" for severity in vocabulary.SEVERITIES]
    needed += [
        "app_tagline",
        "running",
        "progress",
        "section_connection",
        "section_dns",
        "section_vpn_proxy",
        "section_services",
        "what_to_do",
        "evidence",
        "support_contact",
        "report_id",
        "cancelled",
        "deadline_reached",
        "offline_short",
        "saved_to",
        "profile_error",
        "list_separator",
        "list_more",
        "missing_value",
        "unknown_title",
        "unknown_explanation",
        "unknown_advice",
        "unknown_headline",
    ]
    missing = [key for key in needed if not isinstance(ui.get(key), str)]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_string_is_a_valid_template(language: str) -> None:
    for path in key_paths(FILES[language]):
        node: Any = FILES[language]
        for key in path:
            node = node[key]
        assert isinstance(node, str), f"{language}: {'.'.join(path)} is not a string"
        template_fields(node)  # raises TemplateError when malformed


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_declared_params(language: str) -> None:
    for section, code, part, text in code_texts(FILES[language]):
        used = template_fields(text)
        declared = set(declared_params(section, code))
        assert used <= declared, f"{language}: {section}.{code}.{part} uses {used - declared}"


# ui keys whose params a language may pick from (Chinese says "A、B 等 12 项", the total;
# English "A, B and 10 more", the rest).
UI_PARAM_CHOICES = {"list_more": {"items", "count", "total"}}


def test_ui_placeholders_match_across_languages() -> None:
    english = FILES["en"]["ui"]
    for language in LANGUAGES:
        for key, text in FILES[language]["ui"].items():
            if key in UI_PARAM_CHOICES:
                assert template_fields(text) <= UI_PARAM_CHOICES[key], f"{language}: ui.{key}"
            else:
                assert template_fields(text) == template_fields(english[key]), f"{language}: {key}"


def test_verdict_texts_name_the_service() -> None:
    for language in LANGUAGES:
        for verdict, texts in FILES[language]["verdict"].items():
            assert "service" in template_fields(texts["explanation"]), f"{language}: {verdict}"
        for reason, texts in FILES[language]["unclear"].items():
            assert "service" in template_fields(texts["explanation"]), f"{language}: {reason}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", vocabulary.UNCLEAR_REASONS)
def test_an_unclear_result_says_why(language: str, reason: str) -> None:
    texts = catalog(language)
    params = {"service": "Gmail", "host": "mail.google.com", "seconds": 1.0}
    general = texts.verdict("inconclusive", params)
    specific = texts.verdict("inconclusive", params, reason)
    assert specific.title == general.title
    assert specific.explanation != general.explanation
    assert "Gmail" in specific.explanation and "{" not in specific.advice
    # a reason without a text of its own, or another verdict, keeps the general texts
    assert texts.verdict("inconclusive", params, "no_such_reason") == general
    assert texts.verdict("ip_blocked", params, reason) == texts.verdict("ip_blocked", params)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("cause", vocabulary.UNCLEAR_CAUSES)
def test_an_unclear_run_says_why(language: str, cause: str) -> None:
    texts = catalog(language)
    params = {"blocked_count": 0, "service_count": 5, "blocked": []}
    assert texts.headline("inconclusive", params, cause) != texts.headline("inconclusive", params)
    assert texts.summary_advice("inconclusive", params, cause) != texts.summary_advice(
        "inconclusive", params
    )


@pytest.mark.parametrize(("language", "limit"), [("en", 48), ("zh_CN", 24)])
def test_titles_are_short(language: str, limit: int) -> None:
    for section in ("verdict", "finding"):
        for code, texts in FILES[language][section].items():
            title = texts["title"]
            assert len(title) <= limit, f"{language}: {section}.{code}.title is {len(title)} long"


def jargon_in(template: str) -> list[str]:
    """The jargon words a reader would meet in a catalog text (param names are not read)."""
    text = PLACEHOLDER.sub("", template)
    found = []
    for word in JARGON:
        pattern = rf"(?<![A-Za-z0-9-]){re.escape(word)}(?![A-Za-z0-9-])"
        flags = 0 if word.isupper() or word in ("DoH", "ServerHello") else re.IGNORECASE
        if re.search(pattern, text, flags):
            found.append(word)
    return found


def test_the_jargon_check_works() -> None:
    assert jargon_in("the SNI is reset") == ["SNI"]
    assert jargon_in("访问TLS失败") == ["TLS"]
    assert jargon_in("Your Resolver broke") == ["resolver"]
    assert jargon_in("The DNS server {resolver} ({interface})") == []
    assert jargon_in("your IT support can report it") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_jargon_in_user_texts(language: str) -> None:
    for section, code, part, text in code_texts(FILES[language]):
        assert jargon_in(text) == [], f"{language}: {section}.{code}.{part}"


def test_censorship_only_where_there_is_evidence() -> None:
    words = {"en": re.compile(r"censor", re.IGNORECASE), "zh_CN": re.compile("审查")}
    for language in LANGUAGES:
        for section, code, part, text in code_texts(FILES[language]):
            if words[language].search(text):
                assert (section, code) in CENSORSHIP_CODES, f"{language}: {section}.{code}.{part}"
        for section, code in CENSORSHIP_CODES:
            assert words[language].search(FILES[language][section][code]["explanation"])


def test_doh_blocked_is_policy_not_censorship() -> None:
    for language, word in (("en", "censor"), ("zh_CN", "审查")):
        texts = FILES[language]["finding"]["doh_blocked"]
        assert all(word not in texts[part].lower() for part in TEXT_PARTS)


def test_inspection_is_calm_and_interception_warns() -> None:
    english = FILES["en"]["finding"]
    assert "purpose" in english["tls_inspection"]["title"]
    assert "trust" in english["tls_inspection"]["explanation"]
    assert "not trust" in english["tls_interception"]["explanation"]
    assert "password" in english["tls_interception"]["advice"]


def test_chinese_uses_full_width_punctuation() -> None:
    for section, code, part, text in code_texts(FILES["zh_CN"]):
        # ASCII punctuation right after a Chinese character (or before one) is a slip.
        slip = re.search(r"[\u4e00-\u9fff][,;:!?()]|[,;:!?()][\u4e00-\u9fff]", text)
        assert slip is None, f"zh_CN: {section}.{code}.{part}: {slip.group() if slip else ''}"
        assert not text.endswith("."), f"zh_CN: {section}.{code}.{part} ends with '.'"


def test_english_sentences_end_with_a_full_stop() -> None:
    for section, code, part, text in code_texts(FILES["en"]):
        if part != "title":
            assert text.endswith("."), f"en: {section}.{code}.{part}"


def test_every_language_renders_every_text_with_sample_params() -> None:
    params: dict[str, object] = {
        name: "x" for names in vocabulary.FINDINGS.values() for name in names
    } | {
        "service": "Gmail",
        "host": "mail.google.com",
        "seconds": 3.4,
        "blocked_count": 2,
        "service_count": 7,
        "blocked": ["Gmail", "Slack"],
        "count": 3,
        "skew_hours": 9,
    }
    for language in LANGUAGES:
        texts = catalog(language)
        for verdict in vocabulary.VERDICTS:
            rendered = texts.verdict(verdict, params)
            assert "{" not in rendered.title + rendered.explanation + rendered.advice
        for code in vocabulary.FINDINGS:
            rendered = texts.finding(code, params)
            assert "{" not in rendered.title + rendered.explanation + rendered.advice
        for status in vocabulary.STATUSES:
            assert "{" not in texts.headline(status, params) + texts.summary_advice(status, params)
