"""Evaluate tracking on semi-synthetic series made from the real MVRSD tiles.

For every generated series (``tools/make_series.py random``), tracking is run twice:

* with the **truth boxes** as detections: what is lost here is lost to registration and
  matching alone;
* with the **detector's own detections** (the packaged ONNX model, ``sitewatch.detect``):
  what is lost beyond the first run is lost to detection errors.

Arrival and departure events are scored against the truth (same interval, same kind,
positions within ``--tol-m`` metres in the reference grid, label-agnostic because the
packaged model only says "vehicle"), and each date's registration is compared with the true
mapping. Truth events at positions one of the two dates does not show (outside the image,
or under a generated cloud) are not counted; a predicted event there is a false positive.

With ``--loaded N`` every series also holds N loaded transporters (a real armoured chip at
its true size on a real transporter chip) and N empty ones (``make_series --loaded``), and
each run also scores ``loaded``: the loaded transporters sitewatch reports on each date
against the truth's (one-to-one by the cargo's position within ``--tol-m``; truth at a
place the date does not show is not counted).

Usage::

    python tools/eval_track.py OUT_DIR [--seeds 1 2] [--tiles AUAU010081 AUAU010090 ...]
        [--no-detector] [--loaded 2]

Reads ``../shared/data/overhead/mvrsd`` through ``make_series``; says so and exits when absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import make_series
from series_io import load_series

from sitewatch.detect import Detection
from sitewatch.track import SiteTrack, TrackOptions, track_site

KINDS = ("arrived", "departed")
DEFAULT_TILES = ("AUAU010081", "AUAU010090", "AUAU010009", "AUAU010005", "AUAU010004",
                 "AUAU010008")


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    h = np.column_stack([pts, np.ones(len(pts))]) @ m.T
    return h[:, :2] / h[:, 2:]


def _inside(truth: dict[str, Any], date_index: int, pt_ref: np.ndarray) -> bool:
    """Whether a date shows a reference point: inside its image and not under its cloud."""
    d = truth["dates"][date_index]
    m = np.linalg.inv(np.asarray(d["image_to_reference"]).reshape(3, 3))
    x, y = _apply(m, pt_ref[None, :])[0]
    cloud = d["look"].get("cloud")
    if cloud is not None and np.hypot(x - cloud[0], y - cloud[1]) < 0.85 * cloud[2]:
        return False  # opacity above about 0.4 there: unobservable (as in _seen)
    return bool(0 <= x < d["width_px"] and 0 <= y < d["height_px"])


def visible_truth_events(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Arrivals and departures at positions both dates of their interval show."""
    index = {d["date"]: i for i, d in enumerate(truth["dates"])}
    out = []
    for e in truth["events"]:
        if e["kind"] not in KINDS:
            continue
        pt = np.array([e["x_px"], e["y_px"]])
        if _inside(truth, index[e["date_from"]], pt) and _inside(truth, index[e["date_to"]], pt):
            out.append(e)
    return out


CLAIMS = ("arrived", "departed", "moved", "stayed")


def unobservable_claims(track: SiteTrack, truth: dict[str, Any]) -> int:
    """Events (arrived, departed, moved, stayed) at a place one of their two dates did not
    truly show (outside its image or under its generated cloud, as in :func:`_inside`);
    a move is judged at both ends."""
    index = {d["date"]: i for i, d in enumerate(truth["dates"])}
    bad = 0
    for e in track.events:
        if e.kind.value not in CLAIMS:
            continue
        places = [(e.x_px, e.y_px)]
        if e.from_x_px is not None and e.from_y_px is not None:
            places.append((e.from_x_px, e.from_y_px))
        dates = (index[e.date_from.isoformat()], index[e.date_to.isoformat()])
        if any(not _inside(truth, k, np.array(p)) for p in places for k in dates):
            bad += 1
    return bad


