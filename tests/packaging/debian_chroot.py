"""A clean Debian 12 system in a folder, to install the .deb into (docs/lab.md: the test
host's own libraries would hide a missing ``Depends:``).

* The first use runs ``debootstrap --variant=minbase bookworm`` from the Debian mirror that
  apt on this machine is configured with, and caches the result as a tarball under
  ``build/packaging-test/`` (about 1-2 minutes once; later runs unpack it in seconds).
* Each :class:`Chroot` is a fresh copy of that tarball with /proc, /sys, /dev and the X
  socket folder mounted; :meth:`Chroot.close` unmounts everything before the folder is
  deleted (``rm --one-file-system``: a failed unmount can never delete the host's /dev).
* Packages downloaded by apt inside, and its package lists, are kept in
  ``build/packaging-test/apt-archives`` and ``apt-lists``, so a second run installs the
  .deb's dependencies without downloading anything.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "packaging-test"
SUITE = "bookworm"
TARBALL = CACHE / f"debian-{SUITE}-minbase.tar"
APT_ARCHIVES = CACHE / "apt-archives"
APT_LISTS = CACHE / "apt-lists"
FALLBACK_MIRROR = "http://deb.debian.org/debian"


class ChrootError(RuntimeError):
    pass


def debian_mirror() -> str:
    """The Debian mirror apt on this machine uses for the main archive (not security)."""
    sources: list[tuple[str, list[str]]] = []
    apt = Path("/etc/apt")
    for path in sorted([apt / "sources.list", *sorted((apt / "sources.list.d").glob("*"))]):
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(
                    (m.group(1).lower(), m.group(2).strip())
                    for m in re.finditer(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.MULTILINE)
                )
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                for uri in fields.get("uris", "").split():
                    sources.append((uri, fields.get("suites", "").split()))
        elif path.suffix == ".list":
            for line in text.splitlines():
                parts = line.split("#", 1)[0].split()
                if len(parts) >= 3 and parts[0] == "deb":
                    words = [p for p in parts[1:] if not p.startswith("[")]
                    if len(words) >= 2:
                        sources.append((words[0], [words[1]]))
    for uri, suites in sources:
        if "security" in uri:
            continue
        if any(s.split("-")[0] in (SUITE, "stable") for s in suites) and "debian" in uri:
            return uri.rstrip("/")
    return FALLBACK_MIRROR


def ensure_tarball(log: Path | None = None) -> Path:
    """The cached minimal Debian 12, made with debootstrap on first use."""
    if TARBALL.is_file():
        return TARBALL
    if shutil.which("debootstrap") is None:
        raise ChrootError("debootstrap is not installed (Debian package debootstrap)")
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / "base-tmp"
    if target.exists():
        _remove_tree(target)
    started = time.monotonic()
    proc = subprocess.run(
        ["debootstrap", "--variant=minbase", SUITE, str(target), debian_mirror()],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if log is not None:
        log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise ChrootError(f"debootstrap failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    (target / "var" / "cache" / "apt" / "archives").mkdir(parents=True, exist_ok=True)
    for deb in (target / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        deb.unlink()
    partial = TARBALL.with_suffix(".tar.partial")
    subprocess.run(
        ["tar", "--numeric-owner", "-C", str(target), "-cf", str(partial), "."], check=True
    )
    partial.rename(TARBALL)
    _remove_tree(target)
    print(f"debootstrap {SUITE}: {time.monotonic() - started:.0f} s, cached in {TARBALL}")
    return TARBALL


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    found = []
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            point = line.split()[1].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def _remove_tree(path: Path) -> None:
    left = _mounts_under(path)
    if left:
        raise ChrootError(f"refusing to delete {path}: still mounted: {left}")
    subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)


class Chroot:
    """A fresh Debian 12 minbase system in ``path`` (root needed)."""

    def __init__(self, path: Path, *, x11_dir: Path | None = Path("/tmp/.X11-unix")) -> None:
        self.path = path
        self._x11_dir = x11_dir
        if path.exists():
            self._unmount_all()
            _remove_tree(path)
        path.mkdir(parents=True)
        subprocess.run(
            ["tar", "--numeric-owner", "-C", str(path), "-xf", str(ensure_tarball())], check=True
        )
        try:
            self._mount()
        except BaseException:
            self.close()
            raise

    def _mount(self) -> None:
        root = self.path
        # The chroot's / must be a mount point, as on a real machine: `ip netns exec` and
        # `unshare` make / a slave mount, which fails with EINVAL on a plain folder.
        subprocess.run(["mount", "--bind", str(root), str(root)], check=True)
        subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
        subprocess.run(["mount", "--rbind", "/sys", str(root / "sys")], check=True)
        subprocess.run(["mount", "--make-rslave", str(root / "sys")], check=True)
        subprocess.run(["mount", "--rbind", "/dev", str(root / "dev")], check=True)
        subprocess.run(["mount", "--make-rslave", str(root / "dev")], check=True)
        APT_ARCHIVES.mkdir(parents=True, exist_ok=True)
        (APT_ARCHIVES / "partial").mkdir(exist_ok=True)
        archives = root / "var" / "cache" / "apt" / "archives"
        archives.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "--bind", str(APT_ARCHIVES), str(archives)], check=True)
        APT_LISTS.mkdir(parents=True, exist_ok=True)
        (APT_LISTS / "partial").mkdir(exist_ok=True)
        lists = root / "var" / "lib" / "apt" / "lists"
        lists.mkdir(parents=True, exist_ok=True)
        if not any(APT_LISTS.glob("*_Packages*")):  # start from debootstrap's lists
            for item in lists.glob("*"):
                if item.is_file():
                    shutil.copy2(item, APT_LISTS / item.name)
        subprocess.run(["mount", "--bind", str(APT_LISTS), str(lists)], check=True)
        if self._x11_dir is not None:
            self._x11_dir.mkdir(mode=0o1777, exist_ok=True)
            inside = root / "tmp" / ".X11-unix"
            inside.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--bind", str(self._x11_dir), str(inside)], check=True)
        # apt inside reaches the mirror through the host's resolver (package registry only)
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")

    def _unmount_all(self) -> None:
        for _ in range(3):
            points = _mounts_under(self.path)
            if not points:
                return
            for point in points:
                subprocess.run(["umount", "-R", "-l", point], capture_output=True, check=False)
        left = _mounts_under(self.path)
        if left:
            raise ChrootError(f"could not unmount {left}")

    def close(self) -> None:
        self._unmount_all()
        _remove_tree(self.path)

    def __enter__(self) -> Chroot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- running things inside

    def argv(self, command: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
        """``command`` run inside the chroot with a clean environment."""
        base = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            "DEBIAN_FRONTEND": "noninteractive",
        }
        base.update(env or {})
        return [
            "chroot",
            str(self.path),
            "/usr/bin/env",
            "-i",
            *[f"{k}={v}" for k, v in base.items()],
            *command,
        ]

    def run(
        self,
        command: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.argv(command, env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise ChrootError(
                f"{' '.join(command)} exited {proc.returncode} in the chroot:\n"
                f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )
        return proc

    def install_deb(self, deb: Path, timeout: float = 600) -> str:
        """``apt-get install ./clearsight_*.deb`` as a user would, Recommends left out (the
        app must run with its Depends alone). Tries the cached package lists first, then
        updates them (the mirror moves on). Returns apt's output."""
        shutil.copy(deb, self.path / "tmp" / deb.name)
        install = (
            "cd /tmp && apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "
            f"./{deb.name}"
        )
        lists = self.path / "var" / "lib" / "apt" / "lists"
        output = ""
        if any(lists.glob("*_Packages*")):
            first = self.run(["/bin/sh", "-c", install], timeout=timeout, check=False)
            if first.returncode == 0:
                return first.stdout
            output = first.stdout + first.stderr
        self.run(["apt-get", "update", "-q"], timeout=timeout)
        second = self.run(["/bin/sh", "-c", install], timeout=timeout, check=False)
        if second.returncode != 0:
            raise ChrootError(
                f"apt-get install ./{deb.name} failed in a clean Debian {SUITE}:\n"
                f"{output[-2000:]}\n{second.stdout[-3000:]}\n{second.stderr[-3000:]}"
            )
        return second.stdout


def host_path(chroot: Chroot, inside: str) -> Path:
    """Where a path inside the chroot lives on the host."""
    return chroot.path / inside.lstrip("/")


def wait_for(predicate: object, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(interval)
    return False


__all__ = ["Chroot", "ChrootError", "debian_mirror", "ensure_tarball", "host_path"]
