"""Where a Dask LocalCluster's CPU time goes: per process kind, idle and running detection.

    PYTHONPATH=src nice -n 15 python tools/watch_dask_cpu.py [--workers 2] [--defaults]

Cuts 16 windows of 600 px from the depot scene (``overhead/scenes/AUAU040001_depot.tif`` in
``../shared/data``, taken as 0.3 m), packs them into tasks of 8 tiles, starts a LocalCluster
(``--defaults``: with Dask's own background settings instead of ``QUIET_DASK``) and prints, as
JSON, the CPU seconds used by the client (with the scheduler), the workers and the nannies
over 10 s idle and over one run of the tasks, then the CPU seconds of the same tasks run in
this process (:func:`sitewatch.watch.measure_engine_cpu`). Used for docs/watch.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sitewatch.errors import ConfigError
from sitewatch.shared_data import given_or_shared_file
from sitewatch.watch import measure_engine_cpu

SCENE = "overhead/scenes/AUAU040001_depot.tif"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scene", type=Path, default=None,
                        help=f"default: {SCENE} of $SITEWATCH_DATA, else of ../shared/data")
    parser.add_argument("--defaults", action="store_true", help="Dask's own background settings")
    args = parser.parse_args()
    try:
        args.scene = given_or_shared_file(args.scene, SCENE, what="the scene")
    except ConfigError as error:
        print(f"watch_dask_cpu: {error}; pass --scene FILE", file=sys.stderr)
        sys.exit(2)
    report = measure_engine_cpu(args.scene, gsd_m=0.3, workers=args.workers, quiet=not args.defaults)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
