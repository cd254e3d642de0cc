"""The third-party software Clearsight runs on, for the About box (docs/design.md, "Licence").

No Qt here: the list is computed by plain functions, so it can be tested without a window
and ``packaging/licenses.py`` can use the same functions to collect a bundle's licences.

From a source tree or an installed wheel the list is the closure of the runtime
requirements of the ``clearsight`` distribution (``importlib.metadata``), plus Python and
Qt. A PyInstaller bundle keeps only part of that metadata, so there the list is read from
the index ``packaging/licenses.py`` writes next to the licence texts it ships
(``sys._MEIPASS/licenses/index.json``).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path, PurePosixPath
from typing import Any

from clearsight.explanations.countries import cldr_version

APP_DISTRIBUTION = "clearsight"
INDEX_NAME = "index.json"
INDEX_FORMAT = 1
BUNDLED_FOLDER = "licenses"

# Clearsight uses and ships Qt and Qt for Python under the LGPL-3.0 (they also offer the
# GPL, which would bind the whole app); the texts ship with Clearsight because the wheels
# carry none.
LGPL_DISTRIBUTIONS = frozenset({"pyside6-essentials", "pyside6", "shiboken6"})
LGPL = "LGPL-3.0-only"
LGPL_TEXTS = ("LGPL-3.0.txt", "GPL-3.0.txt")
QT_HOMEPAGE = "https://www.qt.io/"
PYTHON_HOMEPAGE = "https://www.python.org/"
# The country names (resources/country_names.json) are data of the Unicode CLDR, generated
# by scripts/country_names.py, under the Unicode License v3 (its text ships beside them).
CLDR = "Unicode CLDR"
CLDR_LICENCE = "Unicode-3.0"
CLDR_TEXT = "Unicode-3.0.txt"
CLDR_HOMEPAGE = "https://cldr.unicode.org/"

_LICENCE_WORDS = ("LICENSE", "LICENCE", "COPYING", "NOTICE")
_HOMEPAGE_LABELS = ("homepage", "home", "home-page", "source", "source code", "repository", "code")


@dataclass(frozen=True)
class Component:
    """One piece of third-party software: its licence as its authors state it (an SPDX
    expression where they give one, "" where they state none) and the files with the
    licence's text on this machine."""

    name: str
    version: str
    licence: str
    homepage: str = ""
    texts: tuple[Path, ...] = ()


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PySide6_Essentials`` is
    ``pyside6-essentials``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- the closure of the requirements ----------------------------------------------------


def _marker_applies(marker: str) -> bool:
    """Whether a requirement's environment marker holds here, without any extra.

    ``packaging`` evaluates markers where it is installed (development and build venvs).
    It is imported by name so that PyInstaller does not ship it: a bundle reads its index.
    Without it, requirements of an extra are left out and any other requirement counts
    when its distribution is installed.
    """
    try:
        markers: Any = importlib.import_module("packaging.markers")
        return bool(markers.Marker(marker).evaluate({"extra": ""}))
    except Exception:  # no packaging, or a marker it cannot read
        return "extra" not in marker


def requirement_names(dist: metadata.Distribution) -> list[str]:
    """The names of what ``dist`` needs at run time here (no extras, markers applied)."""
    names = []
    for requirement in dist.requires or []:
        spec, _, marker = requirement.partition(";")
        if marker.strip() and not _marker_applies(marker.strip()):
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        if match:
            names.append(match.group(1))
    return names


def runtime_distributions(root: str = APP_DISTRIBUTION) -> list[metadata.Distribution]:
    """The runtime requirements of ``root``, recursively, sorted by name (not ``root``
    itself). A requirement that is not installed (one for another platform) is skipped."""
    seen: dict[str, metadata.Distribution] = {}
    todo = requirement_names(metadata.distribution(root))
    while todo:
        name = todo.pop()
        key = canonical_name(name)
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = dist
        todo.extend(requirement_names(dist))
    return sorted(seen.values(), key=lambda d: canonical_name(d.metadata["Name"]))


# -- what one distribution says about itself ---------------------------------------------


def _field(meta: metadata.PackageMetadata, name: str) -> str:
    """A metadata field's first value, "" where it is missing (``meta[name]`` raises
    KeyError for a missing field on newer Pythons)."""
    values = meta.get_all(name) or []
    return str(values[0]).strip() if values else ""


def licence_of(dist: metadata.Distribution) -> str:
    """The licence a distribution declares: its SPDX ``License-Expression``, else a short
    ``License`` field, else its licence classifiers; "" if it states none."""
    meta = dist.metadata
    if canonical_name(meta["Name"]) in LGPL_DISTRIBUTIONS:
        return LGPL
    expression = _field(meta, "License-Expression")
    if expression:
        return expression
    field = _field(meta, "License")
    if field and "\n" not in field and len(field) <= 100:
        return field  # a name such as "MIT"; a longer field is the whole text
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return " / ".join(classifiers)
    return field.splitlines()[0].strip() if field else ""


def homepage_of(dist: metadata.Distribution) -> str:
    """The project's home page (or its source) from ``Home-page`` or ``Project-URL``."""
    meta = dist.metadata
    urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls.setdefault(label.strip().lower(), url.strip())
    for label in _HOMEPAGE_LABELS:
        if urls.get(label):
            return urls[label]
    return _field(meta, "Home-page")


