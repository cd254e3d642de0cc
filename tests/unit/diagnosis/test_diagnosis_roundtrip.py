"""A saved report diagnoses again identically: records -> JSON -> records -> diagnose."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from clearsight.diagnosis import diagnose
from clearsight.probes.records import Observation, observation_from_json, to_json

from .test_diagnosis_verdicts import ROWS

BUILDS: list[tuple[str, Callable[[], tuple[Observation, ...]]]] = [
    (str(row.id), row.values[0])
    for row in ROWS  # type: ignore[misc]
]


def _through_json(records: tuple[Observation, ...]) -> list[Observation]:
    text = json.dumps([to_json(r) for r in records], ensure_ascii=False)
    return [observation_from_json(item) for item in json.loads(text)]


@pytest.mark.parametrize("build", [b for _, b in BUILDS], ids=[i for i, _ in BUILDS])
def test_saved_observations_diagnose_identically(
    build: Callable[[], tuple[Observation, ...]],
) -> None:
    records = build()
    again = _through_json(records)
    assert tuple(again) == records  # the records themselves survive
    assert diagnose(again) == diagnose(records)


def test_json_has_kind_first_and_plain_values() -> None:
    records = BUILDS[0][1]()
    for record in records:
        data = to_json(record)
        assert next(iter(data)) == "kind"
        json.dumps(data)  # plain JSON values only


def test_unknown_fields_from_newer_versions_are_ignored() -> None:
    records = BUILDS[0][1]()
    data = [to_json(r) | {"added_in_a_later_version": 1} for r in records]
    assert diagnose([observation_from_json(d) for d in data]) == diagnose(records)
