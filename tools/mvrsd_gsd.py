"""Each MVRSD tile's ground sample distance from its labelled vehicles' lengths (no model).

Every cross-validated figure of the detector resamples the 8 MVRSD demo tiles from one assumed
0.12 m per pixel. This measures each tile's GSD from labels alone: MVRSD's own axis-aligned
boxes (``../shared/data/overhead/mvrsd/labels``) of the vehicle kinds whose real length is
known within a range (:data:`REFERENCE`: civilian cars ``CV`` and HMMWV-sized ``SMV``; armoured
vehicles and medium trucks are shown beside them, not pooled, as they vary too widely). The
audit's added boxes (``docs/mvrsd-audit``) are measured the same way and shown as a check only:
their classes follow the row a vehicle stands in, and its small ``SMV`` are not HMMWVs.

**Heading.** An axis-aligned box is not the vehicle's length: a rectangle ``L x W`` at heading
``t`` has a box of ``L cos t + W sin t`` by ``L sin t + W cos t``. Given the box's two sides and
the vehicle's aspect ``r = L / W`` (a range per kind), the heading is solved from the box's
aspect and ``L = long side / (cos t + sin t / r)``. The point uses the middle aspect; the
object's pixel length is taken to lie between the shortest solve over the aspect range with the
long side ``LOOSE_PX`` too long (loose ends, shadow) and the box's long side itself (the width
all shadow or padding, the vehicle along an image axis). For a car (r 2.2-2.7) the long side is
0.97-1.1 times the length at any heading.

**Per tile.** Each object gives a GSD interval (its kind's shortest length over its longest
pixel length, longest over shortest) and a point. The tile's point is the median of its
objects' points; its interval runs from the 5th percentile of the bootstrapped median of the
objects' low ends to the 95th percentile of that of their high ends (2000 draws over objects,
seed 0). Boxes touching the tile edge are left out (the vehicle may be cut).

**Zoom levels.** The ~3000 YOLO label files (``mvrsd/all_labels_yolo.tar.xz``, images not
available) show whether MVRSD tiles come at one scale: for each image with at least 5 civilian
boxes off the edge, the median car length in pixels (solved at the middle aspect, 640 px
images assumed), summed up per site prefix (``AUAU01``: the series the 8 demo tiles belong to).

Usage::

    python tools/mvrsd_gsd.py --out mvrsd-gsd.json [--table docs/mvrsd-audit/gsd.json]

``--table`` writes the per-tile estimates (point and interval) as a small JSON that training
and evaluation could read; nothing reads it yet. Reads ``../shared/data/overhead/mvrsd`` (or
``$SITEWATCH_DATA``); says so and exits with status 2 when it is absent.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tarfile
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.errors import ConfigError
from sitewatch.shared_data import shared_data_path
from sitewatch.train import MVRSD_CLASS_NAMES, LabelledBox, read_labels

AUDIT = Path(__file__).resolve().parents[1] / "docs" / "mvrsd-audit"
TILE_PX = 640
#: Fewer reference vehicles than this in a tile, and the table keeps the assumed GSD for it.
MIN_TABLE_OBJECTS = 3
#: The GSD every training and evaluation run assumes for the MVRSD tiles.
ASSUMED_GSD_M = 0.12


@dataclass(frozen=True)
class Kind:
    """A vehicle kind's real length range (m) and plan-view aspect (length / width) range."""

    length_m: tuple[float, float]
    aspect: tuple[float, float]
    pooled: bool
    source: str


