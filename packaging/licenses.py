"""Collect the licences of everything a bundle ships (docs/design.md, "Licence").

    python packaging/licenses.py OUTDIR      # run with the build venv's Python

Writes ``OUTDIR/THIRD-PARTY-NOTICES.txt`` (one readable file: each component, its version,
its licence, where its source is), ``OUTDIR/<component>/`` with the licence texts and
``OUTDIR/index.json`` (the same list, read by the About box of the bundle). The
PyInstaller spec ships OUTDIR as ``licenses/`` inside the bundle (``sys._MEIPASS/licenses``),
the .deb also installs it under /usr/share/doc/clearsight/, and the Windows installer shows
the notices file.

The Python distributions are found by walking the app's requirements in the environment
that builds the bundle (``clearsight.gui.third_party``, which the About box of an unfrozen
app uses too), so a new dependency is listed without editing this file.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

# The same functions compute the About box's list, so the bundle ships what it shows.
# build_bundle.py installs the app into the build venv before it runs this script.
from clearsight.gui import third_party

HERE = Path(__file__).resolve().parent
TEXTS = HERE / "licenses"
LGPL_NAMES = third_party.LGPL_DISTRIBUTIONS

QT_NOTE = """\
Qt and Qt for Python (PySide6, Shiboken6) are used under the GNU Lesser General Public
License version 3 (LGPL-3.0-only; texts: Qt/LGPL-3.0.txt and Qt/GPL-3.0.txt, which the
LGPL incorporates). They are shipped unmodified, as separate shared libraries next to the
app (libQt6*.so / Qt6*.dll / Qt*.framework and the PySide6 and shiboken6 modules), so you
may replace them with your own builds of the same version. Their source code is
available at https://download.qt.io/official_releases/qt/ and
https://download.qt.io/official_releases/QtForPython/ ; on request the Clearsight authors
will provide the exact source of the versions shipped. Qt includes third-party components
under their own permissive licences (among them ICU, PCRE2, HarfBuzz, FreeType, libpng,
zlib, double-conversion, md4c); see https://doc.qt.io/qt-6/licenses-used-in-qt.html .
"""


def _copy_texts(component: third_party.Component, folder: Path) -> list[str]:
    """Copy a component's licence texts into ``folder``; their paths as the index names
    them (relative to the licences folder, with "/")."""
    folder.mkdir(exist_ok=True)
    if component.name == "Qt" or third_party.canonical_name(component.name) in LGPL_NAMES:
        # The wheels carry no licence text; the build venv's clearsight is a plain install,
        # without the copies in resources/licenses.
        sources = [TEXTS / name for name in third_party.LGPL_TEXTS]
    else:
        sources = list(component.texts)
    copied: list[str] = []
    for source in sources:
        target = folder / source.name
        if target.exists():
            continue  # the same name twice (LICENSE beside licenses/LICENSE): keep the first
        shutil.copy(source, target)
        copied.append(f"{folder.name}/{target.name}")
    return copied


def write(outdir: Path) -> Path:
    """Collect the texts into ``outdir``; write THIRD-PARTY-NOTICES.txt (for people) and
    index.json (for the About box of the bundle, which lacks most package metadata)."""
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    lines = [
        "Clearsight: third-party software and licences",
        "=" * 46,
        "",
        "Clearsight itself is licensed under the Apache License 2.0 (Clearsight/LICENSE.txt).",
        "It ships the following components, each under its own licence; the texts are in",
        "the folder of the same name beside this file.",
        "",
    ]
    (outdir / "Clearsight").mkdir()
    shutil.copy(TEXTS / "Apache-2.0.txt", outdir / "Clearsight" / "LICENSE.txt")

    entries = []
    for component in third_party.from_metadata():
        texts = _copy_texts(component, outdir / component.name)
        entries.append(third_party.index_entry(component, texts))
        if component.name == "Python":
            lines += [
                f"Python {component.version}",
                "  licence: PSF-2.0 (and the licences of the libraries",
                "  its standard library uses, listed in its licence file)",
            ]
        elif component.name == "Qt":
            lines += [
                f"Qt {component.version} (through PySide6-Essentials)",
                f"  licence: {component.licence}",
            ]
        else:
            licence = component.licence or "see the licence files"
            if third_party.canonical_name(component.name) in LGPL_NAMES:
                licence += " (Clearsight uses it under the LGPL)"
            lines += [f"{component.name} {component.version}", f"  licence: {licence}"]
            if component.homepage:
                lines.append(f"  source: {component.homepage}")
        lines.append("")
    lines += ["", QT_NOTE]
    third_party.write_index(outdir, entries)
    notices = outdir / "THIRD-PARTY-NOTICES.txt"
    notices.write_text("\n".join(lines), encoding="utf-8")
    return notices


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: licenses.py OUTDIR")
    print(write(Path(sys.argv[1])))
