"""Plain-language explanations: one catalog of texts per language for every code.

The GUI, the CLI and every report renderer take their words from here::

    from clearsight.explanations import catalog
    texts = catalog("zh_CN").finding("proxy_unreachable", {"proxy": "127.0.0.1:7890"})
"""

from clearsight.explanations.catalog import (
    LANGUAGES,
    MISSING,
    Catalog,
    Phrase,
    TemplateError,
    Texts,
    catalog,
    clean_value,
    format_number,
    normalise_language,
    parse_template,
    template_fields,
)

__all__ = [
    "LANGUAGES",
    "MISSING",
    "Catalog",
    "Phrase",
    "TemplateError",
    "Texts",
    "catalog",
    "clean_value",
    "format_number",
    "normalise_language",
    "parse_template",
    "template_fields",
]