def _matched(pp: np.ndarray, tt: np.ndarray, tol_px: float) -> int:
    if not len(pp) or not len(tt):
        return 0
    cost = np.hypot(pp[:, None, 0] - tt[None, :, 0], pp[:, None, 1] - tt[None, :, 1])
    rows, cols = linear_sum_assignment(cost)
    return int((cost[rows, cols] <= tol_px).sum())


def score(pred: list[tuple[str, str, str, float, float]], truth_events: list[dict[str, Any]],
          tol_px: float) -> dict[str, dict[str, int]]:
    """TP/FP/FN per kind, one-to-one by position within ``tol_px``."""
    out: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        p = [x for x in pred if x[2] == kind]
        t = [e for e in truth_events if e["kind"] == kind]
        tp = 0
        for key in {(x[0], x[1]) for x in p} | {(e["date_from"], e["date_to"]) for e in t}:
            pp = np.array([[x[3], x[4]] for x in p if (x[0], x[1]) == key]).reshape(-1, 2)
            tt = np.array([[e["x_px"], e["y_px"]] for e in t
                           if (e["date_from"], e["date_to"]) == key]).reshape(-1, 2)
            tp += _matched(pp, tt, tol_px)
        out[kind] = {"tp": tp, "fp": len(p) - tp, "fn": len(t) - tp}
    return out


def loaded_score(track: SiteTrack, truth: dict[str, Any], tol_px: float) -> dict[str, int]:
    """TP/FP/FN of loaded transporters, date by date, by the cargo's position (reference px)."""
    index = {d["date"]: i for i, d in enumerate(truth["dates"])}
    tp = fp = fn = 0
    for date, k in index.items():
        tt = np.array([[e["x_px"], e["y_px"]] for e in truth["events"]
                       if e["kind"] == "loaded" and e["date_from"] == date
                       and _inside(truth, k, np.array([e["x_px"], e["y_px"]]))]).reshape(-1, 2)
        pp = np.array([[e.x_px, e.y_px] for e in track.events
                       if e.kind.value == "loaded" and e.date_from.isoformat() == date]
                      ).reshape(-1, 2)
        hit = _matched(pp, tt, tol_px)
        tp, fp, fn = tp + hit, fp + len(pp) - hit, fn + len(tt) - hit
    return {"tp": tp, "fp": fp, "fn": fn}


def _pred(track: SiteTrack) -> list[tuple[str, str, str, float, float]]:
    return [(e.date_from.isoformat(), e.date_to.isoformat(), e.kind.value, e.x_px, e.y_px)
            for e in track.events if e.kind.value in KINDS]


