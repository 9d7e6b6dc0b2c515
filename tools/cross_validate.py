"""Cross-validation of a training recipe: each fold model scored on the tiles it never saw.

Each fold is a model trained by ``sitewatch train --holdout ...``; its training record
(``<name>.training.json``) says which tiles it held out. Each fold model predicts those tiles
through the production path (:func:`sitewatch.train.evaluation.evaluate_folder`, the code
behind ``sitewatch eval``), with and without test-time augmentation, against the original
labels and, with ``--extra-labels``, against the labels completed by an audit (difficult
objects ignored). The counts of the folds are pooled. The base DOTA checkpoint is scored on
the same tiles for comparison.

Usage::

    python tools/cross_validate.py --fold runs/foldA/foldA.onnx --fold runs/foldB/foldB.onnx \
        --images ../shared/data/overhead/mvrsd/images --labels ../shared/data/overhead/mvrsd/labels \
        --extra-labels docs/mvrsd-audit --gsd 0.12 --out cv.json

``--gsd-table docs/mvrsd-audit/gsd.json`` (written by ``tools/mvrsd_gsd.py --table``) scores
each tile it names at that tile's own GSD (tiles of one GSD together, the counts pooled) and
the others at ``--gsd``.

A fold given twice (the same held-out tiles, another ``--seed``) repeats the cross-validation;
the pooled figures then count each tile once per repeat. The JSON holds, per fold and pooled,
for each label set and view setting: TP, FP, FN, precision, recall, armoured and civilian
vehicles found (by any class) and armoured found as armoured.

The fold cards must name the same per-label score floors (``label_score_thresholds``), which
the count-interval rates then carry. With ``--per-fold-floors`` they may differ (floors chosen
on each fold's own training data, ``tools/label_thresholds.py collect --held-out-of``): each
fold's floors are written beside it, the pooled figures as usual, and no rates (they would
belong to no single card).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.detect import BASE_MODEL, FLIPS, DetectOptions, load_detector
from sitewatch.train import evaluate_folder

SETTINGS = (("plain", ()), ("tta", FLIPS))


def held_out_stems(onnx: Path) -> list[str]:
    """The tiles a fold model never saw, from the training record beside it."""
    record = json.loads(onnx.with_suffix(".training.json").read_text(encoding="utf-8"))
    return [s.split(":", 1)[1] for s in record["held_out"]]


def read_gsd_table(path: Path | None) -> dict[str, float]:
    """Per-tile GSD in metres from a ``tools/mvrsd_gsd.py --table`` file (empty without one);
    a tile whose ``gsd_m`` is null is left out (scored at ``--gsd``)."""
    if path is None:
        return {}
    tiles = json.loads(path.read_text(encoding="utf-8"))["tiles"]
    return {stem: float(row["gsd_m"]) for stem, row in tiles.items() if row and row["gsd_m"] is not None}


def gsd_groups(stems: list[str], table: dict[str, float], default_m: float) -> dict[float, list[str]]:
    """The tiles of each GSD: the table's where it names a tile, else ``default_m``."""
    groups: dict[float, list[str]] = {}
    for stem in stems:
        groups.setdefault(table.get(stem, default_m), []).append(stem)
    return groups


def _counts(report: dict[str, Any]) -> dict[str, Any]:
    agn = report["class_agnostic"]
    per_label = report["per_label"]

    def found(label: str) -> list[int]:
        """[found by any class, truths] from the per-image matching."""
        rate = report["recall_by_truth_label"].get(label)
        n = per_label.get(label, {}).get("truths", 0)
        return [round((rate or 0.0) * n), n]

    armoured = per_label.get("armored_vehicle", {})
    return {
        "tp": agn["tp"],
        "fp": agn["fp"],
        "fn": agn["fn"],
        "armoured_found": found("armored_vehicle"),
        "armoured_as_armoured": [armoured.get("tp", 0), armoured.get("truths", 0)],
        "civilian_found": found("civilian_vehicle"),
        "by_label": {k: [v["tp"], v["fp"], v["fn"]] for k, v in per_label.items()},
    }


