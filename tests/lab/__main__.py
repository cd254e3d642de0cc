"""``python -m tests.lab cleanup [--force PREFIX...]``: sweep labs left by crashed runs."""

from __future__ import annotations

import argparse
import sys

from tests.lab import netns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab")
    sub = parser.add_subparsers(dest="command", required=True)
    clean = sub.add_parser("cleanup", help="remove labs whose owning process is gone")
    clean.add_argument(
        "--force",
        nargs="*",
        default=[],
        metavar="PREFIX",
        help="also remove these labs' namespaces even if the owner lives",
    )
    args = parser.parse_args(argv)
    swept = netns.sweep_stale()
    for prefix in args.force:
        netns.delete_namespaces([f"{prefix}-cli", f"{prefix}-cen", f"{prefix}-wld"])
        netns.remove_record(prefix)
        swept.append(prefix)
    print("removed:", ", ".join(swept) if swept else "nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
