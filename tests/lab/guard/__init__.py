"""The egress guard (``egress_guard``) and the ``sitecustomize`` that installs it in
subprocesses."""

from pathlib import Path

GUARD_DIR = Path(__file__).resolve().parent
