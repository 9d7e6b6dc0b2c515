"""Pseudo-labels: a model labels a new site's own scenes, so that it can be trained on them.

Self-training for a site that no labelled tile comes from. The teacher (usually the model
being adapted) detects each scene with its four mirrored views fused, down to a low score;
boxes scoring at least ``label_score`` become labels, and the ground under the boxes it is
unsure of (from ``ignore_score`` up to ``label_score``) is inpainted, so that they are taught
neither as vehicles nor as ground. The result has the layout of a reviewed-label export
(``images/``, DOTA ``labels/``, ``reviews.json``), which :func:`.sources.load_reviewed` reads.

The teacher's errors above ``label_score`` are taught as vehicles: measured on the three MVRSD
sites, a site's recall rises most where the model missed rows of vehicles, and precision can
fall where it mistakes the site's clutter for vehicles (``docs/training.md``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from sitewatch.detect.labels import dota_line
from sitewatch.detect.training.sources import read_bgr8
from sitewatch.detect.types import Detection
from sitewatch.errors import ConfigError

__all__ = ["PseudoExport", "PseudoLabelling", "PseudoScene", "write_pseudo_labels"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PseudoLabelling:
    """How the teacher's boxes become labels.

    Attributes:
        label_score: Boxes scoring at least this become labels.
        ignore_score: Boxes scoring from this up to ``label_score`` are inpainted away.
        grow: The inpainted area is each unsure box grown by this factor, plus ``pad_px``.
        pad_px: Pixels added around each unsure box (shadows, box error).
        tta: Detect with the four mirrored views fused (:data:`sitewatch.detect.tta.FLIPS`).
    """

    label_score: float = 0.3
    ignore_score: float = 0.05
    grow: float = 1.25
    pad_px: float = 4.0
    tta: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.ignore_score < self.label_score < 1.0:
            raise ConfigError(f"pseudo-labelling needs 0 < ignore score < label score < 1; got "
                              f"{self.ignore_score} and {self.label_score}")
        if self.grow < 1.0 or self.pad_px < 0.0:
            raise ConfigError(f"pseudo-labelling needs grow >= 1 and pad_px >= 0; got "
                              f"{self.grow} and {self.pad_px}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PseudoScene:
    """A scene to pseudo-label: its file, ground sample distance and a file-safe stem."""

    path: Path
    gsd_m: float
    stem: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PseudoExport:
    """What :func:`write_pseudo_labels` wrote: scenes, labels and inpainted boxes."""

    stems: tuple[str, ...]
    labels: int
    inpainted: int


def _polygon(det: Detection, grow: float = 1.0, pad_px: float = 0.0) -> np.ndarray:
    b = det.box
    grown = replace(b, width_px=b.width_px * grow + pad_px, height_px=b.height_px * grow + pad_px)
    return np.asarray(grown.corners_px()).astype(np.int32)


def paint_out_unsure(image: np.ndarray, labels: Sequence[Detection],
                     unsure: Sequence[Detection], settings: PseudoLabelling) -> np.ndarray:
    """``image`` with the (grown) unsure boxes inpainted, the labelled boxes left untouched."""
    import cv2

    mask = np.zeros(image.shape[:2], np.uint8)
    for det in unsure:
        cv2.fillPoly(mask, [_polygon(det, settings.grow, settings.pad_px)], 255)
    for det in labels:
        cv2.fillPoly(mask, [_polygon(det)], 0)
    if not mask.any():
        return image
    return cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA)


def write_pseudo_labels(scenes: Sequence[PseudoScene], teacher: str | Path, out: Path,
                        settings: PseudoLabelling | None = None) -> PseudoExport:
    """Detect each scene with ``teacher`` and write it as pseudo-labelled training data.

    Args:
        scenes: The scenes (each read whole, so keep them to what fits in memory).
        teacher: Model reference for :func:`sitewatch.detect.load_detector`.
        out: An empty or new folder.
        settings: Scores and inpainting.

    Raises:
        ConfigError: ``out`` is not empty, no scene is given, or the teacher cannot load.
        RasterReadError, ResolutionError: a scene cannot be read or is too coarse.
    """
    import cv2

    from sitewatch.detect import DetectOptions, detect_raster, load_detector
    from sitewatch.detect.tta import FLIPS

    settings = settings or PseudoLabelling()
    if not scenes:
        raise ConfigError("no scene to pseudo-label: the case holds none")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"cannot write pseudo-labels into '{out}': not an empty folder; "
                          "choose a new --out")
    detector = load_detector(teacher, score_threshold=settings.ignore_score)
    options = DetectOptions(tta_views=FLIPS if settings.tta else ())
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(exist_ok=True)
    entries: list[dict[str, object]] = []
    stems: list[str] = []
    n_labels = n_unsure = 0
    for scene in scenes:
        found = detect_raster(scene.path, detector, gsd_m=scene.gsd_m, options=options).detections
        labels = [d for d in found if d.score >= settings.label_score]
        unsure = [d for d in found if d.score < settings.label_score]
        image = paint_out_unsure(read_bgr8(scene.path), labels, unsure, settings)
        cv2.imwrite(str(out / "images" / f"{scene.stem}.png"), image)
        (out / "labels" / f"{scene.stem}.txt").write_text(
            "".join(dota_line(d.box, d.label.value) + "\n" for d in labels), encoding="utf-8")
        entries.append({"stem": scene.stem, "source": str(scene.path), "gsd_m": scene.gsd_m,
                        "labels": len(labels), "inpainted": len(unsure)})
        stems.append(scene.stem)
        n_labels += len(labels)
        n_unsure += len(unsure)
    manifest = {"images": entries, "teacher": detector.name, "teacher_sha256": detector.sha256,
                "pseudo_labelling": asdict(settings)}
    (out / "reviews.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return PseudoExport(stems=tuple(stems), labels=n_labels,
                        inpainted=n_unsure)
