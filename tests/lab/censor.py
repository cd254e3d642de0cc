"""The censor: iptables rules in the router namespace between the client and the world, plus
the censor's own servers (lying DNS, injector, interceptor, captive portal, block page,
delay queue).

Chains (IPv4 and IPv6 alike; ``clear()`` flushes them):

==================  ====================  ===========================================
table / hook        lab chain             used by
==================  ====================  ===========================================
mangle PREROUTING   ``LAB-MPRE``          DNS race injection (NFQUEUE 1)
nat PREROUTING      ``LAB-NPRE``          DNAT: DNS lies (redirect), interception, portal,
                                          block page
mangle FORWARD      ``LAB-MARK``          connmark of throttled connections
mangle FORWARD      ``LAB-DELAY``         added latency (NFQUEUE 2)
filter FORWARD      ``LAB-FWD``           drop, reject, SNI reset, throttle, loss, portal
==================  ====================  ===========================================
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tests.lab import netns
from tests.lab.dnsutil import name_hex_pattern
from tests.lab.lab import (
    CENSOR_BLOCK_V4,
    CENSOR_BLOCK_V6,
    CENSOR_DNS_V4,
    CENSOR_DNS_V6,
    CENSOR_MITM_V4,
    CENSOR_MITM_V6,
    CENSOR_PORTAL_V4,
    CENSOR_PORTAL_V6,
    DELAY_QUEUE,
    INJECT_QUEUE,
    MITM_PORTS,
    Host,
    is_ipv6,
    iter_addresses,
)

if TYPE_CHECKING:
    from tests.lab.lab import Lab

CHAINS = {
    "mangle": ["LAB-MPRE", "LAB-MARK", "LAB-DELAY"],
    "nat": ["LAB-NPRE"],
    "filter": ["LAB-FWD"],
}
HOOKS = {
    "LAB-MPRE": "PREROUTING",
    "LAB-MARK": "FORWARD",
    "LAB-DELAY": "FORWARD",
    "LAB-NPRE": "PREROUTING",
    "LAB-FWD": "FORWARD",
}
LAN = "lan0"

_REJECT_V6 = {
    "tcp-reset": "tcp-reset",
    "icmp-port-unreachable": "icmp6-port-unreachable",
    "icmp-host-unreachable": "icmp6-addr-unreachable",
    "icmp-net-unreachable": "icmp6-no-route",
    "icmp-admin-prohibited": "icmp6-adm-prohibited",
}

Targets = Iterable[Host | str] | Host | str | None


class RuleEntry:
    def __init__(self, family: int, table: str, chain: str, spec: list[str]) -> None:
        self.family = family
        self.table = table
        self.chain = chain
        self.spec = spec

    def command(self, action: str) -> list[str]:
        binary = "ip6tables" if self.family == 6 else "iptables"
        return [binary, "-w", "-t", self.table, action, self.chain, *self.spec]


class Rule:
    """What one censor call installed; :meth:`remove` undoes just that."""

    def __init__(
        self,
        censor: Censor,
        description: str,
        entries: list[RuleEntry],
        undo: Callable[[], None] | None = None,
    ) -> None:
        self.censor = censor
        self.description = description
        self.entries = entries
        self._undo = undo
        self.active = True

    def remove(self) -> None:
        if not self.active:
            return
        self.active = False
        for entry in self.entries:
            netns.run(netns.ns_argv(self.censor.lab.censor_ns, entry.command("-D")), check=False)
        if self._undo is not None:
            self._undo()
        if self in self.censor.rules:
            self.censor.rules.remove(self)

    def __repr__(self) -> str:
        state = "active" if self.active else "removed"
        return f"<Rule {self.description} ({state}, {len(self.entries)} iptables rules)>"


def _split(addresses: Sequence[str | None]) -> list[tuple[int, str | None]]:
    """(family, address) pairs; an address None means both families, unrestricted."""
    out: list[tuple[int, str | None]] = []
    for address in addresses:
        if address is None:
            out.extend([(4, None), (6, None)])
        else:
            out.append((6 if is_ipv6(address) else 4, address))
    return out


class Censor:
    """Censorship behaviours. Every method returns a :class:`Rule` (``rule.remove()``)."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.rules: list[Rule] = []
        self.lies: dict[str, dict[str, Any]] = {}
        self.injections: dict[str, dict[str, Any]] = {}
        self.captive_dns = False
        self.portal: dict[str, Any] = {}
        self.blocked_hosts: list[str] = []
        self.block_page_options: dict[str, Any] = {}
        self.delay_ms = 0
        self._marks = itertools.count(0x100)

    # ---- plumbing

    def _install_chains(self) -> None:
        for binary in ("iptables-restore", "ip6tables-restore"):
            lines: list[str] = []
            for table, chains in CHAINS.items():
                lines.append(f"*{table}")
                lines.extend(f":{chain} - [0:0]" for chain in chains)
                lines.extend(f"-A {HOOKS[chain]} -j {chain}" for chain in chains)
                lines.append("COMMIT")
            netns.run(
                netns.ns_argv(self.lab.censor_ns, [binary, "-w"]), input="\n".join(lines) + "\n"
            )

    def _apply(
        self, description: str, entries: list[RuleEntry], undo: Callable[[], None] | None = None
    ) -> Rule:
        done: list[RuleEntry] = []
        try:
            for entry in entries:
                netns.run(netns.ns_argv(self.lab.censor_ns, entry.command("-A")))
                done.append(entry)
        except netns.LabError:
            for entry in done:
                netns.run(netns.ns_argv(self.lab.censor_ns, entry.command("-D")), check=False)
            raise
        rule = Rule(self, description, entries, undo)
        self.rules.append(rule)
        return rule

    def _config(self) -> dict[str, Any]:
        listeners: list[dict[str, Any]] = []
        for v4, v6, kind, port in (
            (CENSOR_DNS_V4, CENSOR_DNS_V6, "dns", 53),
            (CENSOR_PORTAL_V4, CENSOR_PORTAL_V6, "portal", 80),
            (CENSOR_BLOCK_V4, CENSOR_BLOCK_V6, "blockproxy", 80),
        ):
            listeners += [{"kind": kind, "address": a, "port": port} for a in (v4, v6)]
        mitm: dict[str, dict[str, Any]] = {}
        for (ca, relay), port in MITM_PORTS.items():
            authority = self.lab.pki.ca(ca)
            mitm[str(port)] = {
                "ca_cert": str(authority.pem_path),
                "ca_key": str(authority.key_path),
                "relay": relay,
            }
            listeners += [
                {"kind": "mitm", "address": a, "port": port}
                for a in (CENSOR_MITM_V4, CENSOR_MITM_V6)
            ]
        overrides: dict[str, dict[str, Any]] = {
            name: {"action": "answer", "A": spec["A"], "AAAA": spec["AAAA"]}
            for name, spec in self.lies.items()
        }
        if self.captive_dns:
            overrides["*"] = {
                "action": "answer",
                "A": [CENSOR_PORTAL_V4],
                "AAAA": [CENSOR_PORTAL_V6],
            }
        return {
            "listeners": listeners,
            "zone": self.lab.genuine_zone(),
            "dns": [
                {"address": a, "overrides": overrides, "zone": True, "subdomains": True}
                for a in (CENSOR_DNS_V4, CENSOR_DNS_V6)
            ],
            "mitm": mitm,
            "portal": {
                "login_url": f"http://{CENSOR_PORTAL_V4}{self.portal.get('path', '/login')}",
                "login_path": self.portal.get("path", "/login"),
                "title": self.portal.get("title", "Guest Wi-Fi login"),
            },
            "blockpage": {"hosts": list(self.blocked_hosts), **self.block_page_options},
            "inject": {
                "queue": INJECT_QUEUE,
                "names": {
                    name: {
                        "action": "answer",
                        "A": spec["A"],
                        "AAAA": spec["AAAA"],
                        "ttl": spec.get("ttl", 60),
                    }
                    for name, spec in self.injections.items()
                },
            },
            "delay": {"queue": DELAY_QUEUE, "ms": self.delay_ms},
        }

    def _push(self) -> None:
        if self.lab.started:
            self.lab.censor_server.configure(self._config())
        # before start: Lab.start() pushes the configuration

    def _needs_server(self) -> None:
        self.lab.start()

    # ---- blocking

    def drop(
        self, target: Targets = None, port: int | None = None, proto: str | None = None
    ) -> Rule:
        """Blackhole: forwarded packets to the target(s) (all, if None) are dropped, optionally
        only for ``port``/``proto`` (tcp | udp). The client sees a timeout."""
        entries = []
        protos: list[str | None] = [proto] if proto or port is None else ["tcp", "udp"]
        for family, address in _split(iter_addresses(target)):
            for p in protos:
                spec = _match(address, p, port)
                entries.append(RuleEntry(family, "filter", "LAB-FWD", [*spec, "-j", "DROP"]))
        return self._apply(f"drop {target} port={port} proto={proto}", entries)

    def drop_once(
        self,
        target: Targets = None,
        *,
        proto: str = "tcp",
        port: int | None = None,
        containing: str | None = None,
    ) -> Rule:
        """Lose exactly one packet per target address: the first TCP SYN (``proto="tcp"``)
        or the first UDP datagram (``proto="udp"``; with ``containing``, the first one
        carrying that DNS name) forwarded to it. Every later one passes, as after a
        single packet lost on a busy link (``-m statistic --mode nth``: the rule's own
        counter matches packet 0 only)."""
        if proto not in ("tcp", "udp"):
            raise ValueError("proto: tcp or udp")
        entries = []
        for family, address in _split(iter_addresses(target)):
            spec = _match(address, proto, port)
            if proto == "tcp":
                spec.append("--syn")
            if containing is not None:
                pattern = name_hex_pattern(containing.lower().rstrip("."))
                spec += ["-m", "string", "--hex-string", pattern, "--algo", "bm", "--icase"]
            spec += ["-m", "statistic", "--mode", "nth", "--every", "2000000000", "--packet", "0"]
            entries.append(RuleEntry(family, "filter", "LAB-FWD", [*spec, "-j", "DROP"]))
        return self._apply(f"drop_once {target} {proto} port={port} {containing or ''}", entries)

    def reject(
        self,
        target: Targets = None,
        port: int | None = None,
        how: str = "tcp-reset",
        proto: str | None = None,
    ) -> Rule:
        """Refuse: ``tcp-reset`` (TCP RST: ECONNREFUSED), ``icmp-port-unreachable``
        (ECONNREFUSED), ``icmp-host-unreachable`` (EHOSTUNREACH), ``icmp-net-unreachable``,
        ``icmp-admin-prohibited``."""
        if how not in _REJECT_V6:
            raise ValueError(f"how: one of {sorted(_REJECT_V6)}")
        if how == "tcp-reset":
            proto = "tcp"
        protos: list[str | None] = [proto] if proto or port is None else ["tcp", "udp"]
        entries = []
        for family, address in _split(iter_addresses(target)):
            kind = _REJECT_V6[how] if family == 6 else how
            for p in protos:
                spec = _match(address, p, port)
                entries.append(
                    RuleEntry(
                        family, "filter", "LAB-FWD", [*spec, "-j", "REJECT", "--reject-with", kind]
                    )
                )
        return self._apply(f"reject {target} port={port} how={how}", entries)

    def sni_reset(
        self, name: str, port: int = 443, target: Targets = None, *, residual_s: float = 0
    ) -> Rule:
        """A TCP segment to ``port`` containing ``name`` (the ClientHello's SNI) is answered
        with a TCP reset and dropped: the handshake fails with ECONNRESET, while another SNI
        to the same address completes.

        ``residual_s`` (GFW-like residual blocking): after a hit, every new connection to
        that server address and port is reset for this many seconds, whatever its SNI
        (``-m recent`` keyed on the destination)."""
        entries = []
        residual = f"LABRES{next(self._marks):x}"
        for family, address in _split(iter_addresses(target)):
            base = _match(address, "tcp", port)
            reset = ["-j", "REJECT", "--reject-with", "tcp-reset"]
            if residual_s > 0:
                entries.append(
                    RuleEntry(
                        family,
                        "filter",
                        "LAB-FWD",
                        [
                            *base,
                            "--syn",
                            "-m",
                            "recent",
                            "--name",
                            f"{residual}{family}",
                            "--rdest",
                            "--rcheck",
                            "--seconds",
                            str(max(1, round(residual_s))),
                            *reset,
                        ],
                    )
                )
            match = [*base, "-m", "string", "--string", name.lower(), "--algo", "bm", "--icase"]
            if residual_s > 0:
                entries.append(
                    RuleEntry(
                        family,
                        "filter",
                        "LAB-FWD",
                        [
                            *match,
                            "-m",
                            "recent",
                            "--name",
                            f"{residual}{family}",
                            "--rdest",
                            "--set",
                        ],
                    )
                )
            entries.append(RuleEntry(family, "filter", "LAB-FWD", [*match, *reset]))
        return self._apply(f"sni_reset {name}", entries)

    def throttle(self, name: str, after_bytes: int = 16384, port: int = 443) -> Rule:
        """Connections whose ClientHello names ``name`` get a connmark; once the server has
        sent ``after_bytes`` (conntrack byte counter, reply direction), every further packet
        from the server is dropped: the transfer freezes at ~16 KB. Other SNIs to the same
        address are untouched."""
        mark = f"0x{next(self._marks):x}"
        entries = []
        for family in (4, 6):
            entries.append(
                RuleEntry(
                    family,
                    "mangle",
                    "LAB-MARK",
                    [
                        "-p",
                        "tcp",
                        "--dport",
                        str(port),
                        "-m",
                        "string",
                        "--string",
                        name.lower(),
                        "--algo",
                        "bm",
                        "--icase",
                        "-j",
                        "CONNMARK",
                        "--set-mark",
                        mark,
                    ],
                )
            )
            entries.append(
                RuleEntry(
                    family,
                    "filter",
                    "LAB-FWD",
                    [
                        "-m",
                        "connmark",
                        "--mark",
                        mark,
                        "-m",
                        "connbytes",
                        "--connbytes",
                        f"{after_bytes}:",
                        "--connbytes-dir",
                        "reply",
                        "--connbytes-mode",
                        "bytes",
                        "-j",
                        "DROP",
                    ],
                )
            )
        return self._apply(f"throttle {name} after {after_bytes} bytes", entries)

    def loss(self, probability: float, target: Targets = None) -> Rule:
        """Drop each forwarded packet (both directions) with this probability."""
        if not 0 < probability <= 1:
            raise ValueError("probability in (0, 1]")
        entries = []
        for family, address in _split(iter_addresses(target)):
            spec = ["-d", address] if address else []
            entries.append(
                RuleEntry(
                    family,
                    "filter",
                    "LAB-FWD",
                    [
                        *spec,
                        "-m",
                        "statistic",
                        "--mode",
                        "random",
                        "--probability",
                        f"{probability:.6f}",
                        "-j",
                        "DROP",
                    ],
                )
            )
        return self._apply(f"loss {probability}", entries)

    def delay(self, ms: float) -> Rule | None:
        """Add ``ms`` of round-trip time to all forwarded traffic: every forwarded packet goes
        through NFQUEUE 2 and is held ``ms/2`` by the censor process, in both directions.
        ``delay(0)`` removes it. (Connections to the censor's own servers are not delayed.)"""
        for rule in [r for r in self.rules if r.description.startswith("delay")]:
            rule.remove()
        if ms <= 0:
            return None
        self._needs_server()
        self.delay_ms = int(ms / 2) or 1
        self._push()  # bind the queue before packets are sent to it
        entries = [
            RuleEntry(
                f,
                "mangle",
                "LAB-DELAY",
                ["-j", "NFQUEUE", "--queue-num", str(DELAY_QUEUE), "--queue-bypass"],
            )
            for f in (4, 6)
        ]

        def undo() -> None:
            self.delay_ms = 0
            self._push()

        return self._apply(f"delay {ms} ms", entries, undo)

    # ---- DNS

    def dns_lie_on_path(
        self, name: str, forged: str | Sequence[str], *, mode: str = "race", ttl: int = 60
    ) -> Rule:
        """Forge DNS answers for ``name`` (and its subdomains) on the path, whatever the
        destination of the query, even an address that runs no DNS server.

        ``mode="race"`` (GFW-like): UDP/53 packets containing the name (label-aligned
        ``--hex-string``) go to NFQUEUE 1; the censor sends a reply spoofed from the queried
        address with the forged answer, then lets the query through, so the client gets the
        forged reply first and the genuine one (if any) later.
        ``mode="redirect"``: such queries are DNATed to the censor's lying DNS server; only the
        forged reply comes back (source rewritten to the queried address).
        """
        forged_list = [forged] if isinstance(forged, str) else list(forged)
        spec = {
            "A": [a for a in forged_list if not is_ipv6(a)],
            "AAAA": [a for a in forged_list if is_ipv6(a)],
            "ttl": ttl,
        }
        key = name.lower().rstrip(".")
        pattern = name_hex_pattern(key)
        match = [
            "-i",
            LAN,
            "-p",
            "udp",
            "--dport",
            "53",
            "-m",
            "string",
            "--hex-string",
            pattern,
            "--algo",
            "bm",
            "--icase",
        ]
        self._needs_server()
        if mode == "race":
            self.injections[key] = spec
            self._push()
            entries = [
                RuleEntry(
                    f,
                    "mangle",
                    "LAB-MPRE",
                    [*match, "-j", "NFQUEUE", "--queue-num", str(INJECT_QUEUE), "--queue-bypass"],
                )
                for f in (4, 6)
            ]

            def undo() -> None:
                self.injections.pop(key, None)
                self._push()

        elif mode == "redirect":
            self.lies[key] = spec
            self._push()
            entries = [
                RuleEntry(
                    4,
                    "nat",
                    "LAB-NPRE",
                    [*match, "-j", "DNAT", "--to-destination", f"{CENSOR_DNS_V4}:53"],
                ),
                RuleEntry(
                    6,
                    "nat",
                    "LAB-NPRE",
                    [*match, "-j", "DNAT", "--to-destination", f"[{CENSOR_DNS_V6}]:53"],
                ),
            ]

            def undo() -> None:
                self.lies.pop(key, None)
                self._push()

        else:
            raise ValueError("mode: race or redirect")
        return self._apply(f"dns_lie_on_path {name} -> {forged_list} ({mode})", entries, undo)

    def intercept_dns(self, lies: dict[str, str | Sequence[str]] | None = None) -> Rule:
        """A transparent DNS proxy: every UDP/53 query from the client, whatever its
        destination, is DNATed to the censor's DNS server, which answers from the genuine
        zone (and with ``lies`` for chosen names). A query to an address that runs no DNS
        server gets an answer."""
        self._needs_server()
        keys = []
        for name, forged in (lies or {}).items():
            forged_list = [forged] if isinstance(forged, str) else list(forged)
            key = name.lower().rstrip(".")
            self.lies[key] = {
                "A": [a for a in forged_list if not is_ipv6(a)],
                "AAAA": [a for a in forged_list if is_ipv6(a)],
            }
            keys.append(key)
        self._push()
        entries = [
            RuleEntry(
                4,
                "nat",
                "LAB-NPRE",
                [
                    "-i",
                    LAN,
                    "-p",
                    "udp",
                    "--dport",
                    "53",
                    "-j",
                    "DNAT",
                    "--to-destination",
                    f"{CENSOR_DNS_V4}:53",
                ],
            ),
            RuleEntry(
                6,
                "nat",
                "LAB-NPRE",
                [
                    "-i",
                    LAN,
                    "-p",
                    "udp",
                    "--dport",
                    "53",
                    "-j",
                    "DNAT",
                    "--to-destination",
                    f"[{CENSOR_DNS_V6}]:53",
                ],
            ),
        ]

        def undo() -> None:
            for key in keys:
                self.lies.pop(key, None)
            self._push()

        return self._apply("intercept_dns", entries, undo)

    # ---- TLS and HTTP

    def intercept_tls(
        self, targets: Targets = None, ca: str = "evil", *, relay: bool = True, port: int = 443
    ) -> Rule:
        """TCP to ``port`` of the targets (all, if None) is DNATed to the censor's TLS
        interceptor, which presents a certificate for the requested SNI signed by ``ca``
        (evil | corporate | lab) and relays the decrypted stream to the original destination
        (or, ``relay=False``, answers a small page itself)."""
        if (ca, relay) not in MITM_PORTS:
            raise ValueError("ca: evil, corporate or lab")
        self._needs_server()
        mitm_port = MITM_PORTS[(ca, relay)]
        entries = []
        for family, address in _split(iter_addresses(targets)):
            to = (
                f"[{CENSOR_MITM_V6}]:{mitm_port}"
                if family == 6
                else f"{CENSOR_MITM_V4}:{mitm_port}"
            )
            entries.append(
                RuleEntry(
                    family,
                    "nat",
                    "LAB-NPRE",
                    [
                        "-i",
                        LAN,
                        *_match(address, "tcp", port),
                        "-j",
                        "DNAT",
                        "--to-destination",
                        to,
                    ],
                )
            )
        return self._apply(f"intercept_tls {targets} ca={ca}", entries)

    def captive_portal(
        self,
        *,
        dns: bool = False,
        others: str = "reject",
        login_path: str = "/login",
        title: str = "Guest Wi-Fi login",
    ) -> Rule:
        """All TCP/80 from the client is DNATed to the censor's portal, which answers 302 to
        ``http://10.77.3.80/login`` (and serves that page). ``dns=True``: every DNS query is
        answered with the portal's address. ``others``: what happens to all other traffic
        (except DNS): ``reject`` (TCP reset / ICMP port unreachable), ``drop`` or ``allow``."""
        if others not in ("reject", "drop", "allow"):
            raise ValueError("others: reject, drop or allow")
        self._needs_server()
        self.portal = {"path": login_path, "title": title}
        self.captive_dns = self.captive_dns or dns
        self._push()
        entries = []
        for family, portal in ((4, f"{CENSOR_PORTAL_V4}:80"), (6, f"[{CENSOR_PORTAL_V6}]:80")):
            entries.append(
                RuleEntry(
                    family,
                    "nat",
                    "LAB-NPRE",
                    [
                        "-i",
                        LAN,
                        "-p",
                        "tcp",
                        "--dport",
                        "80",
                        "-j",
                        "DNAT",
                        "--to-destination",
                        portal,
                    ],
                )
            )
            if dns:
                to = f"{CENSOR_DNS_V4}:53" if family == 4 else f"[{CENSOR_DNS_V6}]:53"
                entries.append(
                    RuleEntry(
                        family,
                        "nat",
                        "LAB-NPRE",
                        [
                            "-i",
                            LAN,
                            "-p",
                            "udp",
                            "--dport",
                            "53",
                            "-j",
                            "DNAT",
                            "--to-destination",
                            to,
                        ],
                    )
                )
            if others != "allow":
                for p in ("udp", "tcp"):
                    entries.append(
                        RuleEntry(
                            family,
                            "filter",
                            "LAB-FWD",
                            ["-i", LAN, "-p", p, "--dport", "53", "-j", "RETURN"],
                        )
                    )
                if others == "drop":
                    entries.append(
                        RuleEntry(family, "filter", "LAB-FWD", ["-i", LAN, "-j", "DROP"])
                    )
                else:
                    unreachable = (
                        "icmp6-port-unreachable" if family == 6 else "icmp-port-unreachable"
                    )
                    entries.append(
                        RuleEntry(
                            family,
                            "filter",
                            "LAB-FWD",
                            ["-i", LAN, "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
                        )
                    )
                    entries.append(
                        RuleEntry(
                            family,
                            "filter",
                            "LAB-FWD",
                            ["-i", LAN, "-j", "REJECT", "--reject-with", unreachable],
                        )
                    )

        def undo() -> None:
            self.captive_dns = False
            self._push()

        return self._apply("captive_portal", entries, undo)

    def block_page(
        self,
        name: str,
        *,
        title: str = "Access denied",
        text: str = "This website has been blocked in accordance with the law.",
        status: int = 200,
        port: int = 80,
    ) -> Rule:
        """Plain HTTP to ``port`` goes through the censor's transparent proxy (DNAT); a request
        whose Host is ``name`` (or a subdomain) gets the censor's block page (HTML with
        ``<title>``), any other request is relayed to its destination."""
        self._needs_server()
        key = name.lower().rstrip(".")
        self.blocked_hosts.append(key)
        self.block_page_options = {"title": title, "text": text, "status": status}
        self._push()
        entries = [
            RuleEntry(
                4,
                "nat",
                "LAB-NPRE",
                [
                    "-i",
                    LAN,
                    "-p",
                    "tcp",
                    "--dport",
                    str(port),
                    "-j",
                    "DNAT",
                    "--to-destination",
                    f"{CENSOR_BLOCK_V4}:80",
                ],
            ),
            RuleEntry(
                6,
                "nat",
                "LAB-NPRE",
                [
                    "-i",
                    LAN,
                    "-p",
                    "tcp",
                    "--dport",
                    str(port),
                    "-j",
                    "DNAT",
                    "--to-destination",
                    f"[{CENSOR_BLOCK_V6}]:80",
                ],
            ),
        ]

        def undo() -> None:
            if key in self.blocked_hosts:
                self.blocked_hosts.remove(key)
            self._push()

        return self._apply(f"block_page {name}", entries, undo)

    # ---- housekeeping

    def clear(self) -> None:
        """Remove every censor rule and behaviour, and forget tracked connections."""
        flush = "".join(
            f"*{table}\n" + "".join(f"-F {chain}\n" for chain in chains) + "COMMIT\n"
            for table, chains in CHAINS.items()
        )
        for binary in ("iptables-restore", "ip6tables-restore"):
            netns.run(netns.ns_argv(self.lab.censor_ns, [binary, "-w", "--noflush"]), input=flush)
        for rule in self.rules:
            rule.active = False
        self.rules.clear()
        self.lies.clear()
        self.injections.clear()
        self.captive_dns = False
        self.blocked_hosts.clear()
        self.delay_ms = 0
        self._push()
        self.flush_conntrack()

    def flush_conntrack(self) -> None:
        from tests.lab.netlink import flush_conntrack

        netns.call_in_netns(self.lab.censor_ns, flush_conntrack)

    def rules_text(self) -> str:
        """The censor's ruleset (iptables-save and ip6tables-save), for debugging."""
        out = []
        for binary in ("iptables-save", "ip6tables-save"):
            out.append(netns.run(netns.ns_argv(self.lab.censor_ns, [binary])).stdout)
        return "\n".join(out)

    def events(self, clear: bool = False) -> list[dict[str, Any]]:
        """What the censor's servers did (``kind``: inject, mitm, portal, blockpage, proxied,
        dns)."""
        return self.lab.censor_server.events(clear) if self.lab.started else []


def _match(address: str | None, proto: str | None, port: int | None) -> list[str]:
    spec: list[str] = []
    if address:
        spec += ["-d", address]
    if proto:
        spec += ["-p", proto]
    if port is not None:
        if not proto:
            raise ValueError("a port needs a protocol")
        spec += ["--dport", str(port)]
    return spec
