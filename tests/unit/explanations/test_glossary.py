"""The catalogs speak with one word per concept (resources/glossary.md) and hedge alike."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest

from clearsight.explanations import LANGUAGES

GLOSSARY = resources.files("clearsight.resources").joinpath("glossary.md").read_text("utf-8")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TERM = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Entry:
    concept: str
    use: dict[str, tuple[str, ...]]  # language -> the chosen words
    never: dict[str, tuple[str, ...]]  # language -> the variants no text may use


def glossary() -> list[Entry]:
    entries = []
    for line in GLOSSARY.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not line.startswith("|") or set(cells[1]) <= {"-"}:
            continue
        concept, english, chinese, never_en, never_zh = cells
        if not TERM.search(english):  # the header row
            continue
        entries.append(
            Entry(
                concept,
                {"en": tuple(TERM.findall(english)), "zh_CN": tuple(TERM.findall(chinese))},
                {"en": tuple(TERM.findall(never_en)), "zh_CN": tuple(TERM.findall(never_zh))},
            )
        )
    return entries


ENTRIES = glossary()


def catalog_texts(language: str) -> Iterator[tuple[str, str]]:
    """(key path, text without its placeholders) of every string in a catalog file."""
    path = resources.files("clearsight.resources").joinpath("explanations", f"{language}.toml")

    def walk(node: Any, prefix: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{prefix}.{key}" if prefix else key)
        elif isinstance(node, str):
            yield prefix, PLACEHOLDER.sub("", node)

    yield from walk(tomllib.loads(path.read_text("utf-8")), "")


def found(text: str, word: str, language: str) -> bool:
    if language == "en":
        return re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text, re.I) is not None
    return word in text


def variants_in(text: str, entry: Entry, language: str) -> list[str]:
    """The forbidden variants of one entry in a text, once its chosen words are taken out
    (“IT 支持人员” holds “IT 支持”, which alone is forbidden)."""
    for word in sorted(entry.use[language], key=len, reverse=True):
        text = re.sub(re.escape(word), " ", text, flags=re.I)
    return [word for word in entry.never[language] if found(text, word, language)]


def test_the_glossary_is_read() -> None:
    concepts = {entry.concept for entry in ENTRIES}
    assert {"VPN", "proxy", "DNS resolver", "blocked", "not domestic"} <= concepts
    it = next(e for e in ENTRIES if e.use["zh_CN"] == ("IT 支持人员",))
    assert it.never["zh_CN"] == ("IT 支持", "IT 部门", "IT 人员")
    assert all(entry.use["en"] and entry.use["zh_CN"] for entry in ENTRIES)


@pytest.mark.parametrize(
    ("text", "language", "variants"),
    [
        ("请告诉 IT 支持人员。", "zh_CN", []),
        ("请告诉 IT 支持。", "zh_CN", ["IT 支持"]),
        ("联系 IT 部门", "zh_CN", ["IT 部门"]),
        ("tell your IT department", "en", ["IT department"]),
        ("your IT support", "en", []),
    ],
)
def test_the_check_finds_variants(text: str, language: str, variants: list[str]) -> None:
    entry = next(e for e in ENTRIES if "IT 支持人员" in e.use["zh_CN"])
    assert variants_in(text, entry, language) == variants


# What is wrong with a profile is said to whoever wrote it, in the file's own terms (its
# keys are [[resolvers]], [[doh]], protocol, [[vpn.endpoints]]).
FILE_TERMS = "file_problem."


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogs_use_only_the_glossarys_words(language: str) -> None:
    problems = [
        f"{key}: {word!r} (say {' / '.join(entry.use[language])})"
        for key, text in catalog_texts(language)
        if not key.startswith(FILE_TERMS)
        for entry in ENTRIES
        for word in variants_in(text, entry, language)
    ]
    assert problems == []


# "could"/"may" that hedge; "could not" (was unable), "you may", "may only", "may be at
# most" (what is allowed) do not.
HEDGE = re.compile(r"\b(?:could|may|might)\b(?! not\b)", re.I)
NOT_A_HEDGE = re.compile(r"\byou may\b|\bcouldn't\b|\bmay (?:only|be at most)\b", re.I)
CHINESE_HEDGE = re.compile("可能|也许|或许")


def test_chinese_hedges_where_english_does() -> None:
    english = dict(catalog_texts("en"))
    chinese = dict(catalog_texts("zh_CN"))
    unhedged = [
        key
        for key, text in english.items()
        if HEDGE.search(NOT_A_HEDGE.sub("", text))
        and key in chinese
        and not CHINESE_HEDGE.search(chinese[key])
    ]
    assert unhedged == []
    # and never the unhedged "can see" where English says "could read"
    for key, text in english.items():
        if re.search(r"\bcould read\b", text):
            assert "能看到" not in chinese[key], key
