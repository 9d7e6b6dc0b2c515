from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sitewatch.compare as compare


def test_public_names_are_pinned() -> None:
    assert sorted(compare.__all__) == [
        "BoxPx", "Checklist", "CompareOptions", "CropAnalyser", "FeatureMark", "FeatureState",
        "Frame", "FrameResult", "FrameTrace", "Gallery", "GalleryScore", "LocalFeatureMatch",
        "MediaKind", "QueryResult", "ReferenceMatch", "VariantVerdict", "VehicleCrop",
        "assess_marks", "attached_comparisons", "build_gallery", "compare_files", "compare_query",
        "draw_matches", "evaluate",
        "load_checklist", "load_comparison", "match_local_features", "parse_gallery_spec", "parse_marks",
        "rank_galleries", "read_exif", "read_media", "read_panel", "read_quicktime_metadata", "write_panel",
    ]
    for name in compare.__all__:
        assert getattr(compare, name) is not None


def test_inference_does_not_import_torch() -> None:
    code = (
        "import sys, numpy as np\n"
        "from sitewatch.compare.vehicles import CropAnalyser\n"
        "from sitewatch.compare.comparison import compare_query\n"
        "analyser = CropAnalyser(threads=1)\n"
        "analyser.embedder.embed([np.zeros((64, 64, 3), np.uint8)])\n"
        "analyser.finder.find(np.zeros((64, 64, 3), np.uint8))\n"
        "print('torch' in sys.modules, 'ultralytics' in sys.modules)\n"
    )
    src = Path(compare.__file__).parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(src)}, check=True, timeout=120)
    assert done.stdout.split() == ["False", "False"]
