from __future__ import annotations

import sitewatch.report


def test_report_public_face() -> None:
    assert sorted(sitewatch.report.__all__) == [
        "ExportFormat", "ExportLayers", "LABEL_COLOURS", "SiteEvidence", "annotated_panel",
        "count_features", "counts_plot", "detection_features", "event_features", "footprint_features",
        "image_overlays", "render_report", "write_detections", "write_export", "write_pdf",
        "write_report", "zone_features",
    ]
