"""Evaluating a detector on a folder of labelled images (``sitewatch eval``)."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.detect import (
    DetectOptions,
    Detector,
    ModelCard,
    VehicleClass,
    bounds,
    detect_raster,
    load_detector,
    training_record,
)
from sitewatch.errors import ConfigError
from sitewatch.train.labels import LabelFormat, LabelledImage, read_labels
from sitewatch.train.scoring import ImageBoxes, evaluate


def find_class_names(labels_dir: Path) -> tuple[str, ...] | None:
    """YOLO class names from ``classes.txt`` in the label folder or its parent, if any."""
    for folder in (labels_dir, labels_dir.parent):
        path = folder / "classes.txt"
        if path.is_file():
            names = [n.strip() for n in path.read_text(encoding="utf-8").splitlines()]
            return tuple(n for n in names if n)
    return None


def _image_boxes(labelled: LabelledImage, detector: Detector, **kw: Any) -> ImageBoxes:
    if labelled.image_path is None:
        raise ConfigError(
            f"no image found for label file {str(labelled.label_path)!r}; pass --images DIR",
            path=str(labelled.label_path),
        )
    result = detect_raster(labelled.image_path, detector, **kw)
    boxes = np.array(
        [
            [d.box.cx_px, d.box.cy_px, d.box.width_px, d.box.height_px, d.box.angle_rad]
            for d in result.detections
        ]
    ).reshape(-1, 5)
    return scored_against(
        labelled,
        name=labelled.image_path.name,
        pred_bounds=bounds(boxes),
        pred_scores=np.array([d.score for d in result.detections]),
        pred_labels=tuple(d.label for d in result.detections),
    )


def scored_against(
    labelled: LabelledImage,
    *,
    name: str,
    pred_bounds: np.ndarray,
    pred_scores: np.ndarray,
    pred_labels: tuple[VehicleClass, ...],
) -> ImageBoxes:
    """One image's detections beside its labels (difficult flags included), ready to score."""
    return ImageBoxes(
        name=name,
        pred_bounds=pred_bounds,
        pred_scores=pred_scores,
        pred_labels=pred_labels,
        truth_bounds=np.array([b.bounds_px for b in labelled.boxes]).reshape(-1, 4),
        truth_labels=tuple(b.label for b in labelled.boxes),
        truth_difficult=np.array([b.difficult for b in labelled.boxes], bool),
    )


def evaluate_folder(
    labels_dir: Path,
    detector: Detector,
    *,
    label_format: LabelFormat | str = LabelFormat.VOC,
    images_dir: Path | None = None,
    class_names: Sequence[str] | None = None,
    gsd_m: float | None = None,
    options: DetectOptions | None = None,
    iou_min: float = 0.3,
    score_threshold: float = 0.25,
    supplement_dir: Path | None = None,
    only_stems: Collection[str] | None = None,
) -> dict[str, Any]:
    """Run ``detector`` on every labelled image of a folder and score it.

    ``supplement_dir`` adds label files to ``labels_dir``'s (see :func:`read_labels`);
    difficult labels are ignored (see :mod:`.scoring`). ``only_stems`` restricts the
    evaluation to those images (e.g. one cross-validation fold's held-out tiles).

    The detector should keep low-scoring boxes (e.g. score_threshold 0.01) so AP sees the
    whole precision-recall curve; precision and recall are reported at ``score_threshold``.

    Raises:
        LabelFileError: Missing or malformed label files.
        ConfigError: YOLO labels without class names, an image missing, bad thresholds.
        RasterReadError, ResolutionError: As :func:`detect_raster`.
    """
    labels_dir = Path(labels_dir)
    if class_names is None and LabelFormat(label_format) is LabelFormat.YOLO:
        class_names = find_class_names(labels_dir)
    labelled = read_labels(labels_dir, label_format, class_names=class_names, image_dir=images_dir,
                           supplement_dir=supplement_dir)
    if only_stems is not None:
        missing = sorted(set(only_stems) - {item.stem for item in labelled})
        if missing:
            raise ConfigError(f"no label file in {labels_dir} for {', '.join(missing)}")
        labelled = tuple(item for item in labelled if item.stem in only_stems)
    started = time.perf_counter()
    images = [
        _image_boxes(item, detector, gsd_m=gsd_m, options=options or DetectOptions())
        for item in labelled
    ]
    report = evaluate(images, iou_min=iou_min, score_threshold=score_threshold)
    report["model"] = {
        "name": detector.name,
        "sha256": detector.sha256,
        "gsd_m": (options.model_gsd_m if options and options.model_gsd_m else detector.gsd_m),
    }
    report["image_gsd_m"] = gsd_m if gsd_m is not None else "from georeference"
    report["labels_dir"] = str(labels_dir)
    report["supplement_dir"] = str(supplement_dir) if supplement_dir else None
    report["difficult_labels"] = sum(b.difficult for item in labelled for b in item.boxes)
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def trained_on_stems(card: ModelCard) -> frozenset[str]:
    """Image stems a model was trained on, from the training record beside its card.

    The record is the ``*.training.json`` in the card's folder whose ``pt_sha256`` is the
    weights the ONNX was made from (so an int8 variant finds its float model's record).
    Models without a record (the DOTA checkpoints) give an empty set.
    """
    data = training_record(card) or {}
    return frozenset(str(s).split(":", 1)[-1] for s in data.get("trained_on", ()))


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelEvaluation:
    """What :func:`evaluate_model` measured: the report, and what it was measured with."""

    report: dict[str, Any]  #: :func:`evaluate_folder`'s report with ``trained_on_overlap``
    model_name: str
    score_threshold: float  #: the one the figures are at: the card's unless given
    trained_on_overlap: tuple[str, ...]  #: evaluated images the model was trained on


def evaluate_model(
    labels_dir: Path,
    *,
    model: str | None,
    device: str,
    options: DetectOptions,
    score_threshold: float | None = None,
    classes_file: Path | None = None,
    label_format: LabelFormat | str = LabelFormat.VOC,
    images_dir: Path | None = None,
    gsd_m: float | None = None,
    iou_min: float = 0.3,
    supplement_dir: Path | None = None,
) -> ModelEvaluation:
    """Load ``model`` and score it on a folder of labelled images (``sitewatch eval``).

    The model keeps boxes down to 0.01 so AP sees the whole curve; the figures are at
    ``score_threshold`` (the model card's when ``None``). ``classes_file`` lists YOLO class
    names one a line; the rest is as :func:`evaluate_folder`'s. Images the model
    was trained on (its training record) are named in ``trained_on_overlap``: figures over them
    are not held-out accuracy.

    Raises:
        ModelError: the model cannot be loaded.
        as :func:`evaluate_folder`.
    """
    detector = load_detector(model, score_threshold=0.01, device=device)
    score = detector.card.score_threshold if score_threshold is None else score_threshold
    class_names = None
    if classes_file is not None:
        lines = classes_file.read_text(encoding="utf-8").splitlines()
        class_names = tuple(n.strip() for n in lines if n.strip())
    report = evaluate_folder(labels_dir, detector, label_format=label_format, images_dir=images_dir,
                             class_names=class_names, gsd_m=gsd_m, options=options, iou_min=iou_min,
                             score_threshold=score, supplement_dir=supplement_dir)
    evaluated = {p.stem for p in Path(labels_dir).iterdir() if p.suffix in (".xml", ".txt")}
    seen = sorted(evaluated & trained_on_stems(detector.card))
    report["trained_on_overlap"] = seen
    return ModelEvaluation(report=report, model_name=detector.name, score_threshold=score,
                           trained_on_overlap=tuple(seen))
