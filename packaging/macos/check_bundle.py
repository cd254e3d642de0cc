"""Check a built Clearsight.app against what its Info.plist promises: every Mach-O file in it
has the processor's slice, and none needs a newer macOS than ``LSMinimumSystemVersion``.

    python packaging/macos/check_bundle.py dist/Clearsight.app --arch arm64|x86_64

A wheel's platform tag (``macosx_13_0_universal2``) is what its authors declare; the minimum a
library really needs is written into the library itself by the linker: the ``minos`` of its
``LC_BUILD_VERSION`` load command (or ``LC_VERSION_MIN_MACOSX`` in older ones), which dyld
enforces. This reads those headers directly (``<mach-o/loader.h>``, ``<mach-o/fat.h>``), so
it runs on any OS and needs no Xcode. An app whose Qt needs macOS 13 but says 11 starts on
macOS 11 and dies loading Qt; this check fails the build instead.

Exit status 0 when every file passes; the offending files are printed.
"""

from __future__ import annotations

import argparse
import plistlib
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import app_info  # noqa: E402

# <mach-o/loader.h>, <mach-o/fat.h>, <mach/machine.h>
MH_MAGIC = 0xFEEDFACE
MH_MAGIC_64 = 0xFEEDFACF
FAT_MAGIC = 0xCAFEBABE
FAT_MAGIC_64 = 0xCAFEBABF
LC_VERSION_MIN_MACOSX = 0x24
LC_BUILD_VERSION = 0x32
PLATFORM_MACOS = 1
CPU_TYPES = {0x01000007: "x86_64", 0x0100000C: "arm64", 7: "i386", 12: "arm"}
# A Java class file also starts with 0xCAFEBABE; its next word (the class file version) is
# at least 45, while a fat Mach-O file has a handful of slices (Apple's file(1) does this).
MAX_FAT_ARCHS = 20

Version = tuple[int, int, int]


@dataclass(frozen=True)
class Slice:
    arch: str
    minimum: Version | None  # the macOS the slice needs; None when it records none


def decode_version(value: int) -> Version:
    """The X.Y.Z of a Mach-O version field (xxxx.yy.zz in nibbles)."""
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def parse_version(text: str) -> Version:
    parts = [int(p) for p in text.split(".")]
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


def show(version: Version | None) -> str:
    return "none recorded" if version is None else ".".join(map(str, version))


def _thin(data: bytes, offset: int) -> Slice | None:
    """The slice whose mach_header starts at ``offset``."""
    head = data[offset : offset + 4]
    if len(head) < 4:
        return None
    for endian in ("<", ">"):
        (magic,) = struct.unpack(endian + "I", head)
        if magic in (MH_MAGIC, MH_MAGIC_64):
            break
    else:
        return None
    header_size = 32 if magic == MH_MAGIC_64 else 28
    if len(data) < offset + header_size:
        return None
    cputype, _sub, _filetype, ncmds, _sizeofcmds = struct.unpack_from(
        endian + "iIIII", data, offset + 4
    )
    minimum: Version | None = None
    at = offset + header_size
    for _ in range(ncmds):
        if len(data) < at + 8:
            break
        cmd, cmdsize = struct.unpack_from(endian + "II", data, at)
        if cmd == LC_BUILD_VERSION and len(data) >= at + 16:
            platform, minos = struct.unpack_from(endian + "II", data, at + 8)
            if platform == PLATFORM_MACOS:
                minimum = decode_version(minos)
        elif cmd == LC_VERSION_MIN_MACOSX and len(data) >= at + 12:
            (version,) = struct.unpack_from(endian + "I", data, at + 8)
            minimum = decode_version(version)
        if cmdsize < 8:
            break
        at += cmdsize
    return Slice(CPU_TYPES.get(cputype & 0xFFFFFFFF, hex(cputype)), minimum)


def macho_slices(data: bytes) -> list[Slice] | None:
    """The slices of a Mach-O file (one for a thin file), or None when it is not one."""
    if len(data) < 8:
        return None
    magic, count = struct.unpack_from(">II", data, 0)
    if magic in (FAT_MAGIC, FAT_MAGIC_64):
        if not 0 < count <= MAX_FAT_ARCHS:
            return None
        slices: list[Slice] = []
        for index in range(count):
            if magic == FAT_MAGIC:
                _cpu, _sub, offset, _size, _align = struct.unpack_from(
                    ">iiIII", data, 8 + index * 20
                )
            else:
                _cpu, _sub, offset, _size, _align, _res = struct.unpack_from(
                    ">iiQQII", data, 8 + index * 32
                )
            found = _thin(data, offset)
            if found is not None:
                slices.append(found)
        return slices or None
    found = _thin(data, 0)
    return [found] if found is not None else None


def check(app: Path, arch: str) -> list[str]:
    """What is wrong with ``app`` for ``arch``; empty when nothing is."""
    plist_path = app / "Contents" / "Info.plist"
    problems: list[str] = []
    with plist_path.open("rb") as handle:
        plist = plistlib.load(handle)
    declared = str(plist.get("LSMinimumSystemVersion", ""))
    if declared != app_info.MACOS_MINIMUM:
        problems.append(
            f"Info.plist says LSMinimumSystemVersion {declared!r}, "
            f"packaging/app_info.py {app_info.MACOS_MINIMUM!r}"
        )
    limit = parse_version(app_info.MACOS_MINIMUM)
    highest: tuple[Version, Path] | None = None
    count = 0
    for path in sorted(app.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as handle:
            if handle.read(4) not in (
                struct.pack("<I", MH_MAGIC_64),
                struct.pack("<I", MH_MAGIC),
                struct.pack(">I", FAT_MAGIC),
                struct.pack(">I", FAT_MAGIC_64),
            ):
                continue
        slices = macho_slices(path.read_bytes())
        if slices is None:
            continue
        count += 1
        name = path.relative_to(app)
        mine = [s for s in slices if s.arch == arch]
        if not mine:
            problems.append(f"{name}: no {arch} slice ({', '.join(s.arch for s in slices)})")
            continue
        needed = mine[0].minimum
        if needed is None:
            continue
        if needed > limit:
            problems.append(f"{name}: needs macOS {show(needed)} > {app_info.MACOS_MINIMUM}")
        if highest is None or needed > highest[0]:
            highest = (needed, name)
    if count == 0:
        problems.append(f"no Mach-O files in {app}")
    elif highest is not None:
        print(
            f"{count} Mach-O files, all with an {arch} slice; the newest macOS any needs is "
            f"{show(highest[0])} ({highest[1]}); LSMinimumSystemVersion {declared}"
        )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", type=Path)
    parser.add_argument("--arch", required=True, choices=app_info.MACOS_ARCHITECTURES)
    args = parser.parse_args()
    problems = check(args.app, args.arch)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
