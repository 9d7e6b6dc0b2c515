"""sitewatch.detect stage: find vehicles in rasters of any size with an ONNX model on CPU (or
the same weights with PyTorch on a GPU: ``load_detector(..., device="cuda")``).

Only what inference needs lives here; training, evaluation, benchmarking and weight fetching
are the :mod:`sitewatch.train` stage, which builds on this face.

Public names:

- :class:`Detection`, :class:`VehicleClass`, :data:`MILITARY_CLASSES`, :class:`Detector` (the
  protocol any backend meets).
- :func:`load_detector`: a registered model, model card or ONNX file, hash-verified, on CPU or
  GPU (:func:`model_card_path` finds its card); the backends :class:`OnnxDetector` and
  :class:`TorchDetector` share :class:`TileBackend` (card, thresholds, padded batches with
  :data:`PAD_VALUE`, decoding); :func:`available_cores`, :data:`GPU_BATCH_SIZE` and
  :func:`torch_weights_path` size and locate their work.
- :func:`estimate_gsd` with :class:`GsdSearch`: an image's GSD from its vehicles' lengths.
- :func:`detect_raster` with :class:`DetectOptions`, returning :class:`RasterDetections`;
  :data:`FLIPS` names the test-time flips; :func:`bounds` gives the axis-aligned bounds of
  oriented boxes; :func:`decode_yolo_obb` turns a YOLO-OBB network's raw output into boxes
  (score filter and rotated NMS), as every backend does. The same run in steps:
  :func:`plan_tiles` (a :class:`TilePlan`), :func:`detect_tiles` on any runs of its tiles,
  batched across rasters (:class:`TileParts`), and :func:`merge_tile_parts` merging the
  pieces' seams as one raster.
- Models: the registry (:data:`MODELS`, :data:`DEFAULT_MODEL`, :data:`BASE_MODEL`,
  :data:`SOURCES` of :class:`ModelSource`, :func:`card_path_for`), cards (:class:`ModelCard`,
  :func:`load_card`, :data:`LEGACY_SCORE_THRESHOLD`) and what a card's training record says
  (:func:`training_record`, :func:`measured_rates` giving :class:`MeasuredRates`,
  :func:`measured_loaded` giving :class:`LoadedRates` for loaded transporters).
- :func:`default_cache` and :func:`ultralytics_offline`: where fetched weights live, and the
  one place Ultralytics is kept offline.
"""

from __future__ import annotations

from sitewatch.detect.backend import PAD_VALUE, TileBackend
from sitewatch.detect.ensemble import CombinedDetector, CombineRules, load_ensemble
from sitewatch.detect.fragments import fragment_mask
from sitewatch.detect.gsd import GsdSearch, estimate_gsd, estimate_gsd_of_array, sample_windows
from sitewatch.detect.loading import CardCheck, check_model_cards, load_detector, model_card_path
from sitewatch.detect.modelcard import (
    LEGACY_SCORE_THRESHOLD,
    LoadedRates,
    MeasuredRates,
    ModelCard,
    check_weights,
    load_card,
    measured_loaded,
    measured_on_this_file,
    measured_rates,
    training_record,
)
from sitewatch.detect.obb import bounds, decode_yolo_obb
from sitewatch.detect.offline import default_cache, ultralytics_offline
from sitewatch.detect.onnx_backend import OnnxDetector, available_cores
from sitewatch.detect.registry import (
    BASE_MODEL,
    DEFAULT_MODEL,
    MODELS,
    SOURCES,
    ModelSource,
    card_path_for,
)
from sitewatch.detect.tiled import (
    DetectOptions,
    RasterDetections,
    TileParts,
    TilePlan,
    detect_raster,
    detect_tiles,
    merge_tile_parts,
    plan_tiles,
)
from sitewatch.detect.torch_backend import GPU_BATCH_SIZE, TorchDetector, torch_weights_path
from sitewatch.detect.tta import FLIPS
from sitewatch.detect.types import MILITARY_CLASSES, Detection, Detector, VehicleClass

__all__ = [
    "BASE_MODEL",
    "DEFAULT_MODEL",
    "FLIPS",
    "GPU_BATCH_SIZE",
    "LEGACY_SCORE_THRESHOLD",
    "MILITARY_CLASSES",
    "MODELS",
    "PAD_VALUE",
    "SOURCES",
    "CardCheck",
    "CombineRules",
    "CombinedDetector",
    "DetectOptions",
    "Detection",
    "Detector",
    "GsdSearch",
    "LoadedRates",
    "MeasuredRates",
    "ModelCard",
    "ModelSource",
    "OnnxDetector",
    "RasterDetections",
    "TileBackend",
    "TileParts",
    "TilePlan",
    "TorchDetector",
    "VehicleClass",
    "available_cores",
    "bounds",
    "card_path_for",
    "check_model_cards",
    "check_weights",
    "decode_yolo_obb",
    "default_cache",
    "detect_raster",
    "detect_tiles",
    "estimate_gsd",
    "estimate_gsd_of_array",
    "fragment_mask",
    "load_card",
    "load_detector",
    "load_ensemble",
    "measured_loaded",
    "measured_on_this_file",
    "measured_rates",
    "merge_tile_parts",
    "model_card_path",
    "plan_tiles",
    "sample_windows",
    "torch_weights_path",
    "training_record",
    "ultralytics_offline",
]
