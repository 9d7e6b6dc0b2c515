from __future__ import annotations

import sitewatch.compare as compare


def test_public_names_are_pinned() -> None:
    assert sorted(compare.__all__) == [
        "BoxPx", "Checklist", "CompareOptions", "CropAnalyser", "FeatureMark", "FeatureState",
        "Frame", "FrameResult", "FrameTrace", "Gallery", "GalleryScore", "LocalFeatureMatch",
        "MediaKind", "QueryResult", "ReferenceMatch", "VariantVerdict", "VehicleCrop",
        "assess_marks", "build_gallery", "compare_files", "compare_query", "draw_matches",
        "load_checklist", "match_local_features", "parse_gallery_spec", "parse_marks",
        "rank_galleries", "read_media", "write_panel",
    ]
    for name in compare.__all__:
        assert getattr(compare, name) is not None


def test_inference_does_not_import_torch() -> None:
    import sys

    assert "torch" not in sys.modules or "ultralytics" in sys.modules
