"""``clearsight summarize REPORT|FOLDER… [--csv FILE] [--html FILE] [--json FILE]``:
IT's overview on the terminal, and in the files asked for.

Exit status: 0 the overview was made (files that could not be read are listed, not an
error); 2 a file asked for could not be saved; 3 bad usage, or not one report could be
read.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from clearsight.explanations import catalog, normalise_language
from clearsight.overview.render import summary_csv, summary_html, summary_json, summary_text
from clearsight.overview.summary import Summary, summarize

EXIT_OK = 0
EXIT_NOT_SAVED = 2
EXIT_USAGE = 3


def summary_language(summary: Summary, requested: str | None) -> str:
    """``--lang``, else the language most of the reports are in, else English."""
    if requested:
        return normalise_language(requested)
    counts = Counter(r.language for r in summary.reports if r.language)
    return normalise_language(counts.most_common(1)[0][0]) if counts else "en"


def run_summarize(
    paths: Sequence[Path],
    *,
    language: str | None = None,
    csv_path: Path | None = None,
    html_path: Path | None = None,
    json_path: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    from clearsight.report.files import SaveError, save_bytes, save_error_text, save_text

    out = out or sys.stdout
    err = err or sys.stderr
    summary = summarize(paths)
    lang = summary_language(summary, language)
    if not summary.reports:
        for item in summary.unreadable:
            print(item.message(lang), file=err)
        print(catalog(lang).ui("overview_nothing_readable"), file=err)
        return EXIT_USAGE
    code = EXIT_OK
    writers: tuple[tuple[Path | None, Callable[[Path], None]], ...] = (
        (json_path, lambda p: save_text(p, _json_text(summary, lang))),
        # Excel opens UTF-8 correctly only with the byte-order mark (docs/design.md).
        (csv_path, lambda p: save_bytes(p, summary_csv(summary, lang).encode("utf-8-sig"))),
        (html_path, lambda p: save_text(p, summary_html(summary, lang))),
    )
    for path, write in writers:
        if path is None:
            continue
        try:
            write(path)
        except SaveError as exc:
            print(save_error_text(exc, lang), file=err)
            code = EXIT_NOT_SAVED
    out.write(summary_text(summary, lang))
    out.flush()
    return code


def _json_text(summary: Summary, language: str) -> str:
    return json.dumps(summary_json(summary, language), ensure_ascii=False, indent=1) + "\n"


__all__ = ["EXIT_NOT_SAVED", "EXIT_OK", "EXIT_USAGE", "run_summarize", "summary_language"]
