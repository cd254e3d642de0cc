"""The Debian packages Clearsight needs, read from ``packages.txt`` beside this file (the one
list: the Makefile, the workflows, the .deb build and the tests all read it).

    python3 packaging/debian/packages.py run test      # names, one line, space-separated
    python3 packaging/debian/packages.py --missing run # only those dpkg says are not installed

Standard library only: it runs before any venv exists.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

LIST = Path(__file__).resolve().with_name("packages.txt")
PURPOSES = ("run", "test", "build", "docs")


def packages(*purposes: str, path: Path = LIST) -> list[str]:
    """The packages listed for ``purposes``, in file order, each once."""
    unknown = [p for p in purposes if p not in PURPOSES]
    if unknown:
        raise ValueError(f"unknown purpose {unknown[0]!r}; known: {', '.join(PURPOSES)}")
    names: list[str] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        if len(line) != 2 or line[0] not in PURPOSES:
            raise ValueError(f"{path.name}, line {number}: expected '<purpose> <package>'")
        purpose, name = line
        if purpose in purposes and name not in names:
            names.append(name)
    return names


def missing(names: list[str]) -> list[str]:
    """Those of ``names`` that dpkg does not report installed (all of them without dpkg)."""
    if shutil.which("dpkg-query") is None:
        return list(names)
    absent = []
    for name in names:
        proc = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.stdout.strip() != "installed":
            absent.append(name)
    return absent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("purposes", nargs="+", choices=PURPOSES)
    parser.add_argument("--missing", action="store_true", help="only those not installed")
    args = parser.parse_args(argv)
    names = packages(*args.purposes)
    if args.missing:
        names = missing(names)
    print(" ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
