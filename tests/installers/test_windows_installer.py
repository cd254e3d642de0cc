"""The Windows installer script and its helpers, read here (Inno Setup and PowerShell run only
on the Windows runner): an upgrade clears the old bundle, the uninstaller is signed when
Setup is, the compiler is a pinned Inno Setup 6 found without a hard-coded path, and the
file types are exactly the app's own."""

from __future__ import annotations

import re

import app_info

from tests.installers.conftest import PACKAGING

ISS = (PACKAGING / "windows" / "clearsight.iss").read_text(encoding="utf-8")


def section(name: str) -> list[str]:
    """The non-comment lines of an .iss section."""
    match = re.search(rf"^\[{name}\]\n(.*?)(?=^\[|\Z)", ISS, re.MULTILINE | re.DOTALL)
    assert match, name
    return [
        line for line in match.group(1).splitlines() if line.strip() and not line.startswith(";")
    ]


def test_an_upgrade_first_removes_the_old_bundle() -> None:
    assert section("InstallDelete") == ['Type: filesandordirs; Name: "{app}\\_internal"']
    assert 'Type: filesandordirs; Name: "{app}\\_internal"' in section("UninstallDelete")


def test_a_signed_build_signs_the_uninstaller_through_the_sign_tool() -> None:
    block = re.search(r"#ifdef Sign\n(.*?)#endif", ISS, re.DOTALL)
    assert block and block.group(1).split() == ["SignTool=clearsight", "SignedUninstaller=yes"]
    build = (PACKAGING / "windows" / "build_installer.ps1").read_text(encoding="utf-8")
    assert "'/DSign=1', \"/Sclearsight=$SignCommand\"" in build


def test_the_compiler_is_a_pinned_inno_setup_6_found_from_its_registration() -> None:
    build = (PACKAGING / "windows" / "build_installer.ps1").read_text(encoding="utf-8")
    pinned = re.search(r"\$InnoVersion = '(\d+)\.(\d+)\.(\d+)'", build)
    assert pinned and pinned.group(1) == "6"
    assert "choco install innosetup --version=$InnoVersion" in build
    assert "Inno Setup 6_is1" in build and "InstallLocation" in build
    assert "Program Files" not in build and "ProgramFiles" not in build


def test_identity_path_and_file_types_match_app_info() -> None:
    setup = dict(
        line.split("=", 1) for line in section("Setup") if "=" in line and not line.startswith("#")
    )
    assert setup["AppId"] == "{" + app_info.WINDOWS_APP_GUID
    assert setup["ChangesEnvironment"] == "yes" and setup["ChangesAssociations"] == "yes"
    assert setup["OutputBaseFilename"] == "Clearsight-{#AppVersion}-windows-x64-setup"
    registry = "\n".join(section("Registry"))
    extensions = set(re.findall(r'Subkey: "Software\\Classes\\(\.[\w-]+)"', registry))
    assert extensions == {"." + t["extension"] for t in app_info.DOCUMENT_TYPES}
    for document in app_info.DOCUMENT_TYPES:
        assert f'ValueData: "{document["prog_id"]}"' in registry
