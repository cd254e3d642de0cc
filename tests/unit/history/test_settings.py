"""History settings: a small JSON file, read without Qt; anything broken gives defaults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clearsight.history.settings import (
    DEFAULT_MAX_RUNS,
    HistorySettings,
    load_settings,
    save_settings,
    settings_path,
)


def test_missing_file_gives_the_defaults() -> None:
    assert load_settings() == HistorySettings()
    assert load_settings().problem is None


def test_saved_settings_come_back_and_other_sections_stay() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"watch": {"every_min": 30}}))
    chosen = HistorySettings(enabled=False, max_runs=50, max_mb=20, include_in_reports=True)
    save_settings(chosen)
    assert load_settings() == chosen
    assert json.loads(path.read_text())["watch"] == {"every_min": 30}
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"{" + b" " * 70_000 + b"}", "too large"),
    ],
)
def test_a_broken_file_gives_defaults_and_says_why(content: bytes, problem: str) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_bytes(content)
    loaded = load_settings()
    assert loaded == HistorySettings()
    assert loaded.problem == problem


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"enabled": "yes"}, HistorySettings()),  # wrong types: the default, key by key
        ({"max_runs": -5}, HistorySettings(max_runs=2)),
        ({"max_runs": True}, HistorySettings(max_runs=DEFAULT_MAX_RUNS)),
        ({"max_mb": 10**9}, HistorySettings(max_mb=10_000)),
        ({"folder": ""}, HistorySettings(folder=None)),
        ({"folder": 3, "include_in_reports": True}, HistorySettings(include_in_reports=True)),
        ([], HistorySettings()),
    ],
)
def test_wrong_values_fall_back_one_by_one(section: object, expected: HistorySettings) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"history": section}))
    assert load_settings() == expected


def test_the_data_folder_env_wins(tmp_path: Path) -> None:
    assert HistorySettings(folder=str(tmp_path)).data_dir == Path(os.environ["CLEARSIGHT_DATA_DIR"])
