"""Record what this Windows or macOS machine says to Clearsight's OS readers, in the formats of
the test fixtures (tests/unit/probes/fixtures), and what the readers make of it.

    python packaging/record_os_readers.py OUT_DIR

The unit-test workflow runs it on each Windows and macOS runner and keeps OUT_DIR as the
``os-readers-<runner>`` artifact. The fixtures for these systems were first built from the
documented formats (no such machine was at hand); each recorded file can replace the fixture
of the same situation (a runner has no VPN and no proxy: a ``-none`` situation), and the
fixture's header then says where it was recorded. ``parsed.json`` holds the readers' view
of the same machine, to compare with what the tests expect.

Windows: GetAdaptersAddresses (``clearsight.probes.windows.read_adapters``) as
``windows-adapters.json``; ``reg query`` of the Internet Settings key and its Connections
subkey as ``windows-reg-internet-settings-none.txt``. macOS: ``scutil --dns``,
``scutil --proxy`` and ``scutil --nc list``. Nothing here touches the network.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from clearsight.probes import macos, proxy_settings, windows
from clearsight.probes.system_network import reader_for

INTERNET_SETTINGS_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings"


def where() -> str:
    """This machine, as a fixture header names it."""
    runner = " ".join(
        f"{name}={os.environ[name]}" for name in ("ImageOS", "ImageVersion") if name in os.environ
    )
    today = datetime.date.today().isoformat()
    return f"{platform.platform()} ({platform.machine()}{', ' + runner if runner else ''}), {today}"


def header(command: str) -> str:
    return (
        f"# Recorded: `{command}` on {where()}, by packaging/record_os_readers.py in the\n"
        "# unit-test workflow. Real output, no VPN and no proxy set up on the machine.\n"
    )


def run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr}")
    return done.stdout


def record_windows(out: Path) -> dict[str, Any]:
    adapters = windows.read_adapters()
    if not adapters:
        raise SystemExit("GetAdaptersAddresses gave no adapters")
    document = {
        "_comment": f"Recorded: GetAdaptersAddresses (clearsight.probes.windows.read_adapters) "
        f"on {where()}, by packaging/record_os_readers.py. Real output.",
        "adapters": [
            {
                "friendly_name": a.friendly_name,
                "description": a.description,
                "if_type": a.if_type,
                "up": a.up,
                "mtu": a.mtu if a.mtu is not None else 4294967295,
                "addresses": list(a.addresses),
                "dns": list(a.dns_servers),
            }
            for a in adapters
        ],
    }
    (out / "windows-adapters.json").write_text(
        json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    settings = run(["reg", "query", INTERNET_SETTINGS_KEY])
    connections = run(
        ["reg", "query", INTERNET_SETTINGS_KEY + r"\Connections", "/v", "DefaultConnectionSettings"]
    )
    (out / "windows-reg-internet-settings-none.txt").write_text(
        header(f'reg query "{INTERNET_SETTINGS_KEY}" (and its Connections subkey)')
        + settings
        + connections,
        encoding="utf-8",
    )
    internet = windows.read_internet_settings()
    return {
        "adapters": [dataclasses.asdict(a) for a in adapters],
        "internet_settings": dataclasses.asdict(internet) if internet is not None else None,
    }


def record_macos(out: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for args, name in (
        (["--dns"], "macos-scutil-dns-none.txt"),
        (["--proxy"], "macos-scutil-proxy-none.txt"),
        (["--nc", "list"], "macos-scutil-nc-list-none.txt"),
    ):
        text = macos.run_scutil(*args)
        if text is None:
            raise SystemExit(f"scutil {' '.join(args)} gave nothing")
        (out / name).write_text(header(f"scutil {' '.join(args)}") + text, encoding="utf-8")
        found[f"scutil {' '.join(args)}"] = len(text.splitlines())
    found["vpn_services"] = [dataclasses.asdict(s) for s in reader_for().vpn_services()]
    return found


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        parsed = record_windows(out)
    elif sys.platform == "darwin":
        parsed = record_macos(out)
    else:
        raise SystemExit("nothing to record here: this records Windows and macOS readers")
    parsed["interface_details"] = {
        name: dataclasses.asdict(details)
        for name, details in reader_for().interface_details().items()
    }
    parsed["proxy_settings"] = [dataclasses.asdict(s) for s in proxy_settings.read_proxy_settings()]
    parsed["machine"] = where()
    (out / "parsed.json").write_text(
        json.dumps(parsed, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    for path in sorted(out.iterdir()):
        print(f"recorded {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
