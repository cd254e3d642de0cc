"""Odd machines (issue #7, part 4): no network at all, no resolver configured, IPv6 only,
the interface vanishing mid-run, a read-only or full disk when saving, non-ASCII paths
and Chinese (or legacy) locales: a correct plain answer or a clear message every time."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearsight.cli import main
from tests.lab.lab import APP_PYTHON, GUARD_DIR, Lab, toml_dumps

from .hostile_http import Pki, hostile_server, make_pki
from .labtools import run_cli, set_client_resolvers
from .test_run_bounds import REPO

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounts and namespaces need root")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("odd-pki"))


@pytest.fixture
def ok_site(pki: Pki) -> Iterator[str]:
    with hostile_server("ok_page", tls=pki) as server:
        yield server.url


def _profile(folder: Path, url: str, ca: Path, name: str = "odd.clearsight") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        toml_dumps(
            {
                "format": 1,
                "name": "Odd machine",
                "country": "CN",
                "include_default": False,
                "settings": {"timeout_s": 2.0, "deadline_s": 6.0, "ca_file": str(ca)},
                "services": [{"id": "site", "name": "Site", "group": "G", "urls": [url]}],
            }
        ),
        "utf-8",
    )
    return path


# ------------------------------------------------------------------ full and read-only disks


@contextlib.contextmanager
def tmpfs(folder: Path, *, size: str = "64k", read_only: bool = False) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0777" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> None:
    with contextlib.suppress(OSError), (folder / "filler").open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()


def _remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def _outputs(folder: Path) -> list[str]:
    return [
        "--json",
        str(folder / "r.json"),
        "--html",
        str(folder / "r.html"),
        "--text",
        str(folder / "r.txt"),
    ]


@needs_root
@pytest.mark.parametrize("disk", ["full", "read_only", "full_with_old_files", "ro_with_old"])
def test_saving_to_a_full_or_read_only_disk(disk, tmp_path, pki, ok_site, capsys, figure):
    profile = _profile(tmp_path / "p", ok_site, pki.ca_pem)
    target = tmp_path / "disk"
    with tmpfs(target, size="64k"):
        old = {}
        if "old" in disk:
            for name in ("r.json", "r.html", "r.txt"):
                (target / name).write_text(f"the old {name}")
                old[name] = f"the old {name}"
        if disk.startswith("full"):
            _fill(target)
        else:
            _remount_read_only(target)
        before = sorted(p.name for p in target.iterdir())
        code = main(["run", "--profile", str(profile), *_outputs(target)])
        out, err = capsys.readouterr()
        after = sorted(p.name for p in target.iterdir())
        contents = {name: (target / name).read_text() for name in old}
    problem = "the disk is full" if disk.startswith("full") else "the disk is read-only"
    figure("odd machine", f"save to a {disk} disk", exit=code, message=err.splitlines()[0][-60:])
    assert code == 2, (code, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all(problem in line for line in lines), err
    assert all(line.startswith("Could not save ") for line in lines)
    assert after == before  # no new file, no temporary file
    assert contents == old  # an old report keeps its content
    assert "Site" in out  # the answer is still printed


@needs_root
def test_one_output_failing_does_not_stop_the_others(tmp_path, pki, ok_site, capsys):
    profile = _profile(tmp_path / "p", ok_site, pki.ca_pem)
    good = tmp_path / "good"
    good.mkdir()
    with tmpfs(tmp_path / "full") as full:
        _fill(full)
        code = main(
            [
                "run",
                "--profile",
                str(profile),
                "--json",
                str(good / "r.json"),
                "--html",
                str(full / "r.html"),
                "--lang",
                "zh_CN",
            ]
        )
        err = capsys.readouterr().err
    assert code == 2
    assert json.loads((good / "r.json").read_text("utf-8"))["summary"]["status"] == "ok"
    assert "r.html" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert any("\u4e00" <= c <= "\u9fff" for c in err)  # said in the user's language


def test_saving_into_a_folder_that_does_not_exist(tmp_path, pki, ok_site, capsys):
    profile = _profile(tmp_path / "p", ok_site, pki.ca_pem)
    code = main(["run", "--profile", str(profile), "--json", str(tmp_path / "no" / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and "the folder does not exist" in err and "Traceback" not in err


# ------------------------------------------------------------------ non-ASCII paths, locales

LOCALES = {
    "zh_CN.UTF-8": {"LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8"},
    "zh_CN.GB18030": {"LANG": "zh_CN.GB18030", "LC_ALL": "zh_CN.GB18030"},
    "C": {"LANG": "C", "LC_ALL": "C"},
    "ascii console": {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "ascii"},
    "latin-1 console": {"LANG": "C.UTF-8", "PYTHONIOENCODING": "latin-1"},
}


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    full = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{GUARD_DIR}",
        "CLEARSIGHT_EGRESS_GUARD": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "clearsight", *args],
        env=full,
        capture_output=True,
        timeout=60,
        check=False,
    )


def _filesystem_encoding(env: dict[str, str]) -> str:
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.getfilesystemencoding())"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return probe.stdout.strip()


@pytest.mark.parametrize("locale_name", sorted(LOCALES))
def test_non_ascii_paths_and_locales(locale_name, tmp_path, pki, ok_site, figure):
    folder = tmp_path / "配置 Ünïcødé ✓"
    folder.mkdir()
    profile = _profile(folder, ok_site, pki.ca_pem, name="上海办公室.clearsight")
    # ca_file: relative and non-ASCII. The profile is UTF-8 (TOML); the file's name on disk
    # is in the machine's own encoding, as a user of that machine would have saved it.
    encoding = _filesystem_encoding(LOCALES[locale_name])  # utf-8 where no such locale
    ca_name = "根证书.pem"
    with open(os.fsencode(folder) + b"/" + ca_name.encode(encoding), "wb") as handle:
        handle.write(pki.ca_pem.read_bytes())
    text = profile.read_text("utf-8").replace(str(pki.ca_pem), ca_name)
    profile.write_text(text, "utf-8")
    out = tmp_path / "结果 Ü"
    out.mkdir()
    env = LOCALES[locale_name]
    run = _cli(
        [
            "run",
            "--profile",
            str(profile),
            "--lang",
            "zh_CN",
            "--json",
            str(out / "报告.json"),
            "--html",
            str(out / "报告 ✓.html"),
            "--text",
            str(out / "摘要.txt"),
        ],
        env,
    )
    stderr = run.stderr.decode("utf-8", "replace")
    figure("odd machine", f"non-ASCII paths, {locale_name}", exit=run.returncode)
    assert "Traceback" not in stderr, stderr
    assert run.returncode == 0, stderr
    assert run.stdout  # the summary was printed, in whatever the console can show
    report = json.loads((out / "报告.json").read_text("utf-8"))
    assert report["summary"]["status"] == "ok" and report["language"] == "zh_CN"
    assert "</html>" in (out / "报告 ✓.html").read_text("utf-8")
    again = _cli(["explain", str(out / "报告.json"), "--text", str(out / "再次.txt")], env)
    assert again.returncode == 0, again.stderr.decode("utf-8", "replace")
    assert (out / "再次.txt").read_text("utf-8")


# ------------------------------------------------------------------ networks that are not there


@contextlib.contextmanager
def empty_namespace(resolv_conf: str | None) -> Iterator[str]:
    """A network namespace with nothing in it (lo down), and its own resolv.conf."""
    name = f"cshx{os.getpid() % 100000}e{time.monotonic_ns() % 10000}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    etc = Path("/etc/netns") / name
    try:
        if resolv_conf is not None:
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "resolv.conf").write_text(resolv_conf)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
        if etc.exists():
            for child in etc.iterdir():
                child.unlink()
            etc.rmdir()


def _lab_profile(path: Path) -> Path:
    """Lab-range hosts only: nothing here exists outside a lab."""
    path.write_text(
        toml_dumps(
            {
                "format": 1,
                "name": "Lab hosts only",
                "country": "CN",
                "include_default": False,
                "settings": {"timeout_s": 2.0, "deadline_s": 8.0},
                "resolvers": [{"name": "Lab foreign resolver", "address": "198.18.53.53"}],
                "doh": [
                    {
                        "name": "Lab DoH",
                        "url": "https://doh.lab-dns.test/dns-query",
                        "bootstrap": ["198.18.53.1", "fd77:0:0:153::1"],
                    }
                ],
                "dns_injection": {"probe_addresses": ["198.18.200.1"]},
                "services": [
                    {
                        "id": "mail",
                        "name": "Mail",
                        "group": "G",
                        "urls": ["https://mail.hostile-lab.test/"],
                    },
                    {
                        "id": "news",
                        "name": "News",
                        "group": "G",
                        "domestic": True,
                        "urls": ["https://news.local-lab.test/"],
                    },
                ],
            }
        ),
        "utf-8",
    )
    return path


@needs_root
@pytest.mark.lab
@pytest.mark.parametrize("resolver", ["lab address", "none configured"])
def test_no_network_at_all(resolver, tmp_path, figure):
    conf = "nameserver 10.77.53.53\n" if resolver == "lab address" else ""
    profile = _lab_profile(tmp_path / "lab.clearsight")
    with empty_namespace(conf) as ns:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(GUARD_DIR),
            "CLEARSIGHT_EGRESS_GUARD": "1",
            "CLEARSIGHT_EGRESS_GUARD_HOST_NETNS": str(os.stat("/proc/self/ns/net").st_ino),
        }
        started = time.monotonic()
        proc = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                ns,
                str(APP_PYTHON),
                "-m",
                "clearsight",
                "run",
                "--profile",
                str(profile),
                "--json",
                str(tmp_path / "r.json"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        took = time.monotonic() - started
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    figure(
        "odd machine",
        f"no network ({resolver})",
        exit=proc.returncode,
        seconds=round(took, 2),
        status=report["summary"]["status"],
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2
    assert report["summary"]["status"] == "offline"
    assert "offline" in {f["code"] for f in report["findings"]}
    assert "not connected" in proc.stdout
    assert took < 8.0 + 2.0


def _two_sites(lab: Lab, **behaviour: object) -> list[dict[str, object]]:
    mail = lab.add_site("mail.hostile-lab.test", ipv6=True, **behaviour)
    news = lab.add_site("news.local-lab.test", ipv6=True, **behaviour)
    return [mail.service("mail", name="Mail"), news.service("news", name="News", domestic=True)]


@pytest.mark.lab
def test_ipv6_only(lab: Lab, figure) -> None:
    services = _two_sites(lab)
    lab.start()
    subprocess.run(["ip", "-n", lab.client_ns, "-4", "addr", "flush", "dev", "eth0"], check=True)
    subprocess.run(["ip", "-n", lab.client_ns, "-4", "route", "flush", "all"], check=True)
    set_client_resolvers(lab, "fd77:0:0:53::53")
    result = run_cli(lab, services, extra={"resolvers": lab.profile_resolvers(ipv6=True)})
    _lab_figure(figure, "IPv6 only", result)
    assert result.exit_code == 0, result.explain()
    assert result.verdicts() == {"mail": "reachable", "news": "reachable"}
    families = {
        o["family"]
        for o in result.report["observations"]
        if o["kind"] == "tcp" and o["failure"] is None
    }  # type: ignore[index]
    assert families == {"ipv6"}


def _lab_figure(figure: Any, what: str, result: Any) -> None:
    """Record a lab run of the command line as a figure; it never printed a traceback."""
    figure(
        "odd machine",
        what,
        exit=result.exit_code,
        seconds=round(result.seconds, 2),
        status=result.report and result.report["summary"]["status"],
    )
    assert "Traceback" not in result.stderr


@pytest.mark.lab
def test_no_resolver_configured_is_a_clear_answer(lab: Lab, figure) -> None:
    services = _two_sites(lab)
    lab.start()
    set_client_resolvers(lab)  # an empty resolv.conf
    result = run_cli(lab, services)
    _lab_figure(figure, "no resolver configured", result)
    assert result.exit_code in (1, 2), result.explain()
    assert result.report is not None and result.report["summary"]["status"] != "ok"


@pytest.mark.lab
def test_no_resolver_configured_is_named(lab: Lab) -> None:
    services = _two_sites(lab)
    lab.start()
    set_client_resolvers(lab)
    result = run_cli(lab, services)
    assert set(result.verdicts().values()) == {"dns_failed"}, result.explain()
    assert any("resolver" in f["code"] for f in result.report["findings"])  # type: ignore[index]


def _inet_socket_open(pid: int) -> bool:
    """Whether process ``pid`` holds a TCP or UDP socket. Read from its own /proc/PID/net
    tables (psutil reads the caller's, and the process lives in the lab's namespace)."""
    proc = Path("/proc") / str(pid)
    held = set()
    for fd in (proc / "fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                held.add(target[8:-1])
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in (proc / "net" / table).read_text().splitlines()[1:]:
            if line.split()[9] in held:
                return True
    return False


def _first_socket(pid: int, timeout: float) -> bool:
    """Waits until process ``pid`` has an internet socket open; False if it ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _inet_socket_open(pid):
                return True
        except (FileNotFoundError, ProcessLookupError):
            return False
        time.sleep(0.01)
    return False


