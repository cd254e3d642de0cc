"""Build the Debian package from the one-dir bundle (``packaging/build_bundle.py`` first).

    python3 packaging/linux/build_deb.py [--bundle dist/clearsight] [--out dist]

Installs as:
  /usr/lib/clearsight/                   the PyInstaller one-dir bundle (Qt as separate libraries)
  /usr/bin/clearsight                    -> ../lib/clearsight/clearsight
  /usr/share/applications/clearsight.desktop    menu entry; opens .clearsight and
                                         .clearsight-report files (never .toml or .json at large)
  /usr/share/mime/packages/clearsight.xml       the two file types
  /usr/share/icons/hicolor/*/apps/clearsight.*  icon, 16-512 px and SVG
  /usr/share/metainfo/...metainfo.xml    AppStream (software centres show name, summary, licence)
  /usr/share/doc/clearsight/             copyright, third-party licences

``Depends:`` is what ``dpkg-shlibdeps`` finds the bundle's ELF files need from the system
(Qt's xcb/xkb/EGL/fontconfig libraries, OpenSSL, glib, ...), plus fonts and the libraries
Qt opens at run time. Needs dpkg-dev (dpkg-shlibdeps) and dpkg-deb; no root, no fakeroot
(``--root-owner-group``). Prints the path of the .deb.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGING = HERE.parent
ROOT = PACKAGING.parent
sys.path.insert(0, str(PACKAGING))
import app_info  # noqa: E402

DEB_REVISION = "1"
MAINTAINER = f"{app_info.PUBLISHER} <clearsight@users.noreply.github.com>"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# Not found by dpkg-shlibdeps: fonts (fontconfig finds none on a minimal system, and Qt then
# draws no text), and what Qt loads with dlopen rather than links.
EXTRA_DEPENDS = [
    "fonts-dejavu-core | fonts-noto-core | fonts-liberation2 | fonts-freefont-ttf",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libegl1",
    "libdbus-1-3",
]
# Chinese text (the app speaks Simplified Chinese); apt installs Recommends by default.
RECOMMENDS = ["fonts-noto-cjk | fonts-wqy-microhei | fonts-wqy-zenhei | fonts-arphic-uming"]

DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Version=1.4
Name={name}
GenericName=Network check
GenericName[zh_CN]=网络检测
Comment={summary}
Comment[zh_CN]=看看网络上哪些服务用不了、原因是什么、该怎么办
Exec=clearsight %f
TryExec=clearsight
Icon=clearsight
Terminal=false
Categories=Network;Monitor;Qt;
Keywords=blocked;censorship;firewall;VPN;DNS;proxy;internet;network;
Keywords[zh_CN]=网络;翻墙;VPN;代理;DNS;屏蔽;
MimeType={mime_types};
StartupNotify=true
StartupWMClass=clearsight
"""

MIME_XML_HEAD = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- Clearsight's own file types: profiles (TOML inside) and saved reports (JSON inside).
     Matched by their own extensions only; .toml and .json files stay with other apps. -->
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
"""

MIME_ZH = {
    "application/x-clearsight-profile": "Clearsight 检测配置",
    "application/x-clearsight-report": "Clearsight 检测报告",
}
# A parent type every system's shared-mime-info knows (application/toml is recent).
MIME_PARENT = {
    "application/x-clearsight-profile": "text/plain",
    "application/x-clearsight-report": "application/json",
}

METAINFO = """\
<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application">
  <id>{app_id}</id>
  <metadata_license>CC0-1.0</metadata_license>
  <project_license>{license}</project_license>
  <name>{name}</name>
  <summary>{summary}</summary>
  <description>
    <p>{description}</p>
  </description>
  <launchable type="desktop-id">clearsight.desktop</launchable>
  <provides>
    <binary>clearsight</binary>
{mediatypes}
  </provides>
  <categories>
    <category>Network</category>
    <category>Utility</category>
  </categories>
  <content_rating type="oars-1.1"/>
  <releases>
    <release version="{version}" date="{date}"/>
  </releases>
