"""require_lab(): skip with a reason where the lab cannot run; fail instead on CI."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.lab import fixtures


@pytest.fixture
def not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CLEARSIGHT_REQUIRE_LAB", raising=False)


def test_skips_with_a_reason_when_not_root(not_root: None) -> None:
    with pytest.raises(pytest.skip.Exception, match="needs root"):
        fixtures.require_lab()


@pytest.mark.parametrize(("variable", "value"), [("CI", "true"), ("CLEARSIGHT_REQUIRE_LAB", "1")])
def test_fails_instead_on_ci(
    not_root: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(pytest.fail.Exception, match="lab required"):
        fixtures.require_lab()


def test_missing_tools_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        shutil, "which", lambda tool: None if tool == "dnsmasq" else "/usr/bin/" + tool
    )
    assert "dnsmasq" in (fixtures.lab_unavailable_reason() or "")