def licence_files(dist: metadata.Distribution) -> list[Path]:
    """The licence texts a distribution installed with its metadata (``*.dist-info``)."""
    found = []
    for entry in dist.files or []:
        is_licence = any(word in entry.name.upper() for word in _LICENCE_WORDS)
        in_metadata = ".dist-info" in str(entry) or "licenses" in str(entry).lower()
        if is_licence and in_metadata:
            path = Path(str(entry.locate()))
            if path.is_file():
                found.append(path)
    return found


def carried_texts(names: Iterable[str]) -> tuple[Path, ...]:
    """Licence texts Clearsight carries itself (``resources/licenses``), those present."""
    try:
        folder = resources.files("clearsight.resources") / "licenses"
        return tuple(Path(str(folder / n)) for n in names if (folder / n).is_file())
    except (ImportError, OSError):  # no resources package, or not on a file system
        return ()


def lgpl_texts() -> tuple[Path, ...]:
    """The LGPL-3.0 text and the GPL-3.0 text it builds on, as Clearsight carries them."""
    return carried_texts(LGPL_TEXTS)


def python_licence() -> Path | None:
    """The licence file of the Python running Clearsight, where its installation has one."""
    candidates = [
        Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE",
    ]
    return next((p for p in candidates if p.is_file()), None)


# -- the whole list ----------------------------------------------------------------------


def _platform(qt_version: str, qt_texts: tuple[Path, ...]) -> list[Component]:
    python = python_licence()
    return [
        Component(
            "Python",
            ".".join(map(str, sys.version_info[:3])),
            "PSF-2.0",
            PYTHON_HOMEPAGE,
            (python,) if python else (),
        ),
        Component("Qt", qt_version, LGPL, QT_HOMEPAGE, qt_texts),
        Component(CLDR, cldr_version(), CLDR_LICENCE, CLDR_HOMEPAGE, carried_texts([CLDR_TEXT])),
    ]


def from_metadata(root: str = APP_DISTRIBUTION, *, qt_version: str = "") -> list[Component]:
    """Python, Qt, the Unicode CLDR's data and every distribution ``root`` needs at run
    time, from the installed metadata. ``qt_version``: what ``qVersion()`` says (else
    PySide6's version)."""
    try:
        dists = runtime_distributions(root)
    except metadata.PackageNotFoundError:
        dists = []  # a bundle built without metadata and without an index
    lgpl = lgpl_texts()
    listed = []
    for dist in dists:
        name = dist.metadata["Name"]
        texts = lgpl if canonical_name(name) in LGPL_DISTRIBUTIONS else tuple(licence_files(dist))
        listed.append(Component(name, dist.version, licence_of(dist), homepage_of(dist), texts))
    if not qt_version:
        qt_version = next(
            (c.version for c in listed if canonical_name(c.name) == "pyside6-essentials"), ""
        )
    return _platform(qt_version, lgpl) + listed


def index_entry(component: Component, texts: Sequence[str]) -> dict[str, Any]:
    """A component as the index records it; ``texts`` relative to the index's folder."""
    return {
        "name": component.name,
        "version": component.version,
        "licence": component.licence,
        "homepage": component.homepage,
        "texts": list(texts),
    }


def write_index(folder: Path, entries: Iterable[dict[str, Any]]) -> Path:
    path = folder / INDEX_NAME
    document = {"format": INDEX_FORMAT, "components": list(entries)}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _inside(folder: Path, relative: object) -> Path | None:
    if not isinstance(relative, str) or not relative:
        return None
    parts = PurePosixPath(relative).parts
    if PurePosixPath(relative).is_absolute() or ".." in parts:
        return None
    return folder.joinpath(*parts)


def read_index(folder: Path) -> list[Component]:
    """The components listed in ``folder/index.json``; malformed entries are left out."""
    document = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    listed = []
    for entry in document.get("components", []) if isinstance(document, dict) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        texts = (_inside(folder, t) for t in entry.get("texts") or [])
        listed.append(
            Component(
                name=entry["name"],
                version=str(entry.get("version") or ""),
                licence=str(entry.get("licence") or ""),
                homepage=str(entry.get("homepage") or ""),
                texts=tuple(t for t in texts if t is not None),
            )
        )
    return listed


def bundled_folder() -> Path | None:
    """The licences folder of a PyInstaller bundle, or None when not running from one."""
    if not getattr(sys, "frozen", False):
        return None
    base = getattr(sys, "_MEIPASS", None) or Path(sys.executable).resolve().parent
    folder = Path(base) / BUNDLED_FOLDER
    return folder if folder.is_dir() else None


def third_party_components(qt_version: str = "") -> list[Component]:
    """What the About box lists: from a bundle's index when frozen, else from metadata.
    ``qt_version``, where given, is the Qt actually loaded."""
    folder = bundled_folder()
    if folder is not None and (folder / INDEX_NAME).is_file():
        try:
            listed = read_index(folder)
        except (OSError, ValueError):
            listed = []
        if listed:
            if qt_version:
                listed = [
                    Component(c.name, qt_version, c.licence, c.homepage, c.texts)
                    if c.name == "Qt"
                    else c
                    for c in listed
                ]
            return listed
    return from_metadata(qt_version=qt_version)


def read_text(path: Path, limit: int = 1_000_000) -> str | None:
    """A licence file's text (the first ``limit`` characters), or None if it cannot be read."""
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            return file.read(limit)
    except OSError:
        return None
