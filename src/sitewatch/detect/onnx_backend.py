"""The onnxruntime detector: YOLOv8-OBB ONNX models on CPU, no torch needed."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sitewatch.detect.modelcard import ModelCard, load_card
from sitewatch.detect.obb import decode_yolo_obb
from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for
from sitewatch.detect.types import Detection, VehicleClass, detections_from_arrays
from sitewatch.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from sitewatch.detect.torch_backend import TorchDetector

#: Grey used to pad tiles smaller than the model input (as Ultralytics' letterbox does).
PAD_VALUE = 114


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_sessions(threads: int) -> int:
    """Sessions for ``threads`` CPU threads: one single-threaded session per core up to 4.

    Measured on a shared 2-core machine, two 1-thread sessions each running half a batch were
    faster than one 2-thread session (no cross-thread barriers per layer, which stall when
    another process takes a core). Larger machines get sessions of 4 threads (not measured).
    """
    return threads if threads <= 4 else max(1, threads // 4)


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
        if tile.ndim != 3 or tile.shape[2] != 3 or tile.dtype != np.uint8:
            raise ConfigError(
                f"tile {k} has shape {tile.shape} and dtype {tile.dtype}; the detector "
                "needs (H, W, 3) uint8 RGB"
            )
        h, w = min(tile.shape[0], size), min(tile.shape[1], size)
        batch[k, :h, :w] = tile[:h, :w]
    return batch


def label_indices(card: ModelCard) -> np.ndarray:
    """For each class the card keeps, in its order, its index into ``tuple(VehicleClass)``."""
    order = tuple(VehicleClass)
    return np.array([order.index(v) for _, v in card.class_indices()], dtype=np.intp)


def _open_session(card: ModelCard, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: on a laptop or shared machine other
    # processes need the cores (measured faster on a loaded 2-core machine).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(
            str(card.onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(
            f"onnxruntime cannot load {str(card.onnx_path)!r}: {exc}; reinstall sitewatch "
            "or re-export the model",
            path=str(card.onnx_path),
        ) from exc


class OnnxDetector:
    """A YOLOv8-OBB model run by onnxruntime on tiles at the model's own size.

    Satisfies :class:`sitewatch.detect.types.Detector`. Keeps nothing between calls.

    Args:
        card: The verified model card.
        score_threshold: Minimum score kept (default: the card's).
        iou_threshold: Rotated NMS threshold within a tile.
        threads: CPU threads in all (default: all cores this process may use).
        sessions: Independent onnxruntime sessions sharing the threads, each running part of
            a batch in parallel (default: :func:`default_sessions`).
    """

    def __init__(
        self,
        card: ModelCard,
        *,
        score_threshold: float | None = None,
        iou_threshold: float = 0.45,
        threads: int | None = None,
        sessions: int | None = None,
    ) -> None:
        self.score_threshold, self.iou_threshold = resolved_thresholds(
            card, score_threshold, iou_threshold
        )
        self.card = card
        total = threads or available_cores()
        self.sessions = sessions or default_sessions(total)
        if self.sessions < 1 or total < 1:
            raise ConfigError(f"threads={threads} and sessions={sessions} must be >= 1")
        per_session = max(1, total // self.sessions)
        self._sessions = [_open_session(card, per_session) for _ in range(self.sessions)]
        self._input = self._sessions[0].get_inputs()[0].name
        self._classes = card.class_indices()

    @property
    def name(self) -> str:
        """Registry name of the model."""
        return self.card.name

    @property
    def sha256(self) -> str:
        """sha256 of the ONNX file."""
        return self.card.onnx_sha256

    @property
    def gsd_m(self) -> float:
        """Ground sample distance the model expects, in metres."""
        return self.card.gsd_m

    @property
    def tile_px(self) -> int:
        """Square input size."""
        return self.card.input_px

    def _to_input(self, tiles: list[np.ndarray]) -> np.ndarray:
        batch = padded_batch(tiles, self.card.input_px)
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0

    def _run(
        self, session: Any, batch: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        (output,) = session.run(None, {self._input: batch})
        return decode_yolo_obb(
            np.asarray(output),
            class_indices=[i for i, _ in self._classes],
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
        )

    def detect_arrays(
        self, tiles: list[np.ndarray]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Like :meth:`detect_batch` but returns arrays: boxes (N, 5), scores, VehicleClass index.

        The class index points into ``tuple(VehicleClass)``.
        """
        if not tiles:
            return []
        batch = self._to_input(tiles)
        parts = np.array_split(np.arange(len(tiles)), min(self.sessions, len(tiles)))
        if len(parts) == 1:
            decoded = self._run(self._sessions[0], batch)
        else:
            with ThreadPoolExecutor(max_workers=len(parts)) as pool:
                futures = [
                    pool.submit(self._run, session, batch[idx])
                    for session, idx in zip(self._sessions, parts, strict=False)
                ]
                decoded = [item for future in futures for item in future.result()]
        to_label = label_indices(self.card)
        return [(boxes, scores, to_label[pos]) for boxes, scores, pos in decoded]

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        """Detect vehicles in each tile; boxes are in each tile's own pixel grid."""
        return [
            detections_from_arrays(boxes, scores, labels)
            for boxes, scores, labels in self.detect_arrays(tiles)
        ]


def load_detector(
    model: str | Path | None = None,
    *,
    score_threshold: float | None = None,
    iou_threshold: float = 0.45,
    threads: int | None = None,
    sessions: int | None = None,
    device: str = "cpu",
) -> OnnxDetector | TorchDetector:
    """Load a detector by registry name, model card path or ONNX path (card beside it).

    Args:
        model: None for the package default, a registry name, a ``.json`` model card, or an
            ``.onnx`` file with its ``<stem>.json`` card beside it.
        score_threshold: Minimum score kept (default: the card's ``score_threshold``, the
            score its measured precision and recall are at).
        iou_threshold: Rotated NMS threshold within a tile.
        threads: CPU threads in all (default: all cores this process may use).
        sessions: Parallel onnxruntime sessions (default: :func:`default_sessions`).
        device: ``cpu`` runs the ONNX file with onnxruntime; ``cuda`` or ``cuda:N`` runs the
            ``.pt`` file it was exported from with PyTorch on that GPU
            (:class:`sitewatch.detect.torch_backend.TorchDetector`, the ``gpu`` extra).

    Raises:
        ConfigError: Unknown registry name (the message lists valid ones), unknown device,
            or a GPU asked for where PyTorch or CUDA is missing.
        ModelError: Card or weights missing, malformed or failing the sha256 check.
    """
    if model is None:
        card_path = card_path_for(DEFAULT_MODEL)
    elif isinstance(model, Path) or str(model).endswith((".json", ".onnx")):
        path = Path(model)
        card_path = path.with_suffix(".json") if path.suffix == ".onnx" else path
    else:
        card_path = card_path_for(str(model))
    card = load_card(card_path)
    if device != "cpu":
        from sitewatch.detect.torch_backend import TorchDetector

        return TorchDetector(
            card, device=device, score_threshold=score_threshold, iou_threshold=iou_threshold
        )
    return OnnxDetector(
        card,
        score_threshold=score_threshold,
        iou_threshold=iou_threshold,
        threads=threads,
        sessions=sessions,
    )
