"""Build the one-dir bundle of Clearsight with PyInstaller (Linux, Windows, macOS).

    python3 packaging/build_bundle.py [--dist DIR] [--venv DIR] [--no-venv] [--arch ARCH]

1. A separate build venv (default ``build/pyinstaller-venv``) holds PyInstaller and the
   app's runtime dependencies only (PySide6-Essentials, not full PySide6), so nothing from
   the development venv (pytest, mypy, ...) reaches the bundle. It is made again when
   pyproject.toml or packaging/requirements-build.txt change. ``--no-venv`` uses the Python
   running this script instead (CI runners that made their own clean environment).
2. The app is installed into it from a clean copy of the sources (pyproject.toml, desktop/,
   resources/), exactly as ``pip install`` would: resources/ becomes
   ``clearsight.resources``. Its dependencies come as wheels only (``--only-binary``): nothing
   is compiled on the build machine for an unknown OS version. On a Mac,
   ``macos/constraints.txt`` holds back what needs a newer macOS than the app supports or
   has no wheel for the processor.
3. The licences of everything shipped are collected (packaging/licenses.py).
4. PyInstaller runs packaging/clearsight.spec; the bundle lands in DIST/clearsight (and
   DIST/Clearsight.app on macOS). On macOS ``--arch`` (default: this Mac's) must be the
   processor the build runs on (PyInstaller builds for it; a runner label that brings the
   other chip fails here), and a bundle PyInstaller could not sign, or whose signature does
   not verify, fails the build (``PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR``,
   ``PYINSTALLER_VERIFY_BUNDLE_SIGNATURE``: by default PyInstaller only warns).

Prints the bundle's unpacked size (``du -sb``) and the build time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WINDOWS = sys.platform == "win32"
MACOS = sys.platform == "darwin"


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if WINDOWS else "bin/python")


def constraints() -> list[Path]:
    """pip constraints for this machine: on a Mac, the versions whose libraries really run on
    the oldest macOS the app supports and that have a wheel for this processor."""
    return [HERE / "macos" / "constraints.txt"] if MACOS else []


def _stamp() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", HERE / "requirements-build.txt", *constraints()):
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def run(argv: list[str | Path], *, quiet: bool = False, **kwargs: Any) -> None:
    """Run a command; ``quiet``: show its output only when it fails (pip's build backend
    talks a lot)."""
    printable = " ".join(str(a) for a in argv)
    print(f"+ {printable}", flush=True)
    if not quiet:
        subprocess.run([str(a) for a in argv], check=True, **kwargs)
        return
    proc = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, **kwargs
    )
    if proc.returncode != 0:
        print(proc.stdout[-5000:], proc.stderr[-5000:], sep="\n", file=sys.stderr)
        raise subprocess.CalledProcessError(proc.returncode, printable)


def ensure_venv(venv: Path) -> Path:
    """The build venv, made (again) when its inputs changed."""
    python = venv_python(venv)
    stamp_file = venv / ".clearsight-stamp"
    stamp = _stamp()
    if python.exists() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return python
    if venv.exists():
        shutil.rmtree(venv)
    run([sys.executable, "-m", "venv", venv])
    run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([python, "-m", "pip", "install", "--quiet", "-r", HERE / "requirements-build.txt"])
    stamp_file.write_text(stamp)
    return python


def install_app(python: Path) -> None:
    """Install the app from a clean copy of its sources (no stale build/lib, no caches)."""
    with tempfile.TemporaryDirectory(prefix="clearsight-src-") as tmp:
        src = Path(tmp) / "src"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, src / name)
        shutil.copytree(ROOT / "desktop", src / "desktop", ignore=ignore)
        shutil.copytree(ROOT / "resources", src / "resources", ignore=ignore)
        # Runtime dependencies as pyproject.toml names them (no test extras), as wheels only,
        # then the app.
        pinned = [arg for path in constraints() for arg in ("-c", path)]
        run(
            [python, "-m", "pip", "install", "--quiet", "--only-binary=:all:", *pinned, src],
            quiet=True,
        )
        run(
            [python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", src],
            quiet=True,
        )


def dir_size(path: Path) -> int:
    """Bytes of all files under ``path`` (what ``du -sb`` counts, less directory entries)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def check_arch(arch: str | None) -> str | None:
    """macOS: the architecture to build, which must be this Mac's; None elsewhere."""
    if not MACOS:
        return None
    machine = platform.machine()
    if arch is not None and arch != machine:
        raise SystemExit(
            f"asked for a macOS {arch} build on a {machine} machine: PyInstaller builds for "
            "the processor it runs on (is the runner label right?)"
        )
    return arch or machine


