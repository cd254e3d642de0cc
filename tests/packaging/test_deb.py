"""The .deb, installed into a clean Debian 12 as a user would, runs (issue #6).

Builds the one-dir bundle and the .deb (or reuses ``dist/clearsight_*.deb`` when it is newer
than every source file), installs it with ``apt-get install ./clearsight_*.deb`` into a
debootstrap'd Debian 12 minbase chroot (Recommends left out: the app must run with its
``Depends:`` alone), then, with the installed ``/usr/bin/clearsight``:

* ``clearsight --version`` prints the same name and version as the package;
* a ``run`` inside the censorship lab's client namespace (chroot in the namespace) gives the
  same verdicts as the source tree does (one SNI-reset service, three healthy ones);
* the desktop app, started as the menu entry's ``Exec=`` line says, shows its window on an
  Xvfb display inside the chroot (offscreen would hide missing X libraries) and stays up.

Needs root, debootstrap, dpkg-dev, Xvfb and xdotool (``make system-deps``); skips without
them, or fails under ``CI=true`` / ``CLEARSIGHT_REQUIRE_LAB=1``. First run: about 2 minutes
for the build, 30 s for debootstrap (cached in build/packaging-test/), 1 minute for the
dependencies (cached too).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.fixtures import lab_unavailable_reason
from tests.lab.lab import Lab
from tests.packaging.debian_chroot import Chroot, ChrootError, ensure_tarball, wait_for

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
sys.path.insert(0, str(ROOT / "packaging"))
import app_info  # noqa: E402

pytestmark = [pytest.mark.packaging, pytest.mark.lab]

# Tools the test calls; their packages are in packaging/debian/packages.txt (make system-deps).
TOOLS = (
    "debootstrap",
    "dpkg-deb",
    "dpkg-shlibdeps",
    "readelf",
    "strip",
    "Xvfb",
    "xdotool",
    "chroot",
    "unshare",
    "mount",
)
SOURCES = ("desktop", "resources", "packaging", "pyproject.toml")


def _must_run() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("CLEARSIGHT_REQUIRE_LAB") == "1"
    )


def _unavailable() -> str | None:
    if not sys.platform.startswith("linux"):
        return "the .deb test runs on Linux"
    if os.geteuid() != 0:
        return "installing into a chroot needs root"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing tools: {', '.join(missing)}; run `make system-deps`"
    return lab_unavailable_reason()


@pytest.fixture(scope="module", autouse=True)
def _require() -> None:
    reason = _unavailable()
    if reason is None:
        return
    if _must_run():
        pytest.fail(f".deb test required (CI=true) but cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else path.rglob("*")
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                newest = max(newest, file.stat().st_mtime)
    return newest


def _timed(argv: list[str], what: str, timeout: float) -> float:
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    return time.monotonic() - started


@pytest.fixture(scope="module")
def deb() -> Path:
    """dist/clearsight_<version>_<arch>.deb, built now unless newer than every source."""
    existing = sorted(DIST.glob(f"clearsight_{app_info.VERSION}-*_*.deb"))
    if existing and existing[-1].stat().st_mtime > _newest_source():
        return existing[-1]
    bundle_s = _timed(
        [sys.executable, str(ROOT / "packaging" / "build_bundle.py")], "build_bundle.py", 1200
    )
    deb_s = _timed(
        [sys.executable, str(ROOT / "packaging" / "linux" / "build_deb.py"), "--xz-level", "1"],
        "build_deb.py",
        600,
    )
    print(f"bundle built in {bundle_s:.0f} s, .deb in {deb_s:.0f} s")
    built = sorted(DIST.glob(f"clearsight_{app_info.VERSION}-*_*.deb"))
    assert built, "build_deb.py made no .deb"
    return built[-1]


@pytest.fixture(scope="module")
def chroot(deb: Path) -> Iterator[Chroot]:
    try:
        ensure_tarball(ROOT / "build" / "packaging-test" / "debootstrap.log")
    except ChrootError as exc:
        pytest.fail(str(exc), pytrace=False)
    root = ROOT / "build" / "packaging-test" / f"chroot-{os.getpid()}"
    with Chroot(root) as system:
        try:
            system.install_deb(deb)
        except ChrootError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield system


def _deb_field(deb: Path, field: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True, check=True
    ).stdout.strip()


def _desktop_entry(text: str) -> dict[str, str]:
    entry: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            entry[key.strip()] = value.strip()
    return entry


def test_package_declares_what_a_desktop_needs(deb: Path, tmp_path: Path) -> None:
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    depends = _deb_field(deb, "Depends")
    names = {re.split(r"[ (]", d.strip(), maxsplit=1)[0] for d in re.split(r"[,|]", depends)}
    for needed in (
        "libxcb-cursor0",
        "libxkbcommon-x11-0",
        "libxkbcommon0",
        "libegl1",
        "libfontconfig1",
        "libxcb-icccm4",
        "libxcb-keysyms1",
        "libxcb-xkb1",
        "libdbus-1-3",
        "fonts-dejavu-core",
    ):
        assert needed in names, f"Depends lacks {needed}: {depends}"
    assert _deb_field(deb, "Version").startswith(app_info.VERSION + "-")

    desktop = tmp_path / "usr/share/applications/clearsight.desktop"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(desktop)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
    entry = _desktop_entry(desktop.read_text())
    assert entry["Name"] == app_info.NAME
    assert entry["Exec"].split()[0] == "clearsight" and entry["Icon"] == "clearsight"
    mime_types = [m for m in entry["MimeType"].split(";") if m]
    assert sorted(mime_types) == sorted(t["mime"] for t in app_info.DOCUMENT_TYPES)
    assert not any("toml" in m or "json" in m for m in mime_types), mime_types

    mime_xml = (tmp_path / "usr/share/mime/packages/clearsight.xml").read_text()
    globs = re.findall(r'<glob pattern="([^"]+)"', mime_xml)
    assert sorted(globs) == ["*.clearsight", "*.clearsight-report"], globs
    for size in (16, 32, 48, 128, 256, 512):
        assert (tmp_path / f"usr/share/icons/hicolor/{size}x{size}/apps/clearsight.png").is_file()
    notices = tmp_path / "usr/lib/clearsight/_internal/licenses/THIRD-PARTY-NOTICES.txt"
    text = notices.read_text()
    assert "LGPL-3.0" in text and "PySide6" in text and "certifi" in text
    assert os.path.islink(tmp_path / "usr/bin/clearsight")


def test_installed_binary_prints_its_version(chroot: Chroot) -> None:
    proc = chroot.run(["clearsight", "--version"], timeout=60)
    assert proc.stdout.strip() == f"{app_info.NAME} {app_info.VERSION}", proc.stdout
    assert (chroot.path / "usr/share/applications/clearsight.desktop").is_file()


def test_installed_binary_runs_in_the_lab(chroot: Chroot, lab: Lab) -> None:
    """The scenario of tests/lab_scenarios (an SNI reset on one foreign service), checked by
    the installed binary: bundled TLS, certifi/truststore, dnspython, cryptography and the
    catalog must all work from the bundle."""
    mail = lab.add_site("mail.foreign-lab.test")
    chat = lab.add_site("chat.foreign-lab.test")
    news = lab.add_site("news.local-lab.test")
    shop = lab.add_site("shop.local-lab.test")
    lab.start()
    lab.censor.sni_reset("mail.foreign-lab.test")

    inside_ca = "/tmp/lab-ca.pem"
    shutil.copy(lab.ca_pem, chroot.path / inside_ca.lstrip("/"))
    shutil.copy(lab.os_store_bundle, chroot.path / "tmp/os-store.pem")
    data = lab.profile(
        services=[
            mail.service("mail", name="Mail"),
            chat.service("chat", name="Chat"),
            news.service("news", name="News", domestic=True),
            shop.service("shop", name="Shop", domestic=True),
        ],
        timeout_s=2.0,
    )
    data["settings"]["ca_file"] = inside_ca
    lab.write_profile(chroot.path / "tmp/lab.clearsight", data=data)
    resolv = chroot.path / "etc/resolv.conf"
    saved = resolv.read_text()
    resolv.write_text("".join(f"nameserver {a}\n" for a in lab.system_resolver_addresses))
    report = chroot.path / "tmp/report.json"
    try:
        proc = lab.run_client(
            chroot.argv(
                [
                    "clearsight",
                    "run",
                    "--profile",
                    "/tmp/lab.clearsight",
                    "--json",
                    "/tmp/report.json",
                    "--no-redact",
                ],
                env={"SSL_CERT_FILE": "/tmp/os-store.pem"},
            ),
            timeout=120,
        )
    finally:
        resolv.write_text(saved)
    assert report.is_file(), f"no report (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    saved_report = json.loads(report.read_text())
    verdicts = {s["id"]: s["verdict"] for s in saved_report["services"]}
    explain = f"exit {proc.returncode}, verdicts {verdicts}\n{proc.stdout}\n{proc.stderr[-2000:]}"
    assert verdicts == {
        "mail": "tls_blocked",
        "chat": "reachable",
        "news": "reachable",
        "shop": "reachable",
    }, explain
    assert saved_report["summary"]["status"] == "blocked" and proc.returncode == 1, explain
    assert saved_report["app"] == {"name": app_info.NAME, "version": app_info.VERSION}


class _Xvfb:
    """An Xvfb server with a free display number (``-displayfd``), no TCP."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_fd),
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "1280x800x24",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number.isdigit():
            self.close()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def test_installed_gui_shows_its_window_under_xvfb(chroot: Chroot) -> None:
    """Started as the menu would start it (the desktop entry's Exec= line, no file), in a
    namespace without network, on a real X server: a window named "Clearsight..." appears
    and the app stays up."""
    desktop = chroot.path / "usr/share/applications/clearsight.desktop"
    exec_line = _desktop_entry(desktop.read_text())["Exec"]
    command = [word for word in exec_line.split() if not word.startswith("%")]
    (chroot.path / "tmp/runtime-root").mkdir(mode=0o700, exist_ok=True)
    probe = chroot.path / "tmp/startup.json"
    probe.unlink(missing_ok=True)
    xvfb = _Xvfb()
    app: subprocess.Popen[str] | None = None
    try:
        env = {
            "DISPLAY": xvfb.display,
            "XDG_RUNTIME_DIR": "/tmp/runtime-root",
            "CLEARSIGHT_STARTUP_PROBE": "/tmp/startup.json",
        }
        app = subprocess.Popen(
            ["unshare", "--net", *chroot.argv(command, env)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        search = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", f"^{app_info.NAME}"],
            env={"DISPLAY": xvfb.display, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        window_ids = search.stdout.split()
        time.sleep(1.0)
        alive = app.poll() is None
        output = ""
        if not alive or not window_ids:
            output = app.stdout.read() if app.stdout and not alive else ""
        assert window_ids, f"no visible window named {app_info.NAME!r}:\n{output}"
        assert alive, f"the app exited ({app.returncode}) after showing its window:\n{output}"
        names = [
            subprocess.run(
                ["xdotool", "getwindowname", wid],
                env={"DISPLAY": xvfb.display},
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            for wid in window_ids
        ]
        assert any(n.startswith(app_info.NAME) for n in names), names
        assert wait_for(probe.is_file, 10), "the window was never painted"
    except subprocess.TimeoutExpired:
        output = ""
        if app is not None and app.poll() is not None and app.stdout:
            output = app.stdout.read()
        pytest.fail(f"no window named {app_info.NAME!r} within 60 s:\n{output}", pytrace=False)
    finally:
        if app is not None and app.poll() is None:
            os.killpg(app.pid, signal.SIGTERM)
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
                app.wait(timeout=10)
        xvfb.close()
