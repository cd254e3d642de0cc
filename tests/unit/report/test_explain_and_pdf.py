"""`clearsight explain` re-renders any saved report (JSON or HTML) in either language, to
every format; the PDF comes from Qt's own writer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from clearsight.cli import main
from clearsight.report.build import load_report
from clearsight.report.files import save_json, save_text
from clearsight.report.html import render_html
from clearsight.report.pdf import render_pdf

from .conftest import make_report


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "run.clearsight-report"
    save_json(path, make_report("blocked"))
    return path


@pytest.mark.parametrize("source", ["json", "html"])
@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_explain_renders_every_format(
    saved: Path, tmp_path: Path, source: str, language: str, capsys: Any
) -> None:
    if source == "html":
        page = tmp_path / "report.html"
        save_text(page, render_html(json.loads(saved.read_text(encoding="utf-8"))))
        saved = page
    out = tmp_path / "out"
    out.mkdir()
    status = main(
        [
            "explain",
            str(saved),
            "--lang",
            language,
            *("--json", str(out / "r.json"), "--html", str(out / "r.html")),
            *("--text", str(out / "r.txt"), "--pdf", str(out / "r.pdf")),
        ]
    )
    assert status == 1  # blocked
    printed = capsys.readouterr().out
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert report["language"] == language
    assert report["report_id"] in printed
    assert report["report_id"] in (out / "r.txt").read_text(encoding="utf-8")
    assert (out / "r.pdf").read_bytes().startswith(b"%PDF")
    again, _ = load_report(out / "r.html")
    assert again == report


def test_rendering_again_in_the_same_language_changes_nothing(saved: Path, tmp_path: Path) -> None:
    out = tmp_path / "again.json"
    main(["explain", str(saved), "--json", str(out), "--text", str(tmp_path / "t.txt")])
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        saved.read_text(encoding="utf-8")
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<html><body>hello</body></html>", "holds no Clearsight report"),
        ('{"schema": "other/1"}', "not a Clearsight report"),
        ("not json", "invalid JSON"),
        ('<script type="application/json" id="clearsight-report">{"a"', "cut short"),
    ],
)
def test_explain_says_what_is_wrong_with_a_file(
    tmp_path: Path, content: str, message: str, capsys: Any
) -> None:
    path = tmp_path / "bad.html"
    path.write_text(content, encoding="utf-8")
    assert main(["explain", str(path)]) == 3
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_pdf_is_a_multi_page_a4_document(language: str) -> None:
    data = render_pdf(make_report("blocked", language=language))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = re.search(rb"/Type\s*/Pages\b.*?/Count (\d+)", data, re.DOTALL)
    assert pages is not None and int(pages.group(1)) >= 2
    assert re.search(rb"/MediaBox \[0 0 595(\.0+)? 842(\.0+)?\]", data)  # A4 in points