def build(dist: Path, venv: Path | None, arch: str | None = None) -> Path:
    started = time.monotonic()
    target_arch = check_arch(arch)
    python = ensure_venv(venv) if venv is not None else Path(sys.executable)
    install_app(python)
    full_pyside = subprocess.run(
        [python, "-c", "import importlib.metadata as m; m.distribution('PySide6-Addons')"],
        capture_output=True,
        check=False,
    )
    if full_pyside.returncode == 0:
        raise SystemExit(
            "the build venv holds PySide6-Addons: it must hold PySide6-Essentials only"
        )
    licenses = ROOT / "build" / "licenses"
    run([python, HERE / "licenses.py", licenses])
    work = ROOT / "build" / "pyinstaller-work"
    env = dict(os.environ, CLEARSIGHT_LICENSES=str(licenses))
    if target_arch is not None:
        env["CLEARSIGHT_TARGET_ARCH"] = target_arch
        env["PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR"] = "1"
        env["PYINSTALLER_VERIFY_BUNDLE_SIGNATURE"] = "1"
    if WINDOWS:
        version_file = ROOT / "build" / "version_info.txt"
        version_file.write_text(windows_version_info(), encoding="utf-8")
        env["CLEARSIGHT_VERSION_FILE"] = str(version_file)
    run(
        [
            python,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            dist,
            "--workpath",
            work,
            HERE / "clearsight.spec",
        ],
        env=env,
    )
    bundle = dist / "clearsight"
    elapsed = time.monotonic() - started
    size = dir_size(bundle)
    du = ""
    if shutil.which("du"):
        out = subprocess.run(["du", "-sb", str(bundle)], capture_output=True, text=True)
        du = f", du -sb {int(out.stdout.split()[0]) / 1e6:.1f} MB" if out.returncode == 0 else ""
    print(f"bundle: {bundle} ({size / 1e6:.1f} MB unpacked{du}); built in {elapsed:.0f} s")
    return bundle


def windows_version_info() -> str:
    sys.path.insert(0, str(HERE))
    import app_info

    parts = [int(p) for p in app_info.VERSION.split(".")[:3] if p.isdigit()]
    while len(parts) < 4:
        parts.append(0)
    numbers = ", ".join(map(str, parts))
    fields = {
        "CompanyName": app_info.PUBLISHER,
        "FileDescription": app_info.NAME,
        "FileVersion": app_info.VERSION,
        "InternalName": "clearsight",
        "LegalCopyright": f"{app_info.PUBLISHER}. {app_info.LICENSE}.",
        "OriginalFilename": "clearsight.exe",
        "ProductName": app_info.NAME,
        "ProductVersion": app_info.VERSION,
    }
    strings = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in fields.items())
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers=({numbers}), prodvers=({numbers}), mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
{strings}
    ])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--venv", type=Path, default=ROOT / "build" / "pyinstaller-venv")
    parser.add_argument(
        "--no-venv", action="store_true", help="build with the Python running this script"
    )
    parser.add_argument(
        "--arch",
        choices=["arm64", "x86_64"],
        help="macOS: the processor to build for; must be this Mac's (default: this Mac's)",
    )
    parser.add_argument(
        "--print-version",
        action="store_true",
        help="print the app's version (for installer scripts) and stop",
    )
    args = parser.parse_args()
    if args.print_version:
        sys.path.insert(0, str(HERE))
        import app_info

        print(app_info.VERSION)
        return 0
    build(args.dist.resolve(), None if args.no_venv else args.venv.resolve(), args.arch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
