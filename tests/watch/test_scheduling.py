"""Detection on a real Dask LocalCluster: cached by content, and a worker killed mid-run
changes nothing in the result."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import threading
import time
from pathlib import Path

import dask
import numpy as np
import pytest

from sitewatch.case import DetectionRun, to_record
from sitewatch.catalog import CaseStore, ingest_files
from sitewatch.detect import DetectOptions, detect_raster, detect_tiles, plan_tiles
from sitewatch.watch import DetectorSource, TaskCache, cluster_client, detect_on_cluster, task_key
from sitewatch.watch.cache import pieces_key

SLOW = DetectorSource(factory="tests.watch.detectors:SlowBlobDetector")
FAST = DetectorSource(factory="tests.watch.detectors:BlobDetector")


def _scene(path: Path, seed: int, side: int = 300) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    image = rng.integers(0, 90, (3, side, side), dtype=np.uint8)
    for _ in range(6 * (side // 300) ** 2):
        x, y = rng.integers(20, side - 40, 2)
        image[:, y:y + 12, x:x + 24] = 220
    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=3, dtype="uint8",
                       crs="EPSG:32637", transform=from_origin(408000.0, 5236000.0, 0.3, 0.3)) as dst:
        dst.write(image)
    return path


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    case = CaseStore.init(tmp_path / "case")
    for i in range(8):
        ingest_files(case, [_scene(tmp_path / f"s{i}.tif", i)], site="depot",
                     date=dt.date(2014, 1, 1) + dt.timedelta(days=i), source="generated")
    return case


OPTIONS = DetectOptions(prefetch_batches=0)


def test_cache_makes_a_rerun_submit_nothing(store: CaseStore, tmp_path: Path) -> None:
    detector = SLOW.load()
    cache = TaskCache(folder=tmp_path / "cache")
    with cluster_client(None, workers=2, threads_per_worker=1) as client:
        first = detect_on_cluster(client, store.scenes(), detector, SLOW, options=OPTIONS,
                                  cache=cache)
        second = detect_on_cluster(client, store.scenes(), detector, SLOW, options=OPTIONS,
                                   cache=cache)
        quiet = client.run(lambda: (dask.config.get("distributed.worker.profile.enabled"),
                                    dask.config.get("distributed.admin.tick.interval")))
        other = dataclasses.replace(OPTIONS, merge_iou=0.5)  # other options: other keys
        third = detect_on_cluster(client, store.scenes()[:2], detector, SLOW, options=other,
                                  cache=cache)
    assert (first.tasks_run, first.scenes_run, first.cache_hits) == (8, 8, 0)  # 16 tiles each
    assert (second.tasks_run, second.scenes_run, second.cache_hits) == (0, 0, 8)
    assert second.records == first.records
    assert sum(len(r) for r in first.records.values()) >= 40
    assert set(quiet.values()) == {(False, "1s")}  # the workers run with QUIET_DASK
    assert (third.tasks_run, third.scenes_run) == (8, 2)  # 32 tiles, 2 workers: 4 a task (a batch)
    assert task_key("a", "b", {"x": 1}) != task_key("a", "b", {"x": 2})


def test_killed_worker_gives_the_clean_result(store: CaseStore, tmp_path: Path) -> None:
    detector = SLOW.load()
    with cluster_client(None, workers=2, threads_per_worker=1) as client:
        clean = detect_on_cluster(client, store.scenes(), detector, SLOW, options=OPTIONS,
                                  cache=TaskCache(folder=tmp_path / "clean"))
        faulty_cache = TaskCache(folder=tmp_path / "faulty")
        killed: list[str] = []

        def kill_one_worker_mid_run() -> None:
            deadline = time.monotonic() + 60
            while not any(faulty_cache.folder.rglob("*.json")) and time.monotonic() < deadline:
                time.sleep(0.02)
            busy = [addr for addr, tasks in client.processing().items() if tasks]
            if busy:
                killed.append(busy[0])
                with contextlib.suppress(Exception):  # it dies before it can answer
                    client.run(os._exit, 1, workers=[busy[0]])

        killer = threading.Thread(target=kill_one_worker_mid_run)
        killer.start()
        faulty = detect_on_cluster(client, store.scenes(), detector, SLOW, options=OPTIONS,
                                   cache=faulty_cache)
        killer.join()
    assert killed, "no worker was busy to kill"
    assert faulty.tasks_run == 8
    assert faulty.records == clean.records


def test_windows_share_tasks_and_big_ones_are_split_with_the_same_result(
        store: CaseStore, tmp_path: Path) -> None:
    detector = FAST.load()
    scenes = store.scenes()
    big = ingest_files(store, [_scene(tmp_path / "big.tif", 99, side=1000)], site="depot",
                       date=dt.date(2014, 2, 1), source="generated").added[0]
    with cluster_client(None, workers=2, threads_per_worker=1) as client:
        shared = detect_on_cluster(client, scenes, detector, FAST, options=OPTIONS,
                                   cache=TaskCache(folder=tmp_path / "shared"), tiles_per_task=64)
        split = detect_on_cluster(client, [big], detector, FAST, options=OPTIONS,
                                  cache=TaskCache(folder=tmp_path / "split"), tiles_per_task=10)
    assert (shared.tasks_run, shared.scenes_run) == (2, 8)  # 8 windows of 16 tiles, 64 a task
    assert (split.tasks_run, split.scenes_run) == (26, 1)  # 256 tiles, 10 a task
    for scene in [*scenes, big]:  # each window as one detect_raster run gives it
        alone = detect_raster(scene.path, detector, gsd_m=scene.gsd_m, options=OPTIONS)
        got = (shared.records | split.records)[scene.sha256]
        assert got == tuple(to_record(d) for d in alone.detections)
    assert len(split.records[big.sha256]) >= 40


_CLIENT = """
import sys
from pathlib import Path

