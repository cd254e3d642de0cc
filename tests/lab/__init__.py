"""Clearsight's censorship lab: client ─ censor ─ world network namespaces with real DNS,
web, DoH and interception servers. See README.md in this directory."""

from tests.lab.censor import Censor, Rule
from tests.lab.fixtures import lab_available, require_lab
from tests.lab.guard.egress_guard import EgressViolation
from tests.lab.lab import Host, Lab, Resolver, Route, Site
from tests.lab.netns import LabError
from tests.lab.pki import PKI, CertAuthority, Leaf

__all__ = [
    "PKI",
    "Censor",
    "CertAuthority",
    "EgressViolation",
    "Host",
    "Lab",
    "LabError",
    "Leaf",
    "Resolver",
    "Route",
    "Rule",
    "Site",
    "lab_available",
    "require_lab",
]
