"""Cancel and quit at any moment (issue #7, part 5): CheckRun.cancel() gives control back
within a second wherever the run is; afterwards no thread of the run is left for longer
than one operation timeout, no descriptor leaks; the command line stopped by SIGINT or
SIGTERM exits promptly and leaves no partial or temporary file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from clearsight.engine.run import CheckRun
from clearsight.probes.failures import CANCELLED
from clearsight.probes.records import Unfinished

from .test_run_bounds import REPO, hostile_servers_process, profile_for

TIMEOUT_S = 2.0
STUCK = ["drip_status", "drip_body", "silence", "chunk_size_huge", "headers_endless"]
TLS_STUCK = ["tls_never_completes", "tls_drip"]
GUARD_DIR = REPO / "tests" / "lab" / "guard"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    with hostile_servers_process(tmp_path_factory.mktemp("cancel-servers")) as found:
        yield found


def _mixed(urls: dict) -> dict[str, str]:
    """Stuck servers, a working one and quick failures: every stage of a run is busy."""
    chosen = {f"s-{b}": urls["https"][b] for b in [*STUCK, *TLS_STUCK]}
    chosen |= {f"h-{b}": urls["http"][b] for b in STUCK}
    chosen |= {"ok": urls["https"]["ok_page"], "gone": urls["https"]["close_at_once"]}
    chosen |= {"loop": urls["https"]["redirect_loop"], "bad": urls["https"]["bad_status_line"]}
    return chosen


def _run_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("clearsight")]


DELAYS = [0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 1.7, 2.3, 3.1]


def test_cancel_at_any_moment_returns_within_a_second(served, figure) -> None:
    ca, urls = served
    profile = profile_for(_mixed(urls), ca, TIMEOUT_S, 30.0)
    process = psutil.Process()
    CheckRun(profile_for({"ok": urls["https"]["ok_page"]}, ca, 2.0, 5.0)).run()  # warm up
    time.sleep(0.2)
    fds_before = process.num_fds()
    worst = 0.0
    for delay in DELAYS:
        run = CheckRun(profile)
        run.start()
        time.sleep(delay)
        cancelled_at = time.monotonic()
        run.cancel()
        result = run.wait(timeout=5)
        returned = time.monotonic() - cancelled_at
        worst = max(worst, returned)
        assert result is not None, f"no result {delay} s in"
        assert returned < 1.0, f"cancel {delay} s in took {returned:.2f} s"
        # "complete" only when no check was cut by the cancel; "cancelled" says what it cut:
        # checks left unfinished, or records that end in the cancel
        cut = [o for o in result.observations if getattr(o, "failure", None) == CANCELLED]
        unfinished = [o for o in result.observations if isinstance(o, Unfinished)]
        if result.outcome == "complete":
            assert not cut and not unfinished, f"cancel {delay} s in: complete, yet {cut[:1]}"
        else:
            assert result.outcome == "cancelled", result.outcome
            assert cut or unfinished, f"cancel {delay} s in: nothing says what was cut"
        assert all(u.reason == "cancelled" for u in unfinished), unfinished
        # nothing of the run may keep the process alive
        assert not [t.name for t in _run_threads() if not t.daemon]
    # Workers end within one operation timeout (docs/design.md); then nothing is left.
    limit = time.monotonic() + TIMEOUT_S + 1.5
    while time.monotonic() < limit and [
        t for t in _run_threads() if t.name.startswith("clearsight-probe")
    ]:
        time.sleep(0.05)
    left = [t.name for t in _run_threads() if t.name.startswith("clearsight-probe")]
    assert not left, left
    time.sleep(0.3)
    fds_after = process.num_fds()
    figure(
        "cancel",
        f"{len(DELAYS)} cancels, 0-3.1 s into a run",
        worst_return_s=round(worst, 3),
        fds_before=fds_before,
        fds_after=fds_after,
    )
    assert fds_after <= fds_before + 2, (fds_before, fds_after)


def test_cancel_before_start_and_twice() -> None:
    run = CheckRun(profile_for({"x": "https://127.0.0.1:9/"}, None, 1.0, 5.0))  # type: ignore[arg-type]
    run.cancel()
    run.start()
    run.cancel()
    result = run.wait(timeout=2)
    assert result is not None and result.outcome == "cancelled"
    with pytest.raises(RuntimeError):
        run.start()  # a run is started once


# ----------------------------------------------------------------------- the command line


def _cli(profile: Path, out: Path, sig: int, after: float) -> tuple[int, float, str]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{GUARD_DIR}",
        "CLEARSIGHT_EGRESS_GUARD": "1",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clearsight",
            "run",
            "--profile",
            str(profile),
            "--json",
            str(out / "r.json"),
            "--html",
            str(out / "r.html"),
            "--text",
            str(out / "r.txt"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(after)
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"still running 10 s after signal {sig}") from None
    return proc.returncode, time.monotonic() - sent, err


def _write_profile(folder: Path, urls: dict[str, str], ca: Path) -> Path:
    lines = [
        "format = 1",
        'name = "Cancel"',
        'country = "CN"',
        "include_default = false",
        "[settings]",
        f"timeout_s = {TIMEOUT_S}",
        "deadline_s = 30",
        f'ca_file = "{ca}"',
    ]
    for key, url in urls.items():
        lines += [
            "[[services]]",
            f'id = "{key.lower().replace("_", "-")}"',
            f'name = "{key}"',
            'group = "G"',
            f'urls = ["{url}"]',
        ]
    path = folder / "cancel.clearsight"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("after", [0.3, 1.0, 2.5])
def test_the_command_line_stopped_mid_run(served, tmp_path, sig, after, figure) -> None:
    ca, urls = served
    out = tmp_path / "out"
    out.mkdir()
    profile = _write_profile(tmp_path, _mixed(urls), ca)
    code, took, err = _cli(profile, out, sig, after)
    figure(
        "cancel",
        f"CLI {signal.Signals(sig).name} after {after} s",
        exit=code,
        exited_after_s=round(took, 2),
        files=len(list(out.iterdir())),
    )
    assert "Traceback" not in err, err
    assert took < 3.0, took  # the CLI waits at most 2 s for the workers after a cancel
    assert code == 2, (code, err)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert not leftovers, leftovers  # no temporary file of an interrupted save
    for path in out.iterdir():  # whatever was saved is whole
        text = path.read_text("utf-8")
        if path.suffix == ".json":
            assert json.loads(text)["outcome"] in ("cancelled", "complete")
        elif path.suffix == ".html":
            assert text.rstrip().endswith("</html>")
