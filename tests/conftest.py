"""Shared pytest setup: the egress guard for every test, the ``lab`` marker and lab fixtures.

* The egress guard (``tests/lab/guard/egress_guard.py``) is installed when pytest starts: any
  socket connect/sendto/connect_ex/sendmsg to an address outside loopback and the lab ranges
  (or a DNS lookup through the machine's resolver) raises ``EgressViolation`` before a packet
  is sent, and the test fails even if the code under test swallowed the exception.
* Tests marked ``@pytest.mark.lab`` (and every test using the ``lab``/``make_lab`` fixtures)
  skip where the lab cannot run, or fail when ``CI=true`` / ``CLEARSIGHT_REQUIRE_LAB=1``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.fixtures import lab, make_lab, require_lab
from tests.lab.guard import egress_guard

__all__ = ["lab", "make_lab"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lab: needs root and network namespaces (runs real servers in a censorship lab)"
    )
    egress_guard.install()
    # No test writes history or its settings to the real user folders (history/settings.py).
    folder = tempfile.mkdtemp(prefix="clearsight-data-")
    os.environ["CLEARSIGHT_DATA_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("lab") is not None:
        require_lab()


@pytest.fixture(autouse=True)
def _own_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test keeps history and settings in a folder of its own (``CLEARSIGHT_DATA_DIR``,
    inherited by the processes it starts)."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("CLEARSIGHT_DATA_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _egress_guard() -> Iterator[None]:
    """Fail the test if it (or code it called) tried to leave loopback and the lab."""
    egress_guard.install()
    before = len(egress_guard.violations())
    yield
    caught = egress_guard.violations()[before:]
    if caught:
        egress_guard.clear_violations()
        pytest.fail(
            "egress guard: the test tried to send traffic outside the lab:\n  "
            + "\n  ".join(caught),
            pytrace=False,
        )
