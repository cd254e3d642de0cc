"""docs/profiles.md is enough to write a working profile, and cannot drift from the loader.

Every ```toml block in the guide is preceded by an HTML comment that says what it is:

* ``<!-- profile: complete -->``: a whole profile; it must load as it stands.
* ``<!-- profile: fragment -->``: part of a profile; with a minimal header (``format = 1``,
  ``name``) in front it must load, laid over the built-in profile.
* ``<!-- profile: error -->``: a whole, broken profile; the ```text block right after it
  is the exact message Clearsight gives for it.

``files: a.pem, b.pem`` after the kind (``<!-- profile: complete, files: nordwind-root.pem
-->``) puts a real PEM certificate with each name beside the profile. Each block is saved as
``nordwind.clearsight`` in a folder of its own; the guide shows that folder as
``/home/it/profiles``.

Beside the examples, each reference table is preceded by ``<!-- keys: TABLE -->``; its
first column must list exactly the keys the loader accepts in that table. A profile written
from the guide alone (``fixtures/written-from-the-guide.clearsight``) must load too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clearsight.profile import VPN_PROTOCOLS, ProfileError, check_ca_file, load_profile, loader
from clearsight.profile.model import LANGUAGES

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "docs" / "profiles.md"
FIXTURES = Path(__file__).parent / "fixtures"
SHOWN_FOLDER = "/home/it/profiles"
FRAGMENT_HEADER = 'format = 1\nname = "Fragment from the guide"\n'

_MARKER = re.compile(r"<!--\s*profile:\s*(\w+)\s*(?:,\s*files:\s*([^>]*?))?\s*-->")
_KEYS = re.compile(r"<!--\s*keys:\s*([\w.]+)\s*-->")
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Example:
    kind: str  # complete | fragment | error
    toml: str
    line: int  # where the block starts in the guide (for failure messages)
    files: tuple[str, ...] = ()
    message: str | None = None  # for "error": the message the guide shows

    @property
    def id(self) -> str:
        return f"{self.kind}-line-{self.line}"


def _blocks(lines: list[str]) -> list[tuple[int, str, str]]:
    """(start line, language, content) of every fenced block."""
    found: list[tuple[int, str, str]] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        found.append((index + 1, opening.group(1), "\n".join(lines[index + 1 : end]) + "\n"))
        index = end + 1
    return found


def _previous_text_line(lines: list[str], line: int) -> str:
    """The nearest non-blank line before the 1-based ``line``."""
    for index in range(line - 2, -1, -1):
        if lines[index].strip():
            return lines[index].strip()
    return ""


def examples() -> list[Example]:
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    blocks = _blocks(lines)
    out: list[Example] = []
    for position, (line, language, content) in enumerate(blocks):
        if language != "toml":
            continue
        marker = _MARKER.fullmatch(_previous_text_line(lines, line))
        assert marker is not None, (
            f"docs/profiles.md line {line}: a ```toml block needs <!-- profile: complete -->, "
            "<!-- profile: fragment --> or <!-- profile: error --> right before it"
        )
        kind = marker.group(1)
        assert kind in ("complete", "fragment", "error"), f"line {line}: unknown kind {kind!r}"
        files = tuple(f.strip() for f in (marker.group(2) or "").split(",") if f.strip())
        message = None
        if kind == "error":
            following = blocks[position + 1] if position + 1 < len(blocks) else None
            assert following is not None and following[1] == "text", (
                f"docs/profiles.md line {line}: an error example needs the ```text block "
                "with its message right after it"
            )
            message = following[2].strip()
        out.append(Example(kind, content, line, files, message))
    return out


EXAMPLES = examples()


@functools.cache
def root_certificate_pem() -> bytes:
    """A real (self-signed) root certificate in PEM, as a company would hand out."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nordwind Root CA (test)")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def _load(folder: Path, example: Example, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Save ``text`` as nordwind.clearsight in ``folder`` and load it as `clearsight run` does."""
    (folder / "nordwind.clearsight").write_text(text, encoding="utf-8")
    for name in example.files:
        (folder / name).write_bytes(root_certificate_pem())
    monkeypatch.chdir(folder)
    profile = load_profile("nordwind.clearsight")
    check_ca_file(profile, "nordwind.clearsight")


def test_the_guide_has_examples_of_every_kind() -> None:
    kinds = {e.kind for e in EXAMPLES}
    assert kinds == {"complete", "fragment", "error"}
    assert sum(e.kind == "error" for e in EXAMPLES) >= 10


@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.kind == "complete"], ids=lambda e: e.id
)
def test_every_complete_example_loads(
    example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(tmp_path, example, example.toml, monkeypatch)


@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.kind == "fragment"], ids=lambda e: e.id
)
def test_every_fragment_loads_in_a_minimal_profile(
    example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(tmp_path, example, FRAGMENT_HEADER + "\n" + example.toml, monkeypatch)


@pytest.fixture
def short_folder() -> Iterator[Path]:
    """A folder with a short path: messages shorten quoted paths of over 80 characters,
    and the guide's folder is short."""
    folder = Path(tempfile.mkdtemp(prefix="cs-")) / "profiles"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "error"], ids=lambda e: e.id)
