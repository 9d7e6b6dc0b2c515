"""Pin the public face of sitewatch.detect.training, and that importing it needs no torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sitewatch
import sitewatch.detect.training as training


def test_public_names() -> None:
    assert sorted(training.__all__) == sorted(
        [
            "TRAIN_CLASSES", "Background", "GroundRole", "GroundSource", "Layout",
            "PseudoLabelling", "PseudoScene", "ScoredBox",
            "SynthConfig", "TileMix", "TrainBox", "TrainingSample", "TruthBox", "VehicleChip",
            "chips_by_class", "cut_chips", "from_labelled", "layout_stats",
            "load_labelled", "mine_negatives", "predict_holdout", "random_cell", "read_layouts",
            "resample_image", "resample_sample", "summarize", "synthesize", "write_obb_dataset",
            "write_pseudo_labels",
        ]
    )  # fmt: skip
    for name in training.__all__:
        assert hasattr(training, name)


def test_import_does_not_load_torch_or_ultralytics() -> None:
    code = (
        "import sys, sitewatch.detect.training, sitewatch.detect.training.pipeline, "
        "sitewatch.cli.train; "
        "print('torch' in sys.modules, 'ultralytics' in sys.modules)"
    )
    src = str(Path(sitewatch.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.split() == ["False", "False"]
