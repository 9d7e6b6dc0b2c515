"""Civilian ground in the training mix: labelled civilian cars and the base model's own cars.

A model fine-tuned on military vehicle parks forgets the civilian ground its base checkpoint
knew: it finds fewer cars and calls sheds, trampolines and debris military
(``docs/model-records/civilian-retention.md``). Two sources put that ground back:

- **labelled civilian images** (YOLO or VOC, with their GSD): every vehicle label becomes
  ``civilian_vehicle``; labels of other classes (e.g. cyclists) are left out;
- **unlabelled civilian scenes, distilled**: only a window of each is read (e.g. its left half,
  so that the other half stays unseen for measurement); the teacher (the base checkpoint,
  ``dota-yolov8n-obb``) detects on it at ``teacher_gsd_m``, boxes scoring at least ``score``
  become ``civilian_vehicle`` labels, the ground under boxes from ``ignore_score`` up to
  ``score`` is inpainted (:mod:`.pseudo`), and everything else is ground, so garden sheds,
  trampolines, debris and roof plant are taught as background.

Both become the civilian cells of the synthetic tiles (``TileMix.civilian_cell_prob``): kept
with their labels, never pasted on, never cut into chips, never mined.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.detect import BASE_MODEL, VehicleClass
from sitewatch.errors import ConfigError, LabelFileError
from sitewatch.train.labels import LabelFormat, LabelledBox, read_voc, read_yolo
from sitewatch.train.pseudo import PseudoLabelling, PseudoScene, write_pseudo_labels
from sitewatch.train.resample import resample_sample
from sitewatch.train.samples import TrainingSample, from_labelled
from sitewatch.train.sources import GroundSource, load_reviewed, read_bgr8

__all__ = ["CivilianGround", "load_civilian_ground"]

CIVILIAN = VehicleClass.CIVILIAN_VEHICLE
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


@dataclass(frozen=True, slots=True, kw_only=True)
class CivilianGround:
    """Where the civilian ground comes from (the recipe's ``[civilian]`` section).

    Attributes:
        images_dir: Labelled civilian images (None: none).
        labels_dir: Their label files (YOLO ``.txt`` or VOC ``.xml``; default ``images_dir``).
        label_format: ``yolo`` or ``voc``.
        class_names: YOLO: the source label of each class id.
        vehicle_names: Source labels that are vehicles (empty: every label); others are left out.
        include: Stem patterns (``fnmatch``) of the label files to train on (empty: all).
        gsd_m: Ground sample distance of the labelled images.
        distil: Unlabelled civilian scenes (``PATH@GSD[:x0,y0,x1,y1]``) the teacher labels.
        teacher: The model whose detections become labels (a registry name or card).
        teacher_gsd_m: The GSD the teacher is run at.
        score: Teacher boxes scoring at least this become ``civilian_vehicle`` labels.
        ignore_score: Teacher boxes from this up to ``score`` are inpainted.
    """

    images_dir: Path | None = None
    labels_dir: Path | None = None
    label_format: LabelFormat = LabelFormat.YOLO
    class_names: tuple[str, ...] = ()
    vehicle_names: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    gsd_m: float | None = None
    distil: tuple[GroundSource, ...] = ()
    teacher: str = BASE_MODEL
    teacher_gsd_m: float = 0.15
    score: float = 0.4
    ignore_score: float = 0.1

    def __post_init__(self) -> None:
        if self.images_dir is not None:
            if not self.gsd_m or self.gsd_m <= 0:
                raise ConfigError("[civilian] images needs [civilian] gsd_m (the images' ground "
                                  "sample distance, metres)")
            if self.label_format not in (LabelFormat.YOLO, LabelFormat.VOC):
                raise ConfigError(f"[civilian] format must be yolo or voc, got "
                                  f"{self.label_format.value}")
            if self.label_format is LabelFormat.YOLO and not self.class_names:
                raise ConfigError("[civilian] format = \"yolo\" needs [civilian] class_names "
                                  "(the class of each id, in order)")
            if self.label_format is LabelFormat.VOC and not self.vehicle_names:
                raise ConfigError("[civilian] format = \"voc\" needs [civilian] vehicle_names "
                                  "(the VOC names that are vehicles)")
        # the same check as the pseudo-labelling's, worded for the recipe
        if not 0.0 < self.ignore_score < self.score < 1.0 or not self.teacher_gsd_m > 0:
            raise ConfigError(f"[civilian] needs 0 < ignore_score < score < 1 and teacher_gsd_m > "
                              f"0; got {self.ignore_score}, {self.score}, {self.teacher_gsd_m}")

    @property
    def empty(self) -> bool:
        """True when it names no civilian image and no scene."""
        return self.images_dir is None and not self.distil


def _image_for(folder: Path, stem: str) -> Path | None:
    for suffix in _IMAGE_SUFFIXES:
        for candidate in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix.upper()}"):
            if candidate.is_file():
                return candidate
    return None


def _labelled_boxes(config: CivilianGround, label_path: Path,
                    image: np.ndarray) -> tuple[LabelledBox, ...]:
    names = config.vehicle_names or config.class_names
    label_map = dict.fromkeys(names, CIVILIAN)
    if config.label_format is LabelFormat.YOLO:
        h, w = image.shape[:2]
        return read_yolo(label_path, class_names=config.class_names, width_px=w, height_px=h,
                         label_map=label_map, skip_unmapped=True)
    boxes, _size = read_voc(label_path, label_map=label_map, skip_unmapped=True)
    return boxes


def load_labelled_civilian(config: CivilianGround, *,
                           gsd_m: float) -> tuple[tuple[TrainingSample, ...], dict[str, Any]]:
    """The labelled civilian images at ``gsd_m``, every vehicle a ``civilian_vehicle``.

    Raises:
        ConfigError: no label file matches ``include``.
        LabelFileError: a label file is malformed or has no image of its stem.
    """
    if config.images_dir is None or config.gsd_m is None:
        return (), {}
    labels_dir = config.labels_dir or config.images_dir
    suffix = ".txt" if config.label_format is LabelFormat.YOLO else ".xml"
    files = [p for p in sorted(labels_dir.glob(f"*{suffix}"))
             if not config.include or any(fnmatch(p.stem, pat) for pat in config.include)]
    if not files:
        raise ConfigError(f"[civilian] no {suffix} label file in {labels_dir} matches include "
                          f"{list(config.include)}")
    samples = []
    for label_path in files:
        image_path = _image_for(config.images_dir, label_path.stem)
        if image_path is None:
            raise LabelFileError(f"{label_path}: no image {label_path.stem}.* in "
                                 f"{config.images_dir}; narrow [civilian] include",
                                 path=str(label_path))
        image = read_bgr8(image_path)
        boxes = _labelled_boxes(config, label_path, image)
        sample = TrainingSample(image=image,
                                boxes=tuple(from_labelled(b) for b in boxes if not b.difficult),
                                source=f"civilian:{label_path.stem}",
                                ignore_px=tuple(b.bounds_px for b in boxes if b.difficult))
        samples.append(resample_sample(sample, from_gsd_m=config.gsd_m, to_gsd_m=gsd_m))
    record = {"images": str(config.images_dir), "labels": str(labels_dir),
              "format": config.label_format.value, "include": list(config.include),
              "vehicle_names": list(config.vehicle_names or config.class_names),
              "gsd_m": config.gsd_m, "stems": [p.stem for p in files],
              "boxes": sum(len(s.boxes) for s in samples)}
    return tuple(samples), record


def _window_stem(source: GroundSource) -> str:
    if source.window_px is None:
        return source.path.stem
    x0, y0, x1, y1 = source.window_px
    return f"{source.path.stem}_x{x0}_y{y0}_{x1 - x0}x{y1 - y0}"


def distil_scenes(config: CivilianGround, *, gsd_m: float,
                  out_dir: Path) -> tuple[tuple[TrainingSample, ...], dict[str, Any]]:
    """The teacher's labels on the windows of the unlabelled scenes, at ``gsd_m``.

    Each window is cut out first (``out_dir/windows``): the teacher never reads beyond it. The
    labelled windows are written as a pseudo-label export (``out_dir/labels``).

    Raises:
        ConfigError: ``out_dir`` holds an earlier run, two windows share a name, or the
            teacher cannot load.
    """
    if not config.distil:
        return (), {}
    import cv2

    windows_dir = out_dir / "windows"
    windows_dir.mkdir(parents=True, exist_ok=True)
    scenes: list[PseudoScene] = []
    origin: dict[str, GroundSource] = {}
    for source in config.distil:
        stem = _window_stem(source)
        if stem in origin:
            raise ConfigError(f"[civilian] distil names {source.path.name} window "
                              f"{source.window_px} twice")
        origin[stem] = source
        path = windows_dir / f"{stem}.png"
        cv2.imwrite(str(path), source.read(to_gsd_m=source.gsd_m))
        scenes.append(PseudoScene(path=path, gsd_m=source.gsd_m, stem=stem))
    settings = PseudoLabelling(label_score=config.score, ignore_score=config.ignore_score,
                               tta=False, model_gsd_m=config.teacher_gsd_m, label_as=CIVILIAN)
    labels_dir = out_dir / "labels"
    write_pseudo_labels(scenes, config.teacher, labels_dir, settings)
    samples = load_reviewed(labels_dir, gsd_m=gsd_m, kind="distil")
    manifest = json.loads((labels_dir / "reviews.json").read_text(encoding="utf-8"))
    record = {
        "teacher": manifest["teacher"], "teacher_sha256": manifest["teacher_sha256"],
        "teacher_gsd_m": config.teacher_gsd_m, "label_score": config.score,
        "ignore_score": config.ignore_score, "tta": False, "labelled_as": CIVILIAN.value,
        "folder": str(labels_dir),
        "scenes": [{"path": str(origin[_stem_of(e["stem"], origin)].path),
                    "gsd_m": e["gsd_m"],
                    "window_px": list(origin[_stem_of(e["stem"], origin)].window_px or ()),
                    "labels": e["labels"], "inpainted": e["inpainted"]}
                   for e in manifest["images"]],
    }
    return samples, record


def _stem_of(piece_stem: str, origin: dict[str, GroundSource]) -> str:
    """The window a written piece came from (a large window is written as ``stem_x…_y…``)."""
    if piece_stem in origin:
        return piece_stem
    return max((s for s in origin if piece_stem.startswith(s + "_")), key=len)


def load_civilian_ground(config: CivilianGround, *, gsd_m: float,
                         out_dir: Path) -> tuple[tuple[TrainingSample, ...], dict[str, Any]]:
    """Every civilian training image at ``gsd_m`` and the record of where each came from.

    Raises:
        ConfigError, LabelFileError: see :func:`load_labelled_civilian` and
            :func:`distil_scenes`.
    """
    labelled, labelled_record = load_labelled_civilian(config, gsd_m=gsd_m)
    distilled, distil_record = distil_scenes(config, gsd_m=gsd_m, out_dir=out_dir)
    return labelled + distilled, {"labelled": labelled_record or None,
                                  "distillation": distil_record or None}

