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
it was running (Dask gives them to another worker; a crashed client finds the finished windows
in the cache). Only the client writes: the cache files, then each site's case through
:func:`sitewatch.case.detect_case`, so no two processes ever write one SQLite file.

Workers read the cutouts from the watch folder by path: a remote cluster (``--cluster``) must
mount that folder at the same path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
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


def task_key(scene_sha256: str, model_sha256: str, params: Mapping[str, Any]) -> str:
    """The cache key of a detection task: its input's content, the model and the options.

    >>> task_key("a" * 64, "b" * 64, {"batch_size": 4})[:12]
    '5c3ae1c8f0a3'
    """
    text = json.dumps({"scene_sha256": scene_sha256, "model_sha256": model_sha256,
                       "params": params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


#: One piece of a task: tiles ``start``..``stop`` (exclusive) of a scene window's tile plan.
Piece = tuple[TilePlan, int, int]


def detect_pieces(pieces: Sequence[Piece], source: DetectorSource, options: DetectOptions
                  ) -> list[TileParts]:
    """One task, run on a worker: the tiles of its pieces, batched together across the scene
    windows they come from, returned unmerged (the client merges each window once it has all
    of its pieces)."""
    return detect_tiles(pieces, worker_detector(source), options=options)


def pack_pieces(plans: Sequence[TilePlan], tiles_per_task: int) -> list[list[Piece]]:
    """Tasks of about ``tiles_per_task`` tiles: a window with more is split into pieces of that
    many tiles (one big site: many tasks); consecutive smaller windows share a task, so their
    tiles share inference batches.

    Raises:
        ConfigError: ``tiles_per_task`` under 1.
    """
    if tiles_per_task < 1:
        raise ConfigError(f"tiles per task must be at least 1, got {tiles_per_task}")
    tasks: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0
    for plan in plans:
        for start in range(0, max(1, len(plan.tiles)), tiles_per_task):
            stop = min(len(plan.tiles), start + tiles_per_task)
            if current and size + stop - start > tiles_per_task:
                tasks.append(current)
                current, size = [], 0
            current.append((plan, start, stop))
            size += stop - start
    if current:
        tasks.append(current)
    return tasks


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskCache:
    """Finished task results, one JSON file per key under ``folder``, written atomically."""

    folder: Path

    def path(self, key: str) -> Path:
        """Where the result of task ``key`` is kept."""
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[DetectionRecord, ...] | None:
        """The cached records of ``key``, or None when not done (or damaged: done again)."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
            return tuple(DetectionRecord(**r) for r in data["detections"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, scene: Scene, records: Sequence[dict[str, Any]]) -> None:
        """Keep a task's result (the scene named for whoever reads the cache)."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.part")
        temporary.write_text(json.dumps({"scene_sha256": scene.sha256, "site": scene.site,
                                         "detections": list(records)}, sort_keys=True),
                             encoding="utf-8")
        temporary.replace(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterResult:
    """What :func:`detect_on_cluster` computed.

    Attributes:
        records: Scene hash -> its detections.
        tasks_run: Tasks submitted to the cluster (0 when everything was cached).
        scenes_run: Scene windows detected by those tasks.
        cache_hits: Scenes whose result was already in the cache.
    """

    records: dict[str, tuple[DetectionRecord, ...]]
    tasks_run: int
    scenes_run: int
    cache_hits: int


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
    whole, so an interrupted run keeps every window that finished.

    Raises:
        WatchError: a task failed on every worker it was given (its error is named).
    """
    from distributed import as_completed

    params = DetectionRun.of(options, detector).to_json()
    records: dict[str, tuple[DetectionRecord, ...]] = {}
    todo: dict[str, tuple[Scene, str, TilePlan]] = {}
    by_sha = {scene.sha256: scene for scene in scenes}
    for sha, scene in by_sha.items():
        key = task_key(sha, detector.sha256, params)
        cached = cache.get(key)
        if cached is not None:
            records[sha] = cached
            continue
        todo[str(scene.path)] = (scene, key, plan_tiles(scene.path, detector, gsd_m=scene.gsd_m,
                                                         options=options))
    plans = [plan for _, _, plan in todo.values()]
    if tiles_per_task is None:
        tiles_per_task = default_tiles_per_task(
            options, tiles=sum(len(p.tiles) for p in plans),
            slots=sum(client.nthreads().values()) if plans else 1)
    tasks = pack_pieces(plans, tiles_per_task)
    futures = {client.submit(detect_pieces, task, source, options, pure=False): task
               for task in tasks}
    arrived: dict[str, list[TileParts]] = {path: [] for path in todo}
    for future in as_completed(list(futures)):
        task = futures[future]
        try:
            parts = future.result()
        except Exception as exc:
            names = ", ".join(f"{todo[str(p.path)][0].site} {todo[str(p.path)][0].date}"
                              for p, _, _ in task)
            raise WatchError(f"detection of {names} failed: {str(exc)[:300]}; finished scenes "
                             "are cached, so running the watch again continues from here") from exc
        for (plan, _, _), part in zip(task, parts, strict=True):
            got = arrived[str(plan.path)]
            got.append(part)
            if sum(p.stop - p.start for p in got) < len(plan.tiles):
                continue
            scene, key, _ = todo[str(plan.path)]
            found = merge_tile_parts(plan, got, detector, options=options)
            result = [dataclasses.asdict(to_record(d)) for d in found.detections]
            cache.put(key, scene, result)
            records[scene.sha256] = tuple(DetectionRecord(**r) for r in result)
    return ClusterResult(records=records, tasks_run=len(futures), scenes_run=len(todo),
                         cache_hits=len(by_sha) - len(todo))


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
