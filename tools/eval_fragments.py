"""Second boxes on one vehicle: precision, recall and count error before and after the rule.

Runs the default model once per image (MVRSD's 8 tiles at 0.12 m with the audited labels,
and the civilian drone sets resampled to 0.12 m), then scores its boxes as they are and with
:func:`sitewatch.detect.fragments.fragment_mask` applied at each setting. The default model
was trained on the 8 MVRSD tiles, so there the figures say what the rule removes, not how the
model does on a new site; the civilian sets are imagery it never saw.

Usage::

    python tools/eval_fragments.py --out docs/model-records/fragments.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np
from eval_civilian import CIVILIAN, labelled_sets, overhead_data, resampled

from sitewatch.detect import bounds, detect_raster, fragment_mask, load_detector
from sitewatch.train import ImageBoxes, evaluate, iou_matrix, read_labels

SETTINGS = ((0.7, 0.6), (0.8, 0.6), (0.6, 0.6), (0.7, 0.8), (0.5, 0.9))


def _raw(path: Path, detector: Any, gsd: float) -> tuple[np.ndarray, np.ndarray, tuple[Any, ...]]:
    found = detect_raster(path, detector, gsd_m=gsd)
    boxes = np.array([[d.box.cx_px, d.box.cy_px, d.box.width_px, d.box.height_px,
                       d.box.angle_rad] for d in found.detections]).reshape(-1, 5)
    return boxes, np.array([d.score for d in found.detections]), \
        tuple(d.label for d in found.detections)


def _score(items: list[tuple[str, np.ndarray, np.ndarray, tuple[Any, ...], Any]],
           setting: tuple[float, float] | None, score: float) -> dict[str, Any]:
    images, dropped = [], 0
    for name, boxes, scores, labels, truth in items:
        keep = np.ones(len(boxes), bool) if setting is None else ~fragment_mask(
            boxes[scores >= score], inside_share=setting[0], max_area_ratio=setting[1])
        above = np.flatnonzero(scores >= score)
        kept = np.concatenate([above[keep], np.flatnonzero(scores < score)]).astype(np.intp)
        dropped += int((~keep).sum())
        images.append(ImageBoxes(name=name, pred_bounds=bounds(boxes[kept]),
                                 pred_scores=scores[kept],
                                 pred_labels=tuple(labels[k] for k in kept), **truth))
    agn = evaluate(images, score_threshold=score)["class_agnostic"]
    parts = several = 0
    for image in images:
        pb = image.pred_bounds[image.pred_scores >= score]
        share = _inside_share(pb, image.truth_bounds)  # share of each prediction in each truth
        cover = _inside_share(image.truth_bounds, pb).T  # share of each truth in each prediction
        best = iou_matrix(pb, image.truth_bounds).max(axis=1, initial=0.0)
        parts += int(((share.max(axis=1, initial=0.0) >= 0.7) & (best < 0.3)).sum())
        several += int(((cover >= 0.6).sum(axis=1) >= 2).sum())
    return {"parts_of_a_vehicle": parts, "covering_several": several,
            "precision": round(agn["precision"], 4), "recall": round(agn["recall"], 4),
            "tp": agn["tp"], "fp": agn["fp"], "truths": agn["truths"],
            "count_error": agn["count_error"], "dropped": dropped}


def _inside_share(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M): share of each axis-aligned box of ``a`` lying inside each box of ``b``."""
    a, b = a.reshape(-1, 1, 4), b.reshape(1, -1, 4)
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    area = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    out: np.ndarray = iw * ih / np.maximum(area, 1e-9)
    return out


def main(argv: list[str] | None = None) -> int:
    """Score the default model with and without the fragment rule."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="the shared overhead folder (default: overhead/ of $SITEWATCH_DATA, "
                        "else of ../shared/data)")
    parser.add_argument("--limit", type=int, default=40, help="images per civilian set")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    data: Path = args.data or overhead_data("eval_fragments")
    detector = load_detector(None)
    score = detector.card.score_threshold
    audit = Path(__file__).resolve().parents[1] / "docs" / "mvrsd-audit"
    groups: dict[str, list[Any]] = {"mvrsd_0.12m_audited": [], "civilian_0.12m": []}
    for item in read_labels(data / "mvrsd" / "labels", "voc",
                            image_dir=data / "mvrsd" / "images", supplement_dir=audit):
        assert item.image_path is not None
        b, s, lab = _raw(item.image_path, detector, 0.12)
        truth = {"truth_bounds": np.array([x.bounds_px for x in item.boxes]).reshape(-1, 4),
                 "truth_labels": tuple(x.label for x in item.boxes),
                 "truth_difficult": np.array([x.difficult for x in item.boxes], bool)}
        groups["mvrsd_0.12m_audited"].append((item.stem, b, s, lab, truth))
    for set_name, items in labelled_sets(data).items():
        for item in items[:: max(1, len(items) // args.limit)]:
            found = resampled(item, set_name, 0.12, Path("/tmp/sitewatch-civilian"))
            if found is None:
                continue
            path, truth_b = found
            b, s, lab = _raw(path, detector, 0.12)
            groups["civilian_0.12m"].append(
                (item.stem, b, s, lab, {"truth_bounds": truth_b,
                                        "truth_labels": (CIVILIAN,) * len(truth_b)}))
    out: dict[str, Any] = {"command": "python tools/eval_fragments.py "
                           + " ".join(sys.argv[1:] if argv is None else argv),
                           "model": {"name": detector.name, "sha256": detector.sha256},
                           "score_threshold": score, "results": {}}
    for group, scored in groups.items():
        rows = {"off": _score(scored, None, score)}
        rows |= {f"inside>={a},area<={r}": _score(scored, (a, r), score) for a, r in SETTINGS}
        out["results"][group] = rows
        for key, row in rows.items():
            print(f"{group:22} {key:22} P {row['precision']} R {row['recall']} "
                  f"count error {row['count_error']:+d} of {row['truths']} dropped {row['dropped']} "
                  f"part boxes {row['parts_of_a_vehicle']} multi {row['covering_several']}")
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
