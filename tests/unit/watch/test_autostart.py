"""Starting watch mode at login: the entry of each OS, built from fixtures where it cannot
run here (the plist read back with plistlib, the .desktop with configparser, the Run key
through a fake winreg), written and removed for real on Linux in a temporary HOME."""

from __future__ import annotations

import configparser
import os
import plistlib
import sys
from pathlib import Path
from typing import Any

import pytest

from clearsight.watch.autostart import (
    LAUNCH_AGENT_LABEL,
    RUN_KEY,
    RUN_VALUE,
    Autostart,
    desktop_entry,
    launch_agent,
    launch_command,
    run_key_value,
    xdg_autostart_folder,
)

FIXTURES = Path(__file__).parent / "fixtures"


def read_desktop(text: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(text)
    return parser["Desktop Entry"]


def unquote_exec(value: str) -> list[str]:
    """The Exec key's arguments back, as the Desktop Entry Specification reads them: the
    string's own escapes first (``\\\\``), then double quotes in which a backslash escapes
    ``"`` ``` ` ``` ``$`` ``\\``, then ``%%`` -> ``%``."""
    value = value.replace("\\\\", "\\")
    args: list[str] = []
    current: list[str] | None = None
    quoted = False
    i = 0
    while i < len(value):
        char = value[i]
        if quoted:
            if char == "\\" and i + 1 < len(value) and value[i + 1] in '"`$\\':
                assert current is not None
                current.append(value[i + 1])
                i += 1
            elif char == '"':
                quoted = False
            else:
                assert current is not None
                current.append(char)
        elif char == " ":
            if current is not None:
                args.append("".join(current))
                current = None
        elif char == '"':
            quoted, current = True, current if current is not None else []
        else:
            current = [*(current or []), char]
        i += 1
    assert not quoted, value
    if current is not None:
        args.append("".join(current))
    return [a.replace("%%", "%") for a in args]


# ---------------------------------------------------------------------------- commands
def test_a_bundle_runs_its_own_executable_with_links_resolved(tmp_path: Path) -> None:
    real = tmp_path / "usr" / "lib" / "clearsight" / "clearsight"
    real.parent.mkdir(parents=True)
    real.write_text("")
    link = tmp_path / "usr" / "bin" / "clearsight"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    command = launch_command(frozen=True, executable=str(link), platform="linux")
    assert command == [str(real), "gui", "--watch"]


def test_a_windows_bundle_starts_the_windowed_executable(tmp_path: Path) -> None:
    console = tmp_path / "clearsight.exe"
    console.write_text("")
    (tmp_path / "clearsightw.exe").write_text("")
    command = launch_command(frozen=True, executable=str(console), platform="win32")
    assert command == [str(tmp_path / "clearsightw.exe"), "gui", "--watch"]


def test_a_venv_runs_its_clearsight_script_beside_the_interpreter(tmp_path: Path) -> None:
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "clearsight").write_text("")
    python = bin_dir / "python"
    python.symlink_to(sys.executable)  # resolving this link would leave the venv
    command = launch_command(frozen=False, executable=str(python), platform="linux")
    assert command == [str(bin_dir / "clearsight"), "gui", "--watch"]


def test_without_a_script_the_interpreter_runs_the_module(tmp_path: Path) -> None:
    python = tmp_path / "python3"
    command = launch_command(frozen=False, executable=str(python), platform="linux")
    assert command == [str(python), "-m", "clearsight", "gui", "--watch"]


def test_this_checkout_finds_its_venv_script() -> None:
    command = launch_command()
    assert command[-2:] == ["gui", "--watch"]
    assert Path(command[0]).is_absolute() and Path(command[0]).exists()


# ------------------------------------------------------------------------------- Linux
@pytest.mark.parametrize(
    "command",
    [
        ["/usr/lib/clearsight/clearsight", "gui", "--watch"],
        ["/home/li lei/my apps/venv/bin/clearsight", "gui", "--watch"],
        ['/opt/we"ird $dir/`x`\\y/100%/clearsight', "gui", "--watch"],
        ["/home/李雷/应用/clearsight", "gui", "--watch"],
    ],
)
def test_the_desktop_entry_runs_the_command(command: list[str]) -> None:
    entry = read_desktop(desktop_entry(command))
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Clearsight"
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert entry["Terminal"] == "false"
    assert unquote_exec(entry["Exec"]) == command


def test_the_desktop_entry_matches_the_fixture() -> None:
    expected = (FIXTURES / "clearsight.desktop").read_text("utf-8")
    assert desktop_entry(["/usr/lib/clearsight/clearsight", "gui", "--watch"]) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "home/.config/autostart"),
        ({"XDG_CONFIG_HOME": ""}, "home/.config/autostart"),
        ({"XDG_CONFIG_HOME": "relative"}, "home/.config/autostart"),  # the spec: ignored
        ({"XDG_CONFIG_HOME": "/cfg"}, "/cfg/autostart"),
    ],
)
def test_the_autostart_folder(env: dict[str, str], expected: str) -> None:
    folder = xdg_autostart_folder(Path("home"), env)
    assert folder == Path(expected)


