"""Run a command and print its peak resident set size (``maxrss_kb=<n>``) on stderr."""

from __future__ import annotations

import resource
import subprocess
import sys

if __name__ == "__main__":
    code = subprocess.call(sys.argv[1:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"maxrss_kb={peak}", file=sys.stderr)
    raise SystemExit(code)
