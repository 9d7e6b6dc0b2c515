"""Detectors on the hand-labelled dense regions of the depot scene (issue 19 item 2).

Runs ``sitewatch detect SCENE --out FILE.csv`` (the command users run, in a subprocess) for
each model × GSD × test-time-augmentation setting, then scores the boxes inside each region
of ``docs/dense-depot-labels`` against the hand labels:

- matching: greedy in descending score, each box taking the unmatched label it overlaps most
  at rotated IoU >= ``--iou`` (0.3 by default, as ``sitewatch eval``; the project's own
  matcher, :func:`sitewatch.train.greedy_match`, compares enclosing axis-aligned boxes, which
  in tilted bumper-to-bumper rows overlap the neighbours, so this one compares the oriented
  polygons). A box matching a difficult label, or overlapping one at that IoU when no free
  label is left, is ignored (VOC);
- a box belongs to a region when its centre does, as the labels do;
- count error: (boxes kept − vehicles) / vehicles per region, boxes kept being the true and
  false positives (boxes on difficult objects left out);
- boxes over several vehicles: a box holding at least 60 % of the area of each of two or more
  labelled vehicles; boxes on part of one: the extra boxes (beyond one) that lie at least 60 %
  inside one vehicle's box (the shares of ``tools/eval_fragments.py``). Area shares, not
  centres, so that a right box beside a label drawn a few pixels off is not counted.

Reads ``../shared/data`` (or ``$SITEWATCH_DATA``); exits with status 2 when it is absent.

Usage::

    python tools/eval_dense.py --model sitewatch-vehicles-yolov8n-obb --gsd 0.25 --gsd auto \
        --tta off --tta on --work /tmp/dense --out dense.json
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.detect import bounds
from sitewatch.errors import ConfigError
from sitewatch.shared_data import shared_data_root
from sitewatch.train import iou_matrix

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "docs" / "dense-depot-labels"
SCENE = Path("overhead") / "scenes" / "AUAU040001_depot.tif"
#: Share of a vehicle inside a box for the box to cover it, and of a box inside a vehicle for
#: the box to be on part of it.
SHARE = 0.6


@dataclass(frozen=True, slots=True, kw_only=True)
class Region:
    """A labelled window of the scene, pixels, x1/y1 exclusive."""

    name: str
    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
        """Which centres lie inside."""
        return (cx >= self.x0) & (cx < self.x1) & (cy >= self.y0) & (cy < self.y1)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionScore:
    """What a detector did in one region (see the module docs for each rule)."""

    region: str
    vehicles: int
    difficult: int
    boxes: int
    tp: int
    fp: int
    fn: int
    ignored: int
    precision: float | None
    recall: float | None
    count_error: float | None
    covering_several: int
    on_part: int
    vehicles_cut_up: int


def read_regions(path: Path) -> tuple[Region, ...]:
    """The regions of ``regions.csv``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(Region(name=r["region"], x0=float(r["x0_px"]), y0=float(r["y0_px"]),
                            x1=float(r["x1_px"]), y1=float(r["y1_px"]))
                     for r in csv.DictReader(handle))


