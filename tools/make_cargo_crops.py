"""Crops for the cargo network: every box the detector draws, cut as the second level sees it.

Generated series (``make_series.build_random --loaded N``: real armoured chips at their true
size on the beds of the three real AUAU010001 transporters, and as many empty transporters)
are run through the packaged detector at its card's score, as ``sitewatch detect`` runs; every
box it draws is cut by :func:`cargo_crops.cargo_crops` (both axes) and labelled:

* ``1`` (loaded) when its centre lies within ``--tol-m`` (4.5 m, as ``eval_track`` scores) of a
  cargo vehicle standing on a transporter on that date;
* ``0`` when it lies more than ``--ignore-m`` (6.5 m) from every cargo; in between it is left
  out (neither answer would be wrong);
* the transporter (``carrier``: the AUAU010001 box index of its chip) is kept for the loaded
  crops and for the boxes on or beside an empty transporter, so that a network can be trained
  without one transporter and tested on it.

``--real TILE@GSD`` adds every box the detector draws on a real image (an MVRSD tile, the depot
scene) as a ``0``: real ground holds no loaded transporter that anyone labelled.

Usage::

    python tools/make_cargo_crops.py OUT.npz --tiles AUAU010001 AUAU010002 AUAU010005 \\
        AUAU010008 --seeds 100-129 --loaded 3 \\
        --real ../shared/data/overhead/mvrsd/images/AUAU010001.jpg@0.12 ...
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import make_series
from cargo_crops import cargo_crops
from series_pixels import Chip, Tile, data_root, load_tiles

from sitewatch.detect import Detector, detect_raster, load_detector


def seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


#: Labels of the vehicles a transporter carries in the training series.
CARGO_LABELS = ("armored_vehicle", "military_engineering_vehicle")


def training_cargo(tiles: dict[str, Tile], names: list[str]) -> list[Chip]:
    """Every armoured and engineering vehicle of the tiles ``names`` (and its mirror image), as
    the cargo of the training series. Name tiles other than AUAU010081 to keep the tanks the
    evaluation series carry (``make_series.cargo_chips``) out of training, so that a network
    cannot learn those tanks instead of the transporter under them."""
    chips = [make_series.axis_chip(tiles[name], i) for name in names
             for i, box in enumerate(tiles[name].boxes) if box[0] in CARGO_LABELS]
    return chips + [make_series.mirrored(c) for c in chips]


def add_decoys(series: make_series.Series, chips: list[Chip], n: int, seed: int) -> None:
    """``n`` of the cargo ``chips`` standing on the ground (no transporter) on later dates:
    without them every such chip a network sees in training is loaded."""
    from shapely.ops import unary_union

    rng = np.random.default_rng([seed, 23])
    n_dates, size = len(series.looks), series.background.shape[0]
    for m in range(n):
        first = int(rng.integers(1, n_dates))
        dates = range(first, int(rng.integers(first, n_dates)) + 1)
        chip = chips[int(rng.integers(len(chips)))]
        busy = unary_union([make_series._footprint(v.chip, v.poses[k], 8.0)
                            for v in series.vehicles for k in dates if k in v.poses])
        for _try in range(200):
            pose = (float(rng.uniform(60, size - 60)), float(rng.uniform(60, size - 60)),
                    float(rng.uniform(0, 2 * math.pi)))
            if busy.is_empty or not make_series._footprint(chip, pose, 8.0).intersects(busy):
                series.vehicles.append(make_series.Vehicle(f"decoy{m}", chip,
                                                           dict.fromkeys(dates, pose)))
                break


def series_crops(detector: Detector, tiles: dict[str, Tile], tile: str, seed: int, loaded: int,
                 tol_m: float, ignore_m: float, decoys: int, cargo: list[Chip] | None
                 ) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {k: [] for k in ("crops", "y", "carrier", "source", "label", "score")}
    series = make_series.build_random(tiles, seed=seed, tile=tile, loaded=loaded, cargo=cargo)
    if decoys:
        add_decoys(series, cargo or make_series.cargo_chips(tiles), decoys, seed)
    with tempfile.TemporaryDirectory() as tmp:
        truth = make_series.write_series(series, Path(tmp))
        for d in truth["dates"]:
            vs = {v["id"]: v for v in d["vehicles"]}
            on_beds = [v for v in d["vehicles"] if v.get("loaded_on")]
            carriers = [v for v in d["vehicles"] if "(upright)" in str(v.get("source", ""))]
            path = Path(tmp) / d["file"]
            dets = detect_raster(path, detector, gsd_m=d["gsd_m"]).detections
            if not dets:
                continue
            rgb = np.asarray(read_full(path))
            crops = cargo_crops(rgb, [x.box for x in dets], d["gsd_m"])
            for x, crop in zip(dets, crops, strict=True):
                dist = [math.hypot(x.box.cx_px - v["cx_px"], x.box.cy_px - v["cy_px"]) * d["gsd_m"]
                        for v in on_beds]
                near = min(dist, default=math.inf)
                if tol_m < near <= ignore_m:
                    continue
                y = int(near <= tol_m)
                carrier = -1
                if y:
                    het = vs[on_beds[int(np.argmin(dist))]["loaded_on"]]
                    carrier = chip_index(het["source"])
                else:
                    for v in carriers:
                        if math.hypot(x.box.cx_px - v["cx_px"], x.box.cy_px - v["cy_px"]) \
                                * d["gsd_m"] <= 12.0:
                            carrier = chip_index(v["source"])
                out["crops"].append(crop)
                out["y"].append(y)
                out["carrier"].append(carrier)
                out["source"].append(f"{tile}-s{seed}/{d['date']}")
                out["label"].append(str(x.label))
                out["score"].append(x.score)
    return out


def chip_index(source: str) -> int:
    """``AUAU010001#16(upright)`` -> 16."""
    return int(source.split("#")[1].split("(")[0])