def _vanish(lab: Lab, after: float) -> tuple[subprocess.CompletedProcess[str], float, dict | None]:
    # Every site answers 2.5 s after a request arrives (within the 3 s timeout): however
    # quickly the engine gets its requests out, the run is still waiting for the answers
    # when the interface goes, 0.4 s or 1.6 s after its first socket.
    services = _two_sites(lab, delay_ms=2500)
    services += [
        lab.add_site(f"s{i}.hostile-lab.test", delay_ms=2500).service(f"s{i}") for i in range(3)
    ]
    lab.start()
    path = lab.write_profile(services=services, timeout_s=3.0, deadline_s=10.0)
    out = Path(lab.workdir) / "vanish.json"
    started = time.monotonic()
    proc = lab.popen_client(
        [str(APP_PYTHON), "-m", "clearsight", "run", "--profile", str(path), "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # "Into the run" counts from its first socket: the engine reads the interfaces before it
    # opens any, so the deletion can never land before the run has seen eth0 (on a busy
    # machine, start-up alone can take longer than `after`).
    assert _first_socket(proc.pid, timeout=20.0), "the run opened no socket within 20 s"
    time.sleep(after)
    subprocess.run(["ip", "-n", lab.client_ns, "link", "del", "eth0"], check=True)
    stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - started
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done, took, json.loads(out.read_text("utf-8")) if out.exists() else None


@pytest.mark.lab
@pytest.mark.parametrize("after", [0.4, 1.6])
def test_the_interface_disappears_mid_run(lab: Lab, after: float, figure) -> None:
    proc, took, report = _vanish(lab, after)
    figure(
        "odd machine",
        f"interface deleted {after} s into the run",
        exit=proc.returncode,
        seconds=round(took, 2),
        status=report and report["summary"]["status"],
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (1, 2)
    assert took < 10.0 + 2.0
    assert report is not None and report["services"]


@pytest.mark.lab
@pytest.mark.parametrize("after", [0.4, 1.6])
def test_an_interface_that_disappears_is_not_called_blocking(lab: Lab, after: float) -> None:
    _, _, report = _vanish(lab, after)
    assert report is not None
    verdicts = [(s["id"], s["verdict"]) for s in report["services"]]
    changes = [o for o in report["observations"] if o["kind"] == "network_change"]
    assert report["summary"]["status"] == "inconclusive", (verdicts, changes)
    assert report["findings"][0]["code"] == "network_changed", report["findings"]
    assert report["findings"][0]["params"]["lost"] == ["eth0"]
    assert "changed" in report["summary"]["headline"], report["summary"]["headline"]
    assert not [v for v in verdicts if v[1] not in ("reachable", "inconclusive")], verdicts


def test_a_folder_name_that_is_not_text(tmp_path, pki, ok_site):
    """Bytes that are not UTF-8 in a folder name (a disk from another system): the run and
    its report still work; the name shows with "?" in the report."""
    folder = os.fsencode(tmp_path) + b"/odd \xff\xfe name"
    os.mkdir(folder)
    with open(folder + b"/ca.pem", "wb") as handle:
        handle.write(pki.ca_pem.read_bytes())
    profile = _profile(Path(os.fsdecode(folder)), ok_site, pki.ca_pem)
    profile.write_text(profile.read_text("utf-8").replace(str(pki.ca_pem), "ca.pem"), "utf-8")
    out = os.fsdecode(folder + b"/r\xff.json")
    run = _cli(["run", "--profile", str(profile), "--json", out], {"LANG": "C.UTF-8"})
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    assert json.loads(Path(out).read_bytes().decode("utf-8"))["summary"]["status"] == "ok"
    again = _cli(["explain", out], {"LANG": "C.UTF-8"})
    assert again.returncode == 0, again.stderr
