"""pytest integration: ``require_lab()`` and the ``lab`` / ``make_lab`` fixtures."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.lab.lab import Lab

REQUIRED_TOOLS = ("ip", "iptables", "ip6tables", "iptables-restore", "dnsmasq")


def _must_run() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("CLEARSIGHT_REQUIRE_LAB") == "1"
    )


@functools.lru_cache(maxsize=1)
def _probe_namespaces() -> str | None:
    """Create and delete a namespace once: the only proof that ``ip netns`` works here."""
    name = f"csprobe{os.getpid() % 100000}"
    try:
        made = subprocess.run(
            ["ip", "netns", "add", name], capture_output=True, text=True, timeout=10, check=False
        )
        if made.returncode != 0:
            return f"`ip netns add` failed: {made.stderr.strip()}"
        return None
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`ip netns add` failed: {exc}"
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10, check=False)


def lab_unavailable_reason() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the censorship lab needs root (network namespaces, iptables)"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return (
            f"the censorship lab needs {', '.join(missing)} (Debian: iproute2 iptables "
            "dnsmasq-base)"
        )
    return _probe_namespaces()


def lab_available() -> bool:
    return lab_unavailable_reason() is None


def require_lab() -> None:
    """Skip the calling test when the lab cannot run here, with the reason. With ``CI=true``
    or ``CLEARSIGHT_REQUIRE_LAB=1`` it fails instead: CI must run the lab tests."""
    reason = lab_unavailable_reason()
    if reason is None:
        return
    if _must_run():
        pytest.fail(
            f"lab required (CI=true or CLEARSIGHT_REQUIRE_LAB=1) but unavailable: {reason}",
            pytrace=False,
        )
    pytest.skip(reason)


def worker_prefix() -> str:
    """A namespace prefix unique to this pytest worker and process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    digits = "".join(ch for ch in worker if ch.isdigit()) or "0"
    return f"t{digits}p{os.getpid()}"


_lab_counter = iter(range(1, 10**9))


def _new_prefix() -> str:
    return f"{worker_prefix()}x{next(_lab_counter)}"


@pytest.fixture
def make_lab() -> Iterator[Callable[..., Lab]]:
    """A factory of entered (not started) labs, all torn down after the test:
    ``lab = make_lab(country="IR")``."""
    require_lab()
    from tests.lab.lab import Lab

    labs: list[Lab] = []

    def factory(**kwargs: Any) -> Lab:
        kwargs.setdefault("prefix", _new_prefix())
        lab = Lab(**kwargs)
        labs.append(lab)
        return lab.__enter__()

    try:
        yield factory
    finally:
        for lab in reversed(labs):
            lab.teardown()


@pytest.fixture
def lab(make_lab: Callable[..., Lab]) -> Lab:
    """A fresh lab for one test: namespaces built, servers not started (add sites, then
    ``lab.start()``; anything that needs the servers starts them)."""
    return make_lab()