def read_full(path: Path) -> np.ndarray:
    import cv2
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"make_cargo_crops: cannot read {path}")
    return img[:, :, ::-1]


def real_crops(detector: Detector, spec: str) -> dict[str, list[Any]]:
    path, _, gsd = spec.rpartition("@")
    rgb = read_full(Path(path))
    dets = detect_raster(path, detector, gsd_m=float(gsd)).detections
    crops = cargo_crops(rgb, [x.box for x in dets], float(gsd))
    n = len(dets)
    return {"crops": list(crops), "y": [0] * n, "carrier": [-1] * n,
            "source": [Path(path).name] * n, "label": [str(x.label) for x in dets],
            "score": [x.score for x in dets]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--tiles", nargs="+", default=[])
    p.add_argument("--seeds", default="100-109", help="A-B, inclusive")
    p.add_argument("--loaded", type=int, default=3)
    p.add_argument("--tol-m", type=float, default=4.5)
    p.add_argument("--ignore-m", type=float, default=6.5)
    p.add_argument("--cargo-from", nargs="+", default=None, metavar="TILE",
                   help="load the armoured and engineering vehicles of these tiles "
                   "(default: make_series' AUAU010081 tanks, as the evaluation series carry)")
    p.add_argument("--decoys", type=int, default=0,
                   help="also this many cargo chips standing on the ground in each series")
    p.add_argument("--real", action="append", default=[], help="IMAGE@GSD, every box a 0")
    p.add_argument("--model", default=None)
    args = p.parse_args(argv)
    detector = load_detector(args.model, threads=2)
    tiles = load_tiles(data_root()) if args.tiles else {}
    cargo = training_cargo(tiles, args.cargo_from) if args.cargo_from else None
    parts = []
    t0 = time.time()
    for tile in args.tiles:
        for s in seeds(args.seeds):
            parts.append(series_crops(detector, tiles, tile, s, args.loaded, args.tol_m,
                                      args.ignore_m, args.decoys, cargo))
            print(f"{tile} seed {s}: {sum(parts[-1]['y'])} loaded / {len(parts[-1]['y'])} "
                  f"({time.time() - t0:.0f} s)", flush=True)
    for spec in args.real:
        parts.append(real_crops(detector, spec))
        print(f"{spec}: {len(parts[-1]['y'])} boxes", flush=True)
    cat = {k: [v for part in parts for v in part[k]] for k in parts[0]}
    np.savez_compressed(
        args.out, crops=np.asarray(cat["crops"], np.uint8), y=np.asarray(cat["y"], np.int8),
        carrier=np.asarray(cat["carrier"], np.int16), source=np.asarray(cat["source"]),
        label=np.asarray(cat["label"]), score=np.asarray(cat["score"], np.float32),
        meta=json.dumps({"argv": sys.argv[1:], "detector": detector.name,
                         "detector_sha256": detector.sha256}))
    print(f"{len(cat['y'])} crops, {sum(cat['y'])} loaded -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
