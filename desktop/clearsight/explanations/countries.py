"""Country and region names for ISO 3166 codes, in every catalog language.

The table (``resources/country_names.json``) is generated from the Unicode CLDR by
``scripts/country_names.py``, never edited by hand; its licence (Unicode License v3) is in
``resources/licenses/`` and listed in the About box. English names carry "the" where a
sentence needs it ("coming from the United States").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

RESOURCE = "country_names.json"


@cache
def _table() -> dict[str, Any]:
    text = resources.files("clearsight.resources").joinpath(RESOURCE).read_text(encoding="utf-8")
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


def country_names(language: str) -> Mapping[str, str]:
    """Code -> name in ``language`` (a catalog language); empty for a language without names."""
    names = _table().get(language)
    return names if isinstance(names, dict) else {}


def country_name(code: str, language: str) -> str | None:
    """The name of the country or region with this code ("us" and "US" alike), or None
    when the code names none (``"ZZ"``, ``"T1"``, a typo): the caller then says "an unknown
    country or region" in its own words."""
    return country_names(language).get(code.strip().upper())


def cldr_version() -> str:
    """The CLDR release the names come from (for the About box)."""
    return str(_table().get("cldr_version") or "")
