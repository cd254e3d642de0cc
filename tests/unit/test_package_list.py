"""Every code and resource folder is named in pyproject.toml's package list.

The list is explicit (resources/ installs as clearsight.resources), so a new package left
out still imports from a source checkout, where the whole folder is on the path, and is
missing only from a wheel, the bundle and the .deb: found once by the .deb test
("No module named 'clearsight.presentation'"), now here in a second.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _listed() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(data["tool"]["setuptools"]["packages"])


def test_every_code_package_is_listed() -> None:
    code = {
        ".".join(init.parent.relative_to(ROOT / "desktop").parts)
        for init in (ROOT / "desktop" / "clearsight").rglob("__init__.py")
    }
    assert code - _listed() == set()


def test_every_resource_folder_is_listed() -> None:
    folders = {
        "clearsight.resources." + ".".join(d.relative_to(ROOT / "resources").parts)
        for d in (ROOT / "resources").rglob("*")
        if d.is_dir() and d.name != "__pycache__"
    }
    assert folders - _listed() == set()


def test_nothing_listed_is_missing() -> None:
    for name in _listed():
        parts = name.split(".")
        if parts[:2] == ["clearsight", "resources"]:
            folder = ROOT / "resources" / Path(*parts[2:])
        else:
            folder = ROOT / "desktop" / Path(*parts)
        assert folder.is_dir(), name
