"""The PyTorch detector: the same YOLOv8-OBB weights on a GPU, for teams with GPU workers.

Needs the ``gpu`` extra (PyTorch and Ultralytics, imported only here and only when used). It
runs the Ultralytics ``.pt`` file that the model's ONNX file was exported from (the card's
``source_file``, beside the card, checked against the card's ``source_sha256``).

What makes it fast where the ONNX backend runs on CPU cores: tiles travel to the device as
uint8 (a quarter of float32's bytes) from pinned memory, are scaled there, and the score
threshold is applied there, so only the few candidate boxes come back to the host. The host
then decodes them with the code both backends share (:class:`TileBackend`: the same rotated
NMS), so GPU and CPU detections differ only by floating-point rounding in the network.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.detect.backend import TileArrays, TileBackend
from sitewatch.detect.modelcard import ModelCard, check_weights
from sitewatch.detect.offline import ultralytics_offline
from sitewatch.errors import ConfigError, ModelError

#: Devices the torch backend accepts: ``cuda``, ``cuda:N``, or ``cpu`` (torch on the CPU,
#: used to check it against the ONNX backend where no GPU is present).
DEVICE_PATTERN = re.compile(r"^(cpu|cuda(:\d+)?)$")

#: Tiles per forward pass on a GPU (the CPU default is 4). Not tuned on a GPU yet; the stock
#: Ultralytics pipeline was measured at batch 32 on an H100 (../shared/design/DETECTOR_NOTES.md).
GPU_BATCH_SIZE = 32


def torch_weights_path(card: ModelCard) -> Path:
    """The ``.pt`` file a card's ONNX file was exported from, expected beside the card."""
    return card.onnx_path.parent / Path(card.source_file).name


def _import_torch(device: str) -> Any:
    ultralytics_offline()
    try:
        import torch
        import ultralytics  # noqa: F401  (the .pt file unpickles Ultralytics classes)
    except ImportError:
        raise ConfigError(
            f"--device {device} runs the model with PyTorch: pip install 'sitewatch[gpu]' "
            "(or leave --device out to run the ONNX model on CPU)"
        ) from None
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"--device {device}: PyTorch {torch.__version__} sees no CUDA GPU here; install a "
            "CUDA build of torch on a machine with an NVIDIA GPU, or leave --device out"
        )
    if device.startswith("cuda:") and int(device[5:]) >= torch.cuda.device_count():
        raise ConfigError(
            f"--device {device}: only {torch.cuda.device_count()} CUDA device(s) here "
            f"(cuda:0 to cuda:{torch.cuda.device_count() - 1})"
        )
    return torch


def _load_module(path: Path, torch: Any, device: str, half: bool) -> Any:
    from ultralytics import YOLO

    try:
        module: Any = YOLO(str(path)).model
    except Exception as exc:  # Ultralytics and torch.load raise many untyped errors
        raise ModelError(
            f"PyTorch cannot load {str(path)!r}: {exc}; reinstall sitewatch", path=str(path)
        ) from exc
    module = module.fuse(verbose=False).eval().to(torch.device(device))
    return module.half() if half else module


class TorchDetector(TileBackend):
    """A YOLOv8-OBB model run by PyTorch on a GPU (or torch's CPU), on tiles at its own size.

    Satisfies :class:`sitewatch.detect.types.Detector`. Keeps nothing between calls.

    Args:
        card: The verified model card.
        device: ``cuda``, ``cuda:N`` or ``cpu``.
        score_threshold: Minimum score kept (default: the card's).
        iou_threshold: Rotated NMS threshold within a tile.
        half: Run the network in float16 (CUDA only): faster, scores differ by about 1e-3.

    Raises:
        ConfigError: Bad device or thresholds, torch missing, or no such CUDA device.
        ModelError: The ``.pt`` file is missing, fails its sha256 check or cannot be loaded.
    """

    def __init__(
        self,
        card: ModelCard,
        *,
        device: str = "cuda",
        score_threshold: float | None = None,
        iou_threshold: float = 0.45,
        half: bool = False,
    ) -> None:
        if not DEVICE_PATTERN.match(device):
            raise ConfigError(f"device {device!r} must be cpu, cuda or cuda:N")
        if half and not device.startswith("cuda"):
            raise ConfigError("float16 (half) needs a CUDA device")
        super().__init__(card, score_threshold=score_threshold, iou_threshold=iou_threshold)
        weights = torch_weights_path(card)
        check_weights(
            weights, card.source_sha256,
            missing=f"model {card.name!r}: {str(weights)!r} is missing; PyTorch inference needs the "
            "weights the ONNX file was exported from (use the ONNX backend: leave --device out)",
            changed=lambda actual: f"model {card.name!r}: {str(weights)!r} has sha256 {actual}, the "
            f"card says {card.source_sha256}; the file was changed or damaged: reinstall sitewatch",
        )
        self._torch = _import_torch(device)
        self.device = device
        self.half = half
        self._module = _load_module(weights, self._torch, device, half)
        self._rows = self._torch.tensor([4 + i for i, _ in self._classes], device=device)

    @property
    def sha256(self) -> str:
        """sha256 of the ``.pt`` file run (the card's ``source_sha256``)."""
        return self.card.source_sha256

    def device_name(self) -> str:
        """What the model runs on, in words (for benchmark reports)."""
        if self.device.startswith("cuda"):
            return f"GPU: {self._torch.cuda.get_device_name(self._torch.device(self.device))}"
        return "CPU (PyTorch)"

    def _to_device(self, tiles: list[np.ndarray]) -> Any:
        host = self._torch.from_numpy(self._padded(tiles))
        if self.device.startswith("cuda"):
            host = host.pin_memory()
        x = host.to(self.device, non_blocking=True).permute(0, 3, 1, 2)
        return x.half().div_(255.0) if self.half else x.float().div_(255.0)

    def _candidates(self, x: Any) -> list[np.ndarray]:
        """Per tile, the raw output columns whose best kept class beats the score (C, n)."""
        torch = self._torch
        with torch.inference_mode():
            output = self._module(x)
            raw = output[0] if isinstance(output, (tuple, list)) else output  # (B, C, anchors)
            best = raw.index_select(1, self._rows).amax(dim=1)  # (B, anchors)
            tile_idx, anchor_idx = torch.nonzero(best > self.score_threshold, as_tuple=True)
            picked = raw.permute(0, 2, 1)[tile_idx, anchor_idx].float().cpu().numpy()
        owner = tile_idx.cpu().numpy()
        return [picked[owner == k].T for k in range(raw.shape[0])]

    def network_input(self, tiles: list[np.ndarray]) -> Any:
        """The padded tiles on the device, scaled to 0–1 (float16 with ``half``)."""
        return self._to_device(tiles)

    def run_network(self, batch: Any) -> None:
        """The module's forward pass alone, waited for on a GPU."""
        with self._torch.inference_mode():
            self._module(batch)
        if self.device.startswith("cuda"):
            self._torch.cuda.synchronize(self._torch.device(self.device))

    def _infer(self, tiles: list[np.ndarray]) -> list[TileArrays]:
        return [self._decode(columns[None])[0] for columns in self._candidates(self._to_device(tiles))]