</component>
"""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: {name}
Comment: The app is shipped as a PyInstaller one-dir bundle in /usr/lib/clearsight. The
 licences of everything in it (Python, Qt, PySide6, dnspython, requests, psutil,
 truststore, cryptography, certifi, ...) are in /usr/share/doc/clearsight/third-party/
 (THIRD-PARTY-NOTICES.txt lists them), also shown in the app's About box.

Files: *
Copyright: {publisher}
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.

Files: usr/lib/clearsight/_internal/PySide6/* usr/lib/clearsight/_internal/shiboken6/*
 usr/lib/clearsight/_internal/libQt6* usr/lib/clearsight/_internal/libpyside6*
 usr/lib/clearsight/_internal/libshiboken6* usr/lib/clearsight/_internal/libicu*
Copyright: The Qt Company Ltd. and other contributors
License: LGPL-3.0-only
 Qt and Qt for Python are used under the GNU Lesser General Public License version 3,
 unmodified, as separate shared libraries. On Debian systems the full text of the LGPL 3
 is in /usr/share/common-licenses/LGPL-3 and of the GPL 3 in
 /usr/share/common-licenses/GPL-3. Source: https://download.qt.io/official_releases/
"""


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def needed_libraries(elf: Path) -> list[str]:
    """The ``NEEDED`` entries of an ELF file's dynamic section (``readelf``, binutils)."""
    out = run(["readelf", "--dynamic", "--wide", str(elf)])
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out.stdout)


def system_libraries() -> set[str]:
    """The shared libraries the dynamic linker finds on this system (``ldconfig -p``)."""
    out = run(["/sbin/ldconfig", "-p"])
    return {line.split()[0] for line in out.stdout.splitlines()[1:] if line.strip()}


def missing_libraries(bundle: Path, elves: list[Path]) -> list[str]:
    """Libraries the bundle links that it does not carry and this system does not have.
    ``dpkg-shlibdeps`` needs each of them installed to name its package, and fails with a
    long list of file names when one is not; this says which libraries are missing."""
    bundled = {p.name for p in bundle.rglob("*")}
    present = system_libraries()
    needed = {name for elf in elves for name in needed_libraries(elf)}
    return sorted(needed - bundled - present)


def shlib_depends(bundle: Path) -> list[str]:
    """``dpkg-shlibdeps`` over every ELF file of the bundle; bundled libraries are found
    through -l and need no package."""
    elves = sorted(p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p))
    absent = missing_libraries(bundle, elves)
    if absent:
        raise SystemExit(
            "The bundle links libraries this system does not have: "
            + ", ".join(absent)
            + ".\nInstall the Debian packages for building (make build-deps, which reads "
            "packaging/debian/packages.txt); if they are installed, add the package that "
            "provides each library to that list (purpose 'run')."
        )
    lib_dirs = sorted({str(p.parent) for p in elves if ".so" in p.name})
    with tempfile.TemporaryDirectory(prefix="clearsight-shlibdeps-") as tmp:
        (Path(tmp) / "debian").mkdir()
        (Path(tmp) / "debian" / "control").write_text("")
        out = run(
            [
                "dpkg-shlibdeps",
                "-O",
                "--ignore-missing-info",
                *[f"-l{d}" for d in lib_dirs],
                *map(str, elves),
            ],
            cwd=tmp,
        )
    match = re.search(r"^shlibs:Depends=(.*)$", out.stdout, re.MULTILINE)
    if match is None:
        raise SystemExit(f"dpkg-shlibdeps printed no Depends:\n{out.stdout}\n{out.stderr}")
    return [d.strip() for d in match.group(1).split(",") if d.strip()]


def merge_depends(found: list[str], extra: list[str]) -> list[str]:
    names = {re.split(r"[ (]", d, maxsplit=1)[0] for d in found}
    merged = list(found)
    for item in extra:
        if " | " in item or item.split()[0] not in names:
            merged.append(item)
    return merged


