"""The installers' files, loaded once: the workflows (YAML 1.2, so ``on:`` stays a string) and
packaging/ importable as it is on the runners (``python packaging/<script>.py``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
PACKAGING = ROOT / "packaging"

for folder in (PACKAGING, PACKAGING / "macos"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def load_workflow(name: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def installers() -> dict[str, Any]:
    return load_workflow("installers.yml")


@pytest.fixture(scope="session")
def unit_tests() -> dict[str, Any]:
    return load_workflow("tests.yml")