def registration_errors(track: SiteTrack, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Estimated residual and true mean/max error (m) over a grid, per registered date."""
    out = []
    by_date = {d["date"]: d for d in truth["dates"]}
    for reg in track.registrations:
        d = by_date[reg.date.isoformat()]
        grid = np.mgrid[0 : d["width_px"] : 25, 0 : d["height_px"] : 25].reshape(2, -1).T
        true = _apply(np.asarray(d["image_to_reference"]).reshape(3, 3), grid.astype(float))
        got = reg.to_reference(grid[:, 0].tolist(), grid[:, 1].tolist())
        err = np.hypot(*(got - true).T) * truth["gsd_m"]
        out.append({"date": d["date"], "method": reg.method.value, "residual_m": reg.residual_m,
                    "true_mean_m": float(err.mean()), "true_max_m": float(err.max())})
    return out


def _seen(dets: tuple[Detection, ...], date: dict[str, Any]) -> tuple[Detection, ...]:
    """Truth boxes a detector could see: inside the image, not under thick cloud."""
    w, h, cloud = date["width_px"], date["height_px"], date["look"].get("cloud")
    return tuple(
        d for d in dets if 0 <= d.box.cx_px < w and 0 <= d.box.cy_px < h and (
            cloud is None or np.hypot(d.box.cx_px - cloud[0], d.box.cy_px - cloud[1])
            > 0.85 * cloud[2]))


def detector_detections(folder: Path, truth: dict[str, Any], model: str | None = None,
                        tta: bool = False, score: float | None = None,
                        ) -> dict[str, tuple[Detection, ...]]:
    """A detector's detections (default: the packaged model, at its card's score threshold)
    on every date of a series."""
    from sitewatch.detect import FLIPS, DetectOptions, detect_raster, load_detector

    detector = load_detector(model, threads=1, score_threshold=score)
    options = DetectOptions(tta_views=FLIPS if tta else ())
    return {d["file"]: detect_raster(folder / d["file"], detector, gsd_m=d["gsd_m"],
                                     options=options).detections
            for d in truth["dates"]}


def simulated_detections(obs: tuple[Any, ...], *, recall: float, precision: float,
                         jitter_px: float, seed: int) -> dict[str, tuple[Detection, ...]]:
    """Truth boxes seen through a detector of the given recall and precision: each box kept
    with probability ``recall`` and its centre jittered; false boxes added at random places
    so that ``precision`` of the output is real."""
    from sitewatch.geo import OrientedBoxPx

    rng = np.random.default_rng(seed)
    out = {}
    for o in obs:
        kept = []
        for d in o.detections:
            if rng.random() < recall:
                b = d.box
                kept.append(dataclasses.replace(d, box=dataclasses.replace(
                    b, cx_px=b.cx_px + rng.normal(0, jitter_px),
                    cy_px=b.cy_px + rng.normal(0, jitter_px),
                    angle_rad=b.angle_rad + rng.normal(0, 0.1))))
        n_false = rng.poisson(len(kept) * (1 - precision) / precision) if kept else 0
        for _ in range(n_false):
            src = o.detections[int(rng.integers(len(o.detections)))]
            box = OrientedBoxPx(cx_px=float(rng.uniform(0, o.width_px)),
                                cy_px=float(rng.uniform(0, o.height_px)),
                                width_px=src.box.width_px, height_px=src.box.height_px,
                                angle_rad=float(rng.uniform(0, 3.14)))
            kept.append(dataclasses.replace(src, box=box, score=0.5))
        out[o.scene_id] = tuple(kept)
    return out


def detection_quality(dets: dict[str, tuple[Detection, ...]], truth: dict[str, Any],
                      tol_px: float) -> dict[str, int]:
    """Class-agnostic detection TP/FP/FN by centre distance."""
    tp = fp = fn = 0
    for d in truth["dates"]:
        t = np.array([[v["cx_px"], v["cy_px"]] for v in d["vehicles"]
                      if 0 <= v["cx_px"] < d["width_px"] and 0 <= v["cy_px"] < d["height_px"]])
        p = np.array([[x.box.cx_px, x.box.cy_px] for x in dets[d["file"]]]).reshape(-1, 2)
        hit = 0
        if len(p) and len(t):
            cost = np.hypot(p[:, None, 0] - t[None, :, 0], p[:, None, 1] - t[None, :, 1])
            rows, cols = linear_sum_assignment(cost)
            hit = int((cost[rows, cols] <= tol_px).sum())
        tp, fp, fn = tp + hit, fp + len(p) - hit, fn + len(t) - hit
    return {"tp": tp, "fp": fp, "fn": fn}


def cargo_seen(dets: dict[str, tuple[Detection, ...]], truth: dict[str, Any],
               tol_px: float) -> dict[str, int]:
    """What the loading rule needs, per truth cargo box (an armoured vehicle on a transporter)
    on a date that shows it: ``armoured``, an armoured detection within ``tol_px`` of its
    centre; ``on_truck``, a military_truck detection holding >= 60 % of its truth box."""
    from shapely.geometry import Polygon

    from sitewatch.geo import OrientedBoxPx

    out = {"cargo": 0, "armoured": 0, "on_truck": 0}
    for d in truth["dates"]:
        found = dets[d["file"]]
        for v in d["vehicles"]:
            if v["loaded_on"] is None or not (0 <= v["cx_px"] < d["width_px"]
                                              and 0 <= v["cy_px"] < d["height_px"]):
                continue
            box = Polygon(OrientedBoxPx(cx_px=v["cx_px"], cy_px=v["cy_px"], width_px=v["width_px"],
                                        height_px=v["height_px"], angle_rad=v["angle_rad"]
                                        ).corners_px())
            out["cargo"] += 1
            out["armoured"] += any(
                x.label.value == "armored_vehicle"
                and np.hypot(x.box.cx_px - v["cx_px"], x.box.cy_px - v["cy_px"]) <= tol_px
                for x in found)
            out["on_truck"] += any(
                x.label.value == "military_truck"
                and Polygon(x.box.corners_px()).intersection(box).area >= 0.6 * box.area
                for x in found)
    return out


def _pr(c: dict[str, int]) -> tuple[float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
    return p, r


def evaluate_series(folder: Path, *, use_detector: bool, tol_m: float,
                    simulate: tuple[float, float, float] | None = None,
                    opts: TrackOptions | None = None,
                    model: str | None = None, tta: bool = False,
                    score_threshold: float | None = None) -> dict[str, Any]:
    """Both runs on one series; returns counts and registration errors."""
    truth, obs = load_series(folder)
    obs = tuple(dataclasses.replace(o, detections=_seen(o.detections, d))
                for o, d in zip(obs, truth["dates"], strict=True))
    tol_px = tol_m / truth["gsd_m"]
    events = visible_truth_events(truth)
    opts = opts or TrackOptions()
    with_truth = track_site(obs, options=opts)
    result: dict[str, Any] = {
        "series": folder.name, "truth_events": len(events),
        "truth_run": {**score(_pred(with_truth), events, tol_px),
                      "loaded": loaded_score(with_truth, truth, tol_px)},
        "truth_unobservable": unobservable_claims(with_truth, truth),
        "registration": registration_errors(with_truth, truth),
        "refused": [str(r.date) for r in with_truth.refused],
    }
    if simulate is not None:
        r_sim, p_sim, jit = simulate
        sim = simulated_detections(obs, recall=r_sim, precision=p_sim, jitter_px=jit,
                                   seed=len(folder.name))
        _, sobs = load_series(folder, sim)
        with_sim = track_site(sobs, options=dataclasses.replace(
            opts, detector_precision=p_sim, detector_recall=r_sim,
            localisation_sigma_m=jit * truth["gsd_m"]))
        result["simulated_run"] = score(_pred(with_sim), events, tol_px)
        result["simulated_unobservable"] = unobservable_claims(with_sim, truth)
    if use_detector:
        dets = detector_detections(folder, truth, model, tta, score_threshold)
        _, dobs = load_series(folder, dets)
        with_det = track_site(dobs, options=opts)
        result["detector_run"] = {**score(_pred(with_det), events, tol_px),
                                  "loaded": loaded_score(with_det, truth, tol_px)}
        result["detector_unobservable"] = unobservable_claims(with_det, truth)
        result["detection"] = detection_quality(dets, truth, tol_px)
        result["cargo_seen"] = cargo_seen(dets, truth, tol_px)
    return result


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled precision and recall per run and kind; registration error statistics."""
    pooled: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0}))
    for r in results:
        for run in ("truth_run", "simulated_run", "detector_run"):
            for kind, c in r.get(run, {}).items():
                for k in c:
                    pooled[run][kind][k] += c[k]
        if "detection" in r:
            for k, v in r["detection"].items():
                pooled["detection"]["boxes"][k] += v
    out: dict[str, Any] = {}
    for run, kinds in pooled.items():
        for kind, c in kinds.items():
            p, rec = _pr(c)
            out[f"{run}/{kind}"] = {**c, "precision": round(p, 3), "recall": round(rec, 3)}
    regs = [g for r in results for g in r["registration"] if g["method"] != "identity"]
    if regs:
        out["registration"] = {
            "dates": len(regs),
            "residual_m_max": round(max(g["residual_m"] or 0 for g in regs), 3),
            "true_mean_m_mean": round(float(np.mean([g["true_mean_m"] for g in regs])), 3),
            "true_max_m_max": round(max(g["true_max_m"] for g in regs), 3),
            "methods": sorted({g["method"] for g in regs}),
        }
    if any("cargo_seen" in r for r in results):
        out["cargo_seen"] = {k: sum(r.get("cargo_seen", {}).get(k, 0) for r in results)
                             for k in ("cargo", "armoured", "on_truck")}
    out["refused_dates"] = sum(len(r["refused"]) for r in results)
    for run in ("truth", "simulated", "detector"):
        if any(f"{run}_unobservable" in r for r in results):
            out[f"{run}_run/events_in_unobservable_places"] = sum(
                r.get(f"{run}_unobservable", 0) for r in results)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tiles", nargs="+", default=list(DEFAULT_TILES))
    parser.add_argument("--dates", type=int, default=4)
    parser.add_argument("--cloud", type=float, default=0.0)
    parser.add_argument("--cloud-scale", type=float, default=1.0,
                        help="cloud radius factor (make_series; 4 covers most of a date)")
    parser.add_argument("--tol-m", type=float, default=4.5)
    parser.add_argument("--no-detector", action="store_true")
    parser.add_argument("--tta", action="store_true", help="detect with mirrored views fused")
    parser.add_argument("--score", type=float, default=None,
                        help="detection score threshold (default: the model card's)")
    parser.add_argument("--model", default=None,
                        help="detector: registry name, model card or .onnx (default: packaged)")
    parser.add_argument("--simulate", type=float, nargs=3, default=None,
                        metavar=("RECALL", "PRECISION", "JITTER_PX"),
                        help="also run on truth boxes degraded to this recall and precision")
    parser.add_argument("--same-patch", type=float, default=TrackOptions().same_patch_correlation,
                        help="TrackOptions.same_patch_correlation (1.0: no pixel check)")
    parser.add_argument("--move-corr", type=float, default=TrackOptions().move_correlation,
                        help="TrackOptions.move_correlation (-1: no appearance check)")
    parser.add_argument("--far-px", type=float, default=75.0,
                        help="keep arrivals this far from departures (0: allow ambiguity)")
    parser.add_argument("--loaded", type=int, default=0,
                        help="add this many loaded and as many empty transporters to each series "
                        "and score loaded transporters")
    parser.add_argument("--extra-labels", type=Path, default=None,
                        help="VOC files adding vehicles the MVRSD labels miss (docs/mvrsd-audit): "
                        "they become real vehicles of the series, not unlabelled scenery")
    args = parser.parse_args(argv)
    tiles = make_series.load_tiles(make_series.data_root(), args.extra_labels)
    results = []
    t0 = time.time()
    for tile in args.tiles:
        for seed in args.seeds:
            folder = args.out / f"{tile}-s{seed}"
            series = make_series.build_random(tiles, seed=seed, tile=tile, n_dates=args.dates,
                                              cloud_p=args.cloud, far_px=args.far_px,
                                              cloud_scale=args.cloud_scale, loaded=args.loaded)
            make_series.write_series(series, folder)
            r = evaluate_series(folder, use_detector=not args.no_detector, tol_m=args.tol_m,
                                simulate=tuple(args.simulate) if args.simulate else None,
                                opts=TrackOptions(same_patch_correlation=args.same_patch,
                                                  move_correlation=args.move_corr),
                                model=args.model, tta=args.tta, score_threshold=args.score)
            results.append(r)
            print(json.dumps({k: r[k] for k in r if k != "registration"}), flush=True)
    summary = summarise(results)
    summary["seconds"] = round(time.time() - t0, 1)
    summary["series"] = len(results)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
