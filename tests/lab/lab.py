"""The censorship lab: client ─ censor ─ world network namespaces with real servers.

See ``tests/lab/README.md`` for the addressing plan and a tour of the API.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.lab import netns
from tests.lab.guard import GUARD_DIR
from tests.lab.netns import LabError
from tests.lab.pki import PKI, CertAuthority, Leaf

REPO = Path(__file__).resolve().parents[2]
APP_PYTHON = REPO / ".venv" / "bin" / "python"

# ---- addressing plan (the same in every lab: each lab has its own namespaces) -------------
CLIENT_V4, CLIENT_V6 = "10.77.1.2", "fd77:0:0:1::2"
CENSOR_LAN_V4, CENSOR_LAN_V6 = "10.77.1.1", "fd77:0:0:1::1"
CENSOR_WAN_V4, CENSOR_WAN_V6 = "10.77.2.1", "fd77:0:0:2::1"
WORLD_WAN_V4, WORLD_WAN_V6 = "10.77.2.2", "fd77:0:0:2::2"
# world infrastructure (on the world's lo)
SYSTEM_RESOLVER_V4, SYSTEM_RESOLVER_V6 = "10.77.53.53", "fd77:0:0:53::53"
SYSTEM_HELPER_V4 = "10.77.53.98"
FOREIGN_RESOLVER_V4, FOREIGN_RESOLVER_V6 = "198.18.53.53", "fd77:0:0:153::53"
FOREIGN_HELPER_V4 = "198.18.53.98"
DOH_V4, DOH_V6 = "198.18.53.1", "fd77:0:0:153::1"
DOH_NAME = "doh.lab-dns.test"
DOH_PATH = "/dns-query"
# censor services (on the censor's lo)
CENSOR_DNS_V4, CENSOR_DNS_V6 = "10.77.3.53", "fd77:0:0:3::53"
CENSOR_PORTAL_V4, CENSOR_PORTAL_V6 = "10.77.3.80", "fd77:0:0:3::80"
CENSOR_BLOCK_V4, CENSOR_BLOCK_V6 = "10.77.3.81", "fd77:0:0:3::81"
CENSOR_MITM_V4, CENSOR_MITM_V6 = "10.77.3.43", "fd77:0:0:3::43"
MITM_PORTS = {
    ("evil", True): 8443,
    ("evil", False): 8445,
    ("corporate", True): 8444,
    ("corporate", False): 8446,
    ("lab", True): 8447,
    ("lab", False): 8448,
}
INJECT_QUEUE = 1
DELAY_QUEUE = 2

_SERVER_START_TIMEOUT = 15.0
_prefix_counter = itertools.count()
_live_labs: weakref.WeakSet[Lab] = weakref.WeakSet()


@atexit.register
def _teardown_forgotten_labs() -> None:
    """A lab never closed (no context manager, an interrupted run) is torn down at exit."""
    for lab in list(_live_labs):
        with contextlib.suppress(Exception):
            lab.teardown()


def _faketime_library() -> str | None:
    for pattern in (
        "/usr/lib/*/faketime/libfaketimeMT.so.1",
        "/usr/lib/faketime/libfaketimeMT.so.1",
        "/usr/lib/*/faketime/libfaketime.so.1",
    ):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def _host_netns_env() -> str:
    from tests.lab.guard import egress_guard

    inode = egress_guard.host_netns_inode()
    return str(inode) if inode is not None else ""


def is_ipv6(address: str) -> bool:
    return ":" in address


# --------------------------------------------------------------------------------------------
# Hosts and sites


@dataclass(frozen=True)
class Route:
    """A fixed answer for one path of a site (e.g. ``/generate_204``)."""

    status: int = 200
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "body": self.body,
            "content_type": self.content_type,
            "headers": dict(self.headers),
        }


BEHAVIOUR_KEYS = frozenset(
    {
        "status",
        "title",
        "text",
        "body",
        "body_bytes",
        "delay_ms",
        "redirect",
        "region_blocked",
        "routes",
        "trace",
        "trace_loc",
        "headers",
    }
)


class Host:
    """Addresses in the lab's world; a :class:`Site` also serves HTTP(S) there."""

    def __init__(self, lab: Lab, name: str | None, ipv4: str | None, ipv6: str | None) -> None:
        self.lab = lab
        self.name = name.lower().rstrip(".") if name else None
        self.ipv4 = ipv4
        self.ipv6 = ipv6

    @property
    def addresses(self) -> list[str]:
        return [a for a in (self.ipv4, self.ipv6) if a]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.addresses}>"


