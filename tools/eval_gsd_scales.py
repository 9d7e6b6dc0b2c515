"""A wrong GSD and second boxes on one vehicle, on the tiles each fold model never saw.

For each fold model (``--fold``, its training record beside it names the held-out tiles), each
GSD it is told (the true ``--gsd`` times each ``--told`` factor: 0.75 and 1.25 are a GSD off by
25 %) and each setting (one scale or several, fragment folding off or on), the held-out tiles
are run through :func:`sitewatch.detect.detect_raster` exactly as ``sitewatch detect`` runs
them, and scored against the labels (with ``--extra-labels``, the audit's; difficult objects
ignored) at ``--score``. The detector keeps boxes down to ``--keep`` (0.01 as
``tools/cross_validate.py`` does, so a setting's "plain" row at factor 1 is that tool's audited
plain row; ``--keep 0.15`` is what ``sitewatch detect`` keeps, where the fragment rule and NMS
see only those boxes).

Besides precision, recall and count error it counts the boxes that are part of one labelled
vehicle (at least 70 % inside it, IoU under 0.3) and those covering several (two or more
labelled vehicles each at least 60 % inside), the seconds each run took, and per tile its true
and false positives and labelled vehicles.

Usage::

    python tools/eval_gsd_scales.py --fold /tmp/civ19/site1/sitewatch-vehicles-yolov8n-obb.onnx \\
        --images ../shared/data/overhead/mvrsd/images --labels ../shared/data/overhead/mvrsd/labels \\
        --extra-labels docs/mvrsd-audit --gsd 0.12 --score 0.15 --out gsd-scales.json

``--gsd-table docs/mvrsd-audit/gsd.json`` (``tools/mvrsd_gsd.py --table``) takes each tile's
true GSD from that table instead (``--gsd`` for the tiles it does not name); the told factors
apply to each tile's own.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np
from cross_validate import held_out_stems, read_gsd_table
from eval_fragments import _inside_share

from sitewatch.detect import DetectOptions, bounds, detect_raster, load_detector
from sitewatch.train import ImageBoxes, evaluate, iou_matrix, read_labels

#: The settings compared; "uncertain" is what ``sitewatch detect --gsd-uncertain`` runs.
SETTINGS: dict[str, DetectOptions] = {
    "plain": DetectOptions(),
    "fold": DetectOptions(fragment_inside=0.5),
    "scales": DetectOptions(gsd_factors=(0.8, 1.25)),
    "uncertain": DetectOptions().with_uncertain_gsd(),
}


def _split_counts(images: list[Any], score: float) -> tuple[int, int]:
    parts = several = 0
    for image in images:
        keep = ~image.truth_difficult
        pb, tb = image.pred_bounds[image.pred_scores >= score], image.truth_bounds[keep]
        share, cover = _inside_share(pb, tb), _inside_share(tb, pb).T
        best = iou_matrix(pb, tb).max(axis=1, initial=0.0)
        parts += int(((share.max(axis=1, initial=0.0) >= 0.7) & (best < 0.3)).sum())
        several += int(((cover >= 0.6).sum(axis=1) >= 2).sum())
    return parts, several


def main(argv: list[str] | None = None) -> int:
    """Score every fold at every told GSD and setting; print a table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=Path, action="append", required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--extra-labels", type=Path)
    parser.add_argument("--gsd", type=float, required=True, help="the tiles' true GSD in metres")
    parser.add_argument("--gsd-table", type=Path,
                        help="per-tile true GSD (tools/mvrsd_gsd.py --table); others at --gsd")
    parser.add_argument("--told", default="0.75,1,1.25", help="factors on the true GSD")
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--score", type=float, default=0.15)
    parser.add_argument("--try-factors", action="append", default=[], metavar="F1,F2,...",
                        help="also score the uncertain setting with these gsd_factors (a setting "
                        "named after them); repeatable")
    parser.add_argument("--keep", type=float, default=0.01,
                        help="the score the detector keeps boxes from (0.01 as cross_validate.py; "
                        "the card's 0.15 is what sitewatch detect keeps)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.labels.is_dir():
        print(f"no labels at {args.labels}: is ../shared/data there?", file=sys.stderr)
        return 2
    labelled = {item.stem: item for item in read_labels(
        args.labels, "voc", image_dir=args.images, supplement_dir=args.extra_labels)}
    told = [float(x) for x in args.told.split(",")]
    table = read_gsd_table(args.gsd_table)
    settings = dict(SETTINGS)
    for text in args.try_factors:
        factors = tuple(float(x) for x in text.split(","))
        settings[f"uncertain{factors}"] = DetectOptions(
            gsd_factors=factors, fragment_inside=SETTINGS["uncertain"].fragment_inside)
    names = args.settings.split(",") + [f"uncertain{tuple(float(x) for x in t.split(','))}"
                                        for t in args.try_factors]
    out: dict[str, Any] = {"command": "python tools/eval_gsd_scales.py "
                           + " ".join(sys.argv[1:] if argv is None else argv),
                           "gsd_table": table,
                           "settings": {k: {"gsd_factors": list(v.gsd_factors),
                                            "fragment_inside": v.fragment_inside}
                                        for k, v in settings.items()}, "folds": {}}
    for onnx in args.fold:
        stems = held_out_stems(onnx)
        detector = load_detector(onnx, score_threshold=args.keep)
        rows: dict[str, Any] = {}
        for name in names:
            options = settings[name]
            for factor in told:
                images, seconds, tiles = [], 0.0, 0
                for stem in stems:
                    item = labelled[stem]
                    assert item.image_path is not None
                    started = time.perf_counter()
                    found = detect_raster(item.image_path, detector, gsd_m=table.get(stem, args.gsd) * factor,
                                          options=options)
                    seconds += time.perf_counter() - started
                    tiles += found.tile_count
                    boxes = np.array([[d.box.cx_px, d.box.cy_px, d.box.width_px, d.box.height_px,
                                       d.box.angle_rad] for d in found.detections]).reshape(-1, 5)
                    images.append(ImageBoxes(
                        name=stem, pred_bounds=bounds(boxes),
                        pred_scores=np.array([d.score for d in found.detections]),
                        pred_labels=tuple(d.label for d in found.detections),
                        truth_bounds=np.array([b.bounds_px for b in item.boxes]).reshape(-1, 4),
                        truth_labels=tuple(b.label for b in item.boxes),
                        truth_difficult=np.array([b.difficult for b in item.boxes], bool)))
                agn = evaluate(images, score_threshold=args.score)["class_agnostic"]
                parts, several = _split_counts(images, args.score)
                row = {"precision": round(agn["precision"], 3), "recall": round(agn["recall"], 3),
                       "tp": agn["tp"], "fp": agn["fp"], "truths": agn["truths"],
                       "count_error": agn["count_error"], "parts_of_a_vehicle": parts,
                       "covering_several": several, "tiles": tiles, "seconds": round(seconds, 2),
                       "per_tile": {image.name: {k: one[k] for k in ("tp", "fp", "truths")}
                                    for image in images
                                    for one in [evaluate([image], score_threshold=args.score)
                                                ["class_agnostic"]]}}
                rows[f"{name}@{factor:g}"] = row
                print(f"{onnx.parent.name:14} {name:16} told x{factor:<5g} P {row['precision']:.3f} "
                      f"R {row['recall']:.3f} tp {row['tp']} fp {row['fp']} of {row['truths']} "
                      f"count {row['count_error']:+d} parts {parts} several {several} "
                      f"tiles {tiles} {row['seconds']} s", flush=True)
        out["folds"][str(onnx)] = {"held_out": stems, "sha256": detector.sha256, "rows": rows}
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
