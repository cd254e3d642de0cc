"""The ``history`` section of a saved report: built from kept runs, valid against the
report schema, drawn in HTML and PDF, and harmless when hostile."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from clearsight.history import HistorySettings, HistoryStore, open_history
from clearsight.history.render import history_html
from clearsight.history.section import history_section

from .reports import report


def carried() -> dict[str, Any]:
    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    for number in range(1, 13):
        verdict = "ip_blocked" if number % 3 == 0 else "reachable"
        result = history.record(report(number, {"gmail": verdict, "slack": "reachable"}))
    last = report(12, {"gmail": "ip_blocked", "slack": "reachable"})
    section = history_section(history, last, result.run)
    assert section is not None
    return last | {"history": section}


def test_the_section_holds_the_last_ten_results_oldest_first() -> None:
    section = carried()["history"]
    gmail = next(s for s in section["services"] if s["id"] == "gmail")
    assert len(gmail["results"]) == 10
    assert gmail["results"][-1]["started_at"] > gmail["results"][0]["started_at"]
    assert gmail["pattern"] == "came_and_went" and gmail["blocked"] == 4
    slack = next(s for s in section["services"] if s["id"] == "slack")
    assert slack["pattern"] == "always_working"


def test_the_section_matches_the_report_schema() -> None:
    folder = resources.files("clearsight.resources").joinpath("schema")
    schema = json.loads(folder.joinpath("clearsight-report-1.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema["properties"]["history"])
    validator.validate(carried()["history"])


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_html_draws_a_strip_per_service(language: str) -> None:
    parts = "".join(history_html(carried() | {"language": language}))
    assert parts.count('class="history-strip"') == 2
    assert parts.count('bgcolor="#c5221f"') == 4  # Gmail blocked in runs 3, 6, 9, 12
    assert ("Came and went" if language == "en" else "时好时坏") in parts


@pytest.mark.parametrize(
    "section",
    [
        None,
        "text",
        {"services": "x"},
        {"services": [1, None, {"id": "<script>", "results": [{"verdict": "<b>"}] * 3}]},
        {"services": [{"id": "gmail", "results": [{"started_at": 5, "verdict": []}] * 50}]},
    ],
)
def test_a_hostile_section_draws_safely(section: object) -> None:
    parts = "".join(history_html(report(1, {"gmail": "reachable"}) | {"history": section}))
    assert "<script>" not in parts and "<b>" not in parts