#: MVRSD class -> what its vehicles' lengths are taken to be. ``pooled``: used for the tile's
#: estimate; the others are printed beside it as a check only.
REFERENCE: dict[str, Kind] = {
    "CV": Kind((4.2, 4.9), (2.2, 2.7), True,
               "passenger cars: compact 4.2-4.5 m (Corolla 4.6 m), mid-size sedans 4.7-4.9 m "
               "(Camry, Accord), compact SUVs 4.4-4.7 m; width 1.75-1.9 m. Pick-ups (5.6-6.0 m) "
               "and vans are in the class too, so the median, not the mean, is used"),
    "SMV": Kind((4.6, 5.0), (2.0, 2.3), True,
                "HMMWV: M998 4.57 m (15 ft) by 2.16 m, 4.7 m by 2.12 m (military-today); "
                "up-armoured M1114/M1151 about 4.9-5.0 m"),
    "AFV": Kind((6.5, 8.0), (1.8, 2.3), False,
                "M2 Bradley 6.55 m by 3.60 m, Stryker 6.95 m, M1 Abrams hull 7.9 m (9.8 m "
                "with the gun): too wide a range to pool"),
    "MCV": Kind((6.4, 7.3), (2.6, 3.0), False,
                "FMTV: M1078 LMTV 6.4-6.74 m, M1083 MTV 7.27 m, width 2.44 m; MVRSD's MCV also "
                "holds engineering vehicles, so only a check"),
}


def vehicle_length_px(long_px: float, short_px: float, aspect: float) -> float:
    """The length of a ``aspect``:1 rectangle whose axis-aligned box is ``long_px`` by ``short_px``.

    >>> round(vehicle_length_px(45.0, 18.0, 2.5), 1)   # a box as thin as the car: heading 0
    45.0
    >>> round(vehicle_length_px(44.0, 44.0, 2.5), 1)   # square box: heading 45 degrees
    44.4
    """
    q = min(short_px / long_px, 1.0)
    t = max(0.0, (q - 1.0 / aspect) / (1.0 - q / aspect)) if q < 1.0 else 1.0
    theta = math.atan(min(t, 1.0))
    return long_px / (math.cos(theta) + math.sin(theta) / aspect)


#: How much longer than the vehicle a hand-drawn box may be (loose ends, shadow), in pixels.
LOOSE_PX = 2.0


def object_gsd(box: LabelledBox, kind: Kind) -> tuple[float, float, float]:
    """(low, point, high) GSD in metres per pixel that one labelled vehicle gives.

    The point: the kind's middle length over the length solved at its middle aspect. The
    vehicle's pixel length lies between the shortest solve over the aspect range with the long
    side ``LOOSE_PX`` too long, and the box's long side itself (its width all shadow or padding,
    the vehicle along an image axis) or the longest solve, whichever is longer.
    """
    long_px, short_px = max(box.width_px, box.height_px), min(box.width_px, box.height_px)
    shortest = min(vehicle_length_px(max(long_px - LOOSE_PX, short_px), short_px, r)
                   for r in kind.aspect)
    longest = max([long_px] + [vehicle_length_px(long_px, short_px, r) for r in kind.aspect])
    mid_px = vehicle_length_px(long_px, short_px, sum(kind.aspect) / 2)
    lo_m, hi_m = kind.length_m
    return lo_m / longest, (lo_m + hi_m) / 2 / mid_px, hi_m / shortest


def _off_edge(box: LabelledBox, width_px: int, height_px: int) -> bool:
    return box.x0_px > 1 and box.y0_px > 1 and box.x1_px < width_px - 1 and box.y1_px < height_px - 1


def pool(objects: list[tuple[float, float, float]], *, draws: int = 2000,
         seed: int = 0) -> dict[str, Any]:
    """A tile's GSD from its objects' (low, point, high): median point, bootstrap interval."""
    arr = np.array(objects, dtype=float).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(arr), size=(draws, len(arr)))
    low = float(np.percentile(np.median(arr[picks, 0], axis=1), 5))
    high = float(np.percentile(np.median(arr[picks, 2], axis=1), 95))
    point = float(np.median(arr[:, 1]))
    return {"gsd_m": round(point, 4), "low_m": round(low, 4), "high_m": round(high, 4),
            "objects": len(arr), "vs_assumed": round(point / ASSUMED_GSD_M - 1, 3)}


