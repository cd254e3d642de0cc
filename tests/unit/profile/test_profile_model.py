"""The model classes: frozen values with a few derived conveniences."""

from __future__ import annotations

import dataclasses

import pytest

from clearsight.profile import DnsInjection, Service, Settings


@pytest.mark.parametrize(
    ("settings", "deadline"),
    [
        (Settings(), 20.0),
        (Settings(timeout_s=3), 12.0),
        (Settings(timeout_s=3, deadline_s=7), 7.0),
    ],
)
def test_deadline_defaults_to_four_timeouts(settings: Settings, deadline: float) -> None:
    assert settings.deadline_s == deadline


def test_values_are_frozen() -> None:
    service = Service("a", "A", "G", ("https://a.lab/",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        service.name = "B"  # type: ignore[misc]


def test_service_hosts_are_unique_and_lower_case() -> None:
    service = Service(
        "a", "A", "G", ("https://WWW.A.lab/x", "https://www.a.lab/y", "http://b.lab:8080/")
    )
    assert service.hosts == ("www.a.lab", "b.lab")


def test_injection_names_none_means_default() -> None:
    assert DnsInjection(("192.0.2.1",)).names is None
