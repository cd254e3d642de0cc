"""The frozen app's entry point: the same as ``clearsight`` and ``python -m clearsight``."""

from clearsight.cli import main

raise SystemExit(main())