def _rates(c: dict[str, Any]) -> dict[str, Any]:
    predicted, truths = c["tp"] + c["fp"], c["tp"] + c["fn"]
    out = dict(c)
    out["precision"] = round(c["tp"] / predicted, 3) if predicted else None
    out["recall"] = round(c["tp"] / truths, 3) if truths else None
    for key in ("armoured_found", "armoured_as_armoured", "civilian_found"):
        out[key] = f"{c[key][0]}/{c[key][1]}"
    return out


def _pool(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"tp": 0, "fp": 0, "fn": 0, "armoured_found": [0, 0],
                             "armoured_as_armoured": [0, 0], "civilian_found": [0, 0]}  # fmt: skip
    total["by_label"] = {}
    for r in rows:
        for k in ("tp", "fp", "fn"):
            total[k] += r[k]
        for label, counts in r["by_label"].items():
            old = total["by_label"].get(label, [0, 0, 0])
            total["by_label"][label] = [a + b for a, b in zip(old, counts, strict=True)]
        for k in ("armoured_found", "armoured_as_armoured", "civilian_found"):
            total[k] = [total[k][0] + r[k][0], total[k][1] + r[k][1]]
    return total


#: Fewer truths of a label than this, and its counts use the class-agnostic rates.
MIN_TRUTHS_FOR_LABEL_RATES = 10


def interval_rates(pooled: dict[str, Any], source: str, *, repeats: int,
                   score: float, floors: dict[str, float]) -> dict[str, Any]:
    """The rates the tracker's count intervals use (``sitewatch.train.evaluation.measured_rates``).

    A label gets its own rates when at least ``MIN_TRUTHS_FOR_LABEL_RATES`` distinct vehicles
    measured them (``repeats``: how many times each tile was scored). ``floors``: the fold
    cards' per-label score floors (``label_score_thresholds``), which the rates hold too.
    """
    by_label = {}
    for label, (tp, fp, fn) in sorted(pooled["by_label"].items()):
        if (tp + fn) / repeats >= MIN_TRUTHS_FOR_LABEL_RATES and tp:
            by_label[label] = [round(tp / (tp + fp), 3), round(tp / (tp + fn), 3)]
    return {"precision": pooled["precision"], "recall": pooled["recall"], "by_label": by_label,
            "source": source, "score_threshold": score} | (
        {"label_score_thresholds": floors} if floors else {})