def write(path: Path, text: str | bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def normalise_modes(tree: Path) -> None:
    """Directories 0755, executables and shared libraries 0755, everything else 0644."""
    for root, dirs, files in os.walk(tree):
        for name in dirs:
            (Path(root) / name).chmod(0o755)
        for name in files:
            path = Path(root) / name
            if path.is_symlink():
                continue
            executable = path.stat().st_mode & 0o111 or is_elf(path)
            path.chmod(0o755 if executable else 0o644)


def architecture() -> str:
    return run(["dpkg", "--print-architecture"]).stdout.strip()


def build(bundle: Path, out: Path, xz_level: int = 6) -> Path:
    started = time.monotonic()
    if not (bundle / "clearsight").is_file():
        raise SystemExit(f"no bundle at {bundle}: run packaging/build_bundle.py first")
    version = f"{app_info.VERSION}-{DEB_REVISION}"
    arch = architecture()
    staging = ROOT / "build" / "deb"
    if staging.exists():
        shutil.rmtree(staging)
    tree = staging / "root"
    lib = tree / "usr" / "lib" / "clearsight"
    shutil.copytree(bundle, lib, symlinks=True)
    (tree / "usr" / "bin").mkdir(parents=True)
    (tree / "usr" / "bin" / "clearsight").symlink_to("../lib/clearsight/clearsight")
    share = tree / "usr" / "share"

    mime_types = [t["mime"] for t in app_info.DOCUMENT_TYPES]
    write(
        share / "applications" / "clearsight.desktop",
        DESKTOP_ENTRY.format(
            name=app_info.NAME, summary=app_info.SUMMARY, mime_types=";".join(mime_types)
        ),
    )

    mime = MIME_XML_HEAD
    for t in app_info.DOCUMENT_TYPES:
        mime += (
            f'  <mime-type type="{t["mime"]}">\n'
            f"    <comment>{t['description']}</comment>\n"
            f'    <comment xml:lang="zh_CN">{MIME_ZH[t["mime"]]}</comment>\n'
            f'    <sub-class-of type="{MIME_PARENT[t["mime"]]}"/>\n'
            f'    <icon name="clearsight"/>\n'
            f'    <glob pattern="*.{t["extension"]}"/>\n'
            f"  </mime-type>\n"
        )
    mime += "</mime-info>\n"
    write(share / "mime" / "packages" / "clearsight.xml", mime)

    icons = ROOT / "resources" / "icons"
    for size in ICON_SIZES:
        write(
            share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "clearsight.png",
            (icons / f"clearsight-{size}.png").read_bytes(),
        )
    write(
        share / "icons" / "hicolor" / "scalable" / "apps" / "clearsight.svg",
        (icons / "clearsight.svg").read_bytes(),
    )
    write(share / "pixmaps" / "clearsight.png", (icons / "clearsight-48.png").read_bytes())

    mediatypes = "\n".join(f"    <mediatype>{m}</mediatype>" for m in mime_types)
    write(
        share / "metainfo" / f"{app_info.APP_ID}.metainfo.xml",
        METAINFO.format(
            app_id=app_info.APP_ID,
            license=app_info.LICENSE,
            name=app_info.NAME,
            summary=app_info.SUMMARY,
            description=app_info.DESCRIPTION,
            mediatypes=mediatypes,
            version=app_info.VERSION,
            date=time.strftime("%Y-%m-%d", time.gmtime()),
        ),
    )

    doc = share / "doc" / "clearsight"
    write(doc / "copyright", COPYRIGHT.format(name=app_info.NAME, publisher=app_info.PUBLISHER))
    (doc / "third-party").symlink_to("../../../lib/clearsight/_internal/licenses")
    changelog = (
        f"clearsight ({version}) stable; urgency=medium\n\n"
        f"  * Release {app_info.VERSION}.\n\n"
        f" -- {MAINTAINER}  {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\n"
    )
    write(doc / "changelog.Debian.gz", gzip.compress(changelog.encode(), mtime=0))

    normalise_modes(tree)

    depends = merge_depends(shlib_depends(lib), EXTRA_DEPENDS)
    installed_kb = sum(p.lstat().st_size for p in tree.rglob("*")) // 1024 + 1
    md5 = []
    for path in sorted(tree.rglob("*")):
        if path.is_file() and not path.is_symlink():
            md5.append(
                f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(tree).as_posix()}"
            )
    control = "\n".join(
        [
            "Package: clearsight",
            f"Version: {version}",
            f"Architecture: {arch}",
            f"Maintainer: {MAINTAINER}",
            f"Installed-Size: {installed_kb}",
            f"Depends: {', '.join(depends)}",
            f"Recommends: {', '.join(RECOMMENDS)}",
            "Section: net",
            "Priority: optional",
            f"Description: {app_info.SUMMARY}",
            *[" " + line for line in _wrap(app_info.DESCRIPTION)],
            "",
        ]
    )
    write(tree / "DEBIAN" / "control", control)
    write(tree / "DEBIAN" / "md5sums", "\n".join(md5) + "\n")

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("clearsight_*.deb"):
        old.unlink()
    deb = out / f"clearsight_{version}_{arch}.deb"
    run(["dpkg-deb", "--root-owner-group", "-Zxz", f"-z{xz_level}", "--build", str(tree), str(deb)])
    print(
        f"deb: {deb} ({deb.stat().st_size / 1e6:.1f} MB, installed {installed_kb / 1024:.1f}"
        f" MiB); built in {time.monotonic() - started:.0f} s"
    )
    print("Depends: " + ", ".join(depends))
    return deb


def _wrap(text: str, width: int = 78) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "clearsight")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--xz-level",
        type=int,
        default=6,
        choices=range(10),
        help="compression: 6 (default) for releases, 1 for quick test builds",
    )
    args = parser.parse_args()
    build(args.bundle.resolve(), args.out.resolve(), args.xz_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
