"""Report: the HTML evidence report, figures and exports."""

from __future__ import annotations

from sitewatch.report.areas import count_features, footprint_features, zone_features
from sitewatch.report.exports import write_detections
from sitewatch.report.figures import LABEL_COLOURS, annotated_panel, counts_plot
from sitewatch.report.html import SiteEvidence, render_report, write_report
from sitewatch.report.overlays import image_overlays

__all__ = [
    "LABEL_COLOURS",
    "SiteEvidence",
    "annotated_panel",
    "count_features",
    "counts_plot",
    "footprint_features",
    "image_overlays",
    "render_report",
    "write_detections",
    "write_report",
    "zone_features",
]