def test_enable_and_disable_write_and_remove_the_entry_on_linux(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "config"
    autostart = Autostart(
        platform="linux", home=home, env={"XDG_CONFIG_HOME": str(config)}, command=None
    )
    assert not autostart.enabled()
    autostart.disable()  # nothing there: no problem
    autostart.enable()
    path = config / "autostart" / "clearsight.desktop"
    assert autostart.path == path and path.is_file() and autostart.enabled()
    assert unquote_exec(read_desktop(path.read_text("utf-8"))["Exec"]) == launch_command()
    assert not list(path.parent.glob("*.partial"))
    autostart.enable()  # twice is the same entry
    assert len(list(path.parent.iterdir())) == 1
    autostart.disable()
    assert not path.exists() and not autostart.enabled()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_raises_oserror(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    config.chmod(0o500)
    try:
        with pytest.raises(OSError):
            Autostart(
                platform="linux", home=tmp_path, env={"XDG_CONFIG_HOME": str(config)}
            ).enable()
    finally:
        config.chmod(0o700)


def test_a_file_in_the_way_raises_oserror(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "autostart").write_text("not a folder")
    with pytest.raises(OSError):
        Autostart(platform="linux", home=tmp_path, env={"XDG_CONFIG_HOME": str(config)}).enable()


# ------------------------------------------------------------------------------- macOS
def test_the_launch_agent_runs_the_command_at_login() -> None:
    command = ["/Applications/Clearsight.app/Contents/MacOS/Clearsight", "gui", "--watch"]
    agent = plistlib.loads(launch_agent(command))
    assert agent == {
        "Label": LAUNCH_AGENT_LABEL,
        "ProgramArguments": command,
        "RunAtLoad": True,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    }


def test_the_launch_agent_matches_the_fixture() -> None:
    command = ["/Applications/Clearsight.app/Contents/MacOS/Clearsight", "gui", "--watch"]
    assert launch_agent(command) == (FIXTURES / "launch_agent.plist").read_bytes()


def test_enable_on_macos_writes_the_agent_into_launch_agents(tmp_path: Path) -> None:
    command = ["/Applications/Clearsight.app/Contents/MacOS/Clearsight", "gui", "--watch"]
    autostart = Autostart(platform="darwin", home=tmp_path, env={}, command=command)
    autostart.enable()
    path = tmp_path / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
    assert autostart.path == path and autostart.enabled()
    assert plistlib.loads(path.read_bytes())["ProgramArguments"] == command
    autostart.disable()
    assert not path.exists() and not autostart.enabled()


# ----------------------------------------------------------------------------- Windows
class FakeKey:
    def __init__(self, registry: FakeWinreg, path: str, access: int) -> None:
        self.registry, self.path, self.access = registry, path, access

    def __enter__(self) -> FakeKey:
        return self

    def __exit__(self, *exc: object) -> None:
        self.registry.calls.append(("close", self.path))


class FakeWinreg:
    """The part of ``winreg`` that Autostart uses, as documented (OpenKey raises
    FileNotFoundError for a missing key; QueryValueEx and DeleteValue for a missing value)."""

    HKEY_CURRENT_USER = 0x80000001
    KEY_READ = 0x20019
    KEY_SET_VALUE = 0x0002
    REG_SZ = 1

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, tuple[Any, int]]] = {}
        self.calls: list[tuple[Any, ...]] = []

    def CreateKeyEx(self, root: int, path: str, reserved: int, access: int) -> FakeKey:
        assert root == self.HKEY_CURRENT_USER and reserved == 0
        self.calls.append(("create", path, access))
        self.keys.setdefault(path, {})
        return FakeKey(self, path, access)

    def OpenKey(self, root: int, path: str, reserved: int, access: int) -> FakeKey:
        assert root == self.HKEY_CURRENT_USER and reserved == 0
        self.calls.append(("open", path, access))
        if path not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return FakeKey(self, path, access)

    def SetValueEx(self, key: FakeKey, name: str, reserved: int, kind: int, value: Any) -> None:
        assert key.access & self.KEY_SET_VALUE and reserved == 0
        self.keys[key.path][name] = (value, kind)

    def QueryValueEx(self, key: FakeKey, name: str) -> tuple[Any, int]:
        if name not in self.keys[key.path]:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self.keys[key.path][name]

    def DeleteValue(self, key: FakeKey, name: str) -> None:
        assert key.access & self.KEY_SET_VALUE
        if name not in self.keys[key.path]:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del self.keys[key.path][name]


@pytest.mark.parametrize(
    ("command", "value"),
    [
        (
            [r"C:\Program Files\Clearsight\clearsightw.exe", "gui", "--watch"],
            r'"C:\Program Files\Clearsight\clearsightw.exe" gui --watch',
        ),
        (
            [r"C:\Users\li\AppData\Local\Programs\Clearsight\clearsightw.exe", "gui", "--watch"],
            r"C:\Users\li\AppData\Local\Programs\Clearsight\clearsightw.exe gui --watch",
        ),
    ],
)
def test_the_run_key_value_is_one_quoted_command_line(command: list[str], value: str) -> None:
    assert run_key_value(command) == value


def test_enable_and_disable_on_windows_set_and_delete_the_run_value() -> None:
    registry = FakeWinreg()
    command = [r"C:\Program Files\Clearsight\clearsightw.exe", "gui", "--watch"]
    autostart = Autostart(
        platform="win32", home=Path("C:/Users/li"), registry=registry, command=command
    )
    assert autostart.path is None
    assert not autostart.enabled()
    autostart.disable()  # no key yet: nothing to do
    autostart.enable()
    assert registry.keys[RUN_KEY][RUN_VALUE] == (
        r'"C:\Program Files\Clearsight\clearsightw.exe" gui --watch',
        FakeWinreg.REG_SZ,
    )
    assert autostart.enabled()
    autostart.disable()
    assert RUN_VALUE not in registry.keys[RUN_KEY] and not autostart.enabled()
    autostart.disable()  # the value is gone already
    # every key opened was closed again
    opened = [c for c in registry.calls if c[0] in ("open", "create")]
    assert len(opened) == len([c for c in registry.calls if c[0] == "close"]) + 2  # 2 missing
