"""Generate resources/country_names.json: every country code by name, in English and Chinese.

    python scripts/country_names.py                    # fetches the pinned packages with npm
    python scripts/country_names.py LOCALENAMES.tgz CORE.tgz

The names come from the Unicode CLDR, as the Unicode Consortium publishes them in JSON on
the npm registry (``cldr-localenames-full`` for the names, ``cldr-core`` for which codes
are places); nothing here is typed by hand. Without arguments the script runs
``npm pack`` for the versions below in a temporary folder; with two arguments it reads
tarballs fetched before. It writes the table and copies the packages' licence (Unicode
License v3) to resources/licenses/Unicode-3.0.txt, which the About box lists.

Which codes: every two-letter territory for which CLDR has territory data
(``supplemental/territoryInfo.json``): the 249 ISO 3166-1 countries and regions and a few
codes in common use beside them (XK Kosovo, which Cloudflare reports; AC, IC, …).
Groupings (EU, UN), pseudo-regions (XA, XB) and ZZ, CLDR's own "unknown region", are
left out: an unknown code reads "an unknown country or region" (the catalog's
``ui.unknown_country``).

Which names: CLDR's standard name (``en``: "United States"; ``zh``, which is Simplified
Chinese: "美国"). English puts "the" before names that take it in a sentence ("coming from
the United States", "the Netherlands"): a grammar rule on the name's words, below.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "resources" / "country_names.json"
LICENCE = REPO / "resources" / "licenses" / "Unicode-3.0.txt"

PACKAGES = ("cldr-localenames-full@48.2.0", "cldr-core@48.2.0")
# Catalog language -> CLDR locale ("zh" is Simplified Chinese in CLDR).
LOCALES = {"en": "en", "zh_CN": "zh"}
UNKNOWN_REGION = "ZZ"
_CODE = re.compile(r"[A-Z]{2}")
# English names that take the article in running text: plural names and names built on a
# common noun ("the United Kingdom", "the Philippines", "the Cayman Islands").
_TAKES_THE = re.compile(
    r"\b(States|Kingdom|Republic|Islands|Emirates|Territories|Territory|Netherlands"
    r"|Philippines|Bahamas|Gambia|Maldives|Seychelles|Comoros)\b"
)


def _member(archive: tarfile.TarFile, suffix: str) -> Any:
    for member in archive.getmembers():
        if member.name.endswith(suffix):
            handle = archive.extractfile(member)
            if handle is not None:
                return handle.read()
    raise SystemExit(f"{archive.name}: no file ending in {suffix}")


def _json(archive: tarfile.TarFile, suffix: str) -> Any:
    return json.loads(_member(archive, suffix))


def in_a_sentence(name: str) -> str:
    """An English country name as it stands in a sentence ("the United States")."""
    return f"the {name}" if _TAKES_THE.search(name) else name


def build(localenames: Path, core: Path) -> tuple[dict[str, Any], bytes]:
    """The table (and the licence text) from the two packages' tarballs."""
    with tarfile.open(localenames) as archive:
        package = json.loads(_member(archive, "package/package.json"))
        licence = _member(archive, "package/LICENSE")
        names = {
            language: _json(archive, f"package/main/{locale}/territories.json")["main"][locale][
                "localeDisplayNames"
            ]["territories"]
            for language, locale in LOCALES.items()
        }
    with tarfile.open(core) as archive:
        core_package = json.loads(_member(archive, "package/package.json"))
        places = _json(archive, "package/supplemental/territoryInfo.json")["supplemental"][
            "territoryInfo"
        ]
    codes = sorted(
        code
        for code in places
        if _CODE.fullmatch(code) and code != UNKNOWN_REGION and code in names["en"]
    )
    table: dict[str, Any] = {
        "source": (
            f"Unicode CLDR {package.get('cldrVersion', '?')} "
            f"({package['name']} {package['version']}, "
            f"{core_package['name']} {core_package['version']})"
        ),
        "cldr_version": str(package.get("cldrVersion", "")),
        "licence": str(package.get("license", "")),
        "generated_by": "scripts/country_names.py",
    }
    for language in LOCALES:
        localised = names[language]
        missing = [code for code in codes if code not in localised]
        if missing:
            raise SystemExit(f"CLDR has no {language} name for {', '.join(missing)}")
        table[language] = {
            code: in_a_sentence(localised[code]) if language == "en" else localised[code]
            for code in codes
        }
    return table, licence


def _fetch(folder: Path) -> tuple[Path, Path]:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch the CLDR packages (or pass two tarballs)")
    subprocess.run([npm, "pack", "--silent", *PACKAGES], cwd=folder, check=True)
    found = [next(folder.glob(f"{spec.split('@')[0]}-*.tgz")) for spec in PACKAGES]
    return found[0], found[1]


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if len(argv) == 2:
            localenames, core = Path(argv[0]), Path(argv[1])
        elif not argv:
            localenames, core = _fetch(Path(tmp))
        else:
            raise SystemExit(__doc__)
        table, licence = build(localenames, core)
    OUTPUT.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    LICENCE.write_bytes(licence)
    print(f"{OUTPUT.relative_to(REPO)}: {len(table['en'])} codes from {table['source']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
