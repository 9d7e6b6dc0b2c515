"""Writing an Ultralytics OBB dataset: images, DOTA-normalised 8-point labels, ``data.yaml``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train.samples import TrainingSample

__all__ = ["TRAIN_CLASSES", "obb_label_lines", "write_obb_dataset"]

#: Class order of sitewatch's fine-tuned models (index = YOLO class id).
TRAIN_CLASSES: tuple[VehicleClass, ...] = (
    VehicleClass.ARMORED_VEHICLE,
    VehicleClass.MILITARY_TRUCK,
    VehicleClass.MILITARY_LIGHT_VEHICLE,
    VehicleClass.MILITARY_ENGINEERING_VEHICLE,
    VehicleClass.CIVILIAN_VEHICLE,
)


def obb_label_lines(
    sample: TrainingSample, *, classes: Sequence[VehicleClass] = TRAIN_CLASSES
) -> list[str]:
    """One ``cls x1 y1 x2 y2 x3 y3 x4 y4`` line per box, corners divided by the image size.

    Corners are clipped to the image. Raises :class:`ConfigError` for a class not in
    ``classes``.
    """
    h, w = sample.image.shape[:2]
    lines = []
    for tb in sample.boxes:
        if tb.label not in classes:
            raise ConfigError(
                f"{sample.source}: class {tb.label.value!r} is not among the training classes "
                f"{', '.join(c.value for c in classes)}"
            )
        corners = tb.box.corners_px()
        coords = []
        for x, y in corners:
            coords += [min(max(x / w, 0.0), 1.0), min(max(y / h, 0.0), 1.0)]
        lines.append(f"{classes.index(tb.label)} " + " ".join(f"{v:.6f}" for v in coords))
    return lines


def write_obb_dataset(
    out_dir: Path,
    train: Iterable[TrainingSample],
    val: Iterable[TrainingSample],
    *,
    classes: Sequence[VehicleClass] = TRAIN_CLASSES,
) -> Path:
    """Write ``images/{train,val}``, ``labels/{train,val}``, ``sources.jsonl`` and ``data.yaml``.

    Returns:
        The path of ``data.yaml``, what Ultralytics' ``train(data=...)`` takes.
    """
    import cv2

    out_dir = Path(out_dir)
    records = []
    for split, samples in (("train", train), ("val", val)):
        (out_dir / "images" / split).mkdir(parents=True, exist_ok=True)
        (out_dir / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i, sample in enumerate(samples):
            stem = f"{split}_{i:05d}"
            cv2.imwrite(
                str(out_dir / "images" / split / f"{stem}.jpg"),
                sample.image,
                [cv2.IMWRITE_JPEG_QUALITY, 92],
            )
            (out_dir / "labels" / split / f"{stem}.txt").write_text(
                "\n".join(obb_label_lines(sample, classes=classes)) + "\n", encoding="utf-8"
            )
            records.append({"file": stem, "source": sample.source, "boxes": len(sample.boxes)})
    (out_dir / "sources.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    names = "".join(f"  {i}: {c.value}\n" for i, c in enumerate(classes))
    data_yaml = out_dir / "data.yaml"
    data_yaml.write_text(
        f"path: {out_dir.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}",
        encoding="utf-8",
    )
    return data_yaml
