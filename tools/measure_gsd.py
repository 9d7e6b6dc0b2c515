"""Measure ``--gsd auto`` (:func:`sitewatch.detect.estimate_gsd`) on real tiles of known GSD.

Runs the estimator on the 8 MVRSD tiles (about 0.12 m), every 18th civilian drone tile of
``cats_drone`` (about 0.05 m), the depot scene (GSD unknown: reported, not scored), and copies
of each downsampled by known factors (the true GSD times the factor). Writes one JSON file
with a row per image and the median and worst relative error.

Usage::

    python tools/measure_gsd.py OUT.json [--factors 1 1.5 2 3]

Reads ``../shared/data/overhead`` (or ``$SITEWATCH_DATA/overhead``); says so and exits with
status 2 when it is absent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.detect import GsdSearch, estimate_gsd_of_array, load_detector, sample_windows
from sitewatch.errors import ConfigError
from sitewatch.imagery import RasterReader
from sitewatch.shared_data import shared_data_path


def _windows(path: Path, factor: float, search: GsdSearch) -> list[np.ndarray]:
    """The windows the estimator would read from a copy of ``path`` downsampled by ``factor``."""
    with RasterReader(path) as reader:
        info = reader.info
        width, height = round(info.width_px / factor), round(info.height_px / factor)
        out = []
        for t in sample_windows(width, height, window_px=search.window_px,
                                max_windows=search.max_windows):
            # the same ground window, read at full resolution and then downsampled
            full = reader.read_rgb(type(t)(
                x0_px=round(t.x0_px * factor), y0_px=round(t.y0_px * factor),
                width_px=min(round(t.width_px * factor), info.width_px - round(t.x0_px * factor)),
                height_px=min(round(t.height_px * factor),
                              info.height_px - round(t.y0_px * factor))))
            if factor != 1.0:
                full = cv2.resize(full, (t.width_px, t.height_px), interpolation=cv2.INTER_AREA)
            out.append(full)
    return out


def main() -> int:
    """Run the measurement and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--factors", type=float, nargs="+", default=[1.0, 1.5, 2.0, 3.0])
    args = parser.parse_args()
    try:
        root = shared_data_path("overhead", what="the overhead imagery")
    except ConfigError as error:
        print(f"measure_gsd: {error}", file=sys.stderr)
        return 2
    detector = load_detector(None, threads=2)
    search = GsdSearch()
    items: list[tuple[Path, float | None]] = [
        (p, 0.12) for p in sorted((root / "mvrsd" / "images").glob("*.jpg"))
    ]
    items += [(p, 0.05) for p in sorted((root / "cats_drone" / "images").glob("*.jpg"))[::18]]
    items.append((root / "scenes" / "AUAU040001_depot.tif", None))
    rows: list[dict[str, Any]] = []
    for path, true_m in items:
        for factor in args.factors:
            start = time.perf_counter()
            est = estimate_gsd_of_array(_windows(path, factor, search), detector, search=search)
            truth = None if true_m is None else true_m * factor
            row: dict[str, Any] = {
                "image": path.name, "factor": factor, "true_gsd_m": truth,
                "estimate": est.to_dict() if est else None,
                "relative_error": (est.gsd_m / truth - 1) if est and truth else None,
                "seconds": round(time.perf_counter() - start, 1),
            }
            rows.append(row)
            print(f"{path.name} x{factor}: true {truth} est "
                  f"{est.describe() if est else 'none'} ({row['seconds']} s)", flush=True)
    errors = [abs(r["relative_error"]) for r in rows if r["relative_error"] is not None]
    missing = sum(1 for r in rows if r["true_gsd_m"] and r["estimate"] is None)
    summary = {
        "scored": len(errors), "no_estimate": missing,
        "median_abs_error": statistics.median(errors) if errors else None,
        "worst_abs_error": max(errors) if errors else None,
        "over_30pct": sum(e > 0.3 for e in errors),
        "interval_covers_truth": sum(
            1 for r in rows if r["estimate"] and r["true_gsd_m"]
            and r["estimate"]["low_m"] <= r["true_gsd_m"] <= r["estimate"]["high_m"]),
    }
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
