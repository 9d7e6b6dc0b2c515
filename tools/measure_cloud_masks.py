"""How well the observability masks cover the clouds of generated series, pixel by pixel.

For every series (``tools/make_series.py random`` with clouds, built into ``OUT`` as
``tools/eval_track.py`` builds them, or read back when already there), each date is
registered and its masks measured as ``sitewatch.track`` does, and every pixel of the shrunk
reference grid inside the date's image is read against the generated cloud:

* **core**: within 0.85 of the cloud's radius (opacity above about 0.4, where a vehicle is
  truly unobservable: the bar of ``eval_track._inside`` and the issue-18 test). The share of
  the core that neither mask (cloud, washed out) marks is what a detection there would be
  claimed on;
* **clear**: beyond 1.3 of the radius on a clouded date (the cloud's alpha is 0 there), and
  every pixel of a date without cloud. The share of it that is masked is ground wrongly
  taken from the comparison.

Usage::

    python tools/measure_cloud_masks.py OUT [--seeds 4 5] [--tiles ...] [--cloud 0.6]
        [--json results.json]

Reads ``../shared/data/overhead/mvrsd`` through ``make_series``; says so and exits when absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import make_series
from eval_track import DEFAULT_TILES
from series_io import load_series

from sitewatch.track import site_visibility

CORE = 0.85  # of the radius: opacity above about 0.4
HALO = 1.3  # of the radius: the generated cloud's alpha reaches 0


def measure_series(folder: Path) -> list[dict[str, Any]]:
    """Per date: core pixels, core pixels unmarked, clear pixels, clear pixels masked."""
    truth, obs = load_series(folder)
    vis = site_visibility(obs)
    by_date = {d["date"]: d for d in truth["dates"]}
    rows = []
    for v in vis:
        d = by_date[v.date.isoformat()]
        shape = v.cloud.shape
        yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
        # shrunk reference px -> reference px -> this date's image px
        pts = np.stack([xx.ravel() / v.scale, yy.ravel() / v.scale, np.ones(xx.size)])
        inv = np.linalg.inv(np.asarray(d["image_to_reference"], float).reshape(3, 3))
        ip = inv @ pts
        ix, iy = (ip[0] / ip[2]).reshape(shape), (ip[1] / ip[2]).reshape(shape)
        c = d["look"].get("cloud")
        dist = (np.hypot(ix - c[0], iy - c[1]) / c[2]) if c else np.full(shape, np.inf)
        hidden = ~v.seen & v.valid
        core = (dist < CORE) & v.valid
        clear = (dist >= HALO) & v.valid
        rows.append({"series": folder.name, "date": v.date.isoformat(), "clouded": c is not None,
                     "core_px": int(core.sum()), "core_unmarked_px": int((core & ~hidden).sum()),
                     "clear_px": int(clear.sum()), "clear_masked_px": int((clear & hidden).sum())})
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    clouded = [r for r in rows if r["clouded"] and r["core_px"] > 0]
    shares = sorted(r["core_unmarked_px"] / r["core_px"] for r in clouded)
    clear_dates = [r for r in rows if not r["clouded"]]

    def share(rs: list[dict[str, Any]], num: str, den: str) -> float:
        total = sum(r[den] for r in rs)
        return round(sum(r[num] for r in rs) / total, 4) if total else 0.0

    return {
        "clouded_dates": len(clouded),
        "core_unmarked_share_per_date": [round(s, 3) for s in shares],
        "dates_with_core_unmarked_over_15pc": sum(s > 0.15 for s in shares),
        "core_unmarked_share_all": share(clouded, "core_unmarked_px", "core_px"),
        "unclouded_dates": len(clear_dates),
        "clear_masked_share_unclouded_dates": share(clear_dates, "clear_masked_px", "clear_px"),
        "clear_masked_share_unclouded_worst": round(max(
            (r["clear_masked_px"] / r["clear_px"] for r in clear_dates if r["clear_px"]),
            default=0.0), 4),
        "clear_masked_share_beyond_halo_clouded_dates": share(clouded, "clear_masked_px",
                                                              "clear_px"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[4, 5])
    parser.add_argument("--tiles", nargs="+", default=list(DEFAULT_TILES))
    parser.add_argument("--dates", type=int, default=4)
    parser.add_argument("--cloud", type=float, default=0.6)
    parser.add_argument("--json", type=Path, default=None, help="write every date's row here")
    args = parser.parse_args(argv)
    tiles = None
    rows = []
    t0 = time.time()
    for tile in args.tiles:
        for seed in args.seeds:
            folder = args.out / f"{tile}-s{seed}"
            if not (folder / "truth.json").is_file():
                if tiles is None:
                    tiles = make_series.load_tiles(make_series.data_root())
                series = make_series.build_random(tiles, seed=seed, tile=tile, n_dates=args.dates,
                                                  cloud_p=args.cloud)
                make_series.write_series(series, folder)
            for r in measure_series(folder):
                rows.append(r)
                print(json.dumps(r), flush=True)
    summary = summarise(rows)
    summary["seconds"] = round(time.time() - t0, 1)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "dates": rows}, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
