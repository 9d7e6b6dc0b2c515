"""Pseudo-labels: a model labels a new site's own scenes, so that it can be trained on them.

Self-training for a site that no labelled tile comes from. The teacher (usually the model
being adapted) detects each scene with its four mirrored views fused, down to a low score;
boxes scoring at least ``label_score`` become labels, and the ground under the boxes it is
unsure of (from ``ignore_score`` up to ``label_score``) is inpainted, so that they are taught
neither as vehicles nor as ground. The result has the layout of a reviewed-label export
(``images/``, DOTA ``labels/``, ``reviews.json``), which :func:`.sources.load_reviewed` reads.

A scene is read window by window, never whole: one larger than ``piece_px`` is written as
overlapping pieces (:mod:`.pieces`; the overlap is the detector's tile overlap, the longest
vehicle).

The teacher's errors above ``label_score`` are taught as vehicles: measured on the three MVRSD
sites, a site's recall rises most where the model missed rows of vehicles, and precision can
fall where it mistakes the site's clutter for vehicles (``docs/training.md``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.imagery import RasterReader
from sitewatch.train.labels import dota_line
from sitewatch.train.pieces import PIECE_PX, read_pieces

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
        piece_px: Scenes wider or taller than this (in their own pixels) are written as
            overlapping pieces of this side, so that no scene is ever held whole in memory.
        model_gsd_m: Run the teacher at this GSD instead of its card's (None: the card's).
        label_as: Write every label as this class instead of the teacher's (e.g. the base
            checkpoint's class-agnostic ``vehicle`` as ``civilian_vehicle``); None: as found.
    """

    label_score: float = 0.3
    ignore_score: float = 0.05
    grow: float = 1.25
    pad_px: float = 4.0
    tta: bool = True
    piece_px: int = PIECE_PX
    model_gsd_m: float | None = None
    label_as: VehicleClass | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.ignore_score < self.label_score < 1.0:
            raise ConfigError(f"pseudo-labelling needs 0 < ignore score < label score < 1; got "
                              f"{self.ignore_score} and {self.label_score}")
        if self.grow < 1.0 or self.pad_px < 0.0:
            raise ConfigError(f"pseudo-labelling needs grow >= 1 and pad_px >= 0; got "
                              f"{self.grow} and {self.pad_px}")
        if self.piece_px < 256:
            raise ConfigError(f"pseudo-labelling needs pieces of at least 256 px; got {self.piece_px}")
        if self.model_gsd_m is not None and not self.model_gsd_m > 0:
            raise ConfigError(f"pseudo-labelling needs a teacher GSD > 0; got {self.model_gsd_m}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PseudoScene:
    """A scene to pseudo-label: its file, ground sample distance and a file-safe stem."""

    path: Path
    gsd_m: float
    stem: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PseudoExport:
    """What :func:`write_pseudo_labels` wrote.

    Attributes:
        stems: The images written: one per scene, or one per piece of a large scene.
        scenes: How many scenes were labelled.
        labels: Vehicles labelled (a vehicle in the overlap of two pieces counts once).
        inpainted: Unsure boxes painted out.
    """

    stems: tuple[str, ...]
    scenes: int
    labels: int
    inpainted: int


def write_pseudo_labels(scenes: Sequence[PseudoScene], teacher: str | Path, out: Path,
                        settings: PseudoLabelling | None = None) -> PseudoExport:
    """Detect each scene with ``teacher`` and write it as pseudo-labelled training data.

    Args:
        scenes: The scenes, of any size (read window by window).
        teacher: Model reference for :func:`sitewatch.detect.load_detector`.
        out: An empty or new folder.
        settings: Scores, inpainting and the size of the pieces large scenes are cut into.

    Raises:
        ConfigError: ``out`` is not empty, no scene is given, or the teacher cannot load.
        RasterReadError, ResolutionError: a scene cannot be read or is too coarse.
    """
    import cv2

    from sitewatch.detect import FLIPS, DetectOptions, detect_raster, load_detector

    settings = settings or PseudoLabelling()
    if not scenes:
        raise ConfigError("no scene to pseudo-label: the case holds none")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"cannot write pseudo-labels into '{out}': not an empty folder; "
                          "choose a new --out")
    detector = load_detector(teacher, score_threshold=settings.ignore_score)
    options = DetectOptions(tta_views=FLIPS if settings.tta else (), model_gsd_m=settings.model_gsd_m)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(exist_ok=True)
    entries: list[dict[str, object]] = []
    n_labels = n_unsure = 0
    for scene in scenes:
        found = detect_raster(scene.path, detector, gsd_m=scene.gsd_m, options=options).detections
        sure = [d if settings.label_as is None else replace(d, label=settings.label_as)
                for d in found if d.score >= settings.label_score]
        unsure = [d for d in found if d.score < settings.label_score]
        n_labels += len(sure)
        n_unsure += len(unsure)
        with RasterReader(scene.path) as reader:
            for piece in read_pieces(reader, sure, gsd_m=scene.gsd_m, paint=unsure,
                                     piece_px=settings.piece_px, grow=settings.grow,
                                     pad_px=settings.pad_px):
                stem = scene.stem + piece.suffix
                cv2.imwrite(str(out / "images" / f"{stem}.png"), piece.image)
                (out / "labels" / f"{stem}.txt").write_text(
                    "".join(dota_line(d.box, d.label.value) + "\n" for d in piece.labels),
                    encoding="utf-8")
                w = piece.window
                entries.append({"stem": stem, "source": str(scene.path), "gsd_m": scene.gsd_m,
                                "window_px": [w.x0_px, w.y0_px, w.x1_px, w.y1_px],
                                "labels": len(piece.labels), "inpainted": piece.painted})
    manifest = {"images": entries, "teacher": detector.name, "teacher_sha256": detector.sha256,
                "pseudo_labelling": asdict(settings)}
    (out / "reviews.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return PseudoExport(stems=tuple(str(e["stem"]) for e in entries), scenes=len(scenes),
                        labels=n_labels, inpainted=n_unsure)
