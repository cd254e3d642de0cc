"""Starting watch mode at login: one entry per OS, each running ``clearsight gui --watch``
with the installed executable's real path.

* Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/clearsight.desktop``
  (XDG Autostart Specification; ``~/.config`` when the variable is unset).
* macOS: a LaunchAgent, ``~/Library/LaunchAgents/org.clearsight.Clearsight.watch.plist``
  (launchd.plist(5): ``ProgramArguments``, ``RunAtLoad``), loaded by launchd at the next login.
* Windows: the value ``Clearsight`` under ``HKCU\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run`` (a command line, quoted as ``CreateProcess`` reads it), written
  through ``winreg`` (passed in, so tests use a fake).

The texts are built by pure functions and tested from fixtures on every OS; writing and
removing go through ``Autostart``, which takes the home folder, the environment and the
registry as arguments.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WATCH_ARGS = ("gui", "--watch")
DESKTOP_FILE = "clearsight.desktop"
LAUNCH_AGENT_LABEL = "org.clearsight.Clearsight.watch"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "Clearsight"


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    platform: str | None = None,
) -> list[str]:
    """The command that starts watch mode, from what this process is.

    A bundle (PyInstaller, ``sys.frozen``): the executable itself, symbolic links resolved
    (``/usr/bin/clearsight`` of the .deb points into ``/usr/lib/clearsight``); on Windows
    its windowed twin ``clearsightw.exe`` where there is one, so no console window opens at
    login. A source or pip install: the ``clearsight`` script beside the interpreter (the
    venv's ``bin/`` or ``Scripts\\``), else the interpreter with ``-m clearsight``. The
    interpreter's own path is kept as it is: resolving a venv's ``python`` link would leave
    the venv.
    """
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = executable or sys.executable
    platform = platform or sys.platform
    windows = platform == "win32"
    if frozen:
        path = Path(os.path.realpath(executable))
        if windows:
            windowed = path.with_name("clearsightw.exe")
            if path.name.lower() == "clearsight.exe" and windowed.exists():
                path = windowed
        return [str(path), *WATCH_ARGS]
    interpreter = Path(os.path.abspath(executable))
    script = interpreter.with_name("clearsight.exe" if windows else "clearsight")
    if script.is_file():
        return [str(script), *WATCH_ARGS]
    return [str(interpreter), "-m", "clearsight", *WATCH_ARGS]


# ------------------------------------------------------------------------------ Linux
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _exec_quote(arg: str) -> str:
    """One argument of a desktop entry's ``Exec`` key (Desktop Entry Specification, "The
    Exec key"): double-quoted where it holds a reserved character, with ``"`` ``` ` ``` ``$``
    ``\\`` escaped; ``%`` doubled (field codes)."""
    arg = arg.replace("%", "%%")
    if arg and not (set(arg) & _EXEC_RESERVED):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def _desktop_string(value: str) -> str:
    """A value of type string in a desktop entry: backslashes and line breaks escaped."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    )


def desktop_entry(command: Sequence[str]) -> str:
    """The XDG autostart entry that runs ``command`` at login."""
    exec_line = " ".join(_exec_quote(a) for a in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=Clearsight\n"
        "Comment=Watch what on your network is blocked\n"
        f"Exec={_desktop_string(exec_line)}\n"
        "Icon=clearsight\n"
        "Terminal=false\n"
        "NoDisplay=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def xdg_autostart_folder(home: Path, env: Mapping[str, str]) -> Path:
    config = env.get("XDG_CONFIG_HOME", "")
    base = Path(config) if config and Path(config).is_absolute() else home / ".config"
    return base / "autostart"


# ------------------------------------------------------------------------------ macOS
def launch_agent(command: Sequence[str]) -> bytes:
    """The LaunchAgent property list that runs ``command`` at login (XML plist)."""
    agent: dict[str, Any] = {
        "Label": LAUNCH_AGENT_LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",  # the logged-in desktop, not an SSH session
    }
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML, sort_keys=True)


# ---------------------------------------------------------------------------- Windows
def run_key_value(command: Sequence[str]) -> str:
    """The Run key's value: one command line, each argument quoted as Windows reads it."""
    return subprocess.list2cmdline(list(command))


# ------------------------------------------------------------------------ all of them
def _system(platform: str) -> str:
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "macos"
    return "xdg"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


@dataclass
class Autostart:
    """Writes, removes and reads this user's start-at-login entry.

    Everything it touches comes in: ``platform`` (``sys.platform``), ``home``, ``env`` (for
    ``XDG_CONFIG_HOME``), ``registry`` (the ``winreg`` module, or a fake) and ``command``.
    Problems (a read-only folder, a registry refusal) raise ``OSError`` for the caller to
    tell the user.
    """

    platform: str = field(default_factory=lambda: sys.platform)
    home: Path = field(default_factory=Path.home)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    registry: Any = None
    command: Sequence[str] | None = None

    @property
    def system(self) -> str:
        return _system(self.platform)

    def _command(self) -> list[str]:
        if self.command is not None:
            return list(self.command)
        return launch_command(platform=self.platform)

    @property
    def path(self) -> Path | None:
        """The file of the entry (None on Windows: it is a registry value)."""
        if self.system == "xdg":
            return xdg_autostart_folder(self.home, self.env) / DESKTOP_FILE
        if self.system == "macos":
            return self.home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        return None

    def _winreg(self) -> Any:
        if self.registry is not None:
            return self.registry
        import winreg  # type: ignore[import-not-found,unused-ignore]

        return winreg

    def enable(self) -> None:
        command = self._command()
        if self.system == "windows":
            reg = self._winreg()
            with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                reg.SetValueEx(key, RUN_VALUE, 0, reg.REG_SZ, run_key_value(command))
            return
        path = self.path
        assert path is not None
        if self.system == "macos":
            _write_atomically(path, launch_agent(command))
        else:
            _write_atomically(path, desktop_entry(command).encode("utf-8"))

    def disable(self) -> None:
        """Remove the entry; nothing to remove is no problem."""
        if self.system == "windows":
            reg = self._winreg()
            try:
                with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                    reg.DeleteValue(key, RUN_VALUE)
            except FileNotFoundError:
                pass
            return
        path = self.path
        assert path is not None
        path.unlink(missing_ok=True)

    def enabled(self) -> bool:
        if self.system == "windows":
            reg = self._winreg()
            try:
                with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_READ) as key:
                    reg.QueryValueEx(key, RUN_VALUE)
            except OSError:
                return False
            return True
        path = self.path
        return path is not None and path.is_file()


__all__ = [
    "LAUNCH_AGENT_LABEL",
    "RUN_KEY",
    "RUN_VALUE",
    "Autostart",
    "desktop_entry",
    "launch_agent",
    "launch_command",
    "run_key_value",
    "xdg_autostart_folder",
]
