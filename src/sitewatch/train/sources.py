"""Where training pixels come from: labelled tiles (split into train and held out) and ground.

This is the edge where files are read: labelled images through :mod:`sitewatch.train.labels`,
ground imagery (JPEG, PNG, GeoTIFF, any bit depth) stretched to 8-bit BGR.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError, LabelFileError
from sitewatch.imagery import RasterReader
from sitewatch.train.labels import LabelFormat, read_labels
from sitewatch.train.pieces import PIECE_PX, read_pieces
from sitewatch.train.resample import resample_image, resample_sample
from sitewatch.train.samples import TrainingSample, from_labelled

__all__ = [
    "GroundRole", "GroundSource", "LabelledSplit", "load_labelled", "load_reviewed", "read_bgr8",
]


class GroundRole(StrEnum):
    """How ground imagery is used."""

    GROUND = "ground"  # empty ground to paste vehicles on
    NEGATIVE = "negative"  # ground that stays empty (hard negatives)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroundSource:
    """A ground image: path, its GSD, an optional pixel window ``(x0, y0, x1, y1)``, its role."""

    path: Path
    gsd_m: float
    window_px: tuple[int, int, int, int] | None = None
    role: GroundRole = GroundRole.GROUND

    def __post_init__(self) -> None:
        if self.gsd_m <= 0:
            raise ConfigError(f"ground {self.path}: gsd_m must be positive, got {self.gsd_m}")
        if self.window_px is not None:
            x0, y0, x1, y1 = self.window_px
            if not (0 <= x0 < x1 and 0 <= y0 < y1):
                raise ConfigError(f"ground {self.path}: window {self.window_px} is empty")

    @classmethod
    def parse(cls, text: str, *, role: GroundRole = GroundRole.GROUND) -> GroundSource:
        """Parse ``PATH@GSD`` or ``PATH@GSD:x0,y0,x1,y1`` (window in the image's own pixels).

        >>> GroundSource.parse("depot.tif@0.25:10,20,300,400").window_px
        (10, 20, 300, 400)
        """
        path_part, sep, rest = text.rpartition("@")
        if not sep or not path_part:
            raise ConfigError(
                f"ground {text!r}: expected PATH@GSD_M[:x0,y0,x1,y1], e.g. scene.tif@0.3"
            )
        gsd_text, _, window_text = rest.partition(":")
        try:
            gsd = float(gsd_text)
            window = tuple(int(v) for v in window_text.split(",")) if window_text else None
        except ValueError:
            raise ConfigError(f"ground {text!r}: GSD or window is not a number") from None
        if window is not None and len(window) != 4:
            raise ConfigError(f"ground {text!r}: window needs 4 numbers x0,y0,x1,y1")
        return cls(path=Path(path_part), gsd_m=gsd, window_px=window, role=role)

    def read(self, *, to_gsd_m: float) -> np.ndarray:
        """The (windowed) image as 8-bit BGR at ``to_gsd_m``."""
        image = read_bgr8(self.path)
        if self.window_px is not None:
            x0, y0, x1, y1 = self.window_px
            image = image[y0:y1, x0:x1]
            if image.size == 0:
                raise ConfigError(f"ground {self.path}: window {self.window_px} is outside it")
        return resample_image(np.ascontiguousarray(image), from_gsd_m=self.gsd_m, to_gsd_m=to_gsd_m)


def read_bgr8(path: Path) -> np.ndarray:
    """Read an image as 8-bit, 3-channel BGR; deeper rasters are stretched 1st-99.5th pct.

    Raises:
        ConfigError: the file cannot be read as an image.
    """
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is not None and not _is_deep_tiff(path):
        return image
    try:
        import rasterio

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            src = rasterio.open(path)
        with src:
            bands = src.read(list(range(1, min(src.count, 3) + 1))).astype(np.float32)
    except Exception as exc:  # rasterio raises many kinds on hostile input
        raise ConfigError(f"cannot read image {str(path)!r} ({exc}); is it an image?") from exc
    lo, hi = np.percentile(bands, [1, 99.5])
    scaled = (np.clip((bands - lo) / max(hi - lo, 1e-6), 0, 1) * 255 + 0.5).astype(np.uint8)
    if scaled.shape[0] == 1:
        scaled = np.repeat(scaled, 3, axis=0)
    rgb = np.moveaxis(scaled, 0, -1)
    return np.ascontiguousarray(rgb[..., ::-1])


def _is_deep_tiff(path: Path) -> bool:
    if path.suffix.lower() not in (".tif", ".tiff"):
        return False
    try:
        import rasterio

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. NotGeoreferencedWarning: irrelevant here
            with rasterio.open(path) as src:
                return bool(src.dtypes[0] != "uint8")
    except Exception:  # not a real TIFF (e.g. a JPEG named .tif): let OpenCV's answer stand
        return False


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LabelledSplit:
    """Labelled tiles at the model GSD, split into those trained on and those held out."""

    train: tuple[TrainingSample, ...]
    holdout: tuple[TrainingSample, ...]


def load_labelled(
    images_dir: Path,
    labels_dir: Path,
    *,
    label_format: LabelFormat | str,
    class_names: Sequence[str] | None,
    data_gsd_m: float,
    gsd_m: float,
    holdout: Sequence[str],
    supplement_dir: Path | None = None,
) -> LabelledSplit:
    """Read labelled tiles, resample them to ``gsd_m`` and split off the held-out stems.

    ``supplement_dir`` adds boxes to the tiles (see :func:`read_labels`). Boxes flagged
    difficult are not labels (they may not be vehicles) but the sample's ``ignore_px``.

    Raises:
        ConfigError: a held-out stem has no label file, or nothing is left to train on.
        LabelFileError: a label file is malformed or its image is missing.
    """
    images = read_labels(
        labels_dir, label_format, class_names=class_names, image_dir=Path(images_dir),
        supplement_dir=supplement_dir,
    )  # fmt: skip
    stems = {im.stem for im in images}
    missing = sorted(set(holdout) - stems)
    if missing:
        raise ConfigError(
            f"held-out tiles {missing} have no label file in {labels_dir}; valid stems: "
            f"{', '.join(sorted(stems))}"
        )
    train: list[TrainingSample] = []
    held: list[TrainingSample] = []
    for im in images:
        if im.image_path is None:
            raise LabelFileError(
                f"{im.label_path}: no image {im.stem}.* in {images_dir}", path=str(im.label_path)
            )
        sample = TrainingSample(
            image=read_bgr8(im.image_path),
            boxes=tuple(from_labelled(b) for b in im.boxes if not b.difficult),
            source=f"labelled:{im.stem}",
            ignore_px=tuple(b.bounds_px for b in im.boxes if b.difficult),
        )
        sample = resample_sample(sample, from_gsd_m=data_gsd_m, to_gsd_m=gsd_m)
        (held if im.stem in holdout else train).append(sample)
    if not train:
        raise ConfigError("every labelled tile is held out; nothing is left to train on")
    return LabelledSplit(train=tuple(train), holdout=tuple(held))


def load_reviewed(folder: Path, *, gsd_m: float, kind: str = "reviewed",
                  piece_px: int = PIECE_PX) -> tuple[TrainingSample, ...]:
    """Read an analyst-reviewed label export and resample each scene to ``gsd_m``.

    ``folder`` is what :func:`sitewatch.case.export_reviewed_labels` wrote: ``images/``,
    ``labels/`` (DOTA) and ``reviews.json``, which gives each scene's own ground sample
    distance. Every reviewed box must carry one of the trained classes: a box left as the
    generic ``vehicle`` cannot be taught, and leaving it out would teach a vehicle as ground.
    Pseudo-labels (:func:`.pseudo.write_pseudo_labels`) have the same layout; ``kind``
    prefixes each sample's source (``reviewed:`` or ``pseudo:``).

    A reviewed scene is the original image, of any size: it is read window by window, and one
    over ``piece_px`` becomes overlapping samples (:func:`.pieces.read_pieces`, overlapping by
    the detector's tile overlap, the longest vehicle), each source suffixed ``_x…_y…``.

    Raises:
        ConfigError: no ``reviews.json``, no reviewed scene, or a box without a class.
        LabelFileError: a label file is malformed or its image is missing.
        RasterReadError: a scene cannot be read.
    """
    manifest_path = folder / "reviews.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        gsd_by_stem = {e["stem"]: float(e["gsd_m"]) for e in manifest["images"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{manifest_path}: not a reviewed-label export ({exc}); write one with "
                          "sitewatch review CASE --export-labels DIR") from exc
    if not gsd_by_stem:
        raise ConfigError(f"{folder}: no fully reviewed scene to learn from; review every "
                          "detection of at least one scene in sitewatch review first")
    images = read_labels(folder / "labels", LabelFormat.DOTA, image_dir=folder / "images")
    unclassed = {im.stem: n for im in images
                 if (n := sum(b.label is VehicleClass.VEHICLE for b in im.boxes))}
    if unclassed:
        where = ", ".join(f"{stem} ({n})" for stem, n in sorted(unclassed.items()))
        raise ConfigError(f"reviewed boxes labelled only 'vehicle' in {where}: give each a class "
                          "in sitewatch review (relabel), then train again")
    samples = []
    for im in images:
        if im.image_path is None or im.stem not in gsd_by_stem:
            raise LabelFileError(f"{im.label_path}: no image or no entry in {manifest_path}",
                                 path=str(im.label_path))
        scene_gsd_m = gsd_by_stem[im.stem]
        with RasterReader(im.image_path) as reader:
            for piece in read_pieces(reader, [from_labelled(b) for b in im.boxes],
                                     gsd_m=scene_gsd_m, piece_px=piece_px):
                sample = TrainingSample(image=piece.image, boxes=piece.labels,
                                        source=f"{kind}:{im.stem}{piece.suffix}")
                samples.append(resample_sample(sample, from_gsd_m=scene_gsd_m, to_gsd_m=gsd_m))
    return tuple(samples)
