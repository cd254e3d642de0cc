"""Every hostile server at once, in a process of its own (so that a test measuring the
memory of a run does not count the servers'): ``python -m tests.hostile.serve FOLDER``
writes the CA to FOLDER/ca.pem, prints one JSON line {"https": {behaviour: url}, "http":
{...}} and serves until its standard input closes."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from .hostile_http import _BOMB, BENIGN, HTTP_BEHAVIOURS, TLS_BEHAVIOURS, hostile_server, make_pki


def main(folder: str) -> None:
    pki = make_pki(Path(folder))
    _BOMB()  # compress the gzip bomb before anyone asks for it
    urls: dict[str, dict[str, str]] = {"https": {}, "http": {}}
    with contextlib.ExitStack() as stack:
        # Each behaviour on an address of its own (127.0.0.2, .3, ...): a service is one
        # host, and its verdict is about that host alone.
        for n, behaviour in enumerate([*HTTP_BEHAVIOURS, *BENIGN, *TLS_BEHAVIOURS], start=2):
            address = f"127.0.0.{n}"
            https = hostile_server(behaviour, tls=pki, address=address)
            urls["https"][behaviour] = stack.enter_context(https).url
            if behaviour not in TLS_BEHAVIOURS:
                http = hostile_server(behaviour, address=address)
                urls["http"][behaviour] = stack.enter_context(http).url
        print(json.dumps(urls), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1])
