"""Report: the HTML evidence report, figures and exports."""

from __future__ import annotations

from sitewatch.report.exports import write_detections
from sitewatch.report.figures import LABEL_COLOURS, annotated_panel, counts_plot
from sitewatch.report.html import SiteEvidence, render_report, write_report

__all__ = [
    "LABEL_COLOURS",
    "SiteEvidence",
    "annotated_panel",
    "counts_plot",
    "render_report",
    "write_detections",
    "write_report",
]
