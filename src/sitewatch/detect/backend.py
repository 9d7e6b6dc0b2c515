"""What the ONNX and PyTorch backends share: the card, thresholds, batches and class mapping.

Both run the same YOLOv8-OBB network on square tiles at the card's size and decode its output
with the same rotated NMS (:func:`decode_yolo_obb`); only how a padded batch becomes raw
network output differs, which is all a backend writes (:meth:`TileBackend._infer`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sitewatch.detect.merging import VEHICLE_CARGO
from sitewatch.detect.modelcard import ModelCard
from sitewatch.detect.obb import decode_yolo_obb
from sitewatch.detect.types import Detection, VehicleClass, detections_from_arrays
from sitewatch.errors import ConfigError

__all__ = ["PAD_VALUE", "TileArrays", "TileBackend", "label_indices", "padded_batch",
           "resolved_thresholds"]

#: Grey used to pad tiles smaller than the model input (as Ultralytics' letterbox does).
PAD_VALUE = 114

#: One tile's detections as arrays: boxes (N, 5) in tile pixels, scores (N,), and each box's
#: index into ``tuple(VehicleClass)`` (N,).
TileArrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def resolved_thresholds(
    card: ModelCard, score_threshold: float | None, iou_threshold: float
) -> tuple[float, float]:
    """The score (default: the card's) and NMS thresholds, checked.

    Raises:
        ConfigError: Either is out of range.
    """
    if score_threshold is None:
        score_threshold = card.score_threshold
    if not 0.0 <= score_threshold < 1.0 or not 0.0 < iou_threshold <= 1.0:
        raise ConfigError(
            f"score_threshold={score_threshold} must be in [0, 1) and "
            f"iou_threshold={iou_threshold} in (0, 1]"
        )
    return score_threshold, iou_threshold


def padded_batch(tiles: list[np.ndarray], size: int) -> np.ndarray:
    """Tiles padded with :data:`PAD_VALUE` into one (B, size, size, 3) uint8 array.

    Raises:
        ConfigError: A tile is not (H, W, 3) uint8.
    """
    batch = np.full((len(tiles), size, size, 3), PAD_VALUE, dtype=np.uint8)
    for k, tile in enumerate(tiles):
        h, w = tile_extent(k, tile, size)
        batch[k, :h, :w] = tile[:h, :w]
    return batch


def tile_extent(k: int, tile: np.ndarray, size: int) -> tuple[int, int]:
    """Rows and columns of tile ``k`` that go into a padded batch of ``size`` (the rest is cut).

    Raises:
        ConfigError: The tile is not (H, W, 3) uint8.
    """
    if tile.ndim != 3 or tile.shape[2] != 3 or tile.dtype != np.uint8:
        raise ConfigError(
            f"tile {k} has shape {tile.shape} and dtype {tile.dtype}; the detector "
            "needs (H, W, 3) uint8 RGB"
        )
    return min(tile.shape[0], size), min(tile.shape[1], size)


def label_indices(card: ModelCard) -> np.ndarray:
    """For each class the card keeps, in its order, its index into ``tuple(VehicleClass)``."""
    order = tuple(VehicleClass)
    return np.array([order.index(v) for _, v in card.class_indices()], dtype=np.intp)


class TileBackend:
    """Base of the backends: a verified card run on tiles at its own size, nothing kept between
    calls. Satisfies :class:`sitewatch.detect.types.Detector` once a subclass gives
    :attr:`sha256` and :meth:`_infer`.

    Args:
        card: The verified model card.
        score_threshold: Minimum score kept (default: the card's); a label with a floor in the
            card's ``label_score_thresholds`` also needs that.
        iou_threshold: Rotated NMS threshold within a tile.

    Raises:
        ConfigError: A threshold is out of range.
    """

    def __init__(
        self, card: ModelCard, *, score_threshold: float | None, iou_threshold: float
    ) -> None:
        self.score_threshold, self.iou_threshold = resolved_thresholds(
            card, score_threshold, iou_threshold
        )
        self.card = card
        self._classes = card.class_indices()
        self._to_label = label_indices(card)
        floors = [card.label_floor(v) for _, v in self._classes]
        self._floors = np.array(floors, np.float32) if any(floors) else None

    @property
    def name(self) -> str:
        """Registry name of the model."""
        return self.card.name

    @property
    def sha256(self) -> str:
        """sha256 of the weights file this backend runs."""
        raise NotImplementedError

    @property
    def gsd_m(self) -> float:
        """Ground sample distance the model expects, in metres."""
        return self.card.gsd_m

    @property
    def tile_px(self) -> int:
        """Square input size."""
        return self.card.input_px

    def _padded(self, tiles: list[np.ndarray]) -> np.ndarray:
        """The tiles as one padded (B, size, size, 3) uint8 batch at the card's input size."""
        return padded_batch(tiles, self.card.input_px)

    def _decode(self, raw: np.ndarray) -> list[TileArrays]:
        """Raw network output (B, 4 + classes + 1, anchors) -> per-tile arrays, NMS applied."""
        decoded = decode_yolo_obb(
            raw,
            class_indices=[i for i, _ in self._classes],
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
            cargo=VEHICLE_CARGO,
            cargo_labels=self._to_label,
            class_score_floors=self._floors,
        )
        return [(boxes, scores, self._to_label[pos]) for boxes, scores, pos in decoded]

    def _infer(self, tiles: list[np.ndarray]) -> list[TileArrays]:
        """Run the network on a non-empty list of tiles; the one thing a backend writes."""
        raise NotImplementedError

    def network_input(self, tiles: list[np.ndarray]) -> Any:
        """The tiles as the network takes them (padded, scaled, on the device): what
        :meth:`run_network` times without the preparation."""
        raise NotImplementedError

    def run_network(self, batch: Any) -> None:
        """The forward pass alone on a :meth:`network_input` batch, nothing decoded (the limit
        that ``sitewatch bench`` compares the whole pipeline with)."""
        raise NotImplementedError

    def detect_arrays(self, tiles: list[np.ndarray]) -> list[TileArrays]:
        """Like :meth:`detect_batch` but returns arrays: boxes (N, 5), scores, VehicleClass index.

        The class index points into ``tuple(VehicleClass)``.
        """
        return self._infer(tiles) if tiles else []

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        """Detect vehicles in each tile; boxes are in each tile's own pixel grid."""
        return [
            detections_from_arrays(boxes, scores, labels)
            for boxes, scores, labels in self.detect_arrays(tiles)
        ]
