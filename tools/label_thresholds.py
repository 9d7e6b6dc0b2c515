"""Per-label score floors chosen on a model's own training data only.

``collect`` runs a model once, at a low score, on the data the civilian recipe
(``docs/model-records/civilian-candidate.recipe.toml``) trains on and nothing else:

- ``minsk``: the Minsk frames of ``civilian/jekhor_drone_nadir`` (every car, truck, bus and
  minibus a civilian vehicle), resampled to 0.12 and 0.25 m as ``tools/eval_civilian.py`` does;
- ``left_halves``: the left half (columns ``0 … width // 2``) of each unlabelled civilian scene,
  at its own GSD (the recipe distils these; the right halves are the held-out set);
- ``mvrsd``: the 8 MVRSD tiles at 0.12 m with the audited labels (difficult objects ignored),
  less the tiles a leave-site-out fold model held out: ``--held-out-of`` reads them from the
  fold's training record (its ``held_out``), ``--leave-out`` names them; a fold's floors are then
  chosen on that fold's own training data only.

``sweep`` then applies candidate floors offline (a box is kept when its score reaches both the
card's score and its label's floor) and prints, per setting, the figures the issue's civilian
targets name, on the training data: civilian recall, precision and military share on Minsk,
military-labelled detections per km² on the left halves, and class-agnostic P/R on MVRSD.

The offline filter drops boxes after the network's NMS; the detector applies a card's
``label_score_thresholds`` before it (a dropped box no longer suppresses a lower-scoring box of
another label), so the chosen setting is checked once more through the detector itself.

Usage::

    python tools/label_thresholds.py collect --model /tmp/civtrain/cand/sitewatch-vehicles-yolov8n-obb.json \
        --out /tmp/civ19/collect/candidate.pkl
    python tools/label_thresholds.py sweep /tmp/civ19/collect/candidate.pkl --out sweep.json
    # a leave-site-out fold: its own training data only
    python tools/label_thresholds.py collect --model /tmp/civ19/site1/sitewatch-vehicles-yolov8n-obb.json \
        --held-out-of /tmp/civ19/site1/sitewatch-vehicles-yolov8n-obb.training.json --out site1.pkl
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cv2
import numpy as np
from eval_civilian import _read, arrays, labelled_sets, overhead_data, resampled, scenes

from sitewatch.detect import MILITARY_CLASSES, DetectOptions, VehicleClass, detect_raster, load_detector
from sitewatch.train import (
    ImageBoxes,
    SceneDetections,
    civilian_scores,
    evaluate,
    false_alarm_rates,
    read_labels,
)

AUDIT = Path(__file__).resolve().parents[1] / "docs" / "mvrsd-audit"
CIVILIAN = VehicleClass.CIVILIAN_VEHICLE


def left_half(path: Path, cache: Path) -> Path:
    """The scene's left half (columns up to width // 2), written once under ``cache``."""
    out = cache / "left_halves" / path.parent.name / f"{path.stem}.png"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        image = _read(path)
        cv2.imwrite(str(out), image[:, : image.shape[1] // 2])
    return out


def _record(found: Any, gsd: float) -> dict[str, Any]:
    pb, ps, pl = arrays(found)
    long_m = np.array([max(d.box.width_px, d.box.height_px) * found.gsd_m
                       for d in found.detections]).reshape(-1)
    return {"bounds": pb, "scores": ps, "labels": pl, "long_m": long_m, "gsd": gsd,
            "raster_gsd_m": found.gsd_m}


def held_out_tiles(record: Path) -> tuple[str, ...]:
    """The MVRSD tiles a trained model held out, from its training record's ``held_out``
    (``labelled:STEM`` entries)."""
    try:
        held = json.loads(record.read_text(encoding="utf-8"))["held_out"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"label_thresholds: cannot read 'held_out' from '{record}' ({error}): "
                         "pass a model's .training.json") from None
    return tuple(sorted(h.split(":", 1)[1] for h in held if h.startswith("labelled:")))


def collect(model: str, data: Path, cache: Path, score: float,
            leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every training-data image's detections at ``score`` (and its truths where labelled);
    the MVRSD tiles named in ``leave_out`` (a fold's held-out tiles) are not run."""
    labelled = read_labels(data / "mvrsd" / "labels", "voc", image_dir=data / "mvrsd" / "images",
                           supplement_dir=AUDIT)
    unknown = sorted(set(leave_out) - {item.stem for item in labelled})
    if unknown:
        raise SystemExit(f"label_thresholds: no MVRSD tile {', '.join(unknown)} under "
                         f"'{data / 'mvrsd' / 'labels'}': check the names to leave out")
    detector = load_detector(model, score_threshold=score)
    out: dict[str, Any] = {"model": model, "sha256": detector.sha256,
                           "card_score": detector.card.score_threshold, "collect_score": score,
                           "mvrsd_left_out": sorted(leave_out),
                           "minsk": [], "left_halves": [], "mvrsd": []}
    minsk = [i for i in labelled_sets(data)["jekhor"] if not i.stem.startswith("harlem")]
    for gsd in (0.12, 0.25):
        for item in minsk:
            small = resampled(item, "jekhor", gsd, cache)
            if small is None:
                continue
            path, truth = small
            rec = _record(detect_raster(path, detector, gsd_m=gsd), gsd)
            out["minsk"].append(rec | {"name": item.stem, "truth": truth})
    for scene in scenes(data):
        if scene.gsd_m is None:  # the GeoTIFFs: trained on whole as negatives, not halves
            continue
        path = left_half(scene.path, cache)
        half = detect_raster(path, detector, gsd_m=scene.gsd_m)
        h, w = _read(path, cv2.IMREAD_UNCHANGED).shape[:2]
        out["left_halves"].append(_record(half, scene.gsd_m) | {
            "name": scene.path.name, "group": scene.group,
            "area_km2": w * h * half.gsd_m**2 / 1e6})
    for item in labelled:
        if item.stem in leave_out:
            continue
        assert item.image_path is not None
        tile = detect_raster(item.image_path, detector, gsd_m=0.12, options=DetectOptions())
        out["mvrsd"].append(_record(tile, 0.12) | {
            "name": item.stem,
            "truth": np.array([b.bounds_px for b in item.boxes]).reshape(-1, 4),
            "truth_labels": tuple(b.label for b in item.boxes),
            "truth_difficult": np.array([b.difficult for b in item.boxes], bool)})
    return out


def keep_mask(rec: dict[str, Any], floors: dict[VehicleClass, float], base: float) -> np.ndarray:
    """Boxes whose score reaches the card's score and their label's floor."""
    need = np.array([max(base, floors.get(v, 0.0)) for v in rec["labels"]]).reshape(-1)
    return np.asarray(rec["scores"]) >= need


def _filtered(rec: dict[str, Any], keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
    labels = tuple(v for v, k in zip(rec["labels"], keep, strict=True) if k)
    return rec["bounds"][keep], rec["scores"][keep], labels


def figures(col: dict[str, Any], floors: dict[VehicleClass, float], base: float) -> dict[str, Any]:
    """The training-data figures of one setting of floors."""
    out: dict[str, Any] = {}
    for gsd in (0.12, 0.25):
        images = []
        for rec in col["minsk"]:
            if rec["gsd"] != gsd:
                continue
            pb, ps, pl = _filtered(rec, keep_mask(rec, floors, base))
            images.append(ImageBoxes(name=rec["name"], pred_bounds=pb, pred_scores=ps,
                                     pred_labels=pl, truth_bounds=rec["truth"],
                                     truth_labels=(CIVILIAN,) * len(rec["truth"])))
        s = civilian_scores(images, score_threshold=0.0)
        out[f"minsk_{gsd:g}"] = {k: s[k] for k in ("truths", "predictions", "tp", "recall",
                                                   "precision", "military_share")}
    groups: dict[str, list[SceneDetections]] = {}
    for rec in col["left_halves"]:
        _, _, pl = _filtered(rec, keep_mask(rec, floors, base))
        group = "car_park" if rec["group"] == "car_park" else "not_car_park"
        groups.setdefault(group, []).append(SceneDetections(
            name=rec["name"], area_km2=rec["area_km2"], labels=pl))
    for group, found in sorted(groups.items()):
        r = false_alarm_rates(found)
        out[f"left_{group}"] = {"per_km2": r["per_km2"], "military_per_km2": r["military_per_km2"]}
    images = []
    for rec in col["mvrsd"]:
        pb, ps, pl = _filtered(rec, keep_mask(rec, floors, base))
        images.append(ImageBoxes(name=rec["name"], pred_bounds=pb, pred_scores=ps, pred_labels=pl,
                                 truth_bounds=rec["truth"], truth_labels=rec["truth_labels"],
                                 truth_difficult=rec["truth_difficult"]))
    report = evaluate(images, score_threshold=0.0)
    agn = report["class_agnostic"]
    out["mvrsd"] = {"precision": agn["precision"], "recall": agn["recall"], "tp": agn["tp"],
                    "fp": agn["fp"], "fn": agn["fn"],
                    "class_aware": {k: [v["tp"], v["fp"], v["fn"]]
                                    for k, v in report["per_label"].items()}}
    return out


#: How much training-data recall a setting may give up (MVRSD class-agnostic, Minsk at each GSD).
MVRSD_RECALL_SLACK = 0.01
MINSK_RECALL_SLACK = 0.02


def choose(rows: list[dict[str, Any]], *, mvrsd_slack: float = MVRSD_RECALL_SLACK,
           minsk_slack: float = MINSK_RECALL_SLACK) -> dict[str, Any]:
    """The rule, fixed before any figure was seen: among the settings that keep MVRSD recall
    within :data:`MVRSD_RECALL_SLACK` and Minsk recall (each GSD) within
    :data:`MINSK_RECALL_SLACK` of no floors at all, the one with the best Minsk precision
    (mean of the two GSDs), then the fewest military-labelled detections per km² on the left
    halves, then the lowest floors."""
    plain = rows[0]  # the card's score for every label
    assert plain["civilian_floor"] <= min(r["civilian_floor"] for r in rows)

    def ok(r: dict[str, Any]) -> bool:
        return (r["mvrsd"]["recall"] >= plain["mvrsd"]["recall"] - mvrsd_slack
                and all(r[k]["recall"] >= plain[k]["recall"] - minsk_slack
                        for k in ("minsk_0.12", "minsk_0.25")))

    def key(r: dict[str, Any]) -> tuple[float, float, float]:
        precision = (r["minsk_0.12"]["precision"] + r["minsk_0.25"]["precision"]) / 2
        military = sum(v["military_per_km2"] or 0 for k, v in r.items() if k.startswith("left_"))
        return (-precision, military, r["civilian_floor"] + r["military_floor"])

    return min((r for r in rows if ok(r)), key=key)


def military_dropped(col: dict[str, Any], floors: dict[VehicleClass, float], base: float,
                     part: str) -> dict[str, Any]:
    """Scores and lengths of military-labelled boxes of ``part`` at the card's score."""
    rows = []
    for rec in col[part]:
        keep = keep_mask(rec, floors, base)
        for v, s, m, k in zip(rec["labels"], rec["scores"], rec["long_m"], keep, strict=True):
            if k and v in MILITARY_CLASSES:
                rows.append((v.value, round(float(s), 3), round(float(m), 1)))
    return {"count": len(rows), "rows": sorted(rows, key=lambda r: -r[1])}


def main(argv: list[str] | None = None) -> int:
    """``collect`` or ``sweep``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect", help="run a model once on the training data")
    c.add_argument("--model", required=True, help="registry name, card or .onnx")
    c.add_argument("--score", type=float, default=0.05, help="score to collect at")
    c.add_argument("--data", type=Path, default=None,
                   help="the shared overhead folder (default: overhead/ of $SITEWATCH_DATA, else of "
                   "../shared/data)")
    c.add_argument("--cache", type=Path, default=Path("/tmp/sitewatch-civilian"))
    c.add_argument("--held-out-of", type=Path, metavar="TRAINING_JSON",
                   help="leave out the MVRSD tiles this training record held out (a fold model's "
                   ".training.json)")
    c.add_argument("--leave-out", action="append", default=[], metavar="STEM",
                   help="leave out this MVRSD tile (repeat)")
    c.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("sweep", help="score floors offline on collected detections")
    s.add_argument("collected", type=Path)
    s.add_argument("--civilian", type=float, action="append",
                   help="civilian_vehicle floors to try (default 0.15 … 0.5)")
    s.add_argument("--military", type=float, action="append",
                   help="floors for every military label to try (default 0.15 … 0.6)")
    s.add_argument("--mvrsd-slack", type=float, default=MVRSD_RECALL_SLACK,
                   help="MVRSD recall the chosen setting may give up")
    s.add_argument("--minsk-slack", type=float, default=MINSK_RECALL_SLACK,
                   help="Minsk recall (each GSD) the chosen setting may give up")
    s.add_argument("--read-score", type=float, default=None,
                   help="the score the model is read at under every floor (default: its card's "
                   "score; a fold card without one reads at 0.25, while tools/cross_validate.py "
                   "scores the folds at its --score)")
    s.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    command = "python tools/label_thresholds.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.cmd == "collect":
        leave_out = set(args.leave_out)
        if args.held_out_of is not None:
            leave_out |= set(held_out_tiles(args.held_out_of))
        col = collect(args.model, args.data or overhead_data("label_thresholds"), args.cache,
                      args.score, tuple(sorted(leave_out)))
        col["command"] = command
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(pickle.dumps(col))
        print(f"wrote {args.out}: {len(col['minsk'])} Minsk images, {len(col['left_halves'])} "
              f"left halves, {len(col['mvrsd'])} MVRSD tiles (left out: "
              f"{', '.join(col['mvrsd_left_out']) or 'none'})")
        return 0
    col = pickle.loads(args.collected.read_bytes())
    base = col["card_score"] if args.read_score is None else args.read_score
    if base < col["collect_score"]:
        print(f"label_thresholds: {args.collected} was collected at {col['collect_score']}, above "
              f"the read score {base}: collect again at --score {base}", file=sys.stderr)
        return 2
    civ = args.civilian or [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
    mil = args.military or [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]
    rows = []
    for c_floor, m_floor in itertools.product(civ, mil):
        floors = {CIVILIAN: c_floor} | dict.fromkeys(MILITARY_CLASSES, m_floor)
        f = figures(col, floors, base)
        rows.append({"civilian_floor": c_floor, "military_floor": m_floor} | f)
        print(f"civ {c_floor:.2f} mil {m_floor:.2f} | Minsk 0.12 R {f['minsk_0.12']['recall']} "
              f"P {f['minsk_0.12']['precision']} mil {f['minsk_0.12']['military_share']} | 0.25 R "
              f"{f['minsk_0.25']['recall']} P {f['minsk_0.25']['precision']} mil "
              f"{f['minsk_0.25']['military_share']} | left mil/km2 "
              f"{f.get('left_not_car_park', {}).get('military_per_km2')} car parks "
              f"{f.get('left_car_park', {}).get('military_per_km2')} | MVRSD P {f['mvrsd']['precision']:.3f} "
              f"R {f['mvrsd']['recall']:.3f}")
    out = {"command": command, "collect_command": col.get("command"),
           "model": col["model"], "sha256": col["sha256"], "card_score": col["card_score"],
           "read_score": base,
           "collect_score": col["collect_score"],
           "mvrsd_tiles": [rec["name"] for rec in col["mvrsd"]],
           "mvrsd_left_out": col.get("mvrsd_left_out", []), "rule": choose.__doc__,
           "slacks": {"mvrsd": args.mvrsd_slack, "minsk": args.minsk_slack},
           "chosen": choose(rows, mvrsd_slack=args.mvrsd_slack, minsk_slack=args.minsk_slack),
           "rows": rows,
           "military_left_halves_at_card_score": military_dropped(col, {}, base, "left_halves"),
           "military_minsk_at_card_score": military_dropped(col, {}, base, "minsk")}
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    chosen = out["chosen"]
    print(f"chosen: civilian_vehicle >= {chosen['civilian_floor']}, military labels >= "
          f"{chosen['military_floor']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
