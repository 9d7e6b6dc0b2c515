"""``sitewatch watch CONFIG.toml``: find, cut, ingest, detect, track and report the new scenes of
every site of a watch list, detecting on Dask (``--cluster`` or a local cluster)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.cli.options import add_device, batch_size
from sitewatch.untrusted import printable

HELP = "watch many sites: new scenes from folders and STAC, detected on Dask (CONFIG.toml)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Watch options."""
    parser.add_argument("config", type=Path, metavar="CONFIG.toml",
                        help="the watch list (see docs/watch.md)")
    parser.add_argument("--cluster", default=None, metavar="tcp://HOST:PORT",
                        help="an existing Dask scheduler (workers must see the watch folder "
                        "at the same path); default: a local cluster")
    parser.add_argument("--workers", type=int, default=None,
                        help="local cluster: worker processes (default: 1 per 2 cores)")
    parser.add_argument("--threads", type=int, default=None,
                        help="local cluster: model threads per worker (default: cores / workers)")
    parser.add_argument("--model", default=None,
                        help="model name or .onnx path (default: the watch list's, else the "
                        "package default)")
    parser.add_argument("--tiles-per-task", type=int, default=None, metavar="N",
                        help="model tiles per Dask task: bigger windows are split, smaller "
                        "ones share a task and its batches (default: 4 batches, at least 16)")
    add_device(parser)


def run(args: argparse.Namespace) -> int:
    """Run the watch once and print what it did per site."""
    from sitewatch.watch import watch_once

    summary = watch_once(args.config, cluster=args.cluster, workers=args.workers,
                         threads=args.threads, model=args.model, device=args.device,
                         batch_size=batch_size(args.device), tiles_per_task=args.tiles_per_task,
                         note=lambda line: print(printable(line)))
    for site in summary.sites:
        print(printable(
            f"{site.site}: {site.offered} scenes offered, {site.ingested} new, "
            f"{site.too_little} covering too little, {site.seen_before} seen before; "
            f"{site.detected} detected ({site.detections} detections)"
            + (f"; report {site.report}" if site.report else "; nothing changed")))
    print(f"{summary.tasks_run} detection tasks run on {summary.scenes_run} scene windows "
          f"({summary.tiles_run} tiles, {summary.tiles_reused} taken from pieces kept by an "
          f"interrupted run), {summary.cache_hits} windows taken from the cache")
    cpu, workers = dict(summary.phase_cpu_s), dict(summary.workers_cpu_s)
    print("time: " + ", ".join(f"{name.replace('_', ' ')} {wall:.1f} s (CPU s: {cpu[name]:.1f} "
                               f"here, {workers[name]:.1f} on the workers)"
                               for name, wall in summary.phase_s))
    return 0
