"""``sitewatch watch CONFIG.toml``: find, cut, ingest, detect, track and report the new scenes of
every site of a watch list, detecting on Dask (``--cluster`` or a local cluster)."""

from __future__ import annotations

import argparse
import os
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
    from sitewatch.detect import DetectOptions
    from sitewatch.watch import DetectorSource, cluster_client, load_watch, run_watch

    config = load_watch(args.config)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = args.workers or max(1, cores // 2)
    threads = args.threads or max(1, cores // workers)
    source = DetectorSource(model=args.model or config.model, device=args.device, threads=threads)
    options = DetectOptions(batch_size=batch_size(args.device))
    with cluster_client(args.cluster, workers=workers, threads_per_worker=1) as client:
        summary = run_watch(config, client, detector_source=source, options=options,
                            note=lambda line: print(printable(line)),
                            tiles_per_task=args.tiles_per_task)
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
