"""Collect the licences of everything a bundle ships (DESIGN.md, "Licence").

    python packaging/licenses.py OUTDIR      # run with the build venv's Python

Writes ``OUTDIR/THIRD-PARTY-NOTICES.txt`` (one readable file: each component, its version,
its licence, where its source is) and ``OUTDIR/<component>/`` with the licence texts. The
PyInstaller spec ships OUTDIR as ``licenses/`` inside the bundle (``sys._MEIPASS/licenses``),
the .deb also installs it under /usr/share/doc/clearsight/, and the Windows installer shows
the notices file.

The Python distributions are found by walking the app's requirements in the environment
that builds the bundle, so a new dependency is listed without editing this file.
"""

from __future__ import annotations

import re
import shutil
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXTS = HERE / "licenses"

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


def _requirement_names(dist: metadata.Distribution) -> list[str]:
    names = []
    for req in dist.requires or []:
        if ";" in req and "extra" in req.split(";", 1)[1]:
            continue  # optional extras are not installed into the bundle
        match = re.match(r"[A-Za-z0-9._-]+", req)
        if match:
            names.append(match.group(0))
    return names


def runtime_distributions(root: str = "clearsight") -> list[metadata.Distribution]:
    """The app's distribution's runtime requirements, recursively (not the app itself)."""
    seen: dict[str, metadata.Distribution] = {}
    todo = _requirement_names(metadata.distribution(root))
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a platform-only requirement (e.g. pywin32 elsewhere)
        seen[key] = dist
        todo.extend(_requirement_names(dist))
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def _licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return " / ".join(classifiers)
    value = (meta.get("License") or "").strip()
    return value.splitlines()[0] if value else "see the licence files"


def _licence_files(dist: metadata.Distribution) -> list[Path]:
    found = []
    for entry in dist.files or []:
        name = entry.name.upper()
        is_licence = any(word in name for word in ("LICENSE", "LICENCE", "COPYING", "NOTICE"))
        in_metadata = ".dist-info" in str(entry) or "licenses" in str(entry).lower()
        if is_licence and in_metadata:
            path = Path(str(entry.locate()))
            if path.is_file():
                found.append(path)
    return found


def _python_licence() -> Path | None:
    candidates = [
        Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE",
    ]
    return next((p for p in candidates if p.is_file()), None)


def write(outdir: Path) -> Path:
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

    version = ".".join(map(str, sys.version_info[:3]))
    lines += [
        f"Python {version}",
        "  licence: PSF-2.0 (and the licences of the libraries",
        "  its standard library uses, listed in its licence file)",
        "",
    ]
    python_licence = _python_licence()
    (outdir / "Python").mkdir()
    if python_licence is not None:
        shutil.copy(python_licence, outdir / "Python" / "LICENSE.txt")

    for dist in runtime_distributions():
        name = dist.metadata["Name"]
        folder = outdir / name
        folder.mkdir(exist_ok=True)
        if name.lower() in ("pyside6-essentials", "pyside6_essentials", "shiboken6", "pyside6"):
            licence = "LGPL-3.0-only (Clearsight uses it under the LGPL)"
            for text in ("LGPL-3.0.txt", "GPL-3.0.txt"):
                shutil.copy(TEXTS / text, folder / text)
        else:
            licence = _licence_of(dist)
            for path in _licence_files(dist):
                shutil.copy(path, folder / path.name)
        lines += [f"{name} {dist.version}", f"  licence: {licence}"]
        homepage = dist.metadata.get("Home-page") or next(
            (
                u.split(",", 1)[1].strip()
                for u in dist.metadata.get_all("Project-URL") or []
                if u.lower().startswith(("source", "homepage", "repository", "home"))
            ),
            "",
        )
        if homepage:
            lines.append(f"  source: {homepage}")
        lines.append("")

    (outdir / "Qt").mkdir()
    for text in ("LGPL-3.0.txt", "GPL-3.0.txt"):
        shutil.copy(TEXTS / text, outdir / "Qt" / text)
    try:
        qt_version = metadata.version("PySide6-Essentials")
    except metadata.PackageNotFoundError:
        qt_version = "6"
    lines += [f"Qt {qt_version} (through PySide6-Essentials)", "  licence: LGPL-3.0-only", ""]
    lines += ["", QT_NOTE]
    notices = outdir / "THIRD-PARTY-NOTICES.txt"
    notices.write_text("\n".join(lines), encoding="utf-8")
    return notices


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: licenses.py OUTDIR")
    print(write(Path(sys.argv[1])))
