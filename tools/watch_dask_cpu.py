"""Where a Dask LocalCluster's CPU time goes: per process kind, idle and running detection.

    PYTHONPATH=src nice -n 15 python tools/watch_dask_cpu.py [--workers 2] [--defaults]

Cuts 16 windows of 600 px from the depot scene (``overhead/scenes/AUAU040001_depot.tif`` in
``../shared/data``, taken as 0.3 m), packs them into tasks of 8 tiles, starts a LocalCluster
through :func:`sitewatch.watch.cluster_client` (``--defaults``: with Dask's own settings instead
of ``QUIET_DASK``), and prints the CPU seconds used by the client (with the scheduler), the
workers and the nannies over 10 s idle and over one run of the tasks, then the CPU seconds of
the same tasks run in this process. Used for docs/watch.md ("Dask overhead").
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from sitewatch.detect import DetectOptions, plan_tiles
from sitewatch.watch import cluster_client
from sitewatch.watch.scale import _cpu_s, _loads, _single, cut_scenes
from sitewatch.watch.scheduling import QUIET_DASK, DetectorSource, detect_pieces, pack_pieces

SCENE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "overhead" / "scenes" / \
    "AUAU040001_depot.tif"


def _snap(client: Any) -> tuple[float, float, float]:
    return (_cpu_s(), sum(client.run(_cpu_s).values()),
            sum(client.run(_cpu_s, nanny=True).values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scene", type=Path, default=SCENE)
    parser.add_argument("--defaults", action="store_true", help="Dask's own background settings")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.defaults:
        QUIET_DASK.clear()
    options = DetectOptions(prefetch_batches=0)
    source = DetectorSource(threads=max(1, 2 // args.workers))
    with tempfile.TemporaryDirectory() as tmp:
        paths = cut_scenes(args.scene, Path(tmp), count=16, side_px=600)
        detector = source.load()
        tasks = pack_pieces([plan_tiles(p, detector, gsd_m=0.3, options=options) for p in paths], 8)
        with cluster_client(None, workers=args.workers, threads_per_worker=1) as client:
            client.run(_loads, source)
            client.gather([client.submit(detect_pieces, tasks[0], source, options, pure=False)])
            before = _snap(client)
            time.sleep(10)
            after = _snap(client)
            print("idle 10 s, CPU s of client / workers / nannies:",
                  [round(b - a, 2) for a, b in zip(before, after, strict=True)])
            before, start = _snap(client), time.perf_counter()
            client.gather([client.submit(detect_pieces, t, source, options, pure=False)
                           for t in tasks])
            wall, after = time.perf_counter() - start, _snap(client)
            print(f"{len(tasks)} tasks in {wall:.1f} s, CPU s of client / workers / nannies:",
                  [round(b - a, 2) for a, b in zip(before, after, strict=True)])
        start_cpu = _cpu_s()
        _single(tasks, source, options)
        print(f"the same tasks in this process: {_cpu_s() - start_cpu:.2f} CPU s")


if __name__ == "__main__":
    main()
