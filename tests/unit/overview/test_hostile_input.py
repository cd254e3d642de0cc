"""Whatever a file holds, the overview counts it or lists it with a reason: the hostile
corpus of tests/hostile (reports of every broken kind) and random damage to a real report."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearsight.overview import read_saved_report, summarize, summary_html, summary_text
from clearsight.report.build import ReportError
from tests.unit.overview import reports

CORPUS = Path(__file__).resolve().parents[2] / "hostile" / "corpus"


def test_the_hostile_corpus_is_counted_or_listed() -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.name.startswith("r"))
    assert len(files) >= 16
    summary = summarize(files)
    assert len(summary.reports) + len(summary.unreadable) == len(files)
    for item in summary.unreadable:
        for language in ("en", "zh_CN"):
            assert item.path.name in item.message(language)
    summary_text(summary, "zh_CN")
    summary_html(summary, "en")


_GOOD = reports.template("blocked", "en").encode()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=len(_GOOD)),
    flips=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(_GOOD) - 1), st.binary(min_size=1, max_size=3)
        ),
        max_size=4,
    ),
)
def test_damage_anywhere_is_a_reason_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory, cut: int, flips: list[tuple[int, bytes]]
) -> None:
    data = bytearray(_GOOD[:cut] if cut % 3 == 0 else _GOOD)
    for position, junk in flips:
        if position < len(data):
            data[position : position + len(junk)] = junk
    path = tmp_path_factory.mktemp("fuzz") / "r.clearsight-report"
    path.write_bytes(bytes(data))
    try:
        saved = read_saved_report(path)
    except ReportError as exc:
        assert exc.message("zh_CN") and exc.message("en")
    else:
        assert all(s.id and s.verdict for s in saved.services)
