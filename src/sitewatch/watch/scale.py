"""How the watch scales: many scene windows detected in one process against the same windows on
a Dask LocalCluster of 1 and 2 workers with the same cores (``sitewatch bench --scale``).

Both sides run the same task function (:func:`sitewatch.watch.scheduling.detect_scene`) on the
same files with the model loaded beforehand, so the ratio measures the engine's overhead
(scheduling, serialisation, processes) and any gain from running scenes side by side.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sitewatch.detect import DetectOptions
from sitewatch.watch.scheduling import DetectorSource, cluster_client, detect_scene, worker_detector


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalePoint:
    """One configuration timed.

    Attributes:
        engine: ``single-process`` or ``dask``.
        workers, model_threads: Worker processes and model threads in each (cores in all).
        scenes, tiles: Scene windows and model tiles detected.
        seconds: Wall time of the timed run (model already loaded).
        tiles_per_s: Throughput.
        share_of_single: Throughput over the single process's (1.0 for it).
    """

    engine: str
    workers: int
    model_threads: int
    scenes: int
    tiles: int
    seconds: float
    tiles_per_s: float
    share_of_single: float


def cut_scenes(scene: Path, folder: Path, *, count: int, side_px: int) -> list[Path]:
    """``count`` windows of ``side_px`` from ``scene`` on a grid, written as GeoTIFFs."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.windows import Window

    paths = []
    with warnings.catch_warnings(), rasterio.open(scene) as src:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a bench scene needs none
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


def _warm(source: DetectorSource) -> str:
    return worker_detector(source).name


def measure_scale(
    scene: Path, *, gsd_m: float, scenes: int = 24, side_px: int = 600,
    workers: tuple[int, ...] = (1, 2), model: str = "", cores: int | None = None,
) -> dict[str, Any]:
    """Time ``scenes`` windows of ``scene`` in one process, then on Dask with each worker count.

    Returns:
        JSON-ready: the setup and one :class:`ScalePoint` per configuration.
    """
    import warnings

    from sitewatch.detect import detect_raster

    cores = cores or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1)
    options = DetectOptions(prefetch_batches=0)
    points: list[ScalePoint] = []
    with tempfile.TemporaryDirectory(prefix="sitewatch-scale-") as tmp:
        paths = cut_scenes(scene, Path(tmp), count=scenes, side_px=side_px)
        single = DetectorSource(model=model, threads=cores)
        detector = worker_detector(single)
        start = time.perf_counter()
        tiles = sum(detect_raster(p, detector, gsd_m=gsd_m, options=options).tile_count
                    for p in paths)
        seconds = time.perf_counter() - start
        base = tiles / seconds
        points.append(ScalePoint(engine="single-process", workers=1, model_threads=cores,
                                 scenes=len(paths), tiles=tiles, seconds=round(seconds, 3),
                                 tiles_per_s=round(base, 3), share_of_single=1.0))
        for count in workers:
            source = DetectorSource(model=model, threads=max(1, cores // count))
            with warnings.catch_warnings(), \
                    cluster_client(None, workers=count, threads_per_worker=1) as client:
                warnings.simplefilter("ignore")  # Dask's notes on ports and memory limits
                client.run(_warm, source)
                start = time.perf_counter()
                futures = client.map(detect_scene, [str(p) for p in paths],
                                     [gsd_m] * len(paths), [source] * len(paths),
                                     [options] * len(paths), pure=False)
                client.gather(futures)
                seconds = time.perf_counter() - start
            rate = tiles / seconds
            points.append(ScalePoint(engine="dask", workers=count,
                                     model_threads=source.threads or 1, scenes=len(paths),
                                     tiles=tiles, seconds=round(seconds, 3),
                                     tiles_per_s=round(rate, 3),
                                     share_of_single=round(rate / base, 3)))
    return {"scene": str(scene), "gsd_m": gsd_m, "side_px": side_px, "cores": cores,
            "model": model or "default", "points": [asdict(p) for p in points]}
