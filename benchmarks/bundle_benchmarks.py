"""Figures of the installable app (issue 6): the one-dir bundle's unpacked size and the cold
start of the bundled GUI to a visible window.

    python3 benchmarks/bundle_benchmarks.py [--binary dist/clearsight/clearsight] [-n 5]
                                            [--drop-caches]

Method (docs/design.md, "Measuring"): one warm-up start, then the median (min-max) of N starts,
the machine printed beside the figures.

* Size: ``du -sb`` of the bundle folder (what the .deb unpacks to /usr/lib/clearsight).
* Cold start: a new process of the bundled binary (``clearsight`` with no arguments, as the
  menu entry starts it) on an Xvfb screen (Qt's xcb platform, the same X libraries a
  desktop uses), in a network namespace of its own (``unshare --net``: nothing can leave
  the machine), with settings in a fresh folder where the first-start notice was already
  agreed to. The app writes the time of its window's first paint
  (``CLEARSIGHT_STARTUP_PROBE``); the figure is that time minus the moment the process was
  launched. After each start the window is checked to be mapped and visible
  (``xdotool search --onlyvisible``). "Warm" starts find the bundle in the page cache;
  with ``--drop-caches`` (root) the kernel's page cache is dropped before every start,
  as after a reboot.

Needs Xvfb and xdotool (``make system-deps``); root for ``unshare --net``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SIZE_MB = 130
TARGET_START_S = 2.0


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}"


def du_sb(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


class Xvfb:
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
                "1920x1080x24",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            self.display = ":" + pipe.readline().strip()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _fresh_config() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="clearsight-bundle-bench-"))
    conf = folder / "config" / "Clearsight" / "Clearsight.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[consent]\nacknowledged=true\n[ui]\nlanguage=en\n", encoding="utf-8")
    return folder


def _drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def start_once(binary: Path, display: str, drop_caches: bool) -> float:
    folder = _fresh_config()
    probe = folder / "painted.json"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_RUNTIME_DIR": str(folder),
        "LANG": "C.UTF-8",
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "CLEARSIGHT_STARTUP_PROBE": str(probe),
    }
    isolate = ["unshare", "--net"] if os.geteuid() == 0 and shutil.which("unshare") else []
    if drop_caches:
        _drop_caches()
    launched = time.time()
    process = subprocess.Popen(
        [*isolate, str(binary)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not probe.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"no window from {binary} (exit {process.returncode})")
            time.sleep(0.005)
        time.sleep(0.05)
        painted = float(json.loads(probe.read_text())["painted_at"])
        visible = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "^Clearsight"],
            env={"DISPLAY": display, "PATH": env["PATH"]},
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if not visible:
            raise RuntimeError("the window was painted but is not visible")
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return painted - launched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=REPO / "dist" / "clearsight" / "clearsight")
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument(
        "--drop-caches", action="store_true", help="drop the page cache before every start (root)"
    )
    args = parser.parse_args()
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"no bundle at {binary}: run `make bundle` first", file=sys.stderr)
        return 2
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing (make system-deps)", file=sys.stderr)
            return 2
    bundle = binary.parent
    size = du_sb(bundle)
    print(f"machine: {machine()}")
    print(f"bundle: {bundle}")
    verdict = "met" if size <= TARGET_SIZE_MB * 1e6 else "NOT met"
    print(f"unpacked size (du -sb): {size / 1e6:.1f} MB (target <= {TARGET_SIZE_MB} MB: {verdict})")
    debs = sorted((REPO / "dist").glob("clearsight_*.deb"))
    if debs:
        print(f".deb: {debs[-1].name} {debs[-1].stat().st_size / 1e6:.1f} MB")

    xvfb = Xvfb()
    try:
        start_once(binary, xvfb.display, args.drop_caches)  # warm-up, discarded
        times = [start_once(binary, xvfb.display, args.drop_caches) for _ in range(args.n)]
    finally:
        xvfb.close()
    median = statistics.median(times)
    kind = "page cache dropped before each start" if args.drop_caches else "page cache warm"
    verdict = "met" if median <= TARGET_START_S else "NOT met"
    print(
        f"cold start to a visible window ({kind}): median {median:.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}; {args.n} starts) "
        f"(target <= {TARGET_START_S} s: {verdict})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
