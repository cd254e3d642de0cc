"""The documents in docs/ stay true to the code they describe.

* Every section the code cites (``docs/design.md, "TLS verdict order"``) exists as a heading.
* Every status, verdict and finding code, and every command and option of the command line,
  appears in docs/design.md.
* Every file path and relative link in docs/ and the README points at something that exists,
  and every link's #anchor at a heading.
* The worked example of docs/lab.md is a real test, word for word.

(docs/profiles.md has its own test: tests/unit/profile/test_profiles_doc.py.)
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from clearsight import cli
from clearsight.diagnosis import vocabulary

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
DOCUMENTS = sorted(DOCS.glob("*.md"))
CITING = ("desktop", "tests", "benchmarks", "packaging", "resources", "scripts")
CITING_FILES = ("README.md", "Makefile")

# docs/design.md, "Command line" -- also across a line break, in a comment, or JSON-escaped.
_CITATION = re.compile(r'docs/(\w+)\.md,?\s*(?:#\s*)?\\?"([^"\\]{1,80}?)\\?"')
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_PATH = re.compile(
    r"`((?:desktop|tests|resources|benchmarks|packaging|scripts|docs|\.ci|\.github)/[^`\s]*)`"
)


def headings(path: Path) -> list[tuple[int, str]]:
    """(level, plain text) of every heading outside fenced blocks."""
    found: list[tuple[int, str]] = []
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2).replace("`", "")))
    return found


def _starts(heading: str, name: str) -> bool:
    """``heading`` is ``name``, or begins with it as a whole word ("Flakiness and speed")."""
    return heading == name or (heading.startswith(name) and not heading[len(name)].isalnum())


def has_section(path: Path, name: str) -> bool:
    """A heading for ``name``; "A: B" may also be a heading B inside a section A."""
    found = headings(path)
    if any(_starts(text, name) for _, text in found):
        return True
    if ": " not in name:
        return False
    parent, child = name.split(": ", 1)
    for index, (level, text) in enumerate(found):
        if not _starts(text, parent):
            continue
        for sub_level, sub_text in found[index + 1 :]:
            if sub_level <= level:
                break
            if _starts(sub_text, child):
                return True
    return False


def citations() -> list[tuple[str, str, str]]:
    """(citing file, document, section) for every section the repository cites."""
    files = [REPO / name for name in CITING_FILES]
    for folder in CITING:
        files.extend(p for p in (REPO / folder).rglob("*") if p.is_file())
    out: list[tuple[str, str, str]] = []
    for path in files:
        if path.suffix in (".png", ".ico", ".icns", ".pem", ".pyc") or "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for match in _CITATION.finditer(text):
            section = re.sub(r"\s*\n\s*(?:#\s*)?", " ", match.group(2))
            out.append((str(path.relative_to(REPO)), match.group(1), section))
    return out


CITATIONS = citations()


def test_the_code_cites_sections() -> None:
    cited = {(doc, section) for _, doc, section in CITATIONS}
    assert ("design", "TLS verdict order") in cited
    assert ("censorship", "DNS") in cited


@pytest.mark.parametrize(
    ("where", "document", "section"), CITATIONS, ids=[f"{c[0]}:{c[2]}" for c in CITATIONS]
)
def test_every_cited_section_exists(where: str, document: str, section: str) -> None:
    path = DOCS / f"{document}.md"
    assert path.is_file(), f"{where} cites docs/{document}.md, which does not exist"
    assert has_section(path, section), f'{where} cites docs/{document}.md, "{section}"'


def test_every_document_the_repository_names_exists() -> None:
    names = set()
    for where in [REPO / "README.md", *(REPO / f for f in CITING)]:
        paths = [where] if where.is_file() else [p for p in where.rglob("*.py") if p.is_file()]
        for path in paths:
            names.update(re.findall(r"docs/(\w+)\.md", path.read_text(encoding="utf-8")))
    assert names, "nothing names a document"
    for name in names:
        assert (DOCS / f"{name}.md").is_file(), name


DESIGN = (DOCS / "design.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "code",
    [*vocabulary.STATUSES, *vocabulary.VERDICTS, *vocabulary.LAYER_STATUSES],
)
def test_design_names_every_status_and_verdict(code: str) -> None:
    assert f"`{code}`" in DESIGN


@pytest.mark.parametrize("code", sorted(vocabulary.FINDINGS))
def test_design_has_a_table_row_for_every_finding(code: str) -> None:
    assert f"\n| `{code}` |" in DESIGN


def _commands() -> dict[str, list[str]]:
    parser = cli._parser()
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = [
                    option
                    for sub_action in sub._actions
                    for option in sub_action.option_strings
                    if option not in ("-h", "--help")
                ]
    return found


def test_design_documents_every_command_and_option() -> None:
    commands = _commands()
    assert set(commands) == {"run", "explain", "summarize", "gui", "history"}
    assert "`clearsight --version`" in DESIGN
    for command, options in commands.items():
        assert f"`clearsight {command}" in DESIGN, command
        for option in options:
            assert f"`{option}" in DESIGN, f"{command} {option}"


@pytest.mark.parametrize("status", sorted(set(cli.STATUS_EXIT)))
def test_design_gives_every_exit_status(status: str) -> None:
    section = DESIGN[DESIGN.index("### Exit status") :]
    row = next(
        line for line in section.splitlines() if line.startswith(f"| {cli.STATUS_EXIT[status]} |")
    )
    assert f"`{status}`" in row


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, text in headings(path):
        base = slug(text)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


LINKED = [*DOCUMENTS, REPO / "README.md"]
# Pages of the repository on GitHub (github.com/OWNER/REPO/<page>) a relative link may reach.
GITHUB_PAGES = ("releases", "issues", "actions", "pulls")


@pytest.mark.parametrize("path", LINKED, ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # https://…, mailto:
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.is_relative_to(REPO):
            # Above the repository: the hosting site's own pages, the way GitHub resolves a
            # README link such as ../../releases/latest. Only those pages may be named.
            site_page = linked.relative_to(REPO.parents[1]).parts[0]
            assert site_page in GITHUB_PAGES, f"{path.name}: {target}"
            continue
        assert linked.exists(), f"{path.name}: {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{path.name}: {target}"


# Sections about other projects, whose paths are theirs, not this repository's.
FOREIGN_SECTIONS = ("## Codebases worth learning from",)


@pytest.mark.parametrize("path", LINKED, ids=lambda p: p.name)
def test_every_file_path_named_exists(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for heading in FOREIGN_SECTIONS:
        text = text.split(heading)[0]
    for name in _PATH.findall(text):
        name = name.split("::")[0].rstrip(".,:;")
        if "*" in name:
            assert list(REPO.glob(name)), f"{path.name}: {name}"
        else:
            assert (REPO / name).exists(), f"{path.name}: {name}"


def test_the_lab_guides_worked_example_is_a_real_test() -> None:
    guide = (DOCS / "lab.md").read_text(encoding="utf-8")
    section = guide[guide.index("## How to add a scenario") :]
    example = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert example is not None
    scenarios = REPO / "tests" / "lab_scenarios" / "test_censorship_scenarios.py"
    assert example.group(1) in scenarios.read_text(encoding="utf-8")
