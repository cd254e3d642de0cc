"""No code in what a person reads: every scenario, every renderer, both languages.

A snake_case name ("connection_reset", "previous_real_name_s") or a bare failure code
("timeout") in a text means a value reached a person without words. The evidence stays
complete, so each of its fields needs a label in every catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from clearsight.diagnosis import vocabulary
from clearsight.explanations import LANGUAGES, catalog
from clearsight.probes import failures

from .people_read import report_of, scenario_builders, texts_people_read

BUILDERS = scenario_builders()
# A code: lower-case words joined by "_", standing alone (not inside a URL, a path, a host
# name or an address, where an underscore is part of a name, e.g. ".../generate_204").
SNAKE_CASE = re.compile(r"(?<![\w./:#@%=?&-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./#@%=?&-])")
# Codes of one word that are no English word: never in a text of either language.
BARE_CODES = frozenset({"timeout", "eof", "nxdomain", "servfail"})
# In a Chinese sentence, no English word of the vocabularies belongs (the network's own
# English, a block page's title, may stand on its own line).
VOCABULARY = frozenset(
    {
        *vocabulary.VERDICTS,
        *vocabulary.STATUSES,
        *vocabulary.LAYER_STATUSES,
        *vocabulary.SEVERITIES,
        *(v for k, v in vars(failures).items() if k.isupper() and isinstance(v, str)),
    }
)
WORD = re.compile(r"(?<![\w./:#@%=?&-])[a-z]+(?![\w./#@%=?&-])")
_CHINESE = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
WORD_IN_CHINESE = re.compile(
    rf"(?<=[{_CHINESE}]) ?([a-z]+)(?![\w./#@%=?&-])|(?<![\w./:#@%=?&-])([a-z]+) ?(?=[{_CHINESE}])"
)


def codes_in(text: str, language: str) -> list[str]:
    found = SNAKE_CASE.findall(text) + sorted(set(WORD.findall(text)) & BARE_CODES)
    if language == "zh_CN":
        words = {a or b for a, b in WORD_IN_CHINESE.findall(text)}
        found += sorted(words & VOCABULARY - BARE_CODES)
    return found


@pytest.mark.parametrize(
    ("text", "language", "codes"),
    [
        ("Connection: Failed (connection_reset)", "en", ["connection_reset"]),
        ("连接：失败（timeout）", "zh_CN", ["timeout"]),
        ("previous_real_name_s: 12", "en", ["previous_real_name_s"]),
        ("code: tls_interception", "en", ["tls_interception"]),
        ("网页请求：失败（not_the_service）", "zh_CN", ["not_the_service"]),
        ("结果：forged", "zh_CN", ["forged"]),
        ("visit http://connect.example/generate_204 then", "en", []),
        ("Blocked by a forged address", "en", []),
        ("mail_server.example.com and /home/a_b/c", "en", []),
        ("Gmail、Google Search 被屏蔽", "zh_CN", []),
        ("页面标题：\nAccess blocked", "zh_CN", []),
    ],
)
def test_the_check_finds_codes(text: str, language: str, codes: list[str]) -> None:
    assert codes_in(text, language) == codes


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def scenario(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_code_reaches_a_person(scenario: str, language: str) -> None:
    report = report_of(BUILDERS[scenario], language)
    for renderer, text in texts_people_read(report).items():
        found = codes_in(text, language)
        assert found == [], f"{scenario}, {language}, {renderer}: {found}"


def _fields(value: object, parent: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield parent, str(key)
            yield from _fields(item, str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _fields(item, parent)


def test_every_evidence_field_and_param_has_a_label() -> None:
    unlabelled: set[str] = set()
    for build in BUILDERS.values():
        report: dict[str, Any] = report_of(build, "en")
        for service in report["services"]:
            for parent, field in _fields(service["evidence"]):
                for language in LANGUAGES:
                    texts = catalog(language)
                    if not (
                        texts.has("evidence", f"{parent}.{field}") or texts.has("evidence", field)
                    ):
                        unlabelled.add(f"{language}: {parent}.{field}")
        for finding in report["findings"]:
            for name in finding["params"]:
                if not all(catalog(language).has("evidence", name) for language in LANGUAGES):
                    unlabelled.add(f"param {name}")
    assert sorted(unlabelled) == []


# ASCII punctuation touching Chinese text (a colon, a bracket, a comma, a quote): a slip
# in a template or in text put together by a renderer (a tooltip, a list, a heading).
HALF_WIDTH = re.compile(rf"[{_CHINESE}“”‘’][,;:!?()\[\]\"']|[,;:!?()\[\]\"'][{_CHINESE}“”‘’]")


@pytest.mark.parametrize(
    ("text", "slips"),
    [
        ("域名解析: 85 毫秒", ["析:"]),
        ("连接：失败（无响应）", []),
        ("X (Twitter)（x.com）", [")（"]),
        ("访问 Gmail 时", []),
    ],
)
def test_the_check_finds_half_width_punctuation(text: str, slips: list[str]) -> None:
    assert HALF_WIDTH.findall(text) == slips


def test_chinese_texts_use_full_width_punctuation(scenario: str) -> None:
    report = report_of(BUILDERS[scenario], "zh_CN")
    for renderer, text in texts_people_read(report).items():
        slips = [line for line in text.splitlines() if HALF_WIDTH.search(line)]
        assert slips == [], f"{scenario}, {renderer}"
