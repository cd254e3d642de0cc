"""Installs the egress guard in every Python process that has this directory on PYTHONPATH and
CLEARSIGHT_EGRESS_GUARD=1 in its environment (the lab's ``run_client`` sets both)."""

import egress_guard  # type: ignore[import-not-found,unused-ignore]

egress_guard.install_from_environment()
