"""Real vehicle layouts: where vehicles of which classes stand, read from many label files.

The ~3000 MVRSD YOLO label files have no pixels offline, but their boxes say how big vehicles
of each class are, how densely they park, in what rows and with which other classes. A
:class:`Layout` is one file's boxes in normalised coordinates; synthesis places real vehicle
chips at a layout's positions so synthetic tiles inherit realistic density and co-occurrence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import LabelFileError
from sitewatch.train.labels import DEFAULT_LABEL_MAP, read_yolo
from sitewatch.train.samples import TrainingSample

__all__ = ["Layout", "LayoutBox", "layout_from_sample", "layout_stats", "read_layouts"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutBox:
    """One vehicle of a layout: centre and size as fractions of the image side."""

    cx: float
    cy: float
    w: float
    h: float
    label: VehicleClass


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """The vehicles of one real labelled image, in normalised coordinates."""

    boxes: tuple[LayoutBox, ...]
    source: str


def read_layouts(
    label_dir: Path,
    *,
    class_names: Sequence[str],
    label_map: Mapping[str, VehicleClass] = DEFAULT_LABEL_MAP,
    exclude_stems: frozenset[str] = frozenset(),
) -> tuple[Layout, ...]:
    """Read every ``*.txt`` YOLO file under ``label_dir`` (recursively) as a layout.

    Files named in ``exclude_stems`` (e.g. held-out evaluation tiles) are skipped, as are empty
    files and files that fail to parse (their names are returned nowhere: the count of layouts
    read is what callers report).
    """
    layouts = []
    for path in sorted(Path(label_dir).rglob("*.txt")):
        if path.stem in exclude_stems or path.name == "classes.txt":
            continue
        try:
            boxes = read_yolo(
                path, class_names=class_names, width_px=1, height_px=1, label_map=label_map
            )
        except LabelFileError:
            continue
        if boxes:
            layouts.append(
                Layout(
                    boxes=tuple(
                        LayoutBox(
                            cx=(b.x0_px + b.x1_px) / 2,
                            cy=(b.y0_px + b.y1_px) / 2,
                            w=b.width_px,
                            h=b.height_px,
                            label=b.label,
                        )
                        for b in boxes
                    ),
                    source=path.stem,
                )
            )
    return tuple(layouts)


def layout_stats(layouts: Sequence[Layout], *, side_m: float) -> dict[str, dict[str, float]]:
    """Per-class counts and size percentiles (metres) for images ``side_m`` metres across.

    Returns:
        ``{class: {"count", "per_image_mean", "long_m_p10", "long_m_p50", "long_m_p90",
        "short_m_p50"}}`` plus ``"all"`` with ``vehicles_per_image_p50`` and ``_p90``.
    """
    out: dict[str, dict[str, float]] = {}
    n = max(len(layouts), 1)
    for cls in VehicleClass:
        boxes = [b for lay in layouts for b in lay.boxes if b.label is cls]
        if not boxes:
            continue
        long_m = np.array([max(b.w, b.h) * side_m for b in boxes])
        short_m = np.array([min(b.w, b.h) * side_m for b in boxes])
        out[cls.value] = {
            "count": float(len(boxes)),
            "per_image_mean": len(boxes) / n,
            "long_m_p10": float(np.percentile(long_m, 10)),
            "long_m_p50": float(np.percentile(long_m, 50)),
            "long_m_p90": float(np.percentile(long_m, 90)),
            "short_m_p50": float(np.percentile(short_m, 50)),
        }
    counts = np.array([len(lay.boxes) for lay in layouts] or [0])
    out["all"] = {
        "images": float(len(layouts)),
        "vehicles_per_image_p50": float(np.percentile(counts, 50)),
        "vehicles_per_image_p90": float(np.percentile(counts, 90)),
    }
    return out


def layout_from_sample(sample: TrainingSample) -> Layout:
    """A labelled sample's vehicles as a layout (normalised by the sample's width and height)."""
    h, w = sample.image.shape[:2]
    boxes = []
    for b in sample.boxes:
        x0, y0, x1, y1 = b.box.bounds_px()
        boxes.append(
            LayoutBox(
                cx=(x0 + x1) / 2 / w, cy=(y0 + y1) / 2 / h, w=(x1 - x0) / w, h=(y1 - y0) / h,
                label=b.label,
            )
        )  # fmt: skip
    return Layout(boxes=tuple(boxes), source=sample.source)
