"""The About box lists every third-party component the running copy uses, with its licence
and the licence's text, from package metadata or, in a bundle, from the licences folder
that packaging/licenses.py writes (docs/design.md, "Licence")."""

from __future__ import annotations

import importlib.util
import json
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from clearsight.explanations import catalog
from clearsight.explanations.countries import cldr_version
from clearsight.gui import third_party
from clearsight.gui.third_party import Component, canonical_name

ROOT = Path(__file__).resolve().parents[2]

# What the app needs at the time of writing; the computed list must hold at least these.
EXPECTED = {
    "pyside6-essentials",
    "shiboken6",
    "dnspython",
    "requests",
    "idna",
    "urllib3",
    "charset-normalizer",
    "certifi",
    "psutil",
    "truststore",
    "cryptography",
}


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _licenses_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "clearsight_packaging_licenses", ROOT / "packaging" / "licenses.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A PyInstaller-like process: ``sys.frozen`` set, ``sys._MEIPASS`` a tmp folder."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def from_metadata() -> list[Component]:
    return third_party.from_metadata()


def _names(components: list[Component]) -> set[str]:
    return {canonical_name(c.name) for c in components}


# -- the computed list ------------------------------------------------------------------


def test_the_list_is_every_runtime_requirement_recursively(from_metadata: list[Component]):
    names = _names(from_metadata)
    assert names >= EXPECTED
    for optional in ("cffi", "pycparser"):  # cryptography's, where installed (not on PyPy)
        if _installed(optional):
            assert optional in names
    closure = {canonical_name(d.metadata["Name"]) for d in third_party.runtime_distributions()}
    assert names == closure | {"python", "qt", canonical_name(third_party.CLDR)}
    direct = {
        canonical_name(n)
        for n in third_party.requirement_names(metadata.distribution("clearsight"))
    }
    assert direct <= names


def test_the_list_leaves_out_test_tools_and_requirements_for_other_pythons(
    from_metadata: list[Component],
):
    names = _names(from_metadata)
    assert not names & {"clearsight", "pytest", "pytest-qt", "mypy", "ruff", "hypothesis"}
    # cryptography needs typing-extensions only below Python 3.11; mypy installs it here
    assert "typing-extensions" not in names


def test_each_component_states_its_licence_and_ships_its_text(from_metadata: list[Component]):
    by_name = {canonical_name(c.name): c for c in from_metadata}
    assert by_name["python"].version == ".".join(map(str, sys.version_info[:3]))
    assert by_name["qt"].licence == "LGPL-3.0-only"
    assert by_name["pyside6-essentials"].licence == "LGPL-3.0-only"
    for component in from_metadata:
        assert component.licence, component
        assert component.version, component
        if component.name == "Python" and third_party.python_licence() is None:
            continue  # some system Pythons (Debian's) do not install their LICENSE.txt
        assert component.texts, component
        for path in component.texts:
            assert (third_party.read_text(path) or "").strip(), path


def test_the_cldr_country_names_are_listed_with_the_unicode_licence(
    from_metadata: list[Component],
):
    cldr = {canonical_name(c.name): c for c in from_metadata}[canonical_name(third_party.CLDR)]
    assert cldr.licence == "Unicode-3.0"
    assert cldr.version == cldr_version() and cldr.version
    assert [p.name for p in cldr.texts] == ["Unicode-3.0.txt"]
    assert (third_party.read_text(cldr.texts[0]) or "").startswith("UNICODE LICENSE V3")


def test_requirement_markers_are_applied():
    class Fake:
        requires: ClassVar[list[str]] = [
            "needed>=1",
            "old-only ; python_version < '3.0'",
            "tool ; extra == 'dev'",
            "here ; python_version >= '3.0'",
        ]

    assert third_party.requirement_names(Fake()) == ["needed", "here"]  # type: ignore[arg-type]


def test_the_lgpl_texts_carried_in_resources_are_the_packaging_ones():
    for name in third_party.LGPL_TEXTS:
        carried = ROOT / "resources" / "licenses" / name
        assert carried.read_bytes() == (ROOT / "packaging" / "licenses" / name).read_bytes()


# -- a bundle ---------------------------------------------------------------------------


