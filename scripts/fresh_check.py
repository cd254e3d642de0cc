"""Prove that a fresh machine passes CI: a clean clone of HEAD runs `.ci/run` inside a clean
Debian 12, as root, the way CI runs it on a new machine.

    make fresh-check                                  # as root, or through sudo
    python3 scripts/fresh_check.py [--ref REF] [--keep] [--log FILE]

The clean Debian is `debootstrap --variant=minbase bookworm` (the tarball the .deb test
caches in build/packaging-test/), given only what a new machine of this project's kind has
before anyone installs anything for Clearsight: python3, git, make, ca-certificates. Python's
venv module, every library Qt needs, the lab's daemons, Xvfb and the .deb tools must then come
from `.ci/run` itself (packaging/debian/packages.txt), so a package this machine happens to
have and the list lacks fails here instead of in CI.

The machine's own network settings are copied in, because a new machine has them too: the
resolver, the Debian sources and apt settings, the certificate authorities of its egress
proxy, pip's configuration and its PIP_* variables. Nothing else of the host is visible
inside: a chroot with its own /tmp, /root and /usr, and /proc, /sys, /dev mounted for the
lab's network namespaces and the nested chroot of the .deb test.

Cost on this project's machine (2 cores): about 20 minutes (debootstrap 1-2 min the first
time, then unpacking 5 s; apt and pip about 3 min; the whole suite as in CI about 9 min;
the .deb test's own debootstrap inside another 2 min). Exit status: that of `.ci/run`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.packaging.debian_chroot import Chroot, ChrootError  # noqa: E402

WORKDIR = REPO / "build" / "fresh-check"
# What a new machine of this kind has before any project installs anything.
BASE_PACKAGES = ("python3", "git", "make", "ca-certificates")
# The machine's network settings (not project install steps): copied when present.
HOST_SETTINGS = (
    "etc/resolv.conf",
    "etc/apt/sources.list.d/debian.sources",
    "etc/apt/apt.conf.d/99artifact-registry",
    "etc/apt/apt.conf.d/99farm-no-dep11",
    "etc/pip.conf",
    "etc/xdg/pip/pip.conf",
    "etc/xdg/pip/constraints.txt",
)
CA_DIR = "usr/local/share/ca-certificates"
CI_TIMEOUT_S = 90 * 60


def _copy_host_settings(chroot: Chroot) -> None:
    for relative in HOST_SETTINGS:
        source = Path("/") / relative
        if source.is_file():
            target = chroot.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    if (chroot.path / "etc/apt/sources.list.d/debian.sources").is_file():
        (chroot.path / "etc/apt/sources.list").unlink(missing_ok=True)
    cas = Path("/") / CA_DIR
    if cas.is_dir():
        shutil.copytree(cas, chroot.path / CA_DIR, dirs_exist_ok=True)


def _ci_environment() -> dict[str, str]:
    """The variables CI's root shell has: a plain PATH and home, pip's settings."""
    env = {"LANG": "C.UTF-8", "TERM": "dumb"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    # The wheels folder is the host's (pip's find-links); a fresh machine's is its own.
    env.pop("PIP_FIND_LINKS", None)
    return env


def _clone(ref: str, into: Path) -> str:
    subprocess.run(
        ["git", "clone", "--quiet", "--no-local", "--no-hardlinks", str(REPO), str(into)],
        check=True,
    )
    subprocess.run(["git", "-C", str(into), "checkout", "--quiet", "--detach", ref], check=True)
    head = subprocess.run(
        ["git", "-C", str(into), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=True,
    )
    return head.stdout.strip()


def _stop_processes_inside(root: Path) -> None:
    """Daemons a failed test left running inside the chroot would keep its mounts busy."""
    resolved = str(root.resolve())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "root").startswith(resolved):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def _run_streaming(argv: list[str], log: Path, timeout: float) -> int:
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            out.flush()
            sys.stdout.write(line)
            if time.monotonic() - started > timeout:
                proc.kill()
                out.write(f"\nfresh-check: stopped after {timeout:.0f} s\n")
                break
        return proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD", help="what to clone (default: HEAD)")
    parser.add_argument("--log", type=Path, default=WORKDIR / "ci.log")
    parser.add_argument("--keep", action="store_true", help="leave the chroot's folder")
    parser.add_argument(
        "--command",
        default=".ci/run",
        help="what to run in the clone instead of .ci/run (to retry a few tests quickly)",
    )
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("fresh-check needs root (debootstrap, chroot, network namespaces)", file=sys.stderr)
        return 2
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if dirty and args.ref == "HEAD":
        print("note: uncommitted changes are not part of the check (it clones HEAD)")

    WORKDIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        chroot = Chroot(WORKDIR / "root", x11_dir=None)
    except ChrootError as error:
        print(f"fresh-check: {error}", file=sys.stderr)
        return 2
    status = 2
    try:
        _copy_host_settings(chroot)
        chroot.run(["apt-get", "update", "-q"], timeout=600)
        chroot.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *BASE_PACKAGES],
            timeout=900,
        )
        chroot.run(["update-ca-certificates"], timeout=120)
        head = _clone(args.ref, chroot.path / "root" / "clearsight")
        prepared = time.monotonic() - started
        print(f"fresh-check: clean Debian 12 ready in {prepared:.0f} s; {args.command} on {head}")
        command = ["/bin/bash", "-c", f"cd /root/clearsight && {args.command}"]
        status = _run_streaming(chroot.argv(command, _ci_environment()), args.log, CI_TIMEOUT_S)
    except ChrootError as error:
        print(f"fresh-check: {error}", file=sys.stderr)
    finally:
        _stop_processes_inside(chroot.path)
        if args.keep:
            print(f"fresh-check: the chroot stays in {chroot.path} (mounts left in place)")
        else:
            chroot.close()
    minutes = (time.monotonic() - started) / 60
    verdict = "passed" if status == 0 else f"FAILED (exit {status})"
    print(f"fresh-check: {args.command} {verdict} on a clean Debian 12 in {minutes:.1f} min")
    print(f"fresh-check: log in {args.log}")
    return status


if __name__ == "__main__":
    sys.exit(main())