def read_boxes(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A region's labels: boxes (N, 5) as cx, cy, length, width, angle (radians), and the
    difficult flags (N,)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    boxes = np.array([[float(r["cx_px"]), float(r["cy_px"]), float(r["length_px"]),
                       float(r["width_px"]), math.radians(float(r["angle_deg"]))]
                      for r in rows]).reshape(-1, 5)
    return boxes, np.array([r["difficult"] == "1" for r in rows], bool)


def read_detections(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (N, 5) and scores (N,) of a ``sitewatch detect --out FILE.csv`` file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    boxes = np.array([[float(r["cx"]), float(r["cy"]), float(r["width_px"]),
                       float(r["height_px"]), math.radians(float(r["angle_deg"]))]
                      for r in rows]).reshape(-1, 5)
    return boxes, np.array([float(r["score"]) for r in rows])


def polygons(boxes: np.ndarray) -> np.ndarray:
    """Shapely polygons of oriented boxes (cx, cy, length, width, angle clockwise, y down)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 5)
    c, s = np.cos(b[:, 4]), np.sin(b[:, 4])
    dx = np.array([-0.5, 0.5, 0.5, -0.5])[None, :] * b[:, 2:3]
    dy = np.array([-0.5, -0.5, 0.5, 0.5])[None, :] * b[:, 3:4]
    x = b[:, 0:1] + dx * c[:, None] - dy * s[:, None]
    y = b[:, 1:2] + dx * s[:, None] + dy * c[:, None]
    return shapely.polygons(np.stack([x, y], axis=2))


def rotated_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (N, M) of oriented boxes ``a`` (N, 5) with ``b`` (M, 5).

    >>> rotated_iou(np.array([[5, 5, 4, 2, 0.0]]), np.array([[6, 5, 4, 2, 0.0]])).round(2)
    array([[0.6]])
    """
    pa, pb = polygons(a), polygons(b)
    out = np.zeros((len(pa), len(pb)))
    if not len(pa) or not len(pb):
        return out
    i, j = shapely.STRtree(pb).query(pa, predicate="intersects")
    inter = shapely.area(shapely.intersection(pa[i], pb[j]))
    union = shapely.area(pa[i]) + shapely.area(pb[j]) - inter
    out[i, j] = inter / np.maximum(union, 1e-9)
    return out


def aligned_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (N, M) of the boxes' enclosing axis-aligned boxes, as ``sitewatch eval`` compares them.

    Two diagonal boxes side by side, which do not touch, overlap by their enclosing boxes:

    >>> a, b = np.array([[0, 0, 20, 12, math.pi / 4]]), np.array([[18, 0, 20, 12, math.pi / 4]])
    >>> aligned_iou(a, b).round(2), rotated_iou(a, b)
    (array([[0.11]]), array([[0.]]))
    """
    return iou_matrix(bounds(np.reshape(a, (-1, 5))), bounds(np.reshape(b, (-1, 5))))


def match(iou: np.ndarray, scores: np.ndarray, iou_min: float) -> np.ndarray:
    """For each box, the label it matches, or -1: greedy in descending score, each box taking the
    free label it overlaps most, the rule of :func:`sitewatch.train.greedy_match`."""
    out = np.full(iou.shape[0], -1, np.intp)
    free = np.ones(iou.shape[1], bool)
    for k in np.argsort(-scores, kind="stable"):
        row = np.where(free, iou[k], -1.0)
        if row.size and row.max() >= iou_min:
            out[k] = int(row.argmax())
            free[out[k]] = False
    return out


def intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M): area shared by oriented box a[i] and b[j], square pixels."""
    pa, pb = polygons(a), polygons(b)
    out = np.zeros((len(pa), len(pb)))
    if len(pa) and len(pb):
        i, j = shapely.STRtree(pb).query(pa, predicate="intersects")
        out[i, j] = shapely.area(shapely.intersection(pa[i], pb[j]))
    return out


def score_region(region: Region, pred: np.ndarray, scores: np.ndarray, truth: np.ndarray,
                 difficult: np.ndarray, *, iou_min: float = 0.3,
                 overlap: Callable[[np.ndarray, np.ndarray], np.ndarray] = rotated_iou) -> RegionScore:
    """Score the boxes whose centre lies in ``region`` against its labels.

    >>> r = Region(name="r", x0=0, y0=0, x1=100, y1=100)
    >>> t = np.array([[20, 20, 20, 12, 0.0], [20, 34, 20, 12, 0.0]])
    >>> s = score_region(r, np.array([[20, 27, 22, 28, 0.0]]), np.array([0.9]), t,
    ...                  np.array([False, False]))
    >>> s.tp, s.fn, s.covering_several, s.count_error
    (1, 1, 1, -0.5)
    """
    keep = region.holds(pred[:, 0], pred[:, 1])
    pred, scores = pred[keep], scores[keep]
    matched = match(overlap(pred, truth), scores, iou_min)
    on_difficult = (overlap(pred, truth[difficult]) >= iou_min).any(axis=1)
    hit_difficult = np.array([m >= 0 and difficult[m] for m in matched], bool)
    ignored = hit_difficult | ((matched < 0) & on_difficult)
    tp = int(((matched >= 0) & ~hit_difficult).sum())
    fp = int(((matched < 0) & ~ignored).sum())
    vehicles = int((~difficult).sum())
    counted, cars = pred[~ignored], truth[~difficult]
    shared = intersections(counted, cars)
    several = (shared / np.maximum(cars[:, 2] * cars[:, 3], 1e-9) >= SHARE).sum(axis=1)
    parts = (shared / np.maximum(counted[:, 2:3] * counted[:, 3:4], 1e-9) >= SHARE).sum(axis=0)
    return RegionScore(
        region=region.name, vehicles=vehicles, difficult=int(difficult.sum()), boxes=len(pred),
        tp=tp, fp=fp, fn=vehicles - tp, ignored=int(ignored.sum()),
        precision=round(tp / (tp + fp), 4) if tp + fp else None,
        recall=round(tp / vehicles, 4) if vehicles else None,
        count_error=round((tp + fp - vehicles) / vehicles, 4) if vehicles else None,
        covering_several=int((several >= 2).sum()),
        on_part=int(np.clip(parts - 1, 0, None).sum()), vehicles_cut_up=int((parts >= 2).sum()),
    )


def _data_root(tool: str) -> Path | None:
    """The shared data folder holding :data:`SCENE`, or ``None``; a ``$SITEWATCH_DATA`` that is
    not a folder ends ``tool`` with status 2 and one line."""
    try:
        return shared_data_root(needs=SCENE)
    except ConfigError as error:
        print(f"{tool}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _slug(model: str, gsd: str, tta: bool) -> str:
    name = Path(model).parent.name + "-" + Path(model).stem if model.endswith(".onnx") else model
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{name}_gsd{gsd}_{'tta' if tta else 'plain'}")


def run_detect(scene: Path, out: Path, *, model: str, gsd: str, tta: bool) -> dict[str, Any]:
    """``sitewatch detect`` on the scene into ``out``; the run's notes and wall time."""
    cmd = [sys.executable, "-m", "sitewatch.cli.main", "detect", str(scene), "--out", str(out),
           "--gsd", gsd, "--model", model, "--quiet"] + (["--tta"] if tta else [])
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"sitewatch detect failed ({done.returncode}): {done.stderr.strip()}")
    notes = (done.stdout + done.stderr).strip().splitlines()
    found = re.search(r"estimated from the image's vehicles as ([0-9.]+) m", "\n".join(notes))
    return {"command": "sitewatch detect SCENE --out FILE.csv " + " ".join(cmd[7:]),
            "wall_s": round(time.perf_counter() - start, 1), "notes": notes,
            "gsd_used_m": float(found.group(1)) if found else float(gsd)}


def evaluate_run(csv_path: Path, regions: Sequence[Region], iou_min: float,
                 overlap: Callable[[np.ndarray, np.ndarray], np.ndarray] = rotated_iou,
                 ) -> list[RegionScore]:
    """Every region's score for one detection file."""
    pred, scores = read_detections(csv_path)
    out = []
    for region in regions:
        truth, difficult = read_boxes(LABELS / f"{region.name}.csv")
        out.append(score_region(region, pred, scores, truth, difficult, iou_min=iou_min,
                                overlap=overlap))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run and score every model × GSD × TTA setting asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True,
                        help="registered name or .onnx path (repeat)")
    parser.add_argument("--gsd", action="append", required=True, help="metres or 'auto' (repeat)")
    parser.add_argument("--tta", action="append", choices=("off", "on"), default=None)
    parser.add_argument("--iou", type=float, default=0.3)
    parser.add_argument("--axis-aligned", action="store_true",
                        help="compare enclosing axis-aligned boxes, as sitewatch eval does")
    parser.add_argument("--work", type=Path, required=True,
                        help="folder for the detection CSVs; existing ones are scored again, not rerun")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    data = _data_root("eval_dense")
    if data is None:
        print(f"eval_dense: cannot find {SCENE} under $SITEWATCH_DATA or ../shared/data",
              file=sys.stderr)
        return 2
    regions = read_regions(LABELS / "regions.csv")
    args.work.mkdir(parents=True, exist_ok=True)
    runs = []
    for model in args.model:
        for gsd in args.gsd:
            for tta in [t == "on" for t in (args.tta or ["off"])]:
                csv_path = args.work / f"{_slug(model, gsd, tta)}.csv"
                meta_path = csv_path.with_suffix(".json")
                if not csv_path.is_file():
                    meta_path.write_text(json.dumps(run_detect(
                        data / SCENE, csv_path, model=model, gsd=gsd, tta=tta)) + "\n")
                meta = json.loads(meta_path.read_text())
                scores = evaluate_run(csv_path, regions, args.iou,
                                      aligned_iou if args.axis_aligned else rotated_iou)
                runs.append({"model": model, "gsd": gsd, "tta": tta, **meta,
                             "regions": [asdict(s) for s in scores]})
                for s in scores:
                    print(f"{model[-40:]:40} gsd {gsd:5} ({meta['gsd_used_m']:.3g} m) "
                          f"tta {'on ' if tta else 'off'} {s.region}: P {s.precision} "
                          f"R {s.recall} count error {s.count_error:+.3f} "
                          f"(boxes {s.tp + s.fp} / {s.vehicles}) several {s.covering_several} "
                          f"part {s.on_part}", flush=True)
    args.out.write_text(json.dumps({
        "command": "python tools/eval_dense.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "iou_min": args.iou, "overlap": "axis-aligned" if args.axis_aligned else "rotated",
        "labels": "docs/dense-depot-labels", "runs": runs}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