def test_a_bundle_reads_the_index_that_licenses_py_writes(
    frozen: Path, from_metadata: list[Component]
):
    notices = _licenses_script().write(frozen / "licenses")
    assert notices.name == "THIRD-PARTY-NOTICES.txt"
    listed = third_party.third_party_components(qt_version="6.99.1")
    by_name = {c.name: c for c in listed}
    assert [c.name for c in listed] == [c.name for c in from_metadata]
    for expected in from_metadata:
        got = by_name[expected.name]
        assert got.licence == expected.licence
        assert got.homepage == expected.homepage
        if expected.name != "Qt":
            assert got.version == expected.version
        assert f"{expected.name} " in notices.read_text(encoding="utf-8")
        for path in got.texts:
            assert path.is_relative_to(frozen / "licenses")
            assert (third_party.read_text(path) or "").strip(), path
    assert by_name["Qt"].version == "6.99.1"  # the Qt actually loaded
    for name in ("Qt", "PySide6_Essentials", "shiboken6"):
        assert {p.name for p in by_name[name].texts} == {"LGPL-3.0.txt", "GPL-3.0.txt"}
    assert all(by_name[n].texts for n in by_name if n != "Python")


def test_a_bundle_lists_what_its_index_says(frozen: Path):
    folder = frozen / "licenses"
    (folder / "fakelib").mkdir(parents=True)
    (folder / "fakelib" / "COPYING").write_text("Fake licence text\n", encoding="utf-8")
    index = {
        "format": 1,
        "components": [
            {
                "name": "fakelib",
                "version": "1.2",
                "licence": "MIT",
                "homepage": "https://example.org/fakelib",
                "texts": ["fakelib/COPYING", "../../outside.txt", "/etc/passwd"],
            },
            {"version": "no name"},
            "not an entry",
        ],
    }
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    assert third_party.third_party_components() == [
        Component(
            "fakelib", "1.2", "MIT", "https://example.org/fakelib", (folder / "fakelib/COPYING",)
        )
    ]


def test_a_bundle_without_an_index_falls_back_to_metadata(
    frozen: Path, from_metadata: list[Component]
):
    (frozen / "licenses").mkdir()
    assert _names(third_party.third_party_components()) == _names(from_metadata)


# -- the dialog -------------------------------------------------------------------------


def _plain(dialog: Any) -> str:
    return str(dialog.browser.toPlainText())


def test_the_about_box_shows_every_component_with_its_licence(qtbot: Any):
    from PySide6.QtCore import qVersion

    from clearsight.gui.dialogs import AboutDialog

    dialog = AboutDialog(catalog("en"))
    qtbot.addWidget(dialog)
    dialog.show()
    shown = _plain(dialog)
    assert dialog.components == third_party.third_party_components(qt_version=qVersion())
    assert _names(dialog.components) >= EXPECTED | {"python", "qt"}
    for component in dialog.components:
        assert f"{component.name} {component.version} — {component.licence}" in shown
    markup = dialog.browser.toHtml()
    for number, component in enumerate(dialog.components):
        if component.texts:
            assert f'href="licence:{number}"' in markup


def test_a_licence_text_opens_in_place_and_nothing_opens_by_itself(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from clearsight.gui.dialogs import AboutDialog

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    dialog = AboutDialog(catalog("en"))
    qtbot.addWidget(dialog)
    dialog.show()
    number = next(i for i, c in enumerate(dialog.components) if c.name == "idna")
    dialog.browser.anchorClicked.emit(QUrl(f"licence:{number}"))
    text = third_party.read_text(dialog.components[number].texts[0]) or ""
    first_line = next(line for line in text.splitlines() if line.strip()).strip()
    assert first_line in _plain(dialog)
    assert "Back to the list" in _plain(dialog)
    dialog.browser.anchorClicked.emit(QUrl("licences:"))
    assert "certifi" in _plain(dialog) and first_line not in _plain(dialog)
    assert opened == []
    dialog.browser.anchorClicked.emit(QUrl("https://github.com/kjd/idna"))
    dialog.browser.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert opened == ["https://github.com/kjd/idna"]


def test_the_about_box_of_a_bundle_lists_its_index(qtbot: Any, frozen: Path):
    from clearsight.gui.dialogs import AboutDialog

    folder = frozen / "licenses"
    folder.mkdir()
    entries = [
        {"name": "fakelib", "version": "1.2", "licence": "", "homepage": "", "texts": []},
        {"name": "Qt", "version": "6.0", "licence": "LGPL-3.0-only", "homepage": "", "texts": []},
    ]
    third_party.write_index(folder, entries)
    dialog = AboutDialog(catalog("zh_CN"))
    qtbot.addWidget(dialog)
    shown = _plain(dialog)
    assert "fakelib 1.2 — 未注明许可证" in shown
    assert "Qt 6.0" not in shown and "LGPL-3.0-only" in shown  # the Qt loaded, not 6.0
    assert "许可证全文" not in shown  # no text shipped, no link to one
    dialog.show_licence(0)
    assert "此副本未附带这份许可证的全文。" in _plain(dialog)
