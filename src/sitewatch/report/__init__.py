"""Report: the HTML evidence report (and its PDF), figures and exports (:func:`write_export` in
each :class:`ExportFormat`, from :func:`detection_features` and :func:`event_features`)."""

from __future__ import annotations

from sitewatch.report.areas import count_features, footprint_features, zone_features
from sitewatch.report.exports import write_detections
from sitewatch.report.features import detection_features, event_features
from sitewatch.report.figures import LABEL_COLOURS, annotated_panel, counts_plot
from sitewatch.report.formats import ExportFormat, ExportLayers, write_export
from sitewatch.report.html import SiteEvidence, render_report, write_pdf, write_report
from sitewatch.report.overlays import image_overlays

__all__ = [
    "LABEL_COLOURS",
    "ExportFormat",
    "ExportLayers",
    "SiteEvidence",
    "annotated_panel",
    "count_features",
    "counts_plot",
    "detection_features",
    "event_features",
    "footprint_features",
    "image_overlays",
    "render_report",
    "write_detections",
    "write_export",
    "write_pdf",
    "write_report",
    "zone_features",
]
