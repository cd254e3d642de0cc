"""Hostile DNS end to end: the client's system resolver (its /etc/resolv.conf) is a hostile
server in the lab's world; ``clearsight run`` must finish within its deadline, with no
traceback, calling the affected services ``dns_failed`` or ``dns_tampered`` (or
``inconclusive``), never reachable on an answer it should not have believed."""

from __future__ import annotations

import pytest

from tests.lab.lab import Lab

from .hostile_dns import EXPECTED_VERDICTS, MODES, _bind, hostile_dns_server
from .labtools import run_cli, set_client_resolvers

pytestmark = pytest.mark.lab

TIMEOUT_S = 2.0
DEADLINE_S = 8.0
# Process start, imports and report writing come on top of the run's own deadline.
SLACK_S = 2.0


@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_hostile_system_resolver_in_the_lab(lab: Lab, mode: str, figure) -> None:
    mail = lab.add_site("mail.hostile-lab.test")
    chat = lab.add_site("chat.hostile-lab.test", ipv6=True)
    resolver = lab.add_host()
    elsewhere = lab.add_host()
    lab.start()
    assert resolver.ipv4 and elsewhere.ipv4

    def make_socket(address: str, port: int):  # type: ignore[no-untyped-def]
        return lab.call_in("world", _bind, address, port)

    with hostile_dns_server(
        mode,
        address=resolver.ipv4,
        other_address=elsewhere.ipv4,
        port=53,
        timeout_s=TIMEOUT_S,
        make_socket=make_socket,
        run_in=lambda loop: lab.call_in("world", loop),
    ) as server:
        set_client_resolvers(lab, resolver.ipv4)
        result = run_cli(
            lab,
            [mail.service("mail", name="Mail"), chat.service("chat", name="Chat")],
            timeout_s=TIMEOUT_S,
            deadline_s=DEADLINE_S,
        )
    figure(
        "dns (lab)",
        mode,
        seconds=round(result.seconds, 2),
        exit=result.exit_code,
        verdicts=",".join(sorted(set(result.verdicts().values()))) if result.report else None,
    )
    assert server.queries, "the hostile resolver was never asked"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (1, 2), result.explain()
    assert result.seconds <= DEADLINE_S + SLACK_S, result.explain()
    verdicts = result.verdicts()
    assert set(verdicts) == {"mail", "chat"}
    for service, verdict in verdicts.items():
        assert verdict in EXPECTED_VERDICTS[mode], f"{service}: {verdict}\n{result.explain()}"
    for address in server.sent.forged_addresses:
        assert address not in str(
            [o for o in result.report["observations"] if o["kind"] == "dns"]  # type: ignore[index]
        ), "a reply from the wrong address was believed"
