"""Pin the public face of sitewatch.detect: what other stages may import from it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sitewatch
import sitewatch.detect


def test_detect_public_face() -> None:
    assert sorted(sitewatch.detect.__all__) == sorted(
        [
            "BASE_MODEL", "CardCheck", "CombineRules", "CombinedDetector", "DEFAULT_MODEL", "DetectOptions",
            "Detection", "Detector", "FLIPS", "GPU_BATCH_SIZE", "GsdSearch", "LEGACY_SCORE_THRESHOLD",
            "LoadedRates", "MILITARY_CLASSES", "MODELS", "MeasuredRates", "ModelCard", "ModelSource",
            "OnnxDetector",
            "PAD_VALUE", "RasterDetections", "SOURCES", "TileBackend", "TileParts", "TilePlan",
            "TorchDetector", "VehicleClass",
            "available_cores", "bounds", "card_path_for", "check_model_cards", "check_weights",
            "decode_yolo_obb", "default_cache", "detect_raster",
            "detect_tiles",
            "estimate_gsd", "estimate_gsd_of_array", "fragment_mask", "load_card", "load_detector",
            "load_ensemble", "measured_loaded", "measured_on_this_file", "measured_rates",
            "merge_tile_parts", "model_card_path", "plan_tiles",
            "sample_windows",
            "torch_weights_path", "training_record",
            "ultralytics_offline",
        ]
    )  # fmt: skip
    for name in sitewatch.detect.__all__:
        if not name.isupper():  # constants are values, without a module of their own
            assert getattr(sitewatch.detect, name).__module__.startswith("sitewatch.detect")


def test_inference_needs_nothing_from_training() -> None:
    """Importing the detect stage loads no training module, torch or Ultralytics."""
    code = (
        "import sys, sitewatch.detect; "
        "print(any(m.startswith('sitewatch.train') for m in sys.modules), "
        "'torch' in sys.modules, 'ultralytics' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(sitewatch.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.split() == ["False", "False", "False"]
