"""The SAHI + Ultralytics baseline that ``sitewatch bench`` compares against.

Needs the ``train`` extra (torch, Ultralytics, SAHI); imported only by the benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.detect import VehicleClass, ultralytics_offline
from sitewatch.errors import ConfigError

#: Class names that are vehicles (kept): DOTA-v1's and sitewatch's own (fine-tuned models);
#: every other class is excluded.
VEHICLE_CLASSES = ("small vehicle", "large vehicle", *(c.value for c in VehicleClass))


class SahiBaseline:
    """The same weights run through SAHI's ``get_sliced_prediction`` on Ultralytics.

    Args:
        weights: The Ultralytics ``.pt`` file the ONNX model was exported from.
        tile_px: Slice size.
        overlap_px: Slice overlap.
        score_threshold: Confidence threshold.
        threads: torch threads.
        batch_size: Slices per forward pass.
        device: ``cpu`` or a CUDA device such as ``cuda:0``.
    """

    def __init__(
        self,
        weights: Path,
        *,
        tile_px: int,
        overlap_px: int,
        score_threshold: float,
        threads: int,
        batch_size: int,
        device: str = "cpu",
    ) -> None:
        ultralytics_offline()
        try:
            import torch
            from sahi import AutoDetectionModel
        except ImportError as exc:
            raise ConfigError(
                "the SAHI baseline needs torch, ultralytics and sahi: "
                "pip install 'sitewatch[train]'"
            ) from exc
        torch.set_num_threads(threads)
        self.tile_px = tile_px
        self.overlap_px = overlap_px
        self.batch_size = batch_size
        self._model = AutoDetectionModel.from_pretrained(
            model_type="ultralytics",
            model_path=str(weights),
            confidence_threshold=score_threshold,
            device=device,
            image_size=tile_px,
        )
        names = self._model.category_mapping or {}
        self._exclude = [n for n in names.values() if n not in VEHICLE_CLASSES]
        if len(self._exclude) == len(names):
            raise ConfigError(f"{weights}: none of its classes {sorted(names.values())} is a "
                              "vehicle class the baseline knows")

    def predict(self, image: str | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned boxes (N, 4) and scores (N,) of vehicles in a whole image (or path).

        SAHI's own defaults otherwise (GREEDYNMM merging, IOS 0.5), except that the extra
        full-image pass (``perform_standard_pred``) is off, so both pipelines only run tiles.
        """
        from sahi.predict import get_sliced_prediction

        ratio = self.overlap_px / self.tile_px
        kwargs: dict[str, Any] = {
            "slice_height": self.tile_px,
            "slice_width": self.tile_px,
            "overlap_height_ratio": ratio,
            "overlap_width_ratio": ratio,
            "perform_standard_pred": False,
            "exclude_classes_by_name": self._exclude,
            "verbose": 0,
            "batch_size": self.batch_size,
        }
        result = get_sliced_prediction(image, self._model, **kwargs)
        preds = result.object_prediction_list
        boxes = np.array([p.bbox.to_xyxy() for p in preds], dtype=np.float64).reshape(-1, 4)
        scores = np.array([p.score.value for p in preds], dtype=np.float64)
        return boxes, scores
