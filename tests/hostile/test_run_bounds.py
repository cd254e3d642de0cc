"""A whole run (CheckRun) against every hostile HTTP and TLS server at once: the run ends
within its deadline, its memory grows by at most 20 MB (measured: peak RSS sampled every
5 ms, and tracemalloc's peak of Python allocations), no verdict says a broken server works,
and no thread of the run stays behind for long."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from clearsight.diagnosis import diagnose
from clearsight.diagnosis.vocabulary import VERDICTS
from clearsight.engine.run import CheckRun
from clearsight.probes.records import HttpFetch, Unfinished
from clearsight.profile.model import Profile, Service, Settings, VpnSettings

from .hostile_http import HTTP_BEHAVIOURS, TLS_BEHAVIOURS

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 2.0
DEADLINE_S = 6.0
MEMORY_LIMIT = 20 * 1024 * 1024
# Behaviours whose page, broken as it is, still answers like the service (the verdict may
# then be reachable or slow): everything else must never be called reachable.
MAY_WORK = {
    "endless_body",
    "endless_chunked",
    "status_999",
    "negative_length",
    "binary_headers",
    "gzip_bomb",
    "redirect_odd_scheme",
    "redirect_javascript",
}


def profile_for(urls: dict[str, str], ca: Path, timeout: float, deadline: float) -> Profile:
    services = [
        Service(id=key.replace("_", "-"), name=key, group="Hostile", urls=(url,))
        for key, url in urls.items()
    ]
    return Profile(
        format=1,
        name="hostile",
        support_contact=None,
        country="CN",
        include_default=False,
        settings=Settings(timeout_s=timeout, deadline_s=deadline, ca_file=ca),
        resolvers=(),
        doh=(),
        dns_injection=None,
        captive_checks=(),
        exit_check=None,
        services=tuple(services),
        vpn=VpnSettings(),
    )


@contextlib.contextmanager
def hostile_servers_process(folder: Path) -> Iterator[tuple[Path, dict]]:
    """Every hostile server, in a process of its own (its memory is not the run's):
    yields the CA that signs their certificates and their URLs by behaviour."""
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{REPO}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.serve", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    ports = json.loads(proc.stdout.readline())
    try:
        yield folder / "ca.pem", ports
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    with hostile_servers_process(tmp_path_factory.mktemp("hostile-servers")) as found:
        yield found


class PeakRss:
    """The process's resident set size, sampled every 5 ms."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def _urls(served: dict, schemes: tuple[str, ...]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for behaviour in [*HTTP_BEHAVIOURS, *TLS_BEHAVIOURS]:
        for scheme in schemes:
            if behaviour in served[scheme]:
                urls[f"{scheme}_{behaviour}"] = served[scheme][behaviour]
    return urls


def test_a_run_against_every_hostile_server_holds_its_deadline_and_memory(servers, figure):
    ca, ports = servers
    # Warm up: imports, SSL contexts, the first thread pool (what any run pays once).
    warm = {"ok": ports["https"]["ok_page"]}
    warm_result = CheckRun(profile_for(warm, ca, TIMEOUT_S, DEADLINE_S)).run()
    assert diagnose(warm_result.observations).services[0].verdict == "reachable"

    urls = _urls(ports, ("https", "http"))
    profile = profile_for(urls, ca, TIMEOUT_S, DEADLINE_S)
    gc.collect()
    baseline = psutil.Process().memory_info().rss
    tracemalloc.start()
    try:
        with PeakRss() as rss:
            started = time.monotonic()
            result = CheckRun(profile).run()
            took = time.monotonic() - started
        traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    growth = rss.peak - baseline
    figure(
        "http/tls (run)",
        f"{len(urls)} hostile services",
        seconds=round(took, 2),
        deadline_s=DEADLINE_S,
        rss_growth_mb=round(growth / 2**20, 1),
        tracemalloc_peak_mb=round(traced_peak / 2**20, 1),
    )
    assert took <= DEADLINE_S + 0.5, took
    assert growth <= MEMORY_LIMIT, f"RSS grew {growth / 2**20:.1f} MB"
    assert traced_peak <= MEMORY_LIMIT, f"tracemalloc peak {traced_peak / 2**20:.1f} MB"

    diagnosis = diagnose(result.observations)
    verdicts = {s.id: s.verdict for s in diagnosis.services}
    assert set(verdicts) == {key.replace("_", "-") for key in urls}
    for key in urls:
        verdict = verdicts[key.replace("_", "-")]
        assert verdict in VERDICTS, verdict
        behaviour = key.split("_", 1)[1]
        if behaviour not in MAY_WORK:
            assert verdict != "reachable", (key, verdict)
    for record in result.observations:
        if isinstance(record, HttpFetch):
            assert record.body_bytes <= 64 * 1024


def test_the_deadline_holds_when_every_check_is_stuck(servers, figure):
    """Only servers that hold every check as long as they can, with a deadline shorter than
    one timeout: the run still ends at its deadline and says what did not finish."""
    ca, ports = servers
    stuck = ["drip_status", "drip_body", "silence", "headers_endless", "chunk_size_huge"]
    urls = {f"https_{b}": ports["https"][b] for b in stuck}
    urls |= {b: ports["https"][b] for b in TLS_BEHAVIOURS}
    profile = profile_for(urls, ca, 5.0, 5.0)
    profile = profile.__class__(
        **{**profile.__dict__, "settings": Settings(timeout_s=5.0, deadline_s=1.5, ca_file=ca)}
    )
    started = time.monotonic()
    result = CheckRun(profile).run()
    took = time.monotonic() - started
    figure("http/tls (run)", "all stuck, deadline 1.5 s", seconds=round(took, 2))
    assert took <= 1.5 + 0.5, took
    assert result.outcome == "deadline"
    assert any(isinstance(o, Unfinished) for o in result.observations)
    # Workers end within one operation timeout after the deadline (docs/design.md).
    limit = time.monotonic() + 5.0 + 1.0
    while time.monotonic() < limit and _probe_threads():
        time.sleep(0.1)
    assert not _probe_threads(), _probe_threads()


def _probe_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("clearsight-probe")]


