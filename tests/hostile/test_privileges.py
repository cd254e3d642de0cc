"""Privileges (issue #7, part 6): Clearsight never asks for or needs administrator rights.

* A survey of the source: no raw sockets, no ICMP, no binding to a device or a privileged
  port, no elevation (sudo, pkexec, runas, "with administrator privileges").
* A whole lab run as the unprivileged user ``nobody`` (``setpriv``) inside the client
  namespace, against censorship of every layer, gives the same verdicts and findings as the
  same run as root, and no check fails with "permission_denied".
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

import clearsight
from tests.lab.lab import Lab

from .test_run_bounds import REPO

SOURCE = Path(clearsight.__file__).resolve().parent
PRIVILEGED = {
    "raw sockets": re.compile(r"SOCK_RAW|IPPROTO_ICMP|IPPROTO_RAW|AF_PACKET"),
    "binding to a device": re.compile(r"SO_BINDTODEVICE|SO_MARK|IP_TRANSPARENT"),
    "elevation": re.compile(
        r"\bsudo\b|pkexec|\brunas\b|ShellExecute|administrator privileges|IsUserAnAdmin"
        r"|AuthorizationExecuteWithPrivileges|setuid|seteuid",
        re.IGNORECASE,
    ),
    "capabilities": re.compile(r"CAP_NET_ADMIN|CAP_NET_RAW|prctl"),
    "privileged ports": re.compile(r"\.bind\(\(\s*[^,]+,\s*([1-9]\d{0,2}|10[01]\d|102[0-3])\s*\)"),
}


def test_no_probe_uses_anything_that_needs_administrator_rights() -> None:
    found: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "gui" in path.relative_to(SOURCE).parts:
            continue  # Qt only; it runs the same engine
        text = path.read_text("utf-8")
        for what, pattern in PRIVILEGED.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(SOURCE)}:{line}: {what}: {match.group(0)}")
    assert not found, "\n".join(found)


NOBODY = 65534
SITE_PACKAGES = REPO / ".venv" / "lib" / "python3.11" / "site-packages"


def _system_python() -> str | None:
    """An interpreter ``nobody`` may run (the venv's may live under /root, mode 0700)."""
    for candidate in ("/usr/bin/python3.11", shutil.which("python3.11")):
        if candidate and os.access(candidate, os.X_OK):
            probe = subprocess.run(
                [
                    "setpriv",
                    f"--reuid={NOBODY}",
                    f"--regid={NOBODY}",
                    "--clear-groups",
                    candidate,
                    "-c",
                    "import sys; print(sys.version_info[:2])",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.returncode == 0 and probe.stdout.strip() == "(3, 11)":
                return candidate
    return None


def _closed_folder(path: Path) -> Path | None:
    """The top-most folder on the way to ``path`` that other users may not pass through
    (a clone under /root, mode 0700): nobody cannot import the checkout's code from there."""
    resolved = path.resolve()
    for folder in [*reversed(resolved.parents), resolved]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def _open_view_of_checkout(hold: Path) -> list[str]:
    """Shell commands, run as root in a private mount namespace, after which the checkout
    sits at its own path behind folders anyone may pass: the checkout is bound aside to
    ``hold``, an empty world-passable tmpfs covers the closed folder, and the checkout is
    bound back at its path. The machine's folders keep their modes; only this process tree
    sees the view."""
    closed = _closed_folder(REPO)
    if closed is None:
        return []
    assert closed != REPO.resolve(), f"{REPO} itself is closed to other users (mode 0700)"
    repo, hold_q = shlex.quote(str(REPO.resolve())), shlex.quote(str(hold))
    return [
        f"mkdir -p {hold_q}",
        f"mount --bind {repo} {hold_q}",
        f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(closed))}",
        f"mkdir -p {repo}",
        f"mount --bind {hold_q} {repo}",
    ]


def _world(lab: Lab) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every kind of check: DNS (system, plain resolver, DoH, injection probe), TCP, TLS,
    HTTP, clock, captive portal, exit country, a VPN endpoint; censorship at each layer."""
    mail = lab.add_site("mail.foreign-lab.test")
    chat = lab.add_site("chat.foreign-lab.test")
    video = lab.add_site("video.foreign-lab.test")
    news = lab.add_site("news.local-lab.test", routes={"/generate_204": {"status": 204}})
    shop = lab.add_site("shop.local-lab.test")
    probe = lab.add_host()
    vpn = lab.add_host("vpn.lab-vpn.test")
    lab.start()
    lab.censor.sni_reset("mail.foreign-lab.test")
    lab.censor.dns_lie_on_path("chat.foreign-lab.test", lab.add_host().ipv4)
    lab.censor.drop(video)
    services = [
        mail.service("mail"),
        chat.service("chat"),
        video.service("video"),
        news.service("news", domestic=True),
        shop.service("shop", domestic=True),
    ]
    extra = {
        "injection_probes": [probe],
        "captive_checks": [{"url": f"http://{news.name}/generate_204", "expect_status": 204}],
        "exit_check": f"https://{shop.name}/cdn-cgi/trace",
        "extra": {
            "vpn": {
                "endpoints": [
                    {
                        "name": "Office VPN",
                        "host": vpn.name,
                        "port": 1194,
                        "protocol": "openvpn-udp",
                    }
                ]
            }
        },
    }
    return services, extra


def _shared_world(lab: Lab) -> tuple[Path, Path]:
    """The world of ``_world`` with its profile in a folder the user nobody can use: the
    folder (where runs write their reports) and the profile."""
    services, extra = _world(lab)
    shared = Path(lab.workdir) / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # nobody writes its report (and guard log) here
    # The lab keeps its PKI in a private folder: give nobody copies, as a user has them.
    ca = shared / "lab-ca.pem"
    shutil.copyfile(lab.ca_pem, ca)
    store = shared / "os-store.pem"
    shutil.copyfile(lab.os_store_bundle, store)
    data = lab.profile(services=services, timeout_s=2.0, deadline_s=20.0, **extra)
    data["settings"]["ca_file"] = str(ca)
    profile = lab.write_profile(shared / "profile.clearsight", data=data)
    for path in (ca, store, profile):
        path.chmod(0o644)
    return shared, profile


def _run_as(
    lab: Lab,
    profile: Path,
    out: Path,
    python: str,
    *,
    user: int | None,
    hidepid: bool = False,
) -> dict:
    # The project's own packages first (the system's dist-packages may hold older ones).
    runner = (
        "import runpy, site, sys; before = list(sys.path); site.addsitedir(sys.argv.pop(1)); "
        "sys.path[:] = [p for p in sys.path if p not in before] + before; "
        "sys.argv[0] = 'clearsight'; runpy.run_module('clearsight', run_name='__main__')"
    )
    argv = [
        python,
        "-c",
        runner,
        str(SITE_PACKAGES),
        "run",
        "--profile",
        str(profile),
        "--json",
        str(out),
        "--no-redact",
    ]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    setup = _open_view_of_checkout(out.parent / "checkout-view") if user is not None else []
    if hidepid:
        # A /proc of its own that hides other users' processes, as hardened systems mount
        # it (a private mount namespace: the machine's /proc is untouched).
        setup.append("mount -t proc -o hidepid=2 proc /proc")
    if setup:
        argv = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            " && ".join([*setup, 'exec "$@"']),
            "sh",
            *argv,
        ]
    log = out.with_suffix(".guard.log")
    env = {
        "CLEARSIGHT_EGRESS_GUARD_LOG": str(log),
        "SSL_CERT_FILE": str(out.parent / "os-store.pem"),
    }
    proc = lab.run_client(argv, env=env, timeout=90)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert not (log.exists() and log.read_text().strip()), log.read_text()
    assert out.exists(), f"exit {proc.returncode}: {proc.stderr}"
    report = json.loads(out.read_text("utf-8"))
    report["_exit"] = proc.returncode
    return report


def _summary(report: dict) -> dict[str, Any]:
    return {
        "exit": report["_exit"],
        "status": report["summary"]["status"],
        "verdicts": {s["id"]: s["verdict"] for s in report["services"]},
        "findings": sorted(f["code"] for f in report["findings"]),
        "kinds": sorted({o["kind"] for o in report["observations"]}),
    }


@pytest.mark.lab
def test_a_whole_run_as_nobody_matches_a_run_as_root(lab: Lab, figure) -> None:
    python = _system_python()
    if python is None:
        pytest.skip("no Python 3.11 that the user nobody may run")
    shared, profile = _shared_world(lab)
    as_root = _summary(_run_as(lab, profile, shared / "root.json", python, user=None))
    nobody_report = _run_as(lab, profile, shared / "nobody.json", python, user=NOBODY)
    as_nobody = _summary(nobody_report)
    figure(
        "privileges",
        "whole lab run as nobody",
        exit=as_nobody["exit"],
        status=as_nobody["status"],
        same_as_root=as_nobody == as_root,
    )
    assert as_nobody == as_root, (as_nobody, as_root)
    assert as_nobody["verdicts"] == {
        "mail": "tls_blocked",
        "chat": "dns_tampered",
        "video": "ip_blocked",
        "news": "reachable",
        "shop": "reachable",
    }
    assert as_nobody["status"] == "blocked"
    assert "checks_limited" not in as_nobody["findings"]
    assert {
        "dns",
        "doh",
        "tcp",
        "tls",
        "http",
        "clock",
        "captive",
        "exit",
        "vpn_endpoint",
        "network",
        "route",
    } <= set(as_nobody["kinds"])
    denied = [o for o in nobody_report["observations"] if "permission" in json.dumps(o).lower()]
    assert not denied, denied
    assert (shared / "nobody.json").stat().st_uid == NOBODY


@pytest.mark.lab
def test_a_hidden_process_list_is_said_and_changes_nothing_else(lab: Lab, figure) -> None:
    """/proc mounted with hidepid=2: other users' programs are invisible to nobody. The run
    is otherwise the same, and the report says what it could not look at."""
    python = _system_python()
    if python is None:
        pytest.skip("no Python 3.11 that the user nobody may run")
    shared, profile = _shared_world(lab)
    plain = _summary(_run_as(lab, profile, shared / "plain.json", python, user=NOBODY))
    report = _run_as(lab, profile, shared / "hidden.json", python, user=NOBODY, hidepid=True)
    hidden = _summary(report)
    limited = [f for f in report["findings"] if f["code"] == "checks_limited"]
    figure("privileges", "run as nobody, /proc hidepid=2", exit=hidden["exit"], said=bool(limited))
    assert limited and limited[0]["severity"] == "info", report["findings"]
    assert limited[0]["params"]["checks"] == ["process_list"]
    assert "other programs" in limited[0]["explanation"], limited[0]
    hidden["findings"].remove("checks_limited")
    assert hidden == plain, (hidden, plain)
