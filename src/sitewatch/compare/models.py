"""The two pretrained networks of the compare stage, run with onnxruntime only.

* ``efficientnet_lite0`` (ImageNet, Apache-2.0): 1280-d crop embeddings for similarity, and
  ImageNet logits, whose tank-like classes give a military-vehicle hint for each crop.
* ``yolo26n_coco`` (COCO-80, AGPL-3.0): proposes vehicle boxes. COCO has no tank class; tanks
  come back as "truck", "boat", "train" or "airplane", so every vehicle-like class is kept and
  the ImageNet hint is attached.

Both ONNX files were made by ``tools/export_compare_models.py``; each has a model card JSON
whose ``onnx_sha256`` is checked every time a model is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sitewatch.digest import sha256_file
from sitewatch.errors import ModelError

MODEL_NAMES: tuple[str, ...] = ("efficientnet_lite0", "yolo26n_coco")
#: ImageNet-1k indices whose probabilities sum to the armour hint.
ARMOUR_CLASSES: dict[int, str] = {
    847: "tank",
    586: "half track",
    408: "amphibious vehicle",
    471: "cannon",
}
#: COCO classes kept as vehicle proposals (tanks are often called boats or trains).
VEHICLE_CLASSES: dict[int, str] = {
    2: "car",
    4: "airplane",
    5: "bus",
    6: "train",
    7: "truck",
    8: "boat",
}
EMBEDDING_SIZE = 80 + 1280
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelCard:
    """Provenance of one shipped model, from its JSON card."""

    name: str
    path: Path
    onnx_sha256: str
    source_package: str
    source_file: str
    source_sha256: str
    licence: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready provenance (no local path)."""
        return {
            "name": self.name,
            "onnx_sha256": self.onnx_sha256,
            "source_package": self.source_package,
            "source_file": self.source_file,
            "source_sha256": self.source_sha256,
            "licence": self.licence,
        }


def model_card(name: str, *, models_dir: Path | None = None) -> ModelCard:
    """Read a model card and check the ONNX file's sha256 against it.

    Raises:
        ModelError: unknown name, missing file, or a hash that does not match the card.
    """
    if name not in MODEL_NAMES:
        raise ModelError(f"unknown compare model {name!r}; valid: {', '.join(MODEL_NAMES)}")
    folder = models_dir or Path(str(resources.files("sitewatch.compare") / "models"))
    card_path = folder / f"{name}.json"
    onnx_path = folder / f"{name}.onnx"
    if not card_path.is_file() or not onnx_path.is_file():
        raise ModelError(
            f"model {name!r} missing from {folder}; reinstall sitewatch or rerun "
            "tools/export_compare_models.py",
            name=name,
        )
    card: dict[str, Any] = json.loads(card_path.read_text())
    actual = sha256_file(onnx_path)
    if actual != card["onnx_sha256"]:
        raise ModelError(
            f"model file {str(onnx_path)!r} has sha256 {actual}, card says "
            f"{card['onnx_sha256']}: tampered or stale; rerun tools/export_compare_models.py",
            name=name,
        )
    return ModelCard(
        name=name,
        path=onnx_path,
        onnx_sha256=actual,
        source_package=str(card["source_package"]),
        source_file=str(card["source_file"]),
        source_sha256=str(card["source_sha256"]),
        licence=str(card["licence"]),
    )


def _session(card: ModelCard, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(card.path), options, providers=["CPUExecutionProvider"])


