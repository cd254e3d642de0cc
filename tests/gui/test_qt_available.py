"""Qt must start here; where it cannot, the GUI tests skip, and under CI they fail."""

from __future__ import annotations

import pytest

from tests.gui.conftest import must_run, qt_problem


def test_qt_starts_offscreen() -> None:
    problem = qt_problem()
    if problem is None:
        return
    if must_run():
        pytest.fail(f"{problem} (the GUI tests must run under CI)", pytrace=False)
    pytest.skip(problem)