class Site(Host):
    """A web site in the world: HTTP on ``http_port``, HTTPS on ``https_port``.

    Behaviour (``site.set(...)`` or ``lab.add_site(..., **behaviour)``):

    ``status``          HTTP status of every page (default 200)
    ``title``/``text``  the page's title and paragraph; ``body``: the whole body verbatim
    ``body_bytes``      pad the page to this many bytes (throttling tests)
    ``delay_ms``        wait before answering each request
    ``redirect``        answer with a redirect to this URL (status 302 unless a 3xx status)
    ``region_blocked``  a "not available in your region" page (give ``status=451`` or 403)
    ``routes``          ``{path: Route(...)}`` fixed answers (captive checks: ``/generate_204``)
    ``trace_loc``       the ``loc=`` of ``/cdn-cgi/trace`` (default: the lab's country)
    ``headers``         extra response headers
    """

    def __init__(
        self,
        lab: Lab,
        name: str,
        ipv4: str | None,
        ipv6: str | None,
        *,
        http_port: int | None,
        https_port: int | None,
        cert: str,
        cert_name: str | None,
        cert_ca: str,
        extra_names: tuple[str, ...],
        behaviour: dict[str, Any],
        in_dns: bool = True,
    ) -> None:
        super().__init__(lab, name, ipv4, ipv6)
        self.in_dns = in_dns
        self.name: str = name.lower().rstrip(".")
        self.http_port = http_port
        self.https_port = https_port
        self.cert_kind = cert
        self.cert_name = cert_name
        self.cert_ca = cert_ca
        self.extra_names = extra_names
        self.behaviour: dict[str, Any] = {}
        self._check(behaviour)
        self.behaviour.update(behaviour)
        self.leaf: Leaf = self._issue()

    @staticmethod
    def _check(behaviour: Mapping[str, Any]) -> None:
        unknown = set(behaviour) - BEHAVIOUR_KEYS
        if unknown:
            raise TypeError(
                f"unknown site behaviour {sorted(unknown)}; known: {sorted(BEHAVIOUR_KEYS)}"
            )

    def _issue(self) -> Leaf:
        return self.lab.pki.leaf(
            self.name,
            self.cert_kind,
            other_name=self.cert_name,
            extra_names=self.extra_names,
            ca=self.cert_ca,
        )

    @property
    def url(self) -> str:
        port = "" if self.https_port in (443, None) else f":{self.https_port}"
        return f"https://{self.name}{port}/"

    @property
    def http_url(self) -> str:
        port = "" if self.http_port in (80, None) else f":{self.http_port}"
        return f"http://{self.name}{port}/"

    def set(self, **behaviour: Any) -> Site:
        """Change the behaviour (keys as in the class doc; ``None`` removes a key)."""
        self._check(behaviour)
        for key, value in behaviour.items():
            if value is None:
                self.behaviour.pop(key, None)
            else:
                self.behaviour[key] = value
        self.lab._world_changed()
        return self

    def reset(self) -> Site:
        self.behaviour.clear()
        self.lab._world_changed()
        return self

    def set_cert(
        self, kind: str = "valid", *, cert_name: str | None = None, ca: str | None = None
    ) -> Site:
        """Serve another certificate: ``valid``, ``expired``, ``wrong_name`` (valid for
        ``cert_name``), ``self_signed``, ``not_yet_valid``; ``ca``: lab | corporate | evil."""
        self.cert_kind = kind
        self.cert_name = cert_name
        if ca is not None:
            self.cert_ca = ca
        self.leaf = self._issue()
        self.lab._world_changed()
        return self

    def service(
        self,
        id: str | None = None,
        *,
        name: str | None = None,
        group: str = "Lab",
        domestic: bool = False,
        sensitive: bool = False,
        urls: Sequence[str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A ``[[services]]`` entry for a profile naming this site."""
        entry: dict[str, Any] = {
            "id": id or self.name.split(".")[0],
            "name": name or self.name,
            "group": group,
            "urls": list(urls) if urls is not None else [self.url],
            "domestic": domestic,
            "sensitive": sensitive,
        }
        entry.update(extra)
        return entry

    def config(self) -> dict[str, Any]:
        behaviour = dict(self.behaviour)
        behaviour.setdefault("trace_loc", self.lab.country)
        routes = behaviour.get("routes")
        if routes:
            behaviour["routes"] = {
                path: (r.as_dict() if isinstance(r, Route) else dict(r))
                for path, r in routes.items()
            }
        return {
            "name": self.name,
            "addresses": self.addresses,
            "cert": str(self.leaf.cert_path),
            "key": str(self.leaf.key_path),
            "behaviour": behaviour,
        }


# --------------------------------------------------------------------------------------------
# Resolvers


class Resolver:
    """A plain DNS resolver in the world: dnsmasq answering the genuine zone, unknown names
    NXDOMAIN, unless told to misbehave for some names."""

    def __init__(self, lab: Lab, label: str, ipv4: str, ipv6: str, helper: str) -> None:
        self.lab = lab
        self.label = label
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.helper = helper
        self.overrides: dict[str, dict[str, Any]] = {}
        self.nxdomain_answer: list[str] | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = lab.workdir / f"dnsmasq-{label}.log"

    @property
    def addresses(self) -> list[str]:
        return [self.ipv4, self.ipv6]

    # ---- misbehaviour

    def lie(self, name: str, *addresses: str) -> Resolver:
        """Answer ``name`` with these (forged) addresses instead of the genuine ones."""
        if not addresses:
            raise ValueError("lie() needs at least one address")
        self.overrides[_norm(name)] = {"action": "answer", "addresses": list(addresses)}
        self.lab._resolvers_changed()
        return self

    def nxdomain(self, name: str) -> Resolver:
        self.overrides[_norm(name)] = {"action": "nxdomain"}
        self.lab._resolvers_changed()
        return self

    def servfail(self, name: str) -> Resolver:
        self.overrides[_norm(name)] = {"action": "servfail"}
        self.lab._resolvers_changed()
        return self

    def timeout(self, name: str) -> Resolver:
        """Never answer queries for ``name`` (the client times out)."""
        self.overrides[_norm(name)] = {"action": "drop"}
        self.lab._resolvers_changed()
        return self

    def rewrite_nxdomain(self, *addresses: str) -> Resolver:
        """Answer every unknown name with these addresses (an ad-serving or portal resolver);
        no addresses: back to NXDOMAIN."""
        self.nxdomain_answer = list(addresses) or None
        self.lab._resolvers_changed()
        return self

    def reset(self, name: str | None = None) -> Resolver:
        """Back to honest answers (for ``name``, or every name)."""
        if name is None:
            changed = bool(self.overrides) or self.nxdomain_answer is not None
            self.overrides.clear()
            self.nxdomain_answer = None
        else:
            changed = self.overrides.pop(_norm(name), None) is not None
        if changed:
            self.lab._resolvers_changed()
        return self

    # ---- plumbing

    def helper_config(self) -> dict[str, Any]:
        overrides = {
            name: {"action": spec["action"]}
            for name, spec in self.overrides.items()
            if spec["action"] in ("servfail", "drop")
        }
        return {"address": self.helper, "overrides": overrides, "zone": False}

    def dnsmasq_argv(self, zone: Mapping[str, Mapping[str, list[str]]]) -> list[str]:
        argv = [
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            f"--listen-address={self.ipv4}",
            f"--listen-address={self.ipv6}",
            "--port=53",
            "--user=root",
            "--pid-file=",
            "--cache-size=0",
            "--no-negcache",
            "--local-ttl=60",
            "--no-ping",
            f"--log-facility={self.log_path}",
            "--log-queries",
        ]
        records: dict[str, list[str]] = {}
        for name, rec in zone.items():
            records[name] = [*rec.get("A", []), *rec.get("AAAA", [])]
        for name, spec in self.overrides.items():
            action = spec["action"]
            if action == "answer":
                records[name] = list(spec["addresses"])
            elif action == "nxdomain":
                records.pop(name, None)
                argv.append(f"--address=/{name}/")
            else:
                records.pop(name, None)
                argv.append(f"--server=/{name}/{self.helper}")
        for name, addresses in sorted(records.items()):
            v4 = [a for a in addresses if not is_ipv6(a)]
            v6 = [a for a in addresses if is_ipv6(a)]
            for i in range(max(len(v4), len(v6))):
                fields = [name]
                if i < len(v4):
                    fields.append(v4[i])
                if i < len(v6):
                    fields.append(v6[i])
                argv.append("--host-record=" + ",".join(fields))
        if self.nxdomain_answer:
            argv.extend(f"--address=/#/{a}" for a in self.nxdomain_answer)
        else:
            argv.append("--address=/#/")
        return argv

    def start(self, zone: Mapping[str, Mapping[str, list[str]]]) -> None:
        self.stop()
        log = open(self.lab.workdir / f"dnsmasq-{self.label}.out", "ab")  # noqa: SIM115
        with log:
            self.proc = subprocess.Popen(
                netns.ns_argv(self.lab.world_ns, self.dnsmasq_argv(zone)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_ready(self, deadline: float) -> None:
        assert self.proc is not None
        proc = self.proc

        def poll() -> None:
            query = _dns_probe_query()
            while True:
                if proc.poll() is not None:
                    raise LabError(
                        f"dnsmasq ({self.label}) exited with {proc.returncode}: "
                        f"{_tail(self.lab.workdir / f'dnsmasq-{self.label}.out')}"
                    )
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.settimeout(0.1)
                    try:
                        sock.connect((self.ipv4, 53))
                        sock.send(query)
                        if sock.recv(512):
                            return
                    except OSError:
                        pass
                if time.monotonic() > deadline:
                    raise LabError(f"dnsmasq ({self.label}) did not answer in time")
                time.sleep(0.003)

        netns.call_in_netns(self.lab.world_ns, poll)

    def stop(self) -> None:
        if self.proc is not None:
            netns.stop_process(self.proc)
            self.proc = None


def _norm(name: str) -> str:
    return name.lower().rstrip(".")


def _dns_probe_query() -> bytes:
    # A fixed query for "lab-ready.invalid" A (id 0x4c41), built without dnspython.
    qname = b"".join(bytes([len(p)]) + p.encode() for p in ("lab-ready", "invalid")) + b"\0"
    return b"\x4c\x41\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + qname + b"\x00\x01\x00\x01"


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------------------------
# Server processes


class ServerProcess:
    """A ``tests.lab.servers`` process in one namespace, driven over its control socket."""

    def __init__(self, lab: Lab, ns: str, label: str) -> None:
        self.lab = lab
        self.ns = ns
        self.label = label
        self.control = lab.workdir / f"{label}.sock"
        self.log = lab.workdir / f"{label}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "PYTHONPATH": f"{REPO}{os.pathsep}{GUARD_DIR}",
            "CLEARSIGHT_EGRESS_GUARD": "1",
            "CLEARSIGHT_EGRESS_GUARD_LOG": str(self.lab.guard_log(self.label)),
            "CLEARSIGHT_EGRESS_GUARD_HOST_NETNS": _host_netns_env(),
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8",
        }
        argv = [
            sys.executable,
            "-m",
            "tests.lab.servers",
            "--control",
            str(self.control),
            "--workdir",
            str(self.lab.workdir / self.label),
        ]
        (self.lab.workdir / self.label).mkdir(exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                netns.ns_argv(self.ns, argv),
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_ready(self, deadline: float) -> None:
        assert self.proc is not None
        while not self.control.exists():
            if self.proc.poll() is not None:
                raise LabError(
                    f"{self.label} server exited with {self.proc.returncode}:\n{_tail(self.log)}"
                )
            if time.monotonic() > deadline:
                raise LabError(f"{self.label} server did not start in time:\n{_tail(self.log)}")
            time.sleep(0.003)

    def request(self, message: dict[str, Any], timeout: float = 15.0) -> dict[str, Any]:
        with self._lock, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.control))
            sock.sendall(json.dumps(message).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        if not data:
            raise LabError(f"{self.label} server closed the control connection:\n{_tail(self.log)}")
        reply: dict[str, Any] = json.loads(data)
        if not reply.get("ok"):
            raise LabError(f"{self.label} server: {reply.get('error')}")
        return reply

    def configure(self, config: dict[str, Any]) -> None:
        self.request({"op": "configure", "config": config})

    def events(self, clear: bool = False) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.request({"op": "events", "clear": clear})["events"]
        return events

    def stop(self) -> None:
        if self.proc is not None:
            netns.stop_process(self.proc)
            self.proc = None


# --------------------------------------------------------------------------------------------
# The lab


class Lab:
    """A censorship lab. Use as a context manager::

        with Lab(prefix="t1") as lab:
            gmail = lab.add_site("mail.example-lab.test", ipv6=True)
            lab.start()
            lab.censor.drop(gmail.ipv4)
            result = lab.run_client(["curl", "-sk", gmail.url], timeout=10)

    ``prefix`` names the namespaces (``<prefix>-cli``, ``<prefix>-cen``, ``<prefix>-wld``);
    give each concurrent lab its own (default: unique per process and lab).
    """

    def __init__(
        self,
        prefix: str | None = None,
        *,
        country: str = "CN",
        pki: PKI | None = None,
        resolv_conf_ipv6: bool = False,
    ) -> None:
        if prefix is None:
            prefix = f"cs{os.getpid()}x{next(_prefix_counter)}"
        if not prefix.replace("-", "").isalnum() or len(prefix) > 20:
            raise ValueError("prefix: up to 20 letters, digits or dashes")
        self.prefix = prefix
        self.country = country
        self.client_ns = f"{prefix}-cli"
        self.censor_ns = f"{prefix}-cen"
        self.world_ns = f"{prefix}-wld"
        self.namespaces = [self.client_ns, self.censor_ns, self.world_ns]
        self._pki = pki
        self.resolv_conf_ipv6 = resolv_conf_ipv6
        self.workdir = Path()
        self.sites: list[Site] = []
        self.hosts: list[Host] = []
        self.records: dict[str, dict[str, list[str]]] = {}
        self._site_counter = itertools.count()
        self._host_counter = itertools.count()
        self._pending_addresses: list[str] = []
        self._world_addresses: set[str] = set()
        self._entered = False
        self._started = False
        self._closed = False
        self._guard_logs: list[Path] = []
        self._teardown_hooks: list[Any] = []
        self._run_counter = itertools.count()
        self.resolver: Resolver
        self.foreign_resolver: Resolver
        self.world: ServerProcess
        self.censor_server: ServerProcess
        from tests.lab.censor import Censor

        self.censor = Censor(self)

    # ---- context management

    def __enter__(self) -> Lab:
        try:
            self.setup()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    @property
    def pki(self) -> PKI:
        if self._pki is None:
            self._pki = PKI.session()
        return self._pki

    def setup(self) -> None:
        """Build the namespaces (called by ``__enter__``)."""
        if self._entered:
            return
        self._entered = True
        netns.sweep_stale()
        clash = [ns for ns in self.namespaces if (netns.NETNS_DIR / ns).exists()]
        if clash:
            raise LabError(
                f"namespaces {clash} exist and belong to a live lab: use another "
                f"prefix (or `python -m tests.lab cleanup --force {self.prefix}`)"
            )
        self.workdir = Path(tempfile.mkdtemp(prefix=f"clearsight-lab-{self.prefix}-"))
        self.workdir.chmod(0o755)
        (self.workdir / "home").mkdir()
        (self.workdir / "tmp").mkdir()
        netns.write_record(self.prefix, self.namespaces, str(self.workdir), str(self.pki.directory))
        _live_labs.add(self)
        self.resolver = Resolver(
            self, "system", SYSTEM_RESOLVER_V4, SYSTEM_RESOLVER_V6, SYSTEM_HELPER_V4
        )
        self.foreign_resolver = Resolver(
            self, "foreign", FOREIGN_RESOLVER_V4, FOREIGN_RESOLVER_V6, FOREIGN_HELPER_V4
        )
        self.world = ServerProcess(self, self.world_ns, "world")
        self.censor_server = ServerProcess(self, self.censor_ns, "censor")
        self._build_topology()

    def _build_topology(self) -> None:
        cli, cen, wld = self.client_ns, self.censor_ns, self.world_ns
        netns.ip_batch([f"netns add {ns}" for ns in self.namespaces])
        no_dad = {
            "net.ipv6.conf.all.accept_dad": "0",
            "net.ipv6.conf.default.accept_dad": "0",
            "net.ipv6.conf.default.accept_ra": "0",
            "net.ipv6.conf.all.accept_ra": "0",
        }
        # No ICMP rate limits: an unreachable must arrive every time, not once a second.
        no_limits = {"net.ipv4.icmp_ratelimit": "0", "net.ipv6.icmp.ratelimit": "0"}
        netns.write_sysctls(cli, no_dad)
        netns.write_sysctls(wld, {**no_dad, **no_limits})
        netns.write_sysctls(
            cen,
            {
                **no_dad,
                **no_limits,
                "net.ipv4.ip_forward": "1",
                "net.ipv6.conf.all.forwarding": "1",
            },
        )
        with contextlib.suppress(OSError):
            netns.write_sysctls(cen, {"net.netfilter.nf_conntrack_acct": "1"})
        censor_local = [CENSOR_DNS_V4, CENSOR_PORTAL_V4, CENSOR_BLOCK_V4, CENSOR_MITM_V4]
        censor_local6 = [CENSOR_DNS_V6, CENSOR_PORTAL_V6, CENSOR_BLOCK_V6, CENSOR_MITM_V6]
        netns.ip_batch(
            [
                "link set lo up",
                f"link add lan0 type veth peer name eth0 netns {cli}",
                f"link add wan0 type veth peer name eth0 netns {wld}",
                f"addr add {CENSOR_LAN_V4}/24 dev lan0",
                f"addr add {CENSOR_LAN_V6}/64 dev lan0 nodad",
                f"addr add {CENSOR_WAN_V4}/24 dev wan0",
                f"addr add {CENSOR_WAN_V6}/64 dev wan0 nodad",
                *(f"addr add {a}/32 dev lo" for a in censor_local),
                *(f"addr add {a}/128 dev lo" for a in censor_local6),
                "link set lan0 up",
                "link set wan0 up",
                f"route add 198.18.0.0/15 via {WORLD_WAN_V4}",
                f"route add 10.77.0.0/16 via {WORLD_WAN_V4}",
                f"route add fd77::/48 via {WORLD_WAN_V6}",
            ],
            ns=cen,
        )
        netns.ip_batch(
            [
                "link set lo up",
                f"addr add {CLIENT_V4}/24 dev eth0",
                f"addr add {CLIENT_V6}/64 dev eth0 nodad",
                "link set eth0 up",
                f"route add default via {CENSOR_LAN_V4}",
                f"route add ::/0 via {CENSOR_LAN_V6}",
            ],
            ns=cli,
        )
        infra = [
            SYSTEM_RESOLVER_V4,
            SYSTEM_HELPER_V4,
            FOREIGN_RESOLVER_V4,
            FOREIGN_HELPER_V4,
            DOH_V4,
        ]
        infra6 = [SYSTEM_RESOLVER_V6, FOREIGN_RESOLVER_V6, DOH_V6]
        netns.ip_batch(
            [
                "link set lo up",
                f"addr add {WORLD_WAN_V4}/24 dev eth0",
                f"addr add {WORLD_WAN_V6}/64 dev eth0 nodad",
                # One TCP segment per packet (no GSO super-packets): the censor's byte counters
                # then move in MSS steps, so "freeze after 16 KB" freezes after 16 KB.
                "link set dev eth0 gso_max_size 1500 gso_max_segs 1",
                "link set eth0 up",
                f"route add 10.77.1.0/24 via {CENSOR_WAN_V4}",
                f"route add 10.77.3.0/24 via {CENSOR_WAN_V4}",
                f"route add fd77:0:0:1::/64 via {CENSOR_WAN_V6}",
                f"route add fd77:0:0:3::/64 via {CENSOR_WAN_V6}",
                *(f"addr add {a}/32 dev lo" for a in infra),
                *(f"addr add {a}/128 dev lo" for a in infra6),
            ],
            ns=wld,
        )
        self._world_addresses.update(infra + infra6)
        self.censor._install_chains()
        nameservers = [SYSTEM_RESOLVER_V4] + ([SYSTEM_RESOLVER_V6] if self.resolv_conf_ipv6 else [])
        for ns in self.namespaces:
            etc = netns.ETC_NETNS / ns
            etc.mkdir(parents=True, exist_ok=True)
            servers = nameservers if ns == cli else [SYSTEM_RESOLVER_V4]
            (etc / "resolv.conf").write_text("".join(f"nameserver {s}\n" for s in servers))

    def teardown(self) -> None:
        """Stop every daemon and delete the namespaces, /etc/netns entries and files.
        Safe to call twice, and after a failed setup."""
        if self._closed:
            return
        self._closed = True
        for hook in reversed(self._teardown_hooks):  # tunnels, proxies (tests/lab/tunnels.py)
            with contextlib.suppress(Exception):
                hook()
        for proc in (
            getattr(self, "world", None),
            getattr(self, "censor_server", None),
            getattr(self, "resolver", None),
            getattr(self, "foreign_resolver", None),
        ):
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.stop()
        netns.delete_namespaces(self.namespaces)
        if self.workdir != Path() and self.workdir.name.startswith("clearsight-lab-"):
            shutil.rmtree(self.workdir, ignore_errors=True)
        netns.remove_record(self.prefix)
        _live_labs.discard(self)

    close = teardown

    def add_teardown(self, hook: Any) -> None:
        """Call ``hook()`` first when the lab is torn down (even after a failure)."""
        self._teardown_hooks.append(hook)

    # ---- world content

    def _new_address(self, kind: str, family: int, explicit: str | bool, n: int) -> str | None:
        """An address for the n-th site/host (IPv4 and IPv6 share n), or ``explicit``."""
        if explicit is False or explicit is None:
            return None
        if isinstance(explicit, str):
            address = explicit
        else:
            if kind == "site":
                address = (
                    f"198.18.{1 + n // 254}.{n % 254 + 1}"
                    if family == 4
                    else f"fd77:0:0:100::{n + 1:x}"
                )
            else:
                address = (
                    f"198.18.{200 + n // 254}.{n % 254 + 1}"
                    if family == 4
                    else f"fd77:0:0:200::{n + 1:x}"
                )
        if address not in self._world_addresses:
            self._world_addresses.add(address)
            self._pending_addresses.append(address)
        return address

    def add_site(
        self,
        name: str,
        *,
        ipv4: bool | str = True,
        ipv6: bool | str = False,
        same_address_as: Host | None = None,
        http_port: int | None = 80,
        https_port: int | None = 443,
        cert: str = "valid",
        cert_name: str | None = None,
        cert_ca: str = "lab",
        extra_names: Sequence[str] = (),
        dns: bool = True,
        **behaviour: Any,
    ) -> Site:
        """A web site on its own address(es) (or ``same_address_as`` another host), in the
        genuine DNS zone unless ``dns=False``. ``ipv4``/``ipv6``: True allocates an address,
        a string uses that address. ``cert``: valid | expired | wrong_name (valid for
        ``cert_name``) | self_signed | not_yet_valid. Behaviour keywords: see :class:`Site`."""
        if same_address_as is not None:
            v4, v6 = same_address_as.ipv4, same_address_as.ipv6
        else:
            n = next(self._site_counter)
            v4 = self._new_address("site", 4, ipv4, n)
            v6 = self._new_address("site", 6, ipv6, n)
        if not v4 and not v6:
            raise ValueError("a site needs an IPv4 or an IPv6 address")
        site = Site(
            self,
            name,
            v4,
            v6,
            http_port=http_port,
            https_port=https_port,
            cert=cert,
            cert_name=cert_name,
            cert_ca=cert_ca,
            extra_names=tuple(extra_names),
            behaviour=behaviour,
            in_dns=dns,
        )
        self.sites.append(site)
        self._world_changed(zone=dns)
        return site

    def add_host(
        self,
        name: str | None = None,
        *,
        ipv4: bool | str = True,
        ipv6: bool | str = False,
        dns: bool = True,
    ) -> Host:
        """An address in the world where nothing listens (e.g. a DNS-injection probe target:
        a foreign host that runs no DNS server). With a ``name``, it is in the genuine zone."""
        n = next(self._host_counter)
        v4 = self._new_address("host", 4, ipv4, n)
        v6 = self._new_address("host", 6, ipv6, n)
        host = Host(self, name, v4, v6)
        self.hosts.append(host)
        if name and dns:
            self.records.setdefault(_norm(name), {"A": [], "AAAA": []})
            rec = self.records[_norm(name)]
            rec["A"].extend([v4] if v4 else [])
            rec["AAAA"].extend([v6] if v6 else [])
        self._world_changed(zone=bool(name and dns))
        return host

    def add_record(self, name: str, *addresses: str) -> None:
        """Put ``name`` → addresses into the genuine zone (resolvers and DoH)."""
        rec = self.records.setdefault(_norm(name), {"A": [], "AAAA": []})
        for address in addresses:
            rec["AAAA" if is_ipv6(address) else "A"].append(address)
        self._resolvers_changed()
        self._world_changed(zone=True)

    def site(self, name: str) -> Site:
        for site in self.sites:
            if site.name == _norm(name):
                return site
        raise KeyError(name)

    def genuine_zone(self) -> dict[str, dict[str, list[str]]]:
        zone: dict[str, dict[str, list[str]]] = {DOH_NAME: {"A": [DOH_V4], "AAAA": [DOH_V6]}}
        for site in self.sites:
            if not site.in_dns:
                continue
            rec = zone.setdefault(site.name, {"A": [], "AAAA": []})
            for address in site.addresses:
                key = "AAAA" if is_ipv6(address) else "A"
                if address not in rec[key]:
                    rec[key].append(address)
        for name, record in self.records.items():
            rec = zone.setdefault(name, {"A": [], "AAAA": []})
            for key in ("A", "AAAA"):
                rec[key].extend(a for a in record.get(key, []) if a not in rec[key])
        return zone

    # ---- start and reconfiguration

    def start(self) -> Lab:
        """Start dnsmasq (system and foreign resolvers), the world's server process (sites,
        DoH, DNS helpers) and the censor's (interceptor, portal, block page, injector).
        Returns when all answer. Idempotent."""
        if not self._entered:
            raise LabError("use the Lab as a context manager (or call setup()) first")
        if self._started:
            return self
        self._flush_addresses()
        zone = self.genuine_zone()
        self.world.start()
        self.censor_server.start()
        self.resolver.start(zone)
        self.foreign_resolver.start(zone)
        deadline = time.monotonic() + _SERVER_START_TIMEOUT
        self.world.wait_ready(deadline)
        self.censor_server.wait_ready(deadline)
        self._started = True
        self.world.configure(self._world_config())
        self.censor._push()
        self.resolver.wait_ready(deadline)
        self.foreign_resolver.wait_ready(deadline)
        return self

    @property
    def started(self) -> bool:
        return self._started

    def _flush_addresses(self) -> None:
        if self._pending_addresses:
            pending, self._pending_addresses = self._pending_addresses, []
            netns.ip_batch(
                [f"addr add {a}/{128 if is_ipv6(a) else 32} dev lo" for a in pending],
                ns=self.world_ns,
            )

    def _world_changed(self, zone: bool = False) -> None:
        if not self._started:
            return
        self._flush_addresses()
        self.world.configure(self._world_config())
        if zone:
            self.censor._push()  # its DNS server answers from the genuine zone
            self._resolvers_changed()

    def _resolvers_changed(self) -> None:
        if not self._started:
            return
        self.world.configure(self._world_config())
        zone = self.genuine_zone()
        deadline = time.monotonic() + _SERVER_START_TIMEOUT
        for resolver in (self.resolver, self.foreign_resolver):
            resolver.start(zone)
        for resolver in (self.resolver, self.foreign_resolver):
            resolver.wait_ready(deadline)

    def _world_config(self) -> dict[str, Any]:
        listeners: list[dict[str, Any]] = []
        seen: set[tuple[str, str, int]] = set()

        def listen(kind: str, address: str, port: int) -> None:
            if (kind, address, port) not in seen:
                seen.add((kind, address, port))
                listeners.append({"kind": kind, "address": address, "port": port})

        doh = self.pki.leaf(DOH_NAME)
        sites = [site.config() for site in self.sites]
        sites.append(
            {
                "name": DOH_NAME,
                "addresses": [DOH_V4, DOH_V6],
                "cert": str(doh.cert_path),
                "key": str(doh.key_path),
                "behaviour": {"doh": True, "doh_path": DOH_PATH, "trace_loc": self.country},
            }
        )
        for site in self.sites:
            for address in site.addresses:
                if site.http_port:
                    listen("http", address, site.http_port)
                if site.https_port:
                    listen("https", address, site.https_port)
        for address in (DOH_V4, DOH_V6):
            listen("https", address, 443)
        for helper in (SYSTEM_HELPER_V4, FOREIGN_HELPER_V4):
            listen("dns", helper, 53)
        return {
            "listeners": listeners,
            "sites": sites,
            "zone": self.genuine_zone(),
            "dns": [self.resolver.helper_config(), self.foreign_resolver.helper_config()],
        }

    # ---- certificates

    @property
    def ca_pem(self) -> Path:
        """The lab CA (plays the public web PKI): put it in a profile's ``ca_file``."""
        return self.pki.lab.pem_path

    @property
    def evil_ca(self) -> CertAuthority:
        return self.pki.evil

    @property
    def corporate_ca(self) -> CertAuthority:
        return self.pki.corporate

    def os_store_bundle_with(self, *cas: str | CertAuthority) -> Path:
        """A bundle for ``SSL_CERT_FILE`` (the simulated OS trust store): the lab CA plus
        ``cas`` (e.g. ``"corporate"`` or ``lab.corporate_ca``)."""
        return self.pki.bundle(*cas)

    @property
    def os_store_bundle(self) -> Path:
        """The default simulated OS store: the lab CA only."""
        cached = getattr(self, "_os_store", None)
        if cached is None:
            cached = self.pki.bundle()
            self._os_store: Path = cached
        return cached

    # ---- profile helpers

    def profile_resolvers(self, ipv6: bool = False) -> list[dict[str, str]]:
        """``[[resolvers]]`` entries: the lab's foreign (plain, honest) resolver."""
        entries = [{"name": "Lab foreign resolver", "address": FOREIGN_RESOLVER_V4}]
        if ipv6:
            entries.append({"name": "Lab foreign resolver (IPv6)", "address": FOREIGN_RESOLVER_V6})
        return entries

    @property
    def system_resolver_addresses(self) -> list[str]:
        return [SYSTEM_RESOLVER_V4] + ([SYSTEM_RESOLVER_V6] if self.resolv_conf_ipv6 else [])

    @property
    def doh_url(self) -> str:
        return f"https://{DOH_NAME}{DOH_PATH}"

    @property
    def doh_bootstrap(self) -> list[str]:
        return [DOH_V4, DOH_V6]

    def profile_doh(self) -> list[dict[str, Any]]:
        """``[[doh]]`` entries: the lab's DoH server (genuine zone, lab-CA certificate)."""
        return [{"name": "Lab DoH", "url": self.doh_url, "bootstrap": self.doh_bootstrap}]

    def profile(
        self,
        services: Sequence[Mapping[str, Any]],
        *,
        name: str = "Lab profile",
        timeout_s: float = 2.0,
        deadline_s: float | None = None,
        injection_probes: Sequence[Host | str] = (),
        injection_names: Sequence[str] | None = None,
        captive_checks: Sequence[Mapping[str, Any]] = (),
        exit_check: str | None = None,
        resolvers: bool = True,
        doh: bool = True,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A format-1 profile (as a dict) naming only lab hosts, trusting the lab CA through
        ``ca_file``. Write it with :meth:`write_profile`."""
        settings: dict[str, Any] = {"timeout_s": timeout_s, "ca_file": str(self.ca_pem)}
        if deadline_s is not None:
            settings["deadline_s"] = deadline_s
        data: dict[str, Any] = {
            "format": 1,
            "name": name,
            "country": self.country,
            "include_default": False,
            "settings": settings,
        }
        if resolvers:
            data["resolvers"] = self.profile_resolvers()
        if doh:
            data["doh"] = self.profile_doh()
        if injection_probes:
            probes = []
            for probe in injection_probes:
                probes.extend(probe.addresses if isinstance(probe, Host) else [probe])
            data["dns_injection"] = {"probe_addresses": probes}
            if injection_names is not None:
                data["dns_injection"]["names"] = list(injection_names)
        if captive_checks:
            data["captive_checks"] = [dict(c) for c in captive_checks]
        if exit_check:
            data["exit_check"] = {"url": exit_check}
        data["services"] = [dict(s) for s in services]
        for key, value in (extra or {}).items():
            data[key] = value
        return data

    def write_profile(self, path: Path | str | None = None, /, **kwargs: Any) -> Path:
        """Write :meth:`profile` (keyword arguments as there) as TOML; returns the path."""
        data = kwargs.pop("data", None) or self.profile(**kwargs)
        target = Path(path) if path is not None else self.workdir / "profile.clearsight"
        target.write_text(toml_dumps(data), encoding="utf-8")
        return target

    # ---- running things in the client

    def guard_log(self, label: str) -> Path:
        path = self.workdir / f"egress-guard-{label}.log"
        self._guard_logs.append(path)
        return path

    def client_env(
        self,
        env: Mapping[str, str | None] | None = None,
        *,
        clock_offset_days: float | None = None,
        guard_log: Path | None = None,
    ) -> dict[str, str]:
        """The environment of a client process: clean (no proxies, a private HOME), the egress
        guard on, ``SSL_CERT_FILE`` = the simulated OS store (lab CA), plus ``env``
        (a ``None`` value removes a key)."""
        home = self.workdir / "home"
        base = {
            "PATH": f"{APP_PYTHON.parent}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
            "/sbin:/bin",
            "HOME": str(home),
            "USER": "root",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TMPDIR": str(self.workdir / "tmp"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "SSL_CERT_FILE": str(self.os_store_bundle),
            "PYTHONPATH": str(GUARD_DIR),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "QT_QPA_PLATFORM": "offscreen",
            "CLEARSIGHT_EGRESS_GUARD": "1",
            "CLEARSIGHT_EGRESS_GUARD_HOST_NETNS": _host_netns_env(),
        }
        if guard_log is not None:
            base["CLEARSIGHT_EGRESS_GUARD_LOG"] = str(guard_log)
        if clock_offset_days is not None:
            library = _faketime_library()
            if library is None:
                raise LabError("libfaketime is not installed (Debian package faketime)")
            base["LD_PRELOAD"] = library
            base["FAKETIME"] = f"{clock_offset_days:+g}d"
            base["DONT_FAKE_MONOTONIC"] = "1"
        for key, value in (env or {}).items():
            if value is None:
                base.pop(key, None)
            elif key == "PYTHONPATH":
                base[key] = f"{value}{os.pathsep}{GUARD_DIR}"
            else:
                base[key] = value
        return base

    def run_client(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60.0,
        clock_offset_days: float | None = None,
        input: str | bytes | None = None,
        text: bool = True,
        cwd: Path | str | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[Any]:
        """Run ``argv`` in the client namespace (output captured). ``clock_offset_days``:
        run under libfaketime (``FAKETIME=<n>d``, ``DONT_FAKE_MONOTONIC=1``; note ``dig``
        hangs under faketime). Raises :class:`EgressViolation` if the egress guard of a
        Python process inside caught an attempt to leave the lab."""
        self.start()
        log = self.guard_log(f"client-{next(self._run_counter)}")
        full_env = self.client_env(env, clock_offset_days=clock_offset_days, guard_log=log)
        proc = subprocess.run(
            netns.ns_argv(self.client_ns, [str(a) for a in argv]),
            env=full_env,
            input=input,
            capture_output=True,
            text=text,
            timeout=timeout,
            cwd=str(cwd) if cwd else str(self.workdir),
            check=False,
        )
        self.check_guard_logs()
        if check and proc.returncode != 0:
            raise LabError(f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def run_clearsight(
        self, args: Sequence[str], **kwargs: Any
    ) -> subprocess.CompletedProcess[Any]:
        """``python -m clearsight <args>`` in the client (keywords as :meth:`run_client`)."""
        python = APP_PYTHON if APP_PYTHON.exists() else Path(sys.executable)
        return self.run_client([str(python), "-m", "clearsight", *map(str, args)], **kwargs)

    def popen_client(
        self, argv: Sequence[str], *, env: Mapping[str, str | None] | None = None, **kwargs: Any
    ) -> subprocess.Popen[Any]:
        """Start ``argv`` in the client without waiting (the caller waits or kills it)."""
        self.start()
        full_env = self.client_env(
            env, guard_log=self.guard_log(f"client-{next(self._run_counter)}")
        )
        return subprocess.Popen(
            netns.ns_argv(self.client_ns, [str(a) for a in argv]), env=full_env, **kwargs
        )

    def check_guard_logs(self) -> None:
        """Raise :class:`EgressViolation` for any violation logged by a guarded process of this
        lab since the last check (each is reported once)."""
        from tests.lab.guard.egress_guard import EgressViolation

        for path in self._guard_logs:
            if path.exists() and path.stat().st_size:
                text = path.read_text(errors="replace")
                path.rename(path.with_suffix(".reported"))
                raise EgressViolation(f"a lab process tried to leave the lab:\n{text}")

    def call_in(self, where: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Python callable in a thread inside namespace ``where`` (client, censor or
        world) of this process: its sockets live there."""
        ns = {"client": self.client_ns, "censor": self.censor_ns, "world": self.world_ns}[where]
        return netns.call_in_netns(ns, fn, *args, **kwargs)

    def world_events(self, clear: bool = False) -> list[dict[str, Any]]:
        """What the world's servers saw (``kind``: http, tls, dns, doh), oldest first."""
        return self.world.events(clear) if self._started else []


# --------------------------------------------------------------------------------------------
# A small TOML writer (profiles)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(v, Mapping) for v in value)
    )


def toml_dumps(data: Mapping[str, Any], _path: str = "") -> str:
    lines: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping) or _is_table_array(value):
            tables.append((key, value))
        elif value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, value in tables:
        path = f"{_path}.{key}" if _path else key
        if isinstance(value, Mapping):
            out += f"\n[{path}]\n" + toml_dumps(value, path)
        else:
            for item in value:
                out += f"\n[[{path}]]\n" + toml_dumps(item, path)
    return out


def iter_addresses(targets: Iterable[Host | str] | Host | str | None) -> list[str | None]:
    """Addresses of hosts/sites/strings; None (all addresses) for None."""
    if targets is None:
        return [None]
    if isinstance(targets, Host | str):
        targets = [targets]
    out: list[str | None] = []
    for target in targets:
        out.extend(target.addresses if isinstance(target, Host) else [target])
    return out
