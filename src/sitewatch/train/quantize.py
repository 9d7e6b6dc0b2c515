"""Making an int8 variant of an ONNX detector (a build step, like export; not run at inference).

Static quantization with onnxruntime: convolution weights int8 per channel, activations uint8
with ranges calibrated on real tiles at the model's GSD. Only convolutions are quantized, and
not the head's distribution-focal-loss convolution: the head concatenates box coordinates
(0..1024 px) with class scores (0..1) and angles in one tensor, and quantizing that tensor
wipes out the scores.

The int8 model is a *different model*: it gets its own card and sha256, and its accuracy
must be measured (``sitewatch eval``) before it is trusted.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sitewatch.detect import ModelCard, card_path_for, load_card
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError
from sitewatch.imagery import RasterReader, tile_grid

#: Nodes left in float: the head's DFL convolution (see the module docstring).
KEEP_FLOAT = ("/model.22/dfl/conv/Conv",)


def calibration_tiles(
    images: Sequence[tuple[Path, float]], card: ModelCard, *, per_image: int = 4
) -> list[np.ndarray]:
    """Up to ``per_image`` model-size RGB tiles from each (image, its GSD in metres).

    Tiles are resampled to the card's GSD and spread evenly over each image.
    """
    tiles = []
    for path, gsd_m in images:
        with RasterReader(path) as reader:
            info = reader.info
            side = max(1, round(card.input_px * card.gsd_m / gsd_m))
            grid = tile_grid(info.width_px, info.height_px, tile_px=side, overlap_px=0)
            picks = np.linspace(0, len(grid) - 1, min(per_image, len(grid))).round().astype(int)
            for k in sorted(set(picks.tolist())):
                rgb = reader.read_rgb(grid[k])
                size = (card.input_px, card.input_px)
                if rgb.shape[:2] != (card.input_px, card.input_px):
                    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
                tiles.append(rgb)
    if not tiles:
        raise ConfigError("no calibration tiles: give at least one image")
    return tiles


class _Reader:
    """onnxruntime CalibrationDataReader over in-memory tiles."""

    def __init__(self, name: str, tiles: list[np.ndarray]) -> None:
        self._name = name
        self._it: Iterator[np.ndarray] = iter(tiles)

    def get_next(self) -> dict[str, np.ndarray] | None:
        tile = next(self._it, None)
        if tile is None:
            return None
        return {self._name: tile.transpose(2, 0, 1)[None].astype(np.float32) / 255.0}


def quantize_int8(
    card_path: Path | str,
    images: Sequence[tuple[Path, float]],
    out_dir: Path,
    *,
    name: str,
    per_image: int = 4,
) -> Path:
    """Write ``<out_dir>/<name>.onnx`` (int8) and its model card; returns the card path.

    Args:
        card_path: Card of the float model, or its registry name.
        images: Calibration images with their GSD in metres (not the evaluation images).
        out_dir: Output folder.
        name: Registry name of the new model.
        per_image: Calibration tiles per image.
    """
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if isinstance(card_path, str):
        card_path = Path(card_path) if card_path.endswith(".json") else card_path_for(card_path)
    card = load_card(card_path)
    tiles = calibration_tiles(images, card, per_image=per_image)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / f"{name}.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(card.onnx_path), str(pre), skip_symbolic_shape=True)
        reader: Any = _Reader("images", tiles)  # duck-typed CalibrationDataReader
        quantize_static(
            str(pre),
            str(onnx_path),
            reader,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=list(KEEP_FLOAT),
        )
    raw = json.loads(card_path.read_text(encoding="utf-8"))
    calib = ", ".join(f"{p.name} (sha256 {sha256_file(p)[:16]}..., {g} m)" for p, g in images)
    raw.update(
        name=name,
        onnx_file=onnx_path.name,
        onnx_sha256=sha256_file(onnx_path),
        exporter=(
            f"int8 static quantization of {card.name} (onnx sha256 {card.onnx_sha256}) by "
            "onnxruntime.quantization.quantize_static: QDQ, Conv only, weights int8 per "
            f"channel, activations uint8 MinMax-calibrated on {len(tiles)} tiles at "
            f"{card.gsd_m} m from {calib}; {', '.join(KEEP_FLOAT)} kept float"
        ),
    )
    out_card = onnx_path.with_suffix(".json")
    out_card.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    load_card(out_card)
    return out_card
