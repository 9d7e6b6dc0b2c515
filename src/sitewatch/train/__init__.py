"""sitewatch.train stage: everything about making and measuring a detector, beside
:mod:`sitewatch.detect`, which keeps only what inference needs.

Fine-tuning on few real labelled tiles (data synthesis, training, model cards), the label
readers, scoring, evaluation on labelled folders (``sitewatch eval``), the benchmark
(``sitewatch bench``) with its SAHI baseline, int8 quantisation and fetching the original
weights (``sitewatch models``). It builds on :mod:`sitewatch.detect`'s face only.

Everything here is numpy/OpenCV only except :mod:`.ultralytics_run`, :mod:`.pipeline`,
:mod:`.fetch`, :mod:`.quantize` and :mod:`.sahi_baseline`, which import torch, Ultralytics,
onnx or SAHI lazily, inside the functions that need them: importing this face loads none.
The command-line face is ``sitewatch train`` (:mod:`sitewatch.cli.train`); the library face
is :func:`run_training` with a :class:`TrainRequest`, which a :class:`TrainingRecipe` (a small
TOML file read by :func:`read_recipe`) makes.
"""

from __future__ import annotations

from sitewatch.train.backgrounds import Background, random_cell
from sitewatch.train.benchmark import BenchConfig, benchmark_models, run_benchmark
from sitewatch.train.card import expected_base_sha256
from sitewatch.train.chips import VehicleChip, chips_by_class, cut_chips
from sitewatch.train.civground import CivilianGround
from sitewatch.train.civilian import SceneDetections, civilian_scores, false_alarm_rates
from sitewatch.train.dataset import TRAIN_CLASSES, write_obb_dataset
from sitewatch.train.evaluation import ModelEvaluation, evaluate_folder, evaluate_model, trained_on_stems
from sitewatch.train.fetch import FetchResult, fetch_model
from sitewatch.train.holdout import predict_holdout, summarize
from sitewatch.train.labels import (
    MVRSD_CLASS_NAMES,
    LabelFormat,
    LabelledBox,
    LabelledImage,
    dota_line,
    read_labels,
    read_voc,
    read_yolo,
)
from sitewatch.train.layouts import Layout, layout_stats, read_layouts
from sitewatch.train.metrics import ScoredBox, TruthBox
from sitewatch.train.mixing import TileMix, synthesize
from sitewatch.train.negatives import mine_negatives
from sitewatch.train.pipeline import TrainRequest, run_training
from sitewatch.train.pseudo import PseudoExport, PseudoLabelling, PseudoScene, write_pseudo_labels
from sitewatch.train.quantize import CalibrationImage, quantize_int8
from sitewatch.train.recipe import TrainingRecipe, read_recipe
from sitewatch.train.resample import resample_image, resample_sample
from sitewatch.train.samples import TrainBox, TrainingSample, from_labelled
from sitewatch.train.scoring import ImageBoxes, evaluate, greedy_match, iou_matrix
from sitewatch.train.sources import GroundRole, GroundSource, load_labelled
from sitewatch.train.synth import SynthConfig
from sitewatch.train.ultralytics_run import BASE_SHA256, TrainSettings, verify_weights

__all__ = [
    "BASE_SHA256",
    "MVRSD_CLASS_NAMES",
    "TRAIN_CLASSES",
    "Background",
    "BenchConfig",
    "CalibrationImage",
    "CivilianGround",
    "FetchResult",
    "GroundRole",
    "GroundSource",
    "ImageBoxes",
    "LabelFormat",
    "LabelledBox",
    "LabelledImage",
    "Layout",
    "ModelEvaluation",
    "PseudoExport",
    "PseudoLabelling",
    "PseudoScene",
    "SceneDetections",
    "ScoredBox",
    "SynthConfig",
    "TileMix",
    "TrainBox",
    "TrainRequest",
    "TrainSettings",
    "TrainingRecipe",
    "TrainingSample",
    "TruthBox",
    "VehicleChip",
    "benchmark_models",
    "chips_by_class",
    "civilian_scores",
    "cut_chips",
    "dota_line",
    "evaluate",
    "evaluate_folder",
    "evaluate_model",
    "expected_base_sha256",
    "false_alarm_rates",
    "fetch_model",
    "from_labelled",
    "greedy_match",
    "iou_matrix",
    "layout_stats",
    "load_labelled",
    "mine_negatives",
    "predict_holdout",
    "quantize_int8",
    "random_cell",
    "read_labels",
    "read_layouts",
    "read_recipe",
    "read_voc",
    "read_yolo",
    "resample_image",
    "resample_sample",
    "run_benchmark",
    "run_training",
    "summarize",
    "synthesize",
    "trained_on_stems",
    "verify_weights",
    "write_obb_dataset",
    "write_pseudo_labels",
]
