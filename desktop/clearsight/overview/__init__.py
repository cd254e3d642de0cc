"""IT's overview of many saved reports (``clearsight summarize``, "Open several reports…"):
the verdicts each report saved, counted per service; nothing is diagnosed again. No Qt."""

from clearsight.overview.read import MAX_OVERVIEW_BYTES, SavedReport, read_saved_report
from clearsight.overview.render import (
    SCHEMA,
    summary_csv,
    summary_html,
    summary_json,
    summary_text,
)
from clearsight.overview.summary import (
    REPORT_SUFFIXES,
    ReportInfo,
    ServiceSummary,
    Summary,
    Unreadable,
    report_files,
    summarize,
)

__all__ = [
    "MAX_OVERVIEW_BYTES",
    "REPORT_SUFFIXES",
    "SCHEMA",
    "ReportInfo",
    "SavedReport",
    "ServiceSummary",
    "Summary",
    "Unreadable",
    "read_saved_report",
    "report_files",
    "summarize",
    "summary_csv",
    "summary_html",
    "summary_json",
    "summary_text",
]
