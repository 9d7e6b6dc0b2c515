"""Making an int8 variant of an ONNX detector (a build step, like export; not run at inference).

Static quantization with onnxruntime (QDQ): convolution weights int8 per channel, activations
uint8 with ranges calibrated on real tiles at the model's GSD. Three choices matter, each
measured (``docs/model-records/dense-park.md``, "int8 calibration"):

- **Weights in 7 bits** (``reduce_range``, -64..63). On x86 CPUs without VNNI (AVX2, and
  AVX-512 without VNNI) onnxruntime multiplies uint8 activations by int8 weights with
  ``VPMADDUBSW``, which adds pairs of products into a saturating 16-bit sum: with full-range
  pixels (0..255) and full-range weights (±127) in the first convolution the sums clip, and
  every score downstream shrinks (the int8 variant made without it kept 0.36 / 0.29 of the
  dense depot vehicles on such a CPU). 7-bit weights cannot overflow (255 × 64 × 2 < 32768).
  VNNI CPUs and ARM do not have the problem; 7 bits cost them little.
- **Activation ranges at the 99.999th percentile** of each tensor's histogram, not its
  minimum and maximum, so a few outlying activations do not widen the step for all others.
- **Only convolutions are quantized, and not the head's distribution-focal-loss
  convolution**: the head concatenates box coordinates (0..1024 px) with class scores (0..1)
  and angles in one tensor, and quantizing that tensor wipes out the scores.

The int8 model is a *different model*: it gets its own card and sha256, and its accuracy
must be measured (``sitewatch eval``, ``tools/eval_dense.py``) before it is trusted.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sitewatch.detect import PAD_VALUE, ModelCard, card_path_for, load_card
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError
from sitewatch.imagery import RasterReader, Tile, tile_grid

#: Nodes left in float: the head's DFL convolution (see the module docstring).
KEEP_FLOAT = ("/model.22/dfl/conv/Conv",)
#: Percentile of each activation histogram taken as its range (see the module docstring).
PERCENTILE = 99.999
#: Weights in 7 bits (see the module docstring).
REDUCE_RANGE = True
#: The int8 card's ``training_data`` entry for the images its activation ranges were set on.
CALIBRATION_DATA = "Int8 calibration images"
#: What the int8 card's known limits end with: they were measured on the float model.
FLOAT_MEASURED = " (Measured on the float model this int8 model was quantised from, not on it.)"


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationImage:
    """An image to calibrate on, its GSD, and optionally the window of it to use.

    Attributes:
        path: The image.
        gsd_m: Its ground sample distance in metres.
        window: ``(x0, y0, x1, y1)`` in the image's pixels (x1, y1 exclusive), or None for all
            of it: keeps evaluation areas of a scene out of the calibration.
    """

    path: Path
    gsd_m: float
    window: tuple[int, int, int, int] | None = None

    def __post_init__(self) -> None:
        if not self.gsd_m > 0:
            raise ConfigError(f"calibration image {str(self.path)!r}: GSD must be > 0 m, got {self.gsd_m}")
        if self.window is not None:
            x0, y0, x1, y1 = self.window
            if x0 < 0 or y0 < 0 or x1 <= x0 or y1 <= y0:
                raise ConfigError(
                    f"calibration image {str(self.path)!r}: window {self.window} must be "
                    "x0,y0,x1,y1 with 0 <= x0 < x1 and 0 <= y0 < y1"
                )

    @classmethod
    def parse(cls, text: str) -> CalibrationImage:
        """``IMAGE:GSD_M`` or ``IMAGE:GSD_M:X0,Y0,X1,Y1`` (the command line's form).

        >>> CalibrationImage.parse("depot.tif:0.25:0,0,768,1280").window
        (0, 0, 768, 1280)

        Raises:
            ConfigError: The text is not in either form.
        """
        head, _, last = text.rpartition(":")
        window = None
        if "," in last:
            window_text, (head, _, last) = last, head.rpartition(":")
            try:
                x0, y0, x1, y1 = (int(v) for v in window_text.split(","))
            except ValueError:
                raise ConfigError(
                    f"--calibrate {text!r}: the window must be four whole pixel numbers "
                    "X0,Y0,X1,Y1, e.g. a.tif:0.3:0,0,1024,1024"
                ) from None
            window = (x0, y0, x1, y1)
        try:
            gsd = float(last)
        except ValueError:
            gsd = float("nan")
        if not head or gsd != gsd:
            raise ConfigError(
                f"--calibrate {text!r}: expected IMAGE:GSD_M or IMAGE:GSD_M:X0,Y0,X1,Y1, e.g. a.tif:0.3"
            )
        return cls(path=Path(head), gsd_m=gsd, window=window)

    def describe(self) -> str:
        """The image's name, sha256 prefix, GSD and window, for a card's provenance."""
        where = ""
        if self.window is not None:
            x0, y0, x1, y1 = self.window
            where = f" window x {x0}-{x1}, y {y0}-{y1}"
        return f"{self.path.name}{where} (sha256 {sha256_file(self.path)[:16]}..., {self.gsd_m} m)"


def _as_calibration(item: CalibrationImage | tuple[Path, float]) -> CalibrationImage:
    return item if isinstance(item, CalibrationImage) else CalibrationImage(path=item[0], gsd_m=item[1])


def calibration_tiles(
    images: Sequence[CalibrationImage | tuple[Path, float]], card: ModelCard, *, per_image: int = 4
) -> list[np.ndarray]:
    """Up to ``per_image`` model-size RGB tiles from each image (or its window).

    Tiles are resampled to the card's GSD and spread evenly over each image or window; an image
    or window smaller than a tile is padded with :data:`PAD_VALUE`, as detection pads it.

    Raises:
        ConfigError: No image, or a window that does not lie inside its image.
    """
    tiles = []
    for item in map(_as_calibration, images):
        with RasterReader(item.path) as reader:
            info = reader.info
            x0, y0, x1, y1 = item.window or (0, 0, info.width_px, info.height_px)
            if x1 > info.width_px or y1 > info.height_px:
                raise ConfigError(
                    f"calibration image {str(item.path)!r} is {info.width_px}×{info.height_px} px: "
                    f"window {item.window} does not lie inside it"
                )
            side = max(1, round(card.input_px * card.gsd_m / item.gsd_m))
            grid = tile_grid(x1 - x0, y1 - y0, tile_px=side, overlap_px=0)
            picks = np.linspace(0, len(grid) - 1, min(per_image, len(grid))).round().astype(int)
            for k in sorted(set(picks.tolist())):
                cell = grid[k]
                rgb = reader.read_rgb(Tile(x0_px=x0 + cell.x0_px, y0_px=y0 + cell.y0_px,
                                           width_px=cell.width_px, height_px=cell.height_px))
                scale = card.input_px / side
                h = min(card.input_px, round(rgb.shape[0] * scale))
                w = min(card.input_px, round(rgb.shape[1] * scale))
                if rgb.shape[:2] != (h, w):
                    rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR)
                tile = np.full((card.input_px, card.input_px, 3), PAD_VALUE, np.uint8)
                tile[:h, :w] = rgb
                tiles.append(tile)
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


def quantize_onnx(
    src: Path,
    dst: Path,
    tiles: list[np.ndarray],
    *,
    keep_float: Sequence[str] = KEEP_FLOAT,
    percentile: float = PERCENTILE,
    reduce_range: bool = REDUCE_RANGE,
) -> None:
    """Quantize the float ONNX ``src`` into ``dst`` (the recipe of the module docstring).

    Args:
        src: Float ONNX model with one image input (float 0–1, NCHW).
        dst: Output path.
        tiles: Calibration tiles, (H, W, 3) uint8 RGB at the model's input size.
        keep_float: Names of convolutions left in float.
        percentile: Percentile of each activation histogram taken as its range.
        reduce_range: Weights in 7 bits instead of 8.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        name = onnx.load(str(pre), load_external_data=False).graph.input[0].name
        reader: Any = _Reader(name, tiles)  # duck-typed CalibrationDataReader
        quantize_static(
            str(pre),
            str(dst),
            reader,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            reduce_range=reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=list(keep_float),
            calibrate_method=CalibrationMethod.Percentile,
            extra_options={"CalibPercentile": percentile},
        )


def quantize_int8(
    card_path: Path | str,
    images: Sequence[CalibrationImage | tuple[Path, float]],
    out_dir: Path,
    *,
    name: str,
    per_image: int = 4,
) -> Path:
    """Write ``<out_dir>/<name>.onnx`` (int8) and its model card; returns the card path.

    Args:
        card_path: Card of the float model, or its registry name.
        images: Calibration images with their GSD in metres and optional windows (not the
            evaluation images or areas).
        out_dir: Output folder.
        name: Registry name of the new model.
        per_image: Calibration tiles per image.
    """
    if isinstance(card_path, str):
        card_path = Path(card_path) if card_path.endswith(".json") else card_path_for(card_path)
    card = load_card(card_path)
    calibration = [_as_calibration(item) for item in images]
    tiles = calibration_tiles(calibration, card, per_image=per_image)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / f"{name}.onnx"
    quantize_onnx(card.onnx_path, onnx_path, tiles)
    raw = json.loads(card_path.read_text(encoding="utf-8"))
    calib = ", ".join(item.describe() for item in calibration)
    if card.known_limits:  # they were measured on the float model, not on this one
        raw["known_limits"] = [limit if limit.endswith(FLOAT_MEASURED) else limit + FLOAT_MEASURED
                               for limit in card.known_limits]
    earlier = [item for item in card.training_data if not item.startswith(CALIBRATION_DATA)]
    raw["training_data"] = [*earlier, (
        f"{CALIBRATION_DATA}: the {len(tiles)} tiles its activation ranges were set on (the "
        "exporter names them); terms: those their sources state, not recorded by sitewatch")]
    raw.update(
        name=name,
        onnx_file=onnx_path.name,
        onnx_sha256=sha256_file(onnx_path),
        exporter=(
            f"int8 static quantization of {card.name} (onnx sha256 {card.onnx_sha256}) by "
            "onnxruntime.quantization.quantize_static: QDQ, Conv only, weights int8 per "
            f"channel in {7 if REDUCE_RANGE else 8} bits (reduce_range={REDUCE_RANGE}), activations "
            f"uint8 at the {PERCENTILE:g}th percentile of their histograms on {len(tiles)} tiles at "
            f"{card.gsd_m} m ({per_image} per image) from {calib}; {', '.join(KEEP_FLOAT)} kept float"
        ),
    )
    out_card = onnx_path.with_suffix(".json")
    out_card.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    load_card(out_card)
    return out_card