def _estimates(boxes: list[LabelledBox], width: int, height: int) -> dict[str, Any]:
    by_kind: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    lengths: dict[str, list[float]] = defaultdict(list)
    for box in boxes:
        name = box.source_label.upper()
        if name not in REFERENCE or box.difficult or not _off_edge(box, width, height):
            continue
        by_kind[name].append(object_gsd(box, REFERENCE[name]))
        lengths[name].append(max(box.width_px, box.height_px))
    pooled = [g for name, gs in by_kind.items() if REFERENCE[name].pooled for g in gs]
    return {
        "pooled": pool(pooled) if pooled else None,
        "kinds": {name: pool(gs) | {"median_box_long_px": statistics.median(lengths[name]),
                                    "pooled": REFERENCE[name].pooled,
                                    "points": [round(g[1], 4) for g in gs]}
                  for name, gs in sorted(by_kind.items())},
    }


def ratios(tiles: dict[str, Any], min_objects: int = 5, draws: int = 2000,
           seed: int = 0) -> list[dict[str, Any]]:
    """GSD ratios between tiles measured by the same kind (at least ``min_objects`` each).

    The kind's assumed length cancels, so a ratio is settled better than either tile's GSD
    (as long as the two tiles hold the same mix of vehicles): the ratio of the two medians of
    the objects' points, with a 90 % bootstrap interval over each tile's objects.
    """
    rng = np.random.default_rng(seed)
    out = []
    for kind in REFERENCE:
        stems = sorted(s for s, r in tiles.items()
                       if len(r["kinds"].get(kind, {}).get("points", [])) >= min_objects)
        for i, a in enumerate(stems):
            for b in stems[i + 1:]:
                pa = np.array(tiles[a]["kinds"][kind]["points"])
                pb = np.array(tiles[b]["kinds"][kind]["points"])
                boot = (np.median(pa[rng.integers(0, len(pa), (draws, len(pa)))], axis=1)
                        / np.median(pb[rng.integers(0, len(pb), (draws, len(pb)))], axis=1))
                out.append({"kind": kind, "tiles": [a, b],
                            "ratio": round(float(np.median(pa) / np.median(pb)), 3),
                            "low": round(float(np.percentile(boot, 5)), 3),
                            "high": round(float(np.percentile(boot, 95)), 3)})
    return out


def tile_estimates(labels: Path, images: Path, audit: Path | None = AUDIT) -> dict[str, Any]:
    """Per tile, from the data set's own boxes: the estimate pooled over the pooled kinds and
    each kind's own; and (``audit``) the same from the audit's added boxes, as a check only:
    their classes follow the row they stand in (the audit's README), not a vehicle type."""
    added = {}
    if audit is not None:
        added = {item.stem: item for item in read_labels(audit, "voc", image_dir=images)}
    out: dict[str, Any] = {}
    for item in read_labels(labels, "voc", image_dir=images):
        width, height = item.width_px or TILE_PX, item.height_px or TILE_PX
        out[item.stem] = _estimates(list(item.boxes), width, height)
        if item.stem in added:
            out[item.stem]["audit_added"] = _estimates(list(added[item.stem].boxes), width, height)
    return out


def zoom_levels(tar_path: Path, min_cars: int = 5) -> dict[str, Any]:
    """Per image of the YOLO label set: the median car length in px; summed up per site."""
    per_image: dict[str, tuple[float, int]] = {}
    kind = REFERENCE["CV"]
    mid_r = sum(kind.aspect) / 2
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(tar_path) as tar:
            tar.extractall(tmp, filter="data")
        folders = sorted({p.parent for p in Path(tmp).rglob("*.txt")})
        for folder in folders:
            for item in read_labels(folder, "yolo", class_names=MVRSD_CLASS_NAMES,
                                    image_size_px=(TILE_PX, TILE_PX), skip_unmapped=True):
                cars = [vehicle_length_px(max(b.width_px, b.height_px),
                                          min(b.width_px, b.height_px), mid_r)
                        for b in item.boxes if b.source_label.upper() == "CV"
                        and _off_edge(b, TILE_PX, TILE_PX)]
                if len(cars) >= min_cars:
                    per_image[item.stem] = (statistics.median(cars), len(cars))
    sites: dict[str, list[float]] = defaultdict(list)
    for stem, (median_px, _) in per_image.items():
        sites[stem[:6]].append(median_px)
    lo_m, hi_m = kind.length_m
    summary = {}
    for site, values in sorted(sites.items(), key=lambda kv: -len(kv[1])):
        q = np.percentile(values, [10, 25, 50, 75, 90])
        summary[site] = {
            "images": len(values),
            "car_length_px_p10_p25_p50_p75_p90": [round(float(v), 1) for v in q],
            "gsd_m_at_median": [round(lo_m / float(q[2]), 3), round(hi_m / float(q[2]), 3)],
        }
    return {"min_cars": min_cars, "sites": summary,
            "images": {k: [round(v[0], 1), v[1]] for k, v in sorted(per_image.items())}}


