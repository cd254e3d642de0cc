"""Self-tests of the censorship lab: each behaviour proven from inside the client namespace
with dig, curl, openssl or Python, then torn down. Run: ``pytest tests/lab_selftest``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.lab import EgressViolation, Lab, Route, Site
from tests.lab.fixtures import worker_prefix
from tests.lab.lab import (
    CENSOR_PORTAL_V4,
    CLIENT_V4,
    CLIENT_V6,
    FOREIGN_RESOLVER_V4,
    REPO,
    SYSTEM_RESOLVER_V4,
    SYSTEM_RESOLVER_V6,
)
from tests.lab.netns import NETNS_DIR, STATE_DIR

pytestmark = pytest.mark.lab

PY = sys.executable  # the venv's python, also used inside the client
PROBE_ENV = {"PYTHONPATH": str(REPO)}


class World:
    """The module's lab and its sites."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.mail = lab.add_site("mail.example-lab.test", ipv6=True)
        self.innocuous = lab.add_site("innocuous.example-lab.test", same_address_as=self.mail)
        self.news = lab.add_site("news.example-lab.test")
        self.expired = lab.add_site("expired.example-lab.test", cert="expired")
        self.wrong = lab.add_site("wrong.example-lab.test", cert="wrong_name")
        self.geo = lab.add_site("geo.example-lab.test", status=451, region_blocked=True)
        self.forbidden = lab.add_site("forbidden.example-lab.test", status=403)
        self.broken = lab.add_site("broken.example-lab.test", status=500)
        self.big = lab.add_site("big.example-lab.test", body_bytes=200_000)
        self.big_cdn = lab.add_site(
            "cdn.example-lab.test", same_address_as=self.big, body_bytes=200_000
        )
        self.slow = lab.add_site("slow.example-lab.test", delay_ms=300)
        self.moved = lab.add_site(
            "moved.example-lab.test", redirect="https://news.example-lab.test/"
        )
        self.check = lab.add_site(
            "connectivity.example-lab.test",
            routes={
                "/generate_204": Route(204),
                "/hotspot-detect.html": Route(200, "Success"),
            },
        )
        self.probe = lab.add_host()  # runs no DNS server: an injection probe target
        lab.start()

    def probe_json(
        self, *args: Any, timeout: float = 20.0, env: dict[str, str] | None = None
    ) -> dict[str, Any]:
        proc = self.lab.run_client(
            [PY, "-m", "tests.lab_selftest.clientprobe", *map(str, args)],
            env={**PROBE_ENV, **(env or {})},
            timeout=timeout,
        )
        assert proc.returncode == 0, proc.stderr
        result: dict[str, Any] = json.loads(proc.stdout)
        return result

    def probes(
        self, *jobs: list[Any], timeout: float = 20.0, env: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Several clientprobe commands in one client process, run concurrently."""
        proc = self.lab.run_client(
            [PY, "-m", "tests.lab_selftest.clientprobe", "batch"],
            env={**PROBE_ENV, **(env or {})},
            timeout=timeout,
            input=json.dumps([[str(a) for a in job] for job in jobs]),
        )
        assert proc.returncode == 0, proc.stderr
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results

    def run(self, *argv: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        return self.lab.run_client(list(argv), timeout=timeout)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    from tests.lab.fixtures import require_lab

    require_lab()
    with Lab(prefix=f"{worker_prefix()}m") as lab:
        yield World(lab)


@pytest.fixture
def w(world: World) -> Iterator[World]:
    """The shared lab, with the censor and resolvers reset after each test."""
    yield world
    world.lab.censor.clear()
    world.lab.resolver.reset()


# ---- topology ---------------------------------------------------------------------------


def test_topology_routes_ipv4_and_ipv6_and_resolv_conf(w: World) -> None:
    assert w.run("cat", "/etc/resolv.conf").stdout.strip() == f"nameserver {SYSTEM_RESOLVER_V4}"
    routes = w.run("ip", "route").stdout
    assert "default via 10.77.1.1" in routes
    for flag, expected_ip in (("-4", CLIENT_V4), ("-6", CLIENT_V6)):
        proc = w.run(
            "curl",
            "-sS",
            flag,
            "--cacert",
            str(w.lab.ca_pem),
            "--max-time",
            "5",
            w.mail.url + "cdn-cgi/trace",
        )
        assert proc.returncode == 0, proc.stderr
        assert f"ip={expected_ip}" in proc.stdout
        assert "loc=CN" in proc.stdout


def test_setup_and_teardown_are_fast_and_leave_nothing() -> None:
    from tests.lab.fixtures import require_lab

    require_lab()
    prefix = f"{worker_prefix()}td"
    start = time.monotonic()
    with Lab(prefix=prefix) as lab:
        setup_s = time.monotonic() - start
        site = lab.add_site("a.example-lab.test")
        lab.start()
        pids = [
            p.proc.pid
            for p in (lab.world, lab.censor_server, lab.resolver, lab.foreign_resolver)
            if p.proc is not None
        ]
        workdir = lab.workdir
        assert (
            lab.run_client(["curl", "-sS", "--cacert", str(lab.ca_pem), site.url]).returncode == 0
        )
        teardown_start = time.monotonic()
    teardown_s = time.monotonic() - teardown_start
    assert setup_s < 1.0, setup_s
    assert teardown_s < 1.5, teardown_s
    _assert_gone(prefix, pids, workdir)


def test_teardown_after_an_exception_inside_the_lab() -> None:
    from tests.lab.fixtures import require_lab

    require_lab()
    prefix = f"{worker_prefix()}ex"
    pids: list[int] = []
    workdir = Path("/nonexistent")
    with pytest.raises(RuntimeError, match="boom"), Lab(prefix=prefix) as lab:
        lab.add_site("a.example-lab.test")
        lab.start()
        pids = [
            p.proc.pid for p in (lab.world, lab.censor_server, lab.resolver) if p.proc is not None
        ]
        workdir = lab.workdir
        lab.censor.delay(50)
        raise RuntimeError("boom")
    _assert_gone(prefix, pids, workdir)


def test_a_crashed_run_is_swept_by_the_next_lab() -> None:
    from tests.lab.fixtures import require_lab
    from tests.lab.netns import pids_in_netns, sweep_stale

    require_lab()
    prefix = f"{worker_prefix()}cr"
    code = (
        f"from tests.lab import Lab\nlab = Lab(prefix={prefix!r}).__enter__()\n"
        "lab.add_site('a.example-lab.test')\nlab.start()\nprint(lab.workdir, flush=True)\n"
        "import os\nos._exit(0)  # no teardown: a crash\n"
    )
    crashed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        # os._exit skips the flush at exit: the print flushes itself, whatever PYTHONUNBUFFERED
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": ""},
    )
    assert crashed.returncode == 0, crashed.stderr
    pids = [pid for ns in ("cli", "cen", "wld") for pid in pids_in_netns(f"{prefix}-{ns}")]
    assert len(pids) >= 4  # the daemons outlived their owner
    assert prefix in sweep_stale()
    _assert_gone(prefix, pids, Path(crashed.stdout.strip()))


def _assert_gone(prefix: str, pids: list[int], workdir: Path) -> None:
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert prefix + "-" not in names
    assert not list(NETNS_DIR.glob(f"{prefix}-*"))
    assert not list(Path("/etc/netns").glob(f"{prefix}-*"))
    assert not (STATE_DIR / f"{prefix}.json").exists()
    assert not workdir.exists()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"pid {pid} survived"


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_two_labs_side_by_side(make_lab: Any) -> None:
    first, second = make_lab(), make_lab()
    a = first.add_site("same.example-lab.test", title="first lab")
    b = second.add_site("same.example-lab.test", title="second lab")
    first.start()
    second.start()
    second.censor.reject(b)
    ok = first.run_client(["curl", "-sS", "--cacert", str(first.ca_pem), a.url])
    assert "first lab" in ok.stdout
    blocked = second.run_client(["curl", "-sS", "--cacert", str(second.ca_pem), b.url])
    assert blocked.returncode == 7  # refused in the second lab only


# ---- certificates -----------------------------------------------------------------------


def test_certificates_valid_expired_wrong_name(w: World) -> None:
    ok = w.run("openssl", "verify", "-CAfile", str(w.lab.ca_pem), str(w.mail.leaf.cert_path))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    evil = w.run(
        "openssl", "verify", "-CAfile", str(w.lab.evil_ca.pem_path), str(w.mail.leaf.cert_path)
    )
    assert evil.returncode != 0
    ca = str(w.lab.ca_pem)
    good, expired, wrong, unverified = w.probes(
        ["tls", w.mail.ipv4, w.mail.name, "--verify", ca],
        ["tls", w.expired.ipv4, w.expired.name, "--verify", ca],
        ["tls", w.wrong.ipv4, w.wrong.name, "--verify", ca],
        ["tls", w.wrong.ipv4, w.wrong.name],
    )
    assert good["ok"] and good["issuer"] == "Clearsight Lab Root CA"
    assert w.mail.name in good["san"]
    assert expired["error"] == "cert:certificate has expired"
    assert wrong["error"].startswith("cert:Hostname mismatch")
    assert unverified["san"] == ["unrelated-host.lab-other.test"]


def test_os_store_bundle_with_corporate_ca(w: World) -> None:
    bundle = w.lab.os_store_bundle_with("corporate")
    text = bundle.read_text()
    assert text.count("BEGIN CERTIFICATE") == 2
    assert w.lab.corporate_ca.pem.decode() in text and w.lab.evil_ca.pem.decode() not in text
    # a site with a corporate-signed certificate is trusted through SSL_CERT_FILE only
    w.lab.censor.intercept_tls(w.mail, ca="corporate")
    plain = w.probe_json("tls", w.mail.ipv4, w.mail.name, "--verify", "system")
    assert plain["error"] == "cert:unable to get local issuer certificate"
    store = w.probe_json(
        "tls", w.mail.ipv4, w.mail.name, "--verify", "system", env={"SSL_CERT_FILE": str(bundle)}
    )
    assert store["ok"] and store["issuer"] == "Acme Corp Inspection Root"


# ---- DNS ----------------------------------------------------------------------------------


def test_system_and_foreign_resolvers_answer_the_genuine_zone(w: World) -> None:
    for server in (SYSTEM_RESOLVER_V4, SYSTEM_RESOLVER_V6, FOREIGN_RESOLVER_V4):
        a = w.run("dig", "+short", "+time=2", f"@{server}", w.mail.name, "A").stdout.split()
        aaaa = w.run("dig", "+short", "+time=2", f"@{server}", w.mail.name, "AAAA").stdout.split()
        assert a == [w.mail.ipv4] and aaaa == [w.mail.ipv6], server
    default = w.run("dig", "+time=2", "+tries=1", w.news.name).stdout  # via resolv.conf
    assert "status: NOERROR" in default and str(w.news.ipv4) in default
    unknown = w.run("dig", "+time=2", "nope.example-lab.test").stdout
    assert "status: NXDOMAIN" in unknown


def test_system_resolver_lies_fails_and_stays_silent(w: World) -> None:
    r = w.lab.resolver
    r.lie(w.mail.name, "198.18.250.1", "fd77:0:0:250::1")
    r.nxdomain(w.news.name).servfail(w.geo.name).timeout(w.slow.name)
    dig = ["dig", "+time=1", "+tries=1", f"@{SYSTEM_RESOLVER_V4}"]
    assert w.run(*dig, "+short", w.mail.name).stdout.split() == ["198.18.250.1"]
    assert "status: NXDOMAIN" in w.run(*dig, w.news.name).stdout
    system = ["dns", SYSTEM_RESOLVER_V4]
    aaaa, servfail, silent, foreign = w.probes(
        [*system, w.mail.name, "--type", "AAAA", "--listen", "0.4"],
        [*system, w.geo.name, "--listen", "0.4"],
        [*system, w.slow.name, "--listen", "0.4"],
        ["dns", FOREIGN_RESOLVER_V4, w.mail.name, "--listen", "0.2"],
    )
    assert [r["answers"] for r in aaaa["replies"]] == [["fd77:0:0:250::1"]]
    assert [r["rcode"] for r in servfail["replies"]] == ["SERVFAIL"]
    assert silent["replies"] == []
    # the foreign resolver still tells the truth
    assert [r["answers"] for r in foreign["replies"]] == [[w.mail.ipv4]]
    r.reset()
    assert w.run(*dig, "+short", w.mail.name).stdout.split() == [w.mail.ipv4]


def test_nxdomain_rewrite(w: World) -> None:
    w.lab.resolver.rewrite_nxdomain("198.18.250.9")
    dig = ["dig", "+short", "+time=1", f"@{SYSTEM_RESOLVER_V4}"]
    assert w.run(*dig, "random-name-8123.example-lab.test").stdout.split() == ["198.18.250.9"]
    assert w.run(*dig, w.mail.name).stdout.split() == [w.mail.ipv4]


def test_doh_get_and_post_answer_the_genuine_zone(w: World) -> None:
    w.lab.resolver.lie(w.mail.name, "198.18.250.1")  # DoH is not affected
    ca = str(w.lab.ca_pem)
    jobs = [
        ["doh", w.lab.doh_url, address, w.mail.name, "--method", method, "--verify", ca]
        for method in ("GET", "POST")
        for address in w.lab.doh_bootstrap
    ]
    *answers, aaaa, missing = w.probes(
        *jobs,
        [
            "doh",
            w.lab.doh_url,
            w.lab.doh_bootstrap[0],
            w.mail.name,
            "--type",
            "AAAA",
            "--verify",
            ca,
        ],
        ["doh", w.lab.doh_url, w.lab.doh_bootstrap[0], "nope.example-lab.test", "--verify", ca],
    )
    for answer in answers:
        assert answer["status"] == 200 and answer["rcode"] == "NOERROR"
        assert answer["answers"] == [w.mail.ipv4]
        assert answer["content_type"] == ["Content-Type: application/dns-message"]
    assert aaaa["answers"] == [w.mail.ipv6]
    assert missing["rcode"] == "NXDOMAIN"
    curl = w.run(
        "curl",
        "-sS",
        "--cacert",
        str(w.lab.ca_pem),
        "--doh-url",
        w.lab.doh_url,
        "--resolve",
        f"doh.lab-dns.test:443:{w.lab.doh_bootstrap[0]}",
        w.news.url,
    )
    assert curl.returncode == 0 and "news.example-lab.test" in curl.stdout, curl.stderr
    assert w.lab.profile_doh()[0]["url"] == "https://doh.lab-dns.test/dns-query"


# ---- web server -------------------------------------------------------------------------


def test_web_behaviours(w: World) -> None:
    ca = str(w.lab.ca_pem)

    def get(site: Site, path: str = "/") -> list[Any]:
        return ["https", site.ipv4, site.name, "--path", path, "--verify", ca]

    (normal, forbidden, broken, geo, big, slow, moved, g204, apple, trace) = w.probes(
        get(w.mail),
        get(w.forbidden),
        get(w.broken),
        get(w.geo),
        get(w.big),
        get(w.slow),
        get(w.moved),
        ["https", w.check.ipv4, w.check.name, "--path", "/generate_204", "--plain", "--port", 80],
        [
            "https",
            w.check.ipv4,
            w.check.name,
            "--path",
            "/hotspot-detect.html",
            "--plain",
            "--port",
            80,
        ],
        get(w.news, "/cdn-cgi/trace"),
    )
    assert normal["status"] == 200 and "<title>mail.example-lab.test</title>" in normal["body"]
    served = parsedate_to_datetime(normal["headers"]["date"]).timestamp()
    assert abs(served - time.time()) < 30
    assert forbidden["status"] == 403
    assert broken["status"] == 500
    assert geo["status"] == 451 and "not available in your region" in geo["body"].lower()
    assert big["status"] == 200 and big["body_len"] == 200_000
    assert slow["status"] == 200 and slow["elapsed"] >= 0.3
    assert moved["status"] == 302
    assert moved["headers"]["location"] == "https://news.example-lab.test/"
    assert g204["status"] == 204 and g204["body_len"] == 0
    assert apple["body"] == "Success"
    assert f"ip={CLIENT_V4}\n" in trace["body"] and "loc=CN\n" in trace["body"]
    w.news.set(trace_loc="US", status=500)
    trace_us, error = w.probes(get(w.news, "/cdn-cgi/trace"), get(w.news))
    assert "loc=US" in trace_us["body"] and error["status"] == 500
    w.news.reset()
    assert w.probe_json(*get(w.news))["status"] == 200


# ---- censor -------------------------------------------------------------------------------


def test_drop_is_a_blackhole(w: World) -> None:
    rule = w.lab.censor.drop(w.mail, port=443, proto="tcp")
    w.lab.censor.drop(SYSTEM_RESOLVER_V4, port=53, proto="udp")
    v4, v6, port80, silent = w.probes(
        ["tcp", w.mail.ipv4, 443, "--timeout", "0.6"],
        ["tcp", w.mail.ipv6, 443, "--timeout", "0.6"],
        ["tcp", w.mail.ipv4, 80],
        ["dns", SYSTEM_RESOLVER_V4, w.mail.name, "--listen", "0.6"],
    )
    assert v4["error"] == "timeout" and v6["error"] == "timeout"
    assert port80["ok"]  # other ports untouched
    assert silent["replies"] == []
    rule.remove()
    assert w.probe_json("tcp", w.mail.ipv4, 443)["ok"]


def test_reject_variants(w: World) -> None:
    censor = w.lab.censor
    censor.reject(w.news, port=443, how="tcp-reset")
    censor.reject(w.news, port=80, how="icmp-port-unreachable", proto="tcp")
    censor.reject(w.mail, how="icmp-host-unreachable")
    results = w.probes(
        ["tcp", w.news.ipv4, 443],
        ["tcp", w.news.ipv4, 80],
        ["tcp", w.mail.ipv4, 443],
        ["tcp", w.mail.ipv6, 443],
    )
    assert [r["error"] for r in results] == [
        "ECONNREFUSED",
        "ECONNREFUSED",
        "EHOSTUNREACH",
        "EHOSTUNREACH",
    ]


def test_sni_reset_spares_an_innocuous_name(w: World) -> None:
    w.lab.censor.sni_reset(w.mail.name)
    for address in w.mail.addresses:
        reset, fine = w.probes(
            ["tls", address, w.mail.name],
            ["tls", address, w.innocuous.name, "--verify", str(w.lab.ca_pem)],
        )
        assert reset["stage"] == "tls" and reset["error"] == "ECONNRESET", reset
        assert fine["ok"], fine
    openssl = w.run(
        "openssl",
        "s_client",
        "-connect",
        f"{w.mail.ipv4}:443",
        "-servername",
        w.mail.name,
        "-brief",
        timeout=10,
    )
    assert openssl.returncode != 0 and "errno=104" in openssl.stderr  # ECONNRESET


def test_sni_reset_with_residual_blocking(w: World) -> None:
    w.lab.censor.sni_reset(w.news.name, residual_s=30)
    before = w.probe_json("tls", w.news.ipv4, w.innocuous.name)
    assert before["ok"]  # the control first: fine
    hit = w.probe_json("tls", w.news.ipv4, w.news.name)
    assert hit["error"] == "ECONNRESET"
    after, elsewhere = w.probes(
        ["tls", w.news.ipv4, w.innocuous.name], ["tls", w.mail.ipv4, w.mail.name]
    )
    # the same server and port now refuses any SNI; other servers are unaffected
    assert after["stage"] == "tcp" and after["error"] == "ECONNREFUSED", after
    assert elsewhere["ok"]


def test_dns_lie_on_path_redirect_mode(w: World) -> None:
    w.lab.censor.dns_lie_on_path(w.mail.name, ["198.18.250.7", "fd77:0:0:250::7"], mode="redirect")
    servers = (w.probe.ipv4, SYSTEM_RESOLVER_V4, SYSTEM_RESOLVER_V6)
    listen = ["--listen", "0.3"]
    *forged, aaaa, sub, other, unrelated = w.probes(
        *(["dns", server, w.mail.name, *listen] for server in servers),
        ["dns", w.probe.ipv4, w.mail.name, "--type", "AAAA", *listen],
        ["dns", w.probe.ipv4, "www." + w.mail.name, *listen],
        ["dns", SYSTEM_RESOLVER_V4, w.news.name, *listen],
        ["dns", w.probe.ipv4, w.news.name, *listen],
    )
    for server, result in zip(servers, forged, strict=True):
        assert [(r["from"], r["answers"]) for r in result["replies"]] == [
            (server, ["198.18.250.7"])
        ]
    assert aaaa["replies"][0]["answers"] == ["fd77:0:0:250::7"]
    assert sub["replies"][0]["answers"] == ["198.18.250.7"]
    assert [r["answers"] for r in other["replies"]] == [[w.news.ipv4]]
    assert unrelated["replies"] == []  # nothing answers at the probe address


def test_dns_lie_on_path_race_mode_forged_first_then_genuine(w: World) -> None:
    w.lab.censor.dns_lie_on_path(w.mail.name, ["198.18.250.8", "fd77:0:0:250::8"], mode="race")
    listen = ["--listen", "0.4"]
    v4, v6, probe, aaaa, other = w.probes(
        ["dns", SYSTEM_RESOLVER_V4, w.mail.name, *listen],
        ["dns", SYSTEM_RESOLVER_V6, w.mail.name, *listen],
        ["dns", w.probe.ipv4, w.mail.name, *listen],
        ["dns", SYSTEM_RESOLVER_V4, w.mail.name, "--type", "AAAA", *listen],
        ["dns", SYSTEM_RESOLVER_V4, w.news.name, *listen],
    )
    for server, result in ((SYSTEM_RESOLVER_V4, v4), (SYSTEM_RESOLVER_V6, v6)):
        replies = result["replies"]
        assert [(r["from"], r["answers"]) for r in replies] == [
            (server, ["198.18.250.8"]),
            (server, [w.mail.ipv4]),
        ], replies
        assert replies[0]["t"] <= replies[1]["t"]
    assert [(r["from"], r["answers"]) for r in probe["replies"]] == [
        (w.probe.ipv4, ["198.18.250.8"])
    ]
    assert [r["answers"] for r in aaaa["replies"]] == [["fd77:0:0:250::8"], [w.mail.ipv6]]
    assert [r["answers"] for r in other["replies"]] == [[w.news.ipv4]]
    assert any(e["kind"] == "inject" for e in w.lab.censor.events())


def test_intercept_dns_answers_for_any_address(w: World) -> None:
    w.lab.censor.intercept_dns(lies={w.news.name: "198.18.250.5"})
    genuine, lie, v6 = w.probes(
        ["dns", w.probe.ipv4, w.mail.name, "--listen", "0.3"],
        ["dns", FOREIGN_RESOLVER_V4, w.news.name, "--listen", "0.3"],
        ["dns", SYSTEM_RESOLVER_V6, w.mail.name, "--type", "AAAA", "--listen", "0.3"],
    )
    assert [(r["from"], r["answers"]) for r in genuine["replies"]] == [
        (w.probe.ipv4, [w.mail.ipv4])
    ]
    assert [r["answers"] for r in lie["replies"]] == [["198.18.250.5"]]
    assert [r["answers"] for r in v6["replies"]] == [[w.mail.ipv6]]


def test_intercept_tls_with_the_evil_ca(w: World) -> None:
    w.lab.censor.intercept_tls(ca="evil")
    ca = str(w.lab.ca_pem)
    for address in w.mail.addresses:
        verified, seen, page = w.probes(
            ["tls", address, w.mail.name, "--verify", ca],
            ["tls", address, w.mail.name],
            ["https", address, w.mail.name],
        )
        assert verified["error"] == "cert:unable to get local issuer certificate"
        assert seen["issuer"] == "Totally Legit Root CA" and seen["san"] == [w.mail.name]
        # relayed to the genuine site
        assert page["status"] == 200 and "<title>mail.example-lab.test</title>" in page["body"]
    curl = w.run("curl", "-sS", "--cacert", ca, w.news.url)
    assert curl.returncode == 60  # certificate problem
    assert any(e["kind"] == "mitm" for e in w.lab.censor.events())


def test_intercept_tls_selected_addresses_and_answering_itself(w: World) -> None:
    w.lab.censor.intercept_tls([w.news], ca="corporate", relay=False)
    news = w.probe_json("https", w.news.ipv4, w.news.name)
    assert news["status"] == 200 and "Intercepted" in news["body"]
    mail = w.probe_json("tls", w.mail.ipv4, w.mail.name, "--verify", str(w.lab.ca_pem))
    assert mail["ok"]  # not intercepted


def test_captive_portal(w: World) -> None:
    w.lab.censor.captive_portal()
    check = w.probe_json(
        "https", w.check.ipv4, w.check.name, "--path", "/generate_204", "--plain", "--port", 80
    )
    assert check["status"] == 302
    assert check["headers"]["location"] == f"http://{CENSOR_PORTAL_V4}/login"
    login = w.run("curl", "-sSL", "--max-time", "5", w.check.http_url + "generate_204")
    assert "<title>Guest Wi-Fi login</title>" in login.stdout
    https = w.probe_json("tls", w.mail.ipv4, w.mail.name)
    assert https["stage"] == "tcp" and https["error"] == "ECONNREFUSED"
    dns = w.run("dig", "+short", "+time=1", w.mail.name).stdout.split()
    assert dns == [w.mail.ipv4]  # DNS untouched unless dns=True
    w.lab.censor.clear()
    w.lab.censor.captive_portal(dns=True, others="allow")
    assert w.run("dig", "+short", "+time=1", "anything.example").stdout.split() == [
        CENSOR_PORTAL_V4
    ]
    assert w.probe_json("tls", w.mail.ipv4, w.mail.name)["ok"]


def test_block_page_by_host(w: World) -> None:
    w.lab.censor.block_page(w.news.name, title="Website blocked")
    blocked = w.run("curl", "-sS", "--max-time", "5", w.news.http_url)
    assert "<title>Website blocked</title>" in blocked.stdout
    genuine = w.run("curl", "-sS", "--max-time", "5", w.mail.http_url)
    assert "<title>mail.example-lab.test</title>" in genuine.stdout
    v6 = w.run("curl", "-sS", "-6", "--max-time", "5", w.mail.http_url)
    assert "<title>mail.example-lab.test</title>" in v6.stdout
    tls = w.probe_json("https", w.news.ipv4, w.news.name, "--verify", str(w.lab.ca_pem))
    assert tls["status"] == 200  # HTTPS is not affected


def test_throttle_freezes_after_16k_for_the_named_sni_only(w: World) -> None:
    w.lab.censor.throttle(w.big.name)
    frozen, fine = w.probes(
        ["https", w.big.ipv4, w.big.name, "--timeout", "0.8"],
        ["https", w.big.ipv4, w.big_cdn.name, "--timeout", "2.0"],
    )
    assert frozen["error"] == "timeout", frozen
    assert frozen["status"] == 200 and 8_000 < frozen["received"] < 17_000, frozen
    assert fine["ok"] and fine["body_len"] == 200_000, fine


def test_loss(w: World) -> None:
    rule = w.lab.censor.loss(1.0)
    assert w.probe_json("tcp", w.mail.ipv4, 443, "--timeout", "0.6")["error"] == "timeout"
    rule.remove()
    w.lab.censor.loss(0.05)
    assert w.probe_json("tcp", w.mail.ipv4, 443, "--timeout", "5")["ok"]
    assert "-m statistic --mode random --probability 0.0499" in w.lab.censor.rules_text()


def test_delay_adds_round_trip_time(w: World) -> None:
    def connect_time() -> float:
        result = w.probe_json("tcp", w.mail.ipv4, 443, "--timeout", "5")
        assert result["ok"], result
        return float(result["elapsed"])

    baseline = connect_time()
    assert baseline < 0.15
    w.lab.censor.delay(200)
    v4, v6, page = w.probes(
        ["tcp", w.mail.ipv4, 443, "--timeout", "5"],
        ["tcp", w.mail.ipv6, 443, "--timeout", "5"],
        ["https", w.mail.ipv4, w.mail.name, "--timeout", "5"],
    )
    assert 0.19 <= v4["elapsed"] < 2.0 and 0.19 <= v6["elapsed"] < 2.0, (v4, v6)
    assert page["status"] == 200 and page["elapsed"] >= 0.55  # TCP + TLS + request: 3 RTTs
    w.lab.censor.delay(0)
    assert connect_time() < 0.15


def test_clear_removes_every_rule(w: World) -> None:
    censor = w.lab.censor
    censor.drop(w.mail)
    censor.sni_reset(w.news.name)
    censor.dns_lie_on_path(w.mail.name, "198.18.250.1", mode="redirect")
    censor.intercept_tls()
    censor.throttle(w.big.name)
    censor.clear()
    text = censor.rules_text()
    assert "-A LAB-" not in text
    assert w.probe_json("tls", w.mail.ipv4, w.mail.name, "--verify", str(w.lab.ca_pem))["ok"]
    assert w.run("dig", "+short", "+time=1", w.mail.name).stdout.split() == [w.mail.ipv4]


# ---- running the client -------------------------------------------------------------------


def test_run_client_with_a_wrong_clock(w: World) -> None:
    code = "import time; print(time.time())"
    faked = w.lab.run_client([PY, "-c", code], clock_offset_days=-1100)
    offset_days = (float(faked.stdout) - time.time()) / 86400
    assert -1101 < offset_days < -1099
    verify = w.lab.run_client(
        [
            "openssl",
            "s_client",
            "-connect",
            f"{w.mail.ipv4}:443",
            "-servername",
            w.mail.name,
            "-CAfile",
            str(w.lab.ca_pem),
            "-verify_return_error",
            "-brief",
        ],
        clock_offset_days=-1100,
        input="",
        timeout=10,
    )
    assert "certificate is not yet valid" in verify.stderr + verify.stdout


def test_run_client_env_and_egress_guard_in_subprocesses(w: World) -> None:
    env = w.lab.run_client(
        [
            PY,
            "-c",
            "import os, socket; print(os.environ['HOME'], "
            "os.environ['SSL_CERT_FILE'], os.environ.get('http_proxy'))",
        ],
        env={"EXTRA": "1"},
    )
    home, store, proxy = env.stdout.split()
    assert home.startswith(str(w.lab.workdir)) and store == str(w.lab.os_store_bundle)
    assert proxy == "None"
    inside = w.lab.run_client(
        [
            PY,
            "-c",
            "import socket; s = socket.create_connection("
            f"('{w.mail.ipv4}', 443), 2); print('connected')",
        ]
    )
    assert inside.stdout.strip() == "connected"  # lab addresses are fine inside the lab
    with pytest.raises(EgressViolation, match=r"192\.0\.2\.1"):
        w.lab.run_client(
            [
                PY,
                "-c",
                "import socket\ntry:\n    socket.create_connection("
                "('192.0.2.1', 80), 1)\nexcept Exception:\n    pass",
            ]
        )


def test_sites_added_after_start(w: World) -> None:
    late = w.lab.add_site("late.example-lab.test", ipv6=True, title="added late")
    assert w.run("dig", "+short", "+time=1", late.name).stdout.split() == [late.ipv4]
    for flag in ("-4", "-6"):
        page = w.run("curl", "-sS", flag, "--cacert", str(w.lab.ca_pem), late.url)
        assert "<title>added late</title>" in page.stdout, page.stderr
    assert any(e.get("site") == late.name for e in w.lab.world_events())


def test_run_clearsight_runs_the_app_in_the_client(w: World) -> None:
    proc = w.lab.run_clearsight(["--version"], timeout=60)
    assert "No module named" not in proc.stderr
    assert proc.returncode != 127


def test_profile_helpers(w: World, tmp_path: Path) -> None:
    import tomllib

    path = w.lab.write_profile(
        tmp_path / "lab.clearsight",
        services=[
            w.mail.service("gmail", name="Gmail", group="Email"),
            w.news.service(domestic=True),
        ],
        injection_probes=[w.probe],
        captive_checks=[{"url": w.check.http_url + "generate_204", "expect_status": 204}],
        exit_check=w.news.url + "cdn-cgi/trace",
    )
    data = tomllib.loads(path.read_text())
    assert data["format"] == 1 and data["include_default"] is False
    assert data["settings"]["ca_file"] == str(w.lab.ca_pem)
    assert data["resolvers"] == [{"name": "Lab foreign resolver", "address": FOREIGN_RESOLVER_V4}]
    assert data["doh"][0]["bootstrap"] == w.lab.doh_bootstrap
    assert data["dns_injection"]["probe_addresses"] == [w.probe.ipv4]
    assert data["services"][0]["urls"] == ["https://mail.example-lab.test/"]
    assert data["services"][1]["domestic"] is True
