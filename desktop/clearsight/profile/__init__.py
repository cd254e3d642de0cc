"""The profile layer: what to test (DESIGN.md, "Profile (contract, TOML, format 1)")."""

from clearsight.profile.loader import (
    DEFAULT_PROFILE_SOURCE,
    MAX_FILE_BYTES,
    ProfileError,
    load_default_profile,
    load_profile,
    merge_profiles,
    parse_profile,
)
from clearsight.profile.model import (
    FORMAT,
    LANGUAGES,
    VPN_PROTOCOLS,
    CaptiveCheckSpec,
    DnsInjection,
    DohResolver,
    ExitCheckSpec,
    Profile,
    Resolver,
    Service,
    Settings,
    VpnEndpoint,
    VpnSettings,
)

__all__ = [
    "DEFAULT_PROFILE_SOURCE",
    "FORMAT",
    "LANGUAGES",
    "MAX_FILE_BYTES",
    "VPN_PROTOCOLS",
    "CaptiveCheckSpec",
    "DnsInjection",
    "DohResolver",
    "ExitCheckSpec",
    "Profile",
    "ProfileError",
    "Resolver",
    "Service",
    "Settings",
    "VpnEndpoint",
    "VpnSettings",
    "load_default_profile",
    "load_profile",
    "merge_profiles",
    "parse_profile",
]
