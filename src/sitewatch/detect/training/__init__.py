"""Fine-tuning the detector on few real labelled tiles: data synthesis, training, model cards.

Everything here is numpy/OpenCV only except :mod:`.ultralytics_run` and :mod:`.pipeline`,
which import torch and Ultralytics lazily, inside the functions that train, export or predict.
The command-line face is ``sitewatch train`` (:mod:`sitewatch.cli.train`); the library face is
:func:`sitewatch.detect.training.pipeline.run_training`.
"""

from __future__ import annotations

from sitewatch.detect.training.backgrounds import Background, random_cell
from sitewatch.detect.training.chips import VehicleChip, chips_by_class, cut_chips
from sitewatch.detect.training.dataset import TRAIN_CLASSES, write_obb_dataset
from sitewatch.detect.training.holdout import predict_holdout, summarize
from sitewatch.detect.training.layouts import Layout, layout_stats, read_layouts
from sitewatch.detect.training.metrics import ScoredBox, TruthBox
from sitewatch.detect.training.negatives import mine_negatives
from sitewatch.detect.training.pseudo import PseudoLabelling, PseudoScene, write_pseudo_labels
from sitewatch.detect.training.recipe import TileMix, synthesize
from sitewatch.detect.training.resample import resample_image, resample_sample
from sitewatch.detect.training.samples import TrainBox, TrainingSample, from_labelled
from sitewatch.detect.training.sources import GroundRole, GroundSource, load_labelled
from sitewatch.detect.training.synth import SynthConfig

__all__ = [
    "TRAIN_CLASSES",
    "Background",
    "GroundRole",
    "GroundSource",
    "Layout",
    "PseudoLabelling",
    "PseudoScene",
    "ScoredBox",
    "SynthConfig",
    "TileMix",
    "TrainBox",
    "TrainingSample",
    "TruthBox",
    "VehicleChip",
    "chips_by_class",
    "cut_chips",
    "from_labelled",
    "layout_stats",
    "load_labelled",
    "mine_negatives",
    "predict_holdout",
    "random_cell",
    "read_layouts",
    "resample_image",
    "resample_sample",
    "summarize",
    "synthesize",
    "write_obb_dataset",
    "write_pseudo_labels",
]