def main(argv: list[str] | None = None) -> int:
    """Estimate, print a table, write the JSON (and the table file with ``--table``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--table", type=Path, help="also write the per-tile GSD table here")
    args = parser.parse_args(argv)
    try:
        root = shared_data_path("overhead/mvrsd", what="the MVRSD tiles and labels")
    except ConfigError as error:
        print(f"mvrsd_gsd: {error}", file=sys.stderr)
        return 2
    tiles = tile_estimates(root / "labels", root / "images")
    zoom = zoom_levels(root / "all_labels_yolo.tar.xz")
    def line(est: dict[str, Any]) -> str:
        p = est["pooled"]
        kinds = "  ".join(f"{k} {v['gsd_m']:.3f} ({v['low_m']:.3f}-{v['high_m']:.3f}, "
                          f"n={v['objects']}, box {v['median_box_long_px']:.0f} px)"
                          for k, v in est["kinds"].items())
        head = (f"{p['gsd_m']:.3f} m ({p['low_m']:.3f}-{p['high_m']:.3f}), n={p['objects']}, "
                f"{p['vs_assumed']:+.0%} vs {ASSUMED_GSD_M}" if p else "no reference vehicle")
        return f"{head} | {kinds}"

    for stem, row in tiles.items():
        print(f"{stem}: {line(row)}")
        if "audit_added" in row:
            print(f"  audit's added boxes (check only): {line(row['audit_added'])}")
    pairs = ratios(tiles)
    for r in pairs:
        print(f"{r['kind']} GSD ratio {r['tiles'][0]} / {r['tiles'][1]}: {r['ratio']} "
              f"({r['low']}-{r['high']})")
    for site, s in zoom["sites"].items():
        print(f"{site}: {s['images']} images, car length px p10/25/50/75/90 "
              f"{s['car_length_px_p10_p25_p50_p75_p90']}, GSD at the median {s['gsd_m_at_median']}")
    for stem in tiles:
        if stem in zoom["images"]:
            print(f"{stem} in the YOLO set: median car {zoom['images'][stem][0]} px "
                  f"({zoom['images'][stem][1]} cars)")
    out = {
        "command": "python tools/mvrsd_gsd.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "assumed_gsd_m": ASSUMED_GSD_M,
        "reference": {k: {"length_m": list(v.length_m), "aspect": list(v.aspect),
                          "pooled": v.pooled, "source": v.source} for k, v in REFERENCE.items()},
        "tiles": tiles,
        "ratios": pairs,
        "zoom_levels": zoom,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    if args.table:
        table = {"how": "tools/mvrsd_gsd.py: median over each tile's civilian cars and HMMWV-sized "
                        "vehicles (MVRSD's own boxes) of reference length / heading-corrected box "
                        f"length; interval from the length ranges and a bootstrap over objects. "
                        f"gsd_m is null (keep {ASSUMED_GSD_M} m) where fewer than "
                        f"{MIN_TABLE_OBJECTS} objects measured it. Not read by training or "
                        f"evaluation, which assume {ASSUMED_GSD_M} m for every tile.",
                 "tiles": {s: {"gsd_m": r["pooled"]["gsd_m"]
                               if r["pooled"] and r["pooled"]["objects"] >= MIN_TABLE_OBJECTS
                               else None, "estimate": r["pooled"]} for s, r in tiles.items()}}
        args.table.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}" + (f" and {args.table}" if args.table else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
