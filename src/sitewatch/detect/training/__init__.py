"""Fine-tuning the detector on few real labelled tiles: data synthesis, training, model cards.

Everything here except :mod:`.ultralytics_run` is numpy/OpenCV only; torch and Ultralytics
are imported lazily by the functions that train, export or predict.
"""

from __future__ import annotations

from sitewatch.detect.training.backgrounds import Background, random_cell
from sitewatch.detect.training.chips import VehicleChip, chips_by_class, cut_chips
from sitewatch.detect.training.dataset import TRAIN_CLASSES, write_obb_dataset
from sitewatch.detect.training.layouts import Layout, layout_stats, read_layouts
from sitewatch.detect.training.recipe import TileMix, synthesize
from sitewatch.detect.training.resample import resample_image, resample_sample
from sitewatch.detect.training.samples import TrainBox, TrainingSample, from_labelled
from sitewatch.detect.training.synth import SynthConfig

__all__ = [
    "TRAIN_CLASSES",
    "Background",
    "Layout",
    "SynthConfig",
    "TileMix",
    "TrainBox",
    "TrainingSample",
    "VehicleChip",
    "chips_by_class",
    "cut_chips",
    "from_labelled",
    "layout_stats",
    "random_cell",
    "read_layouts",
    "resample_image",
    "resample_sample",
    "synthesize",
    "write_obb_dataset",
]
