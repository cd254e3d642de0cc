"""Every report the app writes validates against resources/schema/clearsight-report-1."""

from __future__ import annotations

import copy
import dataclasses
import json
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from clearsight.cli import main
from clearsight.probes.records import OBSERVATION_TYPES
from clearsight.report.build import load_report
from clearsight.report.files import report_json, save_json
from clearsight.report.html import render_html

from .conftest import make_report
from .scenarios import SCENARIOS

SCHEMA = json.loads(
    resources.files("clearsight.resources")
    .joinpath("schema", "clearsight-report-1.schema.json")
    .read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def errors(report: dict[str, Any]) -> list[str]:
    # Validate what is written (JSON), not the Python dict (tuples, …).
    data = json.loads(report_json(report))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(data)
    ]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("redact", [True, False])
def test_every_report_validates(scenario: str, language: str, redact: bool) -> None:
    assert errors(make_report(scenario, language=language, redact=redact)) == []


def test_the_schema_rejects_what_breaks_the_contract(blocked_report: dict[str, Any]) -> None:
    for path, value in (
        (("summary", "status"), "mostly_fine"),
        (("services", 0, "verdict"), "kaputt"),
        (("findings", 0, "severity"), "catastrophic"),
        (("schema",), "clearsight-report/2"),
        (("observations", 0, "kind"), "telepathy"),
        (("observations", 1, "interfaces"), "eth0"),
    ):
        broken = copy.deepcopy(blocked_report)
        node: Any = broken
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert errors(broken), f"{path} = {value!r} was accepted"
    missing = copy.deepcopy(blocked_report)
    del missing["services"]
    assert errors(missing)


def test_new_fields_are_allowed(blocked_report: dict[str, Any]) -> None:
    newer = copy.deepcopy(blocked_report) | {"added_later": []}  # ("history" is a defined key now)
    newer["observations"][0]["added_later"] = 1
    assert errors(newer) == []


def _required(cls: type[Any]) -> set[str]:
    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _records() -> dict[str, type[Any]]:
    """Every record class reachable from the observation types."""
    found: dict[str, type[Any]] = {}
    pending = list(OBSERVATION_TYPES.values())
    while pending:
        cls = pending.pop()
        if cls.__name__ in found:
            continue
        found[cls.__name__] = cls
        for hint in typing.get_type_hints(cls).values():
            stack = [hint]
            while stack:
                item = stack.pop()
                if dataclasses.is_dataclass(item) and isinstance(item, type):
                    pending.append(item)
                stack.extend(typing.get_args(item))
    return found


@pytest.mark.parametrize("name", sorted(_records()))
def test_the_schema_describes_every_record_field(name: str) -> None:
    cls = _records()[name]
    definition = SCHEMA["$defs"][name]
    fields = {f.name for f in dataclasses.fields(cls)}
    assert fields <= set(definition["properties"]), f"{name}: fields missing from the schema"
    tag = {"kind"} if isinstance(getattr(cls, "kind", None), str) else set()  # the ClassVar
    assert set(definition["required"]) - tag == _required(cls)


def test_every_observation_kind_is_in_the_schema() -> None:
    kinds = SCHEMA["$defs"]["Observation"]["properties"]["kind"]["enum"]
    assert sorted(kinds) == sorted(OBSERVATION_TYPES)


def test_files_written_by_the_command_line_validate(tmp_path: Path, capsys: Any) -> None:
    saved = tmp_path / "run.clearsight-report"
    save_json(saved, make_report("blocked"))
    for language in ("en", "zh_CN"):
        out_json = tmp_path / f"again-{language}.json"
        out_html = tmp_path / f"again-{language}.html"
        main(
            [
                "explain",
                str(saved),
                "--lang",
                language,
                "--json",
                str(out_json),
                "--html",
                str(out_html),
            ]
        )
        written = json.loads(out_json.read_text(encoding="utf-8"))
        assert errors(written) == []
        embedded, _ = load_report(out_html)
        assert errors(embedded) == []
    capsys.readouterr()


def test_the_json_inside_the_html_report_validates(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(make_report("captive_portal", language="zh_CN")), encoding="utf-8")
    data, _ = load_report(page)
    assert errors(data) == []