from sitewatch.catalog import CaseStore
from sitewatch.detect import DetectOptions
from sitewatch.watch import DetectorSource, TaskCache, cluster_client, detect_on_cluster

address, case, sha, cache = sys.argv[1:]
source = DetectorSource(factory="tests.watch.detectors:SlowBlobDetector")
scenes = [s for s in CaseStore.open(Path(case)).scenes() if s.sha256 == sha]
with cluster_client(address, workers=1, threads_per_worker=1) as client:
    detect_on_cluster(client, scenes, source.load(), source, options=DetectOptions(prefetch_batches=0),
                      cache=TaskCache(folder=Path(cache)), tiles_per_task=9)
"""


def test_a_client_killed_mid_window_keeps_its_pieces_and_the_rerun_runs_only_the_rest(
        store: CaseStore, tmp_path: Path) -> None:
    import subprocess
    import sys

    big = ingest_files(store, [_scene(tmp_path / "big.tif", 7, side=600)], site="depot",
                       date=dt.date(2014, 3, 1), source="generated").added[0]  # 81 tiles
    detector = FAST.load()  # the slow one's name and hash: the same cache keys
    root = Path(__file__).resolve().parents[2]
    clean_cache, resumed_cache = TaskCache(folder=tmp_path / "clean"), TaskCache(folder=tmp_path / "r")
    with cluster_client(None, workers=2, threads_per_worker=1) as client:
        clean = detect_on_cluster(client, [big], detector, FAST, options=OPTIONS, cache=clean_cache,
                                  tiles_per_task=9)
        # A client in its own process, on the same cluster, killed once three pieces are kept.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
        process = subprocess.Popen(
            [sys.executable, "-c", _CLIENT, client.scheduler.address, str(store.root), big.sha256,
             str(resumed_cache.folder)], env=env, cwd=root)
        deadline = time.monotonic() + 120
        while len(list(resumed_cache.folder.rglob("*.npz"))) < 3 and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        process.kill()
        assert process.wait() == -9, "the client finished before it was killed"
        kept = sorted(p.name for p in resumed_cache.folder.rglob("*.npz"))
        assert 3 <= len(kept) < 9 and not list(resumed_cache.folder.rglob("*.json"))
        resumed = detect_on_cluster(client, [big], detector, FAST, options=OPTIONS,
                                    cache=resumed_cache, tiles_per_task=9)
        again = detect_on_cluster(client, [big], detector, FAST, options=OPTIONS,
                                  cache=resumed_cache, tiles_per_task=9)
    assert (clean.tasks_run, clean.tiles_run, clean.tiles_reused) == (9, 81, 0)  # 9 tiles a piece
    assert resumed.tasks_run == 9 - len(kept)  # exactly the missing pieces
    assert (resumed.tiles_run, resumed.tiles_reused) == (81 - 9 * len(kept), 9 * len(kept))
    assert resumed.records == clean.records and len(clean.records[big.sha256]) >= 10
    key = task_key(big.sha256, detector.sha256, DetectionRun.of(OPTIONS, detector).to_json())
    assert resumed_cache.path(key).read_bytes() == clean_cache.path(key).read_bytes()
    assert not (resumed_cache.folder / "pieces").exists()  # dropped once the window is whole
    assert (again.tasks_run, again.cache_hits) == (0, 1)


def test_kept_pieces_that_are_damaged_or_overlap_are_run_again(store: CaseStore,
                                                                 tmp_path: Path) -> None:
    detector = FAST.load()
    scene = store.scenes()[0]  # 16 tiles
    plan = plan_tiles(scene.path, detector, gsd_m=scene.gsd_m, options=OPTIONS)
    params = DetectionRun.of(OPTIONS, detector).to_json()
    key = pieces_key(task_key(scene.sha256, detector.sha256, params), plan)
    cache = TaskCache(folder=tmp_path / "cache")
    for start, stop in ((0, 4), (2, 6), (8, 12)):  # 2..6 overlaps the first: left out
        cache.put_piece(key, detect_tiles([(plan, start, stop)], detector, options=OPTIONS)[0])
    (cache.pieces_folder(key) / "12-16.npz").write_bytes(b"not a zip")  # damaged: run again
    (cache.pieces_folder(key) / "4-8.3.part").write_bytes(b"")  # a write a crash cut short
    assert [(p.start, p.stop) for p in cache.pieces(key, plan)] == [(0, 4), (8, 12)]
    with cluster_client(None, workers=1, threads_per_worker=1) as client:
        got = detect_on_cluster(client, [scene], detector, FAST, options=OPTIONS, cache=cache,
                                tiles_per_task=4)
    assert (got.tasks_run, got.tiles_run, got.tiles_reused) == (2, 8, 8)  # 4..8 and 12..16
    alone = detect_raster(scene.path, detector, gsd_m=scene.gsd_m, options=OPTIONS)
    assert got.records[scene.sha256] == tuple(to_record(d) for d in alone.detections)
    assert not cache.pieces_folder(key).exists()


def test_cache_and_scheduling_examples() -> None:
    import doctest

    from sitewatch.watch import cache, scheduling

    for module in (cache, scheduling):
        assert doctest.testmod(module).failed == 0
