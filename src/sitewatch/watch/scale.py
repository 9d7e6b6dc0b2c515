"""How the watch scales: many scene windows detected in one process against the same windows on
a Dask LocalCluster of 1 and 2 workers with the same cores (``sitewatch bench --scale``).

Every side runs the same tasks (:func:`sitewatch.watch.scheduling.pack_pieces` over the same
windows) with the same task function (:func:`sitewatch.watch.scheduling.detect_pieces`) and the
model loaded beforehand. The sides are **interleaved**: each round times every configuration
once, in an order that rotates from round to round, and the ratio of a round compares runs
seconds apart, so that other jobs on a shared machine slow every side alike. The report gives
each round's ratio, their median and spread, the same for the CPU time every process of an
engine used (which other jobs barely change), and where the Dask side's time went: the tasks'
own compute time on the workers (from Dask's task stream), what Dask spent around them
(deserialising, moving results, scheduling gaps), and how often each worker loaded the model.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sitewatch.detect import DetectOptions, plan_tiles
from sitewatch.errors import ConfigError
from sitewatch.watch.scheduling import (
    DetectorSource,
    Piece,
    cluster_client,
    default_tiles_per_task,
    detect_pieces,
    pack_pieces,
    worker_detector,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalePoint:
    """One configuration timed in one round.

    Attributes:
        round: The round (0-based); configurations of one round ran one after another.
        engine: ``single-process`` or ``dask``.
        workers, model_threads: Worker processes and model threads in each (cores in all).
        tasks, scenes, tiles: Tasks run, scene windows and model tiles detected.
        seconds: Wall time of the run (model already loaded).
        tiles_per_s: Throughput.
        share_of_single: Throughput over the single process's in the same round.
        compute_s: Time the task function itself ran, summed over tasks (for Dask: measured
            on the workers, from the task stream).
        engine_s: Dask's own time around the tasks, summed: deserialising the task and moving
            its result (0 for the single process).
        idle_s: Worker-seconds of the run in which no task ran: ``seconds x workers -
            compute_s - engine_s`` (scheduling gaps, the client's round trips, waiting for the
            last task).
        cpu_s: CPU seconds (user + system, all threads) the run took in every process of the
            engine: the client (with the scheduler, in its threads), and for Dask each worker
            and each nanny. Other jobs on the machine slow a run's wall time but barely change
            the CPU time its work needs, so this compares the engines' cost under load.
        cpu_share_of_single: The single process's ``cpu_s`` in the same round over this one
            (1.0: the engine costs no CPU of its own).
    """

    round: int
    engine: str
    workers: int
    model_threads: int
    tasks: int
    scenes: int
    tiles: int
    seconds: float
    tiles_per_s: float
    share_of_single: float
    compute_s: float
    engine_s: float
    idle_s: float
    cpu_s: float
    cpu_share_of_single: float


def cut_scenes(scene: Path, folder: Path, *, count: int, side_px: int) -> list[Path]:
    """``count`` windows of ``side_px`` from ``scene`` on a grid, written as GeoTIFFs."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.windows import Window

    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a bench scene needs none
        with rasterio.open(scene) as src:  # opened after the filter: opening is what warns
            per_row = max(1, (src.width - side_px) // side_px + 1)
            rows = max(1, (src.height - side_px) // side_px + 1)
            for i in range(count):
                col, row = (i % (per_row * rows)) % per_row, (i % (per_row * rows)) // per_row
                window = Window(col * side_px, row * side_px, min(side_px, src.width),
                                min(side_px, src.height))
                data = src.read(window=window)
                path = folder / f"window_{i:03d}.tif"
                with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                                   count=data.shape[0], dtype=data.dtype) as dst:
                    dst.write(data)
                paths.append(path)
    return paths


def _loads(source: DetectorSource) -> int:
    """Times this process loaded the model of ``source`` (run on each worker)."""
    worker_detector(source)
    return worker_detector.cache_info().misses


def _cpu_s() -> float:
    """CPU seconds this process has used, all its threads."""
    times = os.times()
    return times.user + times.system


def _engine_cpu_s(client: Any | None) -> float:
    """CPU seconds used so far by this process and, with a client, its workers and nannies."""
    if client is None:
        return _cpu_s()
    return (_cpu_s() + sum(client.run(_cpu_s).values())
            + sum(client.run(_cpu_s, nanny=True).values()))


def _single(tasks: Sequence[list[Piece]], source: DetectorSource, options: DetectOptions
            ) -> tuple[float, float]:
    start = time.perf_counter()
    compute = 0.0
    for task in tasks:
        began = time.perf_counter()
        detect_pieces(task, source, options)
        compute += time.perf_counter() - began
    return time.perf_counter() - start, compute


def _dask(client: Any, tasks: Sequence[list[Piece]], source: DetectorSource,
          options: DetectOptions) -> tuple[float, float, float]:
    from distributed import get_task_stream

    with get_task_stream(client) as stream:
        start = time.perf_counter()
        futures = [client.submit(detect_pieces, task, source, options, pure=False)
                   for task in tasks]
        client.gather(futures)
        seconds = time.perf_counter() - start
    compute = engine = 0.0
    for record in stream.data:
        for step in record.get("startstops", ()):
            spent = step["stop"] - step["start"]
            if step["action"] == "compute":
                compute += spent
            else:  # deserialize, transfer, disk-read/write
                engine += spent
    return seconds, compute, engine


def measure_scale(
    scene: Path, *, gsd_m: float, scenes: int = 16, side_px: int = 600,
    workers: tuple[int, ...] = (1, 2), model: str = "", cores: int | None = None,
    rounds: int = 5, tiles_per_task: int | None = None,
    note: Callable[[str], object] | None = None,
) -> dict[str, Any]:
    """Time ``scenes`` windows of ``scene`` in one process and on Dask with each worker count,
    interleaved over ``rounds`` rounds.

    Returns:
        JSON-ready: the setup, every :class:`ScalePoint`, and per Dask configuration the median
        share of the single process's throughput with its range over the rounds.
    """
    import warnings

    if rounds < 1 or scenes < 1:
        raise ConfigError(f"--rounds {rounds} and scenes {scenes} must be at least 1")
    cores = cores or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1)
    options = DetectOptions(prefetch_batches=0)
    points: list[ScalePoint] = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sitewatch-scale-") as tmp, ExitStack() as stack:
        paths = cut_scenes(scene, Path(tmp), count=scenes, side_px=side_px)
        single = DetectorSource(model=model, threads=cores)
        detector = worker_detector(single)
        plans = [plan_tiles(p, detector, gsd_m=gsd_m, options=options) for p in paths]
        tiles = sum(len(plan.tiles) for plan in plans)
        per_task = tiles_per_task or default_tiles_per_task(options, tiles=tiles, slots=max(workers))
        tasks = pack_pieces([(p, 0, len(p.tiles)) for p in plans], per_task)
        clusters = []
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")  # Dask's notes on ports and memory limits
        for count in workers:
            source = DetectorSource(model=model, threads=max(1, cores // count))
            client = stack.enter_context(cluster_client(None, workers=count, threads_per_worker=1))
            client.run(_loads, source)  # the model is loaded before any timing
            _dask(client, tasks[:1], source, options)  # and one task run to warm up
            clusters.append((count, source, client))
        _single(tasks[:1], single, options)
        configurations: list[tuple[int, DetectorSource, Any]] = [(0, single, None), *clusters]
        for r in range(rounds):
            shift = r % len(configurations)
            timed: list[ScalePoint] = []
            for count, source, client in configurations[shift:] + configurations[:shift]:
                cpu = _engine_cpu_s(client)
                if client is None:
                    seconds, compute = _single(tasks, source, options)
                    engine, used = 0.0, 1
                else:
                    seconds, compute, engine = _dask(client, tasks, source, options)
                    used = count
                cpu = _engine_cpu_s(client) - cpu
                timed.append(ScalePoint(
                    round=r, engine="dask" if client is not None else "single-process",
                    workers=used, model_threads=source.threads or 1, tasks=len(tasks),
                    scenes=len(paths), tiles=tiles, seconds=round(seconds, 3),
                    tiles_per_s=round(tiles / seconds, 3), share_of_single=0.0,
                    compute_s=round(compute, 3), engine_s=round(engine, 3),
                    idle_s=round(seconds * used - compute - engine, 3), cpu_s=round(cpu, 3),
                    cpu_share_of_single=0.0))
                if note:
                    note(f"round {r}: {timed[-1].engine} {used} x {source.threads}: "
                         f"{seconds:.1f} s, {cpu:.1f} CPU s")
            base = next(p for p in timed if p.engine == "single-process")
            points += [_with_share(p, base) for p in timed]
        loads = {str(count): sorted(client.run(_loads, source).values())
                 for count, source, client in clusters}
    load_after = os.getloadavg()
    summary = {}
    for count in workers:
        shares = [p.share_of_single for p in points if p.engine == "dask" and p.workers == count]
        mine = [p for p in points if p.engine == "dask" and p.workers == count]
        summary[f"dask {count} x {max(1, cores // count)}"] = {
            "median_share_of_single": round(statistics.median(shares), 3),
            "min_share": min(shares), "max_share": max(shares),
            "median_cpu_share_of_single": round(statistics.median(
                p.cpu_share_of_single for p in mine), 3),
            "min_cpu_share": min(p.cpu_share_of_single for p in mine),
            "max_cpu_share": max(p.cpu_share_of_single for p in mine),
            "median_compute_s": round(statistics.median(p.compute_s for p in mine), 3),
            "median_engine_s": round(statistics.median(p.engine_s for p in mine), 3),
            "median_idle_s": round(statistics.median(p.idle_s for p in mine), 3),
            "model_loads_per_worker": loads[str(count)],
        }
    ones = [p for p in points if p.engine == "single-process"]
    summary["single-process"] = {
        "median_seconds": round(statistics.median(p.seconds for p in ones), 3),
        "median_compute_s": round(statistics.median(p.compute_s for p in ones), 3),
        "median_cpu_s": round(statistics.median(p.cpu_s for p in ones), 3),
    }
    return {"scene": str(scene), "gsd_m": gsd_m, "side_px": side_px, "cores": cores,
            "model": model or "default", "rounds": rounds, "tasks": len(tasks),
            "tiles_per_task": per_task,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "summary": summary, "points": [asdict(p) for p in points]}


def _with_share(point: ScalePoint, base: ScalePoint) -> ScalePoint:
    from dataclasses import replace

    return replace(point, share_of_single=round(point.tiles_per_s / base.tiles_per_s, 3),
                   cpu_share_of_single=round(base.cpu_s / point.cpu_s, 3))


def measure_engine_cpu(
    scene: Path, *, gsd_m: float, scenes: int = 16, side_px: int = 600, workers: int = 2,
    tiles_per_task: int = 8, idle_s: float = 10.0, quiet: bool = True, model: str = "",
) -> dict[str, Any]:
    """Where a LocalCluster's CPU time goes: CPU seconds of the client (with the scheduler),
    the workers and the nannies over ``idle_s`` idle seconds and over one run of ``scenes``
    windows of ``scene``, then of the same tasks in this process. ``quiet=False`` starts the
    cluster with Dask's own background settings instead of :data:`QUIET_DASK`.

    Returns:
        JSON-ready: the setup and the three measurements.
    """
    import warnings

    def kinds(client: Any) -> tuple[float, float, float]:
        return (_cpu_s(), sum(client.run(_cpu_s).values()),
                sum(client.run(_cpu_s, nanny=True).values()))

    def spent(before: tuple[float, ...], after: tuple[float, ...]) -> dict[str, float]:
        return {name: round(b - a, 3) for name, a, b in
                zip(("client", "workers", "nannies"), before, after, strict=True)}

    options = DetectOptions(prefetch_batches=0)
    source = DetectorSource(model=model, threads=max(1, 2 // workers))
    with tempfile.TemporaryDirectory(prefix="sitewatch-cpu-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dask's notes on ports, a bench scene's georeference
        paths = cut_scenes(scene, Path(tmp), count=scenes, side_px=side_px)
        detector = worker_detector(source)
        plans = [plan_tiles(p, detector, gsd_m=gsd_m, options=options) for p in paths]
        tasks = pack_pieces([(p, 0, len(p.tiles)) for p in plans], tiles_per_task)
        with cluster_client(None, workers=workers, threads_per_worker=1, quiet=quiet) as client:
            client.run(_loads, source)
            _dask(client, tasks[:1], source, options)
            before = kinds(client)
            time.sleep(idle_s)
            idle = spent(before, kinds(client))
            before = kinds(client)
            seconds = _dask(client, tasks, source, options)[0]
            busy = spent(before, kinds(client))
        start = _cpu_s()
        _single(tasks, source, options)
        alone = _cpu_s() - start
    return {"scene": str(scene), "workers": workers, "model_threads": source.threads,
            "dask_defaults": not quiet, "tasks": len(tasks), "idle_s": idle_s,
            "idle_cpu_s": idle, "run_seconds": round(seconds, 3), "run_cpu_s": busy,
            "same_tasks_in_one_process_cpu_s": round(alone, 3),
            "load_average": [round(x, 2) for x in os.getloadavg()]}
