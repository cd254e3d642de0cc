"""Network-namespace plumbing: commands, ``setns`` from a helper thread, process cleanup, and a
record of live labs so that a crashed run's namespaces and daemons can be swept later."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
ETC_NETNS = Path("/etc/netns")
STATE_DIR = Path("/run/clearsight-lab")

_libc = ctypes.CDLL(None, use_errno=True)


class LabError(RuntimeError):
    """The lab could not be built or a command inside it failed."""


def run(
    argv: Sequence[str], *, input: str | None = None, check: bool = True, timeout: float = 20.0
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(argv), input=input, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise LabError(
            f"{' '.join(argv)} failed ({proc.returncode}): "
            f"{proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc


def ns_argv(ns: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def ip_batch(commands: Iterable[str], ns: str | None = None) -> None:
    text = "\n".join(commands) + "\n"
    argv = ["ip", "-batch", "-"] if ns is None else ["ip", "-n", ns, "-batch", "-"]
    run(argv, input=text)


def call_in_netns(ns: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn`` in a fresh thread that has entered namespace ``ns`` (network namespaces are
    per thread), and return its result or raise its exception. Sockets it creates stay in
    that namespace."""
    result: list[Any] = []
    error: list[BaseException] = []

    def runner() -> None:
        try:
            fd = os.open(NETNS_DIR / ns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({ns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            result.append(fn(*args, **kwargs))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=runner, name=f"netns-{ns}", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]  # type: ignore[no-any-return]


def write_sysctls(ns: str, values: dict[str, str]) -> None:
    """Write ``net.*`` sysctls of namespace ``ns`` (``/proc/sys/net`` follows the thread's
    namespace)."""

    def write() -> None:
        for key, value in values.items():
            Path("/proc/sys", *key.split(".")).write_text(value)

    call_in_netns(ns, write)


def netns_inode(ns: str) -> int | None:
    try:
        return os.stat(NETNS_DIR / ns).st_ino
    except OSError:
        return None


def pids_in_netns(ns: str) -> list[int]:
    """Processes whose network namespace is ``ns`` (what ``ip netns pids`` does)."""
    inode = netns_inode(ns)
    if inode is None:
        return []
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{entry.name}/ns/net").st_ino == inode:
                pids.append(int(entry.name))
    return pids


def _alive(pid: int) -> bool:
    """Running and not a zombie (a killed daemon can linger as <defunct> for a moment)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return fields[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def kill_pids(pids: Iterable[int], timeout: float = 2.0) -> None:
    """SIGTERM, then SIGKILL whatever is still running after ``timeout``."""
    pending = [p for p in set(pids) if p > 1 and p != os.getpid()]
    for pid in pending:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = [p for p in pending if _alive(p)]
        if pending:
            time.sleep(0.005)
    for pid in pending:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def stop_process(proc: subprocess.Popen[Any], timeout: float = 2.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout)


def delete_namespaces(names: Iterable[str]) -> None:
    """Kill every process left in the namespaces, delete them and their /etc/netns entries."""
    names = list(names)
    leftovers = [pid for ns in names for pid in pids_in_netns(ns)]
    if leftovers:
        kill_pids(leftovers)
    existing = [ns for ns in names if (NETNS_DIR / ns).exists()]
    if existing:
        run(
            ["ip", "-batch", "-"],
            input="".join(f"netns del {ns}\n" for ns in existing),
            check=False,
        )
    for ns in names:
        etc = ETC_NETNS / ns
        if etc.exists():
            for child in etc.iterdir():
                with contextlib.suppress(OSError):
                    child.unlink()
            with contextlib.suppress(OSError):
                etc.rmdir()


# --------------------------------------------------------------------------------------------
# Records of live labs (for sweeping after a crash)


def record_path(prefix: str) -> Path:
    return STATE_DIR / f"{prefix}.json"


def write_record(prefix: str, namespaces: list[str], workdir: str, pki_dir: str) -> None:
    """Note a lab (its owner, namespaces and files) so that it can be swept if the owner dies
    without tearing it down."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "owner": os.getpid(),
        "started": _start_time(os.getpid()),
        "namespaces": namespaces,
        "workdir": workdir,
        "pki_dir": pki_dir,
    }
    tmp = record_path(prefix).with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(record_path(prefix))


def remove_record(prefix: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        record_path(prefix).unlink()


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def record_owner_alive(record: dict[str, Any]) -> bool:
    owner = int(record.get("owner", 0))
    return owner > 0 and _alive(owner) and _start_time(owner) == record.get("started")


def sweep_stale(only_prefix: str | None = None) -> list[str]:
    """Tear down labs whose owning process is gone. Returns the prefixes swept."""
    swept: list[str] = []
    if not STATE_DIR.exists():
        return swept
    for path in STATE_DIR.glob("*.json"):
        prefix = path.stem
        if only_prefix is not None and prefix != only_prefix:
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            record = {}
        if record and record_owner_alive(record):
            continue
        delete_namespaces(record.get("namespaces", []))
        for key in ("workdir", "pki_dir"):  # the PKI of a dead owner is not used any more
            directory = record.get(key)
            if directory and Path(directory).name.startswith("clearsight-lab-"):
                shutil.rmtree(directory, ignore_errors=True)
        remove_record(prefix)
        swept.append(prefix)
    return swept