def test_every_error_example_gives_the_message_the_guide_shows(
    example: Example, short_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ProfileError) as caught:
        _load(short_folder, example, example.toml, monkeypatch)
    shown = str(caught.value)
    for spelling in {str(short_folder.resolve()), str(short_folder)}:
        shown = shown.replace(spelling, SHOWN_FOLDER)
    assert shown == example.message


def test_the_office_example_says_what_the_guide_says_it_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = next(e for e in EXAMPLES if "Nordwind Shanghai office: added to" in e.toml)
    _load(tmp_path, office, office.toml, monkeypatch)
    profile = load_profile(tmp_path / "nordwind.clearsight")
    assert profile.support_contact == "it-help@nordwind.example, WeChat: nordwind-it"
    assert profile.settings.ca_file == (tmp_path / "nordwind-root.pem").resolve()
    assert profile.vpn.expected is True
    assert [e.protocol for e in profile.vpn.endpoints] == ["openvpn-udp", "https"]
    assert "Nordwind office DNS" in [r.name for r in profile.resolvers]
    # Laid over the built-in profile: its services stay, Microsoft 365 is replaced in place.
    default_ids = [s.id for s in loader.load_default_profile().services]
    ids = [s.id for s in profile.services]
    assert ids[: len(default_ids)] == default_ids
    assert ids[len(default_ids) :] == ["nordwind-wiki", "nordwind-hr", "nordwind-china-site"]
    replaced = profile.service("microsoft-365")
    assert replaced is not None and replaced.name == "Outlook and Teams"
    assert profile.service("nordwind-china-site").domestic  # type: ignore[union-attr]


# The tables of a profile; every other top-level key is a single value.
TABLES = ("settings", "resolvers", "doh", "dns_injection", "captive_checks", "exit_check")
TABLES += ("services", "vpn")

# The loader's own lists of keys, per table of the guide's reference.
LOADER_KEYS: dict[str, tuple[str, ...]] = {
    "top": tuple(k for k in loader._TOP_KEYS if k not in TABLES),
    "settings": loader._SETTINGS_KEYS,
    "resolvers": loader._RESOLVER_KEYS,
    "doh": loader._DOH_KEYS,
    "dns_injection": loader._INJECTION_KEYS,
    "captive_checks": loader._CAPTIVE_KEYS,
    "exit_check": loader._EXIT_KEYS,
    "services": loader._SERVICE_KEYS,
    "vpn": loader._VPN_KEYS,
    "vpn.endpoints": loader._ENDPOINT_KEYS,
}


def documented_keys() -> dict[str, list[str]]:
    """The first column of each table marked ``<!-- keys: TABLE -->`` in the guide."""
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    found: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        marker = _KEYS.fullmatch(line.strip())
        if marker is None:
            continue
        keys: list[str] = []
        row = index + 3  # the marker, the header row, the |---| row
        while row < len(lines) and lines[row].startswith("|"):
            cell = lines[row].split("|")[1].strip()
            key = re.fullmatch(r"`([\w.]+)`", cell)
            assert key is not None, f"docs/profiles.md line {row + 1}: not a `key` cell: {cell}"
            keys.append(key.group(1))
            row += 1
        found[marker.group(1)] = keys
    return found


def test_the_reference_lists_exactly_the_keys_the_loader_accepts() -> None:
    documented = documented_keys()
    assert set(documented) == set(LOADER_KEYS)
    for table, keys in LOADER_KEYS.items():
        assert sorted(documented[table]) == sorted(keys), table


def test_the_reference_covers_every_table() -> None:
    assert set(TABLES) <= set(loader._TOP_KEYS)
    text = GUIDE.read_text(encoding="utf-8")
    for table in TABLES:
        header = f"[[{table}]]" if table in loader._ARRAY_TABLES else f"[{table}]"
        assert f"### `{header}`" in text, header


def test_the_guide_names_every_vpn_protocol_and_language() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for protocol in VPN_PROTOCOLS:
        assert f"| `{protocol}` |" in text, protocol
    for language in LANGUAGES:
        assert f'"{language}"' in text, language


def test_a_profile_written_from_the_guide_alone_loads(tmp_path: Path) -> None:
    """Written by reading docs/profiles.md only, as an IT administrator would; its
    ca_file (lumen-root.pem) lies next to it."""
    path = tmp_path / "written-from-the-guide.clearsight"
    shutil.copy(FIXTURES / path.name, path)
    (tmp_path / "lumen-root.pem").write_bytes(root_certificate_pem())
    profile = load_profile(path)
    check_ca_file(profile)
    assert profile.include_default is False
    assert profile.country == "CN"
    assert len(profile.domestic_services) >= 2
    assert {e.protocol for e in profile.vpn.endpoints} == {"wireguard", "tcp"}
