"""A finding's params as the presentation reads them: a word, or words, never a guess."""

from __future__ import annotations

import pytest

from clearsight.diagnosis.model import Finding, Params

ROWS: list[tuple[Params, str | None, tuple[str, ...]]] = [
    # (params, word("x"), words("x"))
    ({"x": "a"}, "a", ("a",)),
    ({"x": ["a", "b"]}, None, ("a", "b")),
    ({"x": []}, None, ()),
    ({"x": 3}, None, ()),
    ({"x": 2.5}, None, ()),
    ({"x": True}, None, ()),
    ({"x": None}, None, ()),
    ({}, None, ()),
    ({"y": "a"}, None, ()),
]


@pytest.mark.parametrize(("params", "word", "words"), ROWS)
def test_a_param_as_a_word_and_as_words(
    params: Params, word: str | None, words: tuple[str, ...]
) -> None:
    finding = Finding("captive_portal", "problem", (), params)
    assert finding.word("x") == word
    assert finding.words("x") == words
