"""Measure what an analyst's corrections on a few tiles teach the detector about other tiles.

1. A case is made of the *review tiles* (real MVRSD tiles the model never saw) and the
   "before" model (``--before``, a ``<name>.onnx`` + ``<name>.pt`` + card that
   ``sitewatch train`` wrote) detects on them with ``sitewatch detect``.
2. A simulated analyst reviews every detection through the review app's own decision code
   (:func:`sitewatch.review.session.apply_decision`), using the MVRSD labels as what the
   analyst sees: a detection matching a label (IoU >= 0.3) is accepted, or relabelled when its
   class is wrong, or redrawn when its box is poor (IoU < 0.5); one matching nothing is
   rejected; a label no detection found is added. MVRSD labels are incomplete, so this
   analyst also rejects some real vehicles a human would accept: the measured gain is a
   lower bound on a careful analyst's.
3. ``sitewatch train --from-reviews CASE --base BEFORE.pt`` fine-tunes on the reviews plus
   the before model's own training tiles; a *control* run fine-tunes for the same epochs on
   the training tiles alone, so that the gain of the reviews is not confused with the gain
   of more epochs.
4. ``sitewatch eval`` measures before, control and after on the *eval tiles* (never trained
   on, never reviewed).

Usage::

    python tools/eval_reviews.py OUT --before runs/m0/m0.pt --train AUAU010001,AUAU010005 \\
        --review AUAU010002,AUAU010008,AUAU010009,AUAU010090 --eval AUAU010004,AUAU010081 \\
        -- <extra sitewatch train options: --layouts, --ground, --negative, --epochs, ...>

Writes ``OUT/summary.json``. Reads ``overhead/mvrsd`` of the shared data folder
(``$SITEWATCH_DATA``, else ``../shared/data``); says so when absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.catalog import CaseStore, ReviewAction
from sitewatch.cli import run_command as sitewatch
from sitewatch.errors import ConfigError
from sitewatch.geo import OrientedBoxPx
from sitewatch.review import BoxPx, apply_decision
from sitewatch.shared_data import shared_data_path
from sitewatch.train import greedy_match, iou_matrix, read_voc

MVRSD = "overhead/mvrsd"
MVRSD_GSD_M = 0.12
ANALYST = "simulated analyst (MVRSD labels)"


def _link_tiles(mvrsd: Path, stems: list[str], folder: Path) -> Path:
    """A folder of links to the images and labels of ``stems`` (``images/``, ``labels/``)."""
    for sub, ext in (("images", "jpg"), ("labels", "xml")):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        for stem in stems:
            (folder / sub / f"{stem}.{ext}").symlink_to(mvrsd / sub / f"{stem}.{ext}")
    return folder


def _review_scene(store: CaseStore, mvrsd: Path, stem: str) -> dict[str, int]:
    """Review every detection of the scene made from ``stem`` against its MVRSD labels."""
    (scene,) = [s for s in store.scenes() if s.original_name == f"{stem}.jpg"]
    truth, _ = read_voc(mvrsd / "labels" / f"{stem}.xml")
    detections = store.detections(scene.sha256)
    pred = np.array([OrientedBoxPx(cx_px=d.cx_px, cy_px=d.cy_px, width_px=d.width_px,
                                   height_px=d.height_px, angle_rad=d.angle_rad).bounds_px()
                     for d in detections]).reshape(-1, 4)
    true = np.array([t.bounds_px for t in truth]).reshape(-1, 4)
    match = greedy_match(pred, np.array([d.score for d in detections]), true, 0.3)
    iou = iou_matrix(pred, true)
    counts = dict.fromkeys(("accept", "relabel", "redraw", "reject", "add"), 0)

    def decide(action: ReviewAction, **kwargs: Any) -> None:
        apply_decision(store, scene, action.value, reviewer=ANALYST, **kwargs)
        counts[action.value] += 1

    for i, (d, j) in enumerate(zip(detections, match.tolist(), strict=True)):
        if j < 0:
            decide(ReviewAction.REJECT, detection_id=f"d{i}")
            continue
        t = truth[j]
        if iou[i, j] < 0.5:
            x0, y0, x1, y1 = t.bounds_px
            decide(ReviewAction.REDRAW, detection_id=f"d{i}",
                   box=BoxPx(cx_px=(x0 + x1) / 2, cy_px=(y0 + y1) / 2, width_px=x1 - x0,
                             height_px=y1 - y0, angle_rad=0.0))
        if d.label != t.label.value:
            decide(ReviewAction.RELABEL, detection_id=f"d{i}", label=t.label.value)
        elif iou[i, j] >= 0.5:
            decide(ReviewAction.ACCEPT, detection_id=f"d{i}")
    for j in sorted(set(range(len(truth))) - set(match.tolist())):
        x0, y0, x1, y1 = truth[j].bounds_px
        decide(ReviewAction.ADD, label=truth[j].label.value,
               box=BoxPx(cx_px=(x0 + x1) / 2, cy_px=(y0 + y1) / 2, width_px=x1 - x0,
                         height_px=y1 - y0, angle_rad=0.0))
    return counts | {"detections": len(detections), "labels": len(truth)}


def _eval(model: Path, eval_dir: Path, out: Path) -> dict[str, Any]:
    code = sitewatch(["eval", "--images", str(eval_dir / "images"), "--labels",
                      str(eval_dir / "labels"), "--gsd", str(MVRSD_GSD_M), "--model", str(model),
                      "--out", str(out)])
    if code:
        raise SystemExit(f"sitewatch eval failed on {model}")
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def _headline(report: dict[str, Any]) -> dict[str, Any]:
    agnostic = report["class_agnostic"]
    return {k: agnostic.get(k) for k in ("precision", "recall", "ap50", "count_error")} | {
        "recall_by_truth_label": report.get("recall_by_truth_label")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--before", type=Path, required=True, help="<name>.pt of the before model")
    parser.add_argument("--train", required=True, help="tiles the before model was trained on")
    parser.add_argument("--review", required=True, help="tiles the analyst reviews")
    parser.add_argument("--eval", required=True, help="tiles measured on")
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    extra = argv[cut + 1:]  # after --: options passed to both sitewatch train runs
    try:
        mvrsd = shared_data_path(MVRSD, what="the MVRSD tiles")
    except ConfigError as error:
        print(f"eval_reviews: {error}", file=sys.stderr)
        return 2
    train, review, held = (s.split(",") for s in (args.train, args.review, args.eval))
    if set(train) & set(review) or set(held) & (set(train) | set(review)):
        raise SystemExit("train, review and eval tiles must not overlap")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=False)
    before_onnx = args.before.with_suffix(".onnx")

    case = out / "case"
    assert sitewatch(["case", "init", str(case)]) == 0
    for n, stem in enumerate(review, start=1):
        assert sitewatch(["ingest", str(case), str(mvrsd / "images" / f"{stem}.jpg"),
                          "--site", "mvrsd-review", "--date", f"2020-01-{n:02d}",
                          "--gsd", str(MVRSD_GSD_M), "--source", "MVRSD demo tile",
                          "--licence", "research dataset: evaluation only"]) == 0
    assert sitewatch(["detect", str(case), "--model", str(before_onnx)]) == 0
    store = CaseStore.open(case)
    reviews = {stem: _review_scene(store, mvrsd, stem) for stem in review}

    data = _link_tiles(mvrsd, train + held, out / "tiles")
    common = ["train", "--data", str(data / "images"), "--labels", str(data / "labels"),
              "--format", "voc", "--data-gsd", str(MVRSD_GSD_M), "--holdout", ",".join(held),
              "--base", str(args.before), *extra]
    assert sitewatch([*common, "--name", "control", "--out", str(out / "control")]) == 0
    assert sitewatch([*common, "--from-reviews", str(case), "--name", "after",
                      "--out", str(out / "after")]) == 0

    eval_dir = _link_tiles(mvrsd, held, out / "eval_tiles")
    models = {"before": before_onnx, "control": out / "control" / "control.onnx",
              "after": out / "after" / "after.onnx"}
    results = {k: _headline(_eval(m, eval_dir, out / f"eval_{k}.json")) for k, m in models.items()}
    summary = {"train_tiles": train, "review_tiles": review, "eval_tiles": held,
               "reviews": reviews, "train_options": extra, "eval": results,
               "recall_gain_vs_before": results["after"]["recall"] - results["before"]["recall"],
               "recall_gain_vs_control": results["after"]["recall"] - results["control"]["recall"],
               "command": " ".join(sys.argv)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