class Embedder:
    """EfficientNet-Lite0 crop embedder. Keeps only the loaded session between calls."""

    def __init__(self, *, threads: int = 2, models_dir: Path | None = None) -> None:
        self.card = model_card("efficientnet_lite0", models_dir=models_dir)
        self._session = _session(self.card, threads)

    def embed(self, crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings (N×EMBEDDING_SIZE) and armour probabilities (N,) of RGB crops.

        Each crop is seen five times (multi-crop test-time augmentation): whole, and its four
        corners of :data:`CORNER_FRACTION` of its width and height; the five embeddings (each
        already the average of the view and its mirror image, see :meth:`_embed_views`) are
        averaged. A crop that stops a little short of the vehicle, or takes in a little more
        ground, then moves its embedding less. The armour probability is the whole crop's.
        """
        if not crops:
            return np.zeros((0, EMBEDDING_SIZE), np.float32), np.zeros((0,), np.float32)
        views = [view for crop in crops for view in corner_views(crop)]
        embeddings, armour = self._embed_views(views)
        count, per_crop = len(crops), len(views) // len(crops)
        averaged = _unit(embeddings.reshape(count, per_crop, -1).mean(axis=1))
        return averaged.astype(np.float32), armour.reshape(count, per_crop)[:, 0]

    def _embed_views(self, crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """One embedding and armour probability per image, as the network sees it.

        The embedding joins two L2-normalised halves, so each weighs the same: mid-level
        features (block 5: parts and surface texture such as reactive-armour bricks or
        camouflage) and head features (overall shape and kind of object). Each image is
        embedded as itself and mirrored, averaged, so a vehicle facing left matches one
        facing right.
        """
        if not crops:
            return np.zeros((0, EMBEDDING_SIZE), np.float32), np.zeros((0,), np.float32)
        batch = np.stack([_prepare(crop) for crop in crops])
        mirrored = batch[:, :, :, ::-1].copy()
        features, mid, logits = self._session.run(
            ["features", "mid_features", "logits"], {"image": np.concatenate([batch, mirrored])}
        )
        count = len(crops)
        joined = np.hstack([_unit(mid[:count]) + _unit(mid[count:]),
                            _unit(features[:count]) + _unit(features[count:])])
        joined = _unit(joined)
        shifted = logits[:count] - logits[:count].max(axis=1, keepdims=True)
        probabilities = np.exp(shifted)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        armour = probabilities[:, list(ARMOUR_CLASSES)].sum(axis=1)
        return joined.astype(np.float32), armour.astype(np.float32)


#: Each corner view of a crop keeps this fraction of its width and height (multi-crop TTA).
CORNER_FRACTION = 0.85


def corner_views(crop: np.ndarray, *, fraction: float = CORNER_FRACTION) -> list[np.ndarray]:
    """The crop and its four corners of ``fraction`` of its width and height.

    >>> [v.shape for v in corner_views(np.zeros((20, 40, 3), np.uint8))]
    [(20, 40, 3), (17, 34, 3), (17, 34, 3), (17, 34, 3), (17, 34, 3)]
    """
    height, width = crop.shape[:2]
    h, w = max(1, round(height * fraction)), max(1, round(width * fraction))
    return [crop, crop[:h, :w], crop[:h, width - w:], crop[height - h:, :w],
            crop[height - h:, width - w:]]


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-12)


def _prepare(rgb: np.ndarray, size_px: int = 224) -> np.ndarray:
    """Letterbox to a square (edge colour = crop mean) and normalise like ImageNet."""
    height, width = rgb.shape[:2]
    scale = size_px / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)
    canvas = np.empty((size_px, size_px, 3), np.uint8)
    canvas[:] = resized.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    top, left = (size_px - new_h) // 2, (size_px - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    scaled = (canvas.astype(np.float32) / 255.0 - _MEAN) / _STD
    return scaled.transpose(2, 0, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A vehicle-like box from the COCO detector, in frame pixels."""

    x0_px: float
    y0_px: float
    x1_px: float
    y1_px: float
    label: str
    score: float


class VehicleFinder:
    """YOLO26n COCO detector (NMS-free head). Keeps only the loaded session between calls."""

    input_px = 640

    def __init__(self, *, threads: int = 2, models_dir: Path | None = None) -> None:
        self.card = model_card("yolo26n_coco", models_dir=models_dir)
        self._session = _session(self.card, threads)

    def find(self, rgb: np.ndarray, *, min_score: float = 0.1) -> tuple[Proposal, ...]:
        """Vehicle-like boxes in an RGB frame, best score first."""
        height, width = rgb.shape[:2]
        scale = self.input_px / max(height, width)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        canvas = np.full((self.input_px, self.input_px, 3), 114, np.uint8)
        canvas[:new_h, :new_w] = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)
        tensor = canvas.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        rows = self._session.run(None, {"images": tensor})[0][0]
        found = []
        for x0, y0, x1, y1, score, cls in rows:
            if score < min_score or int(cls) not in VEHICLE_CLASSES:
                continue
            box = np.clip(np.array([x0, y0, x1, y1]) / scale, 0, [width, height, width, height])
            if box[2] - box[0] >= 8 and box[3] - box[1] >= 8:
                found.append(Proposal(x0_px=float(box[0]), y0_px=float(box[1]),
                                      x1_px=float(box[2]), y1_px=float(box[3]),
                                      label=VEHICLE_CLASSES[int(cls)], score=float(score)))
        return tuple(sorted(found, key=lambda p: -p.score))
