"""Detection on a Dask cluster, with every task's result cached under the hash of its inputs.

The unit of work is a scene window (the cutout of a site stored in its case), tiled exactly as
:func:`sitewatch.detect.detect_raster` tiles it for ``sitewatch detect`` and ``sitewatch
replay``. A task holds about a fixed number of tiles: a big window is split into several tasks,
small windows of many scenes share one, and their tiles share inference batches. Pieces come
back unmerged; the client merges each window's seams once, with the one merge
:func:`sitewatch.detect.detect_raster` uses, so the stored detections are those of one
``detect_raster`` run on the window and can be recomputed anywhere. Each window's result is kept
in a cache folder under a key made of its content hash, the model hash and the detection
parameters: a rerun submits nothing that is done, and a worker that dies costs only the tasks
it was running (Dask gives them to another worker; a crashed client finds the finished windows,
and the finished pieces of split windows, in the cache: :mod:`sitewatch.watch.cache`). Only the
client writes detections: the cache files, then each site's case through
:func:`sitewatch.case.detect_case`, so no two processes ever write one SQLite file.

Workers read the cutouts from the watch folder by path: a remote cluster (``--cluster``) must
mount that folder at the same path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sitewatch.case import DetectionRun, to_record
from sitewatch.catalog import DetectionRecord, Scene
from sitewatch.detect import (
    DetectOptions,
    Detector,
    TileParts,
    TilePlan,
    detect_tiles,
    merge_tile_parts,
    plan_tiles,
)
from sitewatch.errors import ConfigError, WatchError
from sitewatch.watch.cache import TaskCache, pieces_key, task_key


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorSource:
    """How a worker process gets the detector (a loaded model cannot travel between processes).

    Attributes:
        model: Registry name, model card or ONNX path; empty: the package default.
        factory: ``"module:callable"`` returning a detector instead (a plug-in detector);
            the module must be importable on every worker.
        device: ``cpu`` or ``cuda``.
        threads: CPU threads of the model in each worker process (None: all it may use).
    """

    model: str = ""
    factory: str = ""
    device: str = "cpu"
    threads: int | None = None

    def load(self) -> Detector:
        """Load the detector this names.

        Raises:
            ConfigError: the factory cannot be imported.
            ModelError: the model's weights are missing or fail their hash check.
        """
        if self.factory:
            module_name, _, attr = self.factory.partition(":")
            try:
                made: Detector = getattr(importlib.import_module(module_name), attr)()
            except (ImportError, AttributeError) as exc:
                raise ConfigError(f"cannot load detector factory {self.factory!r}: {exc}; give "
                                  "'module:callable' importable on every worker") from None
            return made
        from sitewatch.detect import load_detector

        return load_detector(self.model or None, device=self.device, threads=self.threads)


@lru_cache(maxsize=4)
def worker_detector(source: DetectorSource) -> Detector:
    """The detector of this worker process, loaded once and reused by its tasks (the one piece
    of process state here: a cache of an immutable, read-only model)."""
    return source.load()


#: One piece of a task: tiles ``start``..``stop`` (exclusive) of a scene window's tile plan.
Piece = tuple[TilePlan, int, int]


def detect_pieces(pieces: Sequence[Piece], source: DetectorSource, options: DetectOptions
                  ) -> list[TileParts]:
    """One task, run on a worker: the tiles of its pieces, batched together across the scene
    windows they come from, returned unmerged (the client merges each window once it has all
    of its pieces)."""
    return detect_tiles(pieces, worker_detector(source), options=options)


def pack_pieces(ranges: Sequence[Piece], tiles_per_task: int) -> list[list[Piece]]:
    """Tasks of about ``tiles_per_task`` tiles from tile ranges of windows (usually each
    window's whole plan, ``(plan, 0, len(plan.tiles))``): a range of more tiles is split into
    pieces of that many (one big site: many tasks); consecutive smaller ones share a task, so
    their tiles share inference batches. An empty range stays one empty piece.

    Raises:
        ConfigError: ``tiles_per_task`` under 1.
    """
    if tiles_per_task < 1:
        raise ConfigError(f"tiles per task must be at least 1, got {tiles_per_task}")
    tasks: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0
    for plan, first, last in ranges:
        for start in range(first, max(first + 1, last), tiles_per_task):
            stop = min(last, start + tiles_per_task)
            if current and size + stop - start > tiles_per_task:
                tasks.append(current)
                current, size = [], 0
            current.append((plan, start, stop))
            size += stop - start
    if current:
        tasks.append(current)
    return tasks


def missing_ranges(plan: TilePlan, kept: Sequence[TileParts]) -> list[Piece]:
    """The tile ranges of ``plan`` that ``kept`` (in order, not overlapping) leaves uncovered
    (a plan without tiles: one empty range, unless a piece is kept).

    >>> from pathlib import Path
    >>> import numpy as np
    >>> plan = TilePlan(path=Path("w.tif"), info=None, gsd_m=0.3, gsd_source="given",
    ...                 model_gsd_m=0.3, tile_px=128, overlap_px=60, scale=1.0, tiles=(None,) * 10)
    >>> part = lambda a, b: TileParts(start=a, stop=b, boxes=np.empty((0, 5)), scores=np.empty(0),
    ...                               labels=np.empty(0), cut=np.empty(0))
    >>> [(a, b) for _, a, b in missing_ranges(plan, [part(2, 4), part(6, 8)])]
    [(0, 2), (4, 6), (8, 10)]
    """
    if not plan.tiles:
        return [] if kept else [(plan, 0, 0)]
    gaps: list[Piece] = []
    covered = 0
    for part in kept:
        if part.start > covered:
            gaps.append((plan, covered, part.start))
        covered = part.stop
    if covered < len(plan.tiles):
        gaps.append((plan, covered, len(plan.tiles)))
    return gaps


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterResult:
    """What :func:`detect_on_cluster` computed.

    Attributes:
        records: Scene hash -> its detections.
        tasks_run: Tasks submitted to the cluster (0 when everything was cached).
        scenes_run: Scene windows detected (wholly or partly) by those tasks.
        cache_hits: Scenes whose result was already in the cache.
        tiles_run: Model tiles those tasks ran.
        tiles_reused: Tiles of unfinished windows taken from pieces kept by an earlier,
            interrupted run instead of being run again.
    """

    records: dict[str, tuple[DetectionRecord, ...]]
    tasks_run: int
    scenes_run: int
    cache_hits: int
    tiles_run: int = 0
    tiles_reused: int = 0


def default_tiles_per_task(options: DetectOptions, *, tiles: int, slots: int) -> int:
    """Tiles a task holds unless told: four inference batches (at least 16 tiles), but fewer
    when that would leave fewer than four tasks per worker thread (``slots``) for the run's
    ``tiles`` (idle workers waiting on the last task), and never less than one batch."""
    most = max(16, 4 * options.batch_size)
    spread = math.ceil(tiles / (4 * max(1, slots)))
    return max(options.batch_size, min(most, spread))


def detect_on_cluster(
    client: Any,
    scenes: Sequence[Scene],
    detector: Detector,
    source: DetectorSource,
    *,
    options: DetectOptions,
    cache: TaskCache,
    tiles_per_task: int | None = None,
) -> ClusterResult:
    """Detect ``scenes`` on the Dask cluster behind ``client``, skipping cached scenes.

    ``detector`` is the client's copy of what ``source`` loads on the workers: its hash keys the
    cache, and it plans each window's tiles here (:func:`sitewatch.detect.plan_tiles`), so
    that a window of more than ``tiles_per_task`` tiles becomes several tasks and small windows
    share one (:func:`pack_pieces`). Each window is merged here, once all its pieces are back,
    by :func:`sitewatch.detect.merge_tile_parts` (the same seams as one
    :func:`sitewatch.detect.detect_raster` run), and cached under its own key as soon as it is
    whole. Until then every piece that is back is cached on its own (:class:`TaskCache`), so
    an interrupted run keeps every window and every piece that finished, and the next run
    submits only the tiles still missing.

    Raises:
        WatchError: a task failed on every worker it was given (its error is named).
    """
    from distributed import as_completed

    params = DetectionRun.of(options, detector).to_json()
    records: dict[str, tuple[DetectionRecord, ...]] = {}
    todo: dict[str, tuple[Scene, str, TilePlan, str]] = {}
    arrived: dict[str, list[TileParts]] = {}
    by_sha = {scene.sha256: scene for scene in scenes}
    for sha, scene in by_sha.items():
        key = task_key(sha, detector.sha256, params)
        cached = cache.get(key)
        if cached is not None:
            records[sha] = cached
            continue
        plan = plan_tiles(scene.path, detector, gsd_m=scene.gsd_m, options=options)
        todo[str(scene.path)] = (scene, key, plan, pieces_key(key, plan))
        arrived[str(scene.path)] = cache.pieces(todo[str(scene.path)][3], plan)

    def finish_if_whole(path: str) -> bool:
        scene, key, plan, piece_key = todo[path]
        got = arrived[path]
        if sum(p.stop - p.start for p in got) < len(plan.tiles) or (not plan.tiles and not got):
            return False
        found = merge_tile_parts(plan, got, detector, options=options)
        result = [dataclasses.asdict(to_record(d)) for d in found.detections]
        cache.put(key, scene, result)
        cache.drop_pieces(piece_key)
        records[scene.sha256] = tuple(DetectionRecord(**r) for r in result)
        return True

    reused = sum(p.stop - p.start for got in arrived.values() for p in got)
    ranges: list[Piece] = []
    for path, (_, _, plan, _) in todo.items():
        if not finish_if_whole(path):  # whole already: every piece was kept by an earlier run
            ranges += missing_ranges(plan, arrived[path])
    if tiles_per_task is None:
        tiles_per_task = default_tiles_per_task(
            options, tiles=sum(stop - start for _, start, stop in ranges),
            slots=sum(client.nthreads().values()) if ranges else 1)
    tasks = pack_pieces(ranges, tiles_per_task)
    futures = {client.submit(detect_pieces, task, source, options, pure=False): task
               for task in tasks}
    for future in as_completed(list(futures)):
        task = futures[future]
        try:
            parts = future.result()
        except Exception as exc:
            names = ", ".join(f"{todo[str(p.path)][0].site} {todo[str(p.path)][0].date}"
                              for p, _, _ in task)
            raise WatchError(f"detection of {names} failed: {str(exc)[:300]}; finished scenes "
                             "and pieces are cached, so running the watch again continues from "
                             "here") from exc
        for (plan, _, _), part in zip(task, parts, strict=True):
            arrived[str(plan.path)].append(part)
            if not finish_if_whole(str(plan.path)):
                cache.put_piece(todo[str(plan.path)][3], part)
    return ClusterResult(records=records, tasks_run=len(futures), scenes_run=len(todo),
                         cache_hits=len(by_sha) - len(todo),
                         tiles_run=sum(stop - start for _, start, stop in ranges),
                         tiles_reused=reused)


#: Dask's own background work, turned down for a local cluster. With its defaults an idle
#: LocalCluster of 2 workers used 0.18 CPU cores here (client with scheduler 0.039, workers
#: 0.062, nannies 0.076: ``tools/watch_dask_cpu.py``, docs/watch.md); with these, 0.03. It
#: comes from a statistical profiler walking each task thread's stack every 10 ms, event-loop
#: health ticks every 20 ms in every process, a system monitor every 0.5 s and memory polls
#: every 0.1 s. They feed the dashboard and memory-pressure handling; a detection task's memory
#: is bounded by its tiles, and the polls still run, only less often.
QUIET_DASK: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def _quiet_dask_logs() -> None:
    """Keep the in-process scheduler's INFO lines (addresses, "please install
    jupyter-server-proxy") out of a user's terminal: Dask's own logging config sets
    ``distributed`` to INFO when it is imported; unless the user asked for INFO (``-v``), only its
    warnings and errors pass."""
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("distributed").setLevel(logging.WARNING)


@contextlib.contextmanager
def cluster_client(address: str | None, *, workers: int, threads_per_worker: int,
                   quiet: bool = True) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``address`` (``tcp://HOST:PORT``), or of a new
    LocalCluster of ``workers`` processes, closed on exit, started with :data:`QUIET_DASK`
    (``quiet=False``: Dask's own background settings, for measuring them).

    Raises:
        WatchError: the scheduler cannot be reached, or Dask is not installed.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise WatchError("sitewatch watch needs Dask: pip install 'sitewatch[watch]'") from None
    _quiet_dask_logs()
    if address:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise WatchError(f"cannot reach the Dask scheduler at {address}: {exc}; start it "
                             "(dask scheduler) or leave out --cluster for a local one") from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1 or threads_per_worker < 1:
        raise ConfigError(f"--workers {workers} and threads per worker {threads_per_worker} must "
                          "be at least 1")
    import dask

    with dask.config.set(QUIET_DASK if quiet else {}), \
            LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                         dashboard_address=":0", silence_logs=40) as cluster, \
            Client(cluster) as client:
        yield client
