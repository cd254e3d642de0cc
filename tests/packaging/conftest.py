"""The ``packaging`` marker: tests of the built installers (need root; CI runs them)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "packaging: builds the bundle and the .deb and installs it into a clean Debian chroot "
        "(root); fails instead of skipping under CI=true",
    )
