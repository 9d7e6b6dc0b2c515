from __future__ import annotations

import sitewatch.detect


def test_detect_public_face() -> None:
    assert sorted(sitewatch.detect.__all__) == [
        "DetectOptions",
        "Detection",
        "Detector",
        "GsdSearch",
        "RasterDetections",
        "VehicleClass",
        "detect_raster",
        "estimate_gsd",
        "load_detector",
    ]
    for name in sitewatch.detect.__all__:
        assert getattr(sitewatch.detect, name).__module__.startswith("sitewatch.detect")
