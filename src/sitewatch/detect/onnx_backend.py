"""The onnxruntime detector: YOLOv8-OBB ONNX models on CPU, no torch needed."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import cv2
import numpy as np

from sitewatch.detect.backend import PAD_VALUE, TileArrays, TileBackend, tile_extent
from sitewatch.detect.modelcard import ModelCard
from sitewatch.errors import ConfigError, ModelError

__all__ = ["OnnxDetector", "available_cores", "default_sessions"]

T = TypeVar("T")

#: The network's input is the uint8 value over this, in float32 (as Ultralytics scales it).
_FULL_SCALE = np.float32(255.0)


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


class OnnxDetector(TileBackend):
    """A YOLOv8-OBB model run by onnxruntime on tiles at the model's own size.

    Satisfies :class:`sitewatch.detect.types.Detector`. Keeps nothing between calls.

    Args:
        card: The verified model card.
        score_threshold: Minimum score kept (default: the card's).
        iou_threshold: Rotated NMS threshold within a tile.
        threads: CPU threads in all (default: all cores this process may use).
        sessions: Independent onnxruntime sessions sharing the threads, each running part of
            a batch in parallel (default: :func:`default_sessions`).

    Raises:
        ConfigError: A threshold, ``threads`` or ``sessions`` is out of range.
        ModelError: onnxruntime cannot load the ONNX file.
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
        super().__init__(card, score_threshold=score_threshold, iou_threshold=iou_threshold)
        total = threads or available_cores()
        self.sessions = sessions or default_sessions(total)
        if self.sessions < 1 or total < 1:
            raise ConfigError(f"threads={threads} and sessions={sessions} must be >= 1")
        per_session = max(1, total // self.sessions)
        self._sessions = [_open_session(card, per_session) for _ in range(self.sessions)]
        self._input = self._sessions[0].get_inputs()[0].name

    @property
    def sha256(self) -> str:
        """sha256 of the ONNX file."""
        return self.card.onnx_sha256

    def _raw(self, session: Any, batch: np.ndarray) -> np.ndarray:
        (output,) = session.run(None, {self._input: batch})
        return np.asarray(output)

    def _run(self, session: Any, tiles: list[np.ndarray]) -> list[TileArrays]:
        return self._decode(self._raw(session, self.network_input(tiles)))

    def _on_sessions(
        self, run: Callable[[Any, Any], T], items: list[np.ndarray] | np.ndarray
    ) -> list[T]:
        """``run(session, part)`` for the tiles or batch ``items`` split over the sessions into
        consecutive parts (sizes as :func:`numpy.array_split` gives), in parallel."""
        parts = np.array_split(np.arange(len(items)), min(self.sessions, len(items)))
        if len(parts) == 1:
            return [run(self._sessions[0], items)]
        with ThreadPoolExecutor(max_workers=len(parts)) as pool:
            futures = [
                pool.submit(run, session, items[idx[0] : idx[-1] + 1])
                for session, idx in zip(self._sessions, parts, strict=False)
            ]
            return [future.result() for future in futures]

    def network_input(self, tiles: list[np.ndarray]) -> np.ndarray:
        """(B, 3, size, size) float32 in 0–1: the tiles padded with :data:`PAD_VALUE`, channels
        first, over 255 (each channel divided straight into its place in the batch)."""
        size = self.card.input_px
        batch = np.empty((len(tiles), 3, size, size), dtype=np.float32)
        for k, tile in enumerate(tiles):
            h, w = tile_extent(k, tile, size)
            if h < size or w < size:
                batch[k] = np.float32(PAD_VALUE) / _FULL_SCALE
            for channel, plane in enumerate(cv2.split(tile[:h, :w])):
                np.divide(plane, _FULL_SCALE, out=batch[k, channel, :h, :w])
        return batch

    def run_network(self, batch: np.ndarray) -> None:
        """The sessions' forward pass on ``batch``, split as :meth:`_infer` splits it."""
        self._on_sessions(self._raw, batch)

    def _infer(self, tiles: list[np.ndarray]) -> list[TileArrays]:
        """Each session turns its part of the tiles into network input, runs and decodes it."""
        decoded = self._on_sessions(self._run, tiles)
        return [item for part in decoded for item in part]