def main(argv: list[str] | None = None) -> int:
    """Score every fold, pool, print a table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=Path, action="append", required=True,
                        help="a fold model's .onnx (its card and training record beside it)")
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--extra-labels", type=Path, help="an audit's supplementary labels")
    parser.add_argument("--gsd", type=float, required=True, help="the tiles' GSD in metres")
    parser.add_argument("--gsd-table", type=Path,
                        help="per-tile GSD (tools/mvrsd_gsd.py --table): named tiles at their own")
    parser.add_argument("--no-base", action="store_true", help="skip the base DOTA model")
    parser.add_argument("--score", type=float, default=0.25,
                        help="score at which the fold models' P/R are read (the base model's "
                        "at its card's); give the threshold the shipped model's card names")
    parser.add_argument("--split-note", default="",
                        help="how the folds were drawn, written into the rates' source, e.g. "
                        "'each fold holds out whole sites'")
    parser.add_argument("--per-fold-floors", action="store_true",
                        help="the fold cards may name different label_score_thresholds (floors "
                        "chosen per fold): pool the figures, write no rates")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.labels.is_dir():
        print(f"no labels at {args.labels}: is ../shared/data there?", file=sys.stderr)
        return 2
    label_sets = {"labels": None} | ({"audited": args.extra_labels} if args.extra_labels else {})
    table = read_gsd_table(args.gsd_table)
    base = None if args.no_base else load_detector(BASE_MODEL, score_threshold=0.01)
    raw: dict[str, dict[str, Any]] = {}
    floors: set[tuple[tuple[str, float], ...]] = set()
    for onnx in args.fold:
        stems = held_out_stems(onnx)
        detector = load_detector(onnx, score_threshold=0.01)
        card_floors = tuple((v.value, f) for v, f in detector.card.label_score_thresholds)
        floors.add(card_floors)
        runs = [(s, detector, views) for s, views in SETTINGS]
        runs += [] if base is None else [("base_dota_model", base, ())]
        scores: dict[str, dict[str, Any]] = {}
        for set_name, extra in label_sets.items():
            for setting, det, views in runs:
                score = args.score if det is detector else det.card.score_threshold
                counts = [_counts(evaluate_folder(
                    args.labels, det, images_dir=args.images, gsd_m=gsd,
                    options=DetectOptions(tta_views=views), supplement_dir=extra, only_stems=group,
                    score_threshold=score,
                )) for gsd, group in gsd_groups(stems, table, args.gsd).items()]  # fmt: skip
                scores.setdefault(set_name, {})[setting] = counts[0] if len(counts) == 1 else _pool(counts)
        raw[onnx.stem] = {"held_out": stems, "sha256": detector.sha256, "scores": scores} | (
            {"label_score_thresholds": dict(card_floors)} if args.per_fold_floors else {})
    if len(floors) > 1 and not args.per_fold_floors:
        print(f"the fold cards name different label_score_thresholds: {sorted(floors)} (pass "
              "--per-fold-floors to pool them without rates)", file=sys.stderr)
        return 2
    fold_floors = dict(next(iter(floors))) if len(floors) == 1 else {}
    pooled = {
        set_name: {
            setting: _rates(_pool([r["scores"][set_name][setting] for r in raw.values()]))
            for setting in raw[args.fold[0].stem]["scores"][set_name]
        }
        for set_name in label_sets
    }
    folds = {
        name: r | {"scores": {k: {s: _rates(c) for s, c in v.items()} for k, v in r["scores"].items()}}
        for name, r in raw.items()
    }
    chosen = "audited" if "audited" in pooled else "labels"
    folds_per_run = len({tuple(sorted(r["held_out"])) for r in raw.values()})
    repeats = len(raw) // folds_per_run
    vehicles = (pooled[chosen]["plain"]["tp"] + pooled[chosen]["plain"]["fn"]) // repeats
    source = (f"{folds_per_run}-fold cross-validation"
              + (f" ({args.split_note})" if args.split_note else "")
              + (f" repeated with {repeats} seeds ({len(raw)} fold models)" if repeats > 1 else "")
              + f" on {vehicles} vehicles of tiles each fold never saw "
              f"({'labels completed by an audit' if chosen == 'audited' else 'their labels'})")
    rates = {} if args.per_fold_floors else {
        s: interval_rates(pooled[chosen][s], source + (" with TTA" if s == "tta" else ""),
                          repeats=repeats, score=args.score, floors=fold_floors)
        for s in ("plain", "tta")}  # fmt: skip
    out = {
        "how": "each fold model predicts only the tiles its training record held out, through "
        f"sitewatch.train.evaluation.evaluate_folder (sitewatch eval) at --gsd {args.gsd}"
        + (f" (per tile {table} from {args.gsd_table})" if table else "") + "; "
        f"class-agnostic, IoU >= 0.3 on axis-aligned boxes, score {args.score} (the base "
        "model at its card's); "
        "'audited' adds the audit's boxes and ignores its difficult objects; TTA = "
        + "+".join(FLIPS)
        + (f"; per-label floors from the fold cards: {fold_floors}" if fold_floors else "")
        + ("; each fold with its own card's per-label floors (in its entry), so no rates"
           if args.per_fold_floors else ""),
        "command": "python tools/cross_validate.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "folds": folds,
        "pooled": pooled,
        "rates": rates,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    for set_name, rows in pooled.items():
        for setting, r in rows.items():
            print(f"{set_name:8} {setting:16} P {r['precision']} R {r['recall']}  "
                  f"tp {r['tp']} fp {r['fp']} fn {r['fn']}  armoured {r['armoured_found']} "
                  f"(as armoured {r['armoured_as_armoured']})  civilian {r['civilian_found']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
