"""The macOS app's promises, checked here: the spec turns argv emulation off and builds for
one processor, the Info.plist minimum is the one check_bundle.py enforces, and
check_bundle.py reads Mach-O headers right (thin and fat files, LC_BUILD_VERSION and
LC_VERSION_MIN_MACOSX) and fails an app with a missing slice or a too-new library."""

from __future__ import annotations

import plistlib
import re
import struct
from pathlib import Path

import app_info
import check_bundle
import pytest

from tests.installers.conftest import PACKAGING

ARM64 = 0x0100000C
X86_64 = 0x01000007


def version_field(text: str) -> int:
    major, minor, patch = check_bundle.parse_version(text)
    return (major << 16) | (minor << 8) | patch


def thin(cputype: int, minos: str | None, *, old_style: bool = False) -> bytes:
    """A 64-bit Mach-O header with a segment-like filler command and the version command."""
    commands = [struct.pack("<II", 0x19, 16) + b"\0" * 8]  # LC_SEGMENT_64 stand-in
    if minos is not None and old_style:
        commands.append(struct.pack("<IIII", 0x24, 16, version_field(minos), version_field(minos)))
    elif minos is not None:
        commands.append(
            struct.pack("<IIIIII", 0x32, 24, 1, version_field(minos), version_field("15.0"), 0)
        )
    body = b"".join(commands)
    header = struct.pack("<IiIIIIII", 0xFEEDFACF, cputype, 0, 6, len(commands), len(body), 0, 0)
    return header + body


def fat(*slices: tuple[int, bytes]) -> bytes:
    offset = 4096
    table = b""
    blobs = b""
    for cputype, data in slices:
        table += struct.pack(">iiIII", cputype, 0, offset + len(blobs), len(data), 12)
        blobs += data
    head = struct.pack(">II", 0xCAFEBABE, len(slices)) + table
    return head + b"\0" * (offset - len(head)) + blobs


def test_mach_o_headers_give_each_slice_and_the_macos_it_needs() -> None:
    assert check_bundle.macho_slices(thin(ARM64, "13.0")) == [
        check_bundle.Slice("arm64", (13, 0, 0))
    ]
    assert check_bundle.macho_slices(thin(X86_64, "10.9", old_style=True)) == [
        check_bundle.Slice("x86_64", (10, 9, 0))
    ]
    both = check_bundle.macho_slices(
        fat((X86_64, thin(X86_64, "10.13")), (ARM64, thin(ARM64, "15.0")))
    )
    assert both == [
        check_bundle.Slice("x86_64", (10, 13, 0)),
        check_bundle.Slice("arm64", (15, 0, 0)),
    ]
    assert check_bundle.macho_slices(thin(ARM64, None)) == [check_bundle.Slice("arm64", None)]


@pytest.mark.parametrize(
    "data",
    [
        b"#!/bin/sh\necho not a binary\n",
        struct.pack(">II", 0xCAFEBABE, 52) + b"\0" * 64,  # a Java class file, version 52
        b"\xcf\xfa",
    ],
    ids=["script", "java-class", "truncated"],
)
def test_other_files_are_not_mach_o(data: bytes) -> None:
    assert check_bundle.macho_slices(data) is None


def make_app(tmp_path: Path, files: dict[str, bytes], minimum: str) -> Path:
    app = tmp_path / "Clearsight.app"
    contents = app / "Contents"
    (contents / "MacOS").mkdir(parents=True)
    with (contents / "Info.plist").open("wb") as handle:
        plistlib.dump({"LSMinimumSystemVersion": minimum}, handle)
    for name, data in files.items():
        path = contents / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return app


def test_an_app_whose_files_all_fit_passes(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        {
            "MacOS/Clearsight": thin(ARM64, "11.0"),
            "Frameworks/QtCore.framework/Versions/A/QtCore": fat(
                (X86_64, thin(X86_64, "12.0")), (ARM64, thin(ARM64, "12.0"))
            ),
            "Resources/clearsight.icns": b"icns",
        },
        app_info.MACOS_MINIMUM,
    )
    assert check_bundle.check(app, "arm64") == []


def test_a_library_needing_a_newer_macos_or_lacking_the_processor_fails(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        {
            "MacOS/Clearsight": thin(X86_64, "11.0"),
            # what PySide6 6.11's binding libraries are: tagged macosx_13_0, minos 15.0
            "Frameworks/PySide6/QtCore.abi3.so": fat(
                (X86_64, thin(X86_64, "15.0")), (ARM64, thin(ARM64, "15.0"))
            ),
            "Frameworks/psutil/_psutil_osx.abi3.so": thin(ARM64, "11.0"),
        },
        "11.0",
    )
    problems = check_bundle.check(app, "x86_64")
    assert any("LSMinimumSystemVersion '11.0'" in p for p in problems)
    assert any("QtCore.abi3.so: needs macOS 15.0.0" in p for p in problems)
    assert any("_psutil_osx.abi3.so: no x86_64 slice" in p for p in problems)


def test_the_info_plist_declares_the_minimum_the_check_enforces() -> None:
    plist = app_info.mac_info_plist()
    assert plist["LSMinimumSystemVersion"] == app_info.MACOS_MINIMUM
    assert check_bundle.parse_version(app_info.MACOS_MINIMUM) >= (13, 0, 0)


def test_the_spec_leaves_open_documents_to_qt_and_builds_one_processor() -> None:
    spec = (PACKAGING / "clearsight.spec").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in spec.splitlines())
    assert re.findall(r"argv_emulation=(\w+)", code) == ["False", "False", "False"]
    assert 'target_arch=os.environ.get("CLEARSIGHT_TARGET_ARCH")' in code
    app = (PACKAGING.parent / "desktop" / "clearsight" / "gui" / "app.py").read_text()
    assert "QEvent.Type.FileOpen" in app  # what replaces argv emulation