def test_a_broken_url_is_not_reachable_because_another_url_of_its_host_works(tmp_path):
    from .hostile_http import hostile_server, make_pki

    pki = make_pki(tmp_path)
    with hostile_server("ok_page", tls=pki) as ok, hostile_server("silence", tls=pki) as bad:
        profile = profile_for({"ok": ok.url, "bad": bad.url}, pki.ca_pem, 1.0, 4.0)
        result = CheckRun(profile).run()
    verdicts = {s.id: s.verdict for s in diagnose(result.observations).services}
    assert verdicts["ok"] == "reachable"
    assert verdicts["bad"] != "reachable", verdicts


# What a server with a valid certificate breaks is its own doing: nobody on the way can write
# inside that connection. (A body cut short is not "slow" either.) A server that answers no
# request, whatever the name, is no proof of blocking: unclear, and the report says why.
VERIFIED_SERVER = {
    "short_body": ("site_error", "cut_off"),
    "broken_chunked": ("site_error", "cut_off"),
    "headers_endless": ("site_error", "garbled_response"),
    "silence": ("inconclusive", "no_answer_any_name"),
}


def test_what_a_verified_server_breaks_is_not_called_blocking(servers) -> None:
    ca, ports = servers
    urls = {f"https_{b}": ports["https"][b] for b in VERIFIED_SERVER}
    result = CheckRun(profile_for(urls, ca, TIMEOUT_S, DEADLINE_S)).run()
    found = {s.id: (s.verdict, s.reason) for s in diagnose(result.observations).services}
    assert found == {f"https-{b.replace('_', '-')}": want for b, want in VERIFIED_SERVER.items()}
