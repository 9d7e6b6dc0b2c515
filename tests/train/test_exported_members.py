"""Pin the public face of sitewatch.train, and that importing it needs no torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sitewatch
import sitewatch.train as training


def test_public_names() -> None:
    assert sorted(training.__all__) == sorted(
        [
            "BASE_SHA256", "Background", "BenchConfig", "CalibrationImage", "CivilianGround", "FetchResult",
            "GroundRole",
            "GroundSource",
            "ImageBoxes", "LabelFormat", "LabelledBox", "LabelledImage", "Layout", "MVRSD_CLASS_NAMES",
            "ModelEvaluation",
            "PseudoExport", "PseudoLabelling", "PseudoScene", "SceneDetections", "ScoredBox",
            "SynthConfig", "TRAIN_CLASSES", "TileMix", "TrainBox", "TrainRequest", "TrainSettings",
            "TrainingRecipe",
            "TrainingSample", "TruthBox", "VehicleChip", "benchmark_models", "chips_by_class",
            "civilian_scores",
            "cut_chips", "dota_line", "evaluate", "evaluate_folder", "evaluate_model", "expected_base_sha256",
            "false_alarm_rates", "fetch_model", "from_labelled", "greedy_match", "iou_matrix",
            "layout_stats", "load_labelled", "mine_negatives", "predict_holdout", "quantize_int8",
            "random_cell", "read_labels", "read_layouts", "read_recipe", "read_voc", "read_yolo",
            "resample_image", "resample_sample", "run_benchmark", "run_training", "summarize",
            "synthesize", "trained_on_stems", "verify_weights", "write_obb_dataset",
            "write_pseudo_labels",
        ]
    )  # fmt: skip
    for name in training.__all__:
        assert hasattr(training, name)


def test_import_does_not_load_torch_or_ultralytics() -> None:
    code = (
        "import sys, sitewatch.train, sitewatch.train.pipeline, sitewatch.train.benchmark, "
        "sitewatch.train.fetch, sitewatch.train.quantize, sitewatch.train.sahi_baseline, "
        "sitewatch.cli.train; "
        "print('torch' in sys.modules, 'ultralytics' in sys.modules)"
    )
    src = str(Path(sitewatch.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.split() == ["False", "False"]
