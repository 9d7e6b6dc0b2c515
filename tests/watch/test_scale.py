"""``sitewatch bench --scale`` in miniature: interleaved rounds, the ratio taken within a round,
and the model loaded once per worker however many tasks it runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitewatch.watch import measure_scale


def test_interleaved_rounds_compare_within_a_round(tmp_path: Path) -> None:
    import rasterio

    scene = tmp_path / "scene.tif"
    image = np.random.default_rng(1).integers(0, 255, (3, 300, 900), dtype=np.uint8)
    with rasterio.open(scene, "w", driver="GTiff", width=900, height=300, count=3,
                       dtype="uint8") as dst:
        dst.write(image)
    notes: list[str] = []
    report = measure_scale(scene, gsd_m=0.3, scenes=3, side_px=300, workers=(1,), cores=1,
                           rounds=2, tiles_per_task=1, note=notes.append)
    points = report["points"]
    assert [(p["round"], p["engine"]) for p in points] == [
        (0, "single-process"), (0, "dask"), (1, "dask"), (1, "single-process")]  # rotated
    assert len(notes) == 4 and report["tasks"] == 3
    for p in points:
        single = next(q for q in points if q["round"] == p["round"] and q["engine"] == "single-process")
        assert p["share_of_single"] == round(p["tiles_per_s"] / single["tiles_per_s"], 3)
        assert p["cpu_share_of_single"] == round(single["cpu_s"] / p["cpu_s"], 3)
        # the model's CPU time is counted in the process that ran it: as much as the same tiles
        # cost in one process, give or take (processor time, so the machine's load cannot fail it)
        assert p["cpu_s"] >= 0.5 * single["cpu_s"]
        assert p["tiles"] == 3 and 0 < p["compute_s"] <= p["seconds"] * p["workers"]
        assert p["idle_s"] == pytest.approx(p["seconds"] * p["workers"] - p["compute_s"] - p["engine_s"],
                                            abs=0.003)
    dask = report["summary"]["dask 1 x 1"]
    assert dask["model_loads_per_worker"] == [1]  # once per worker, not per task
    assert dask["min_share"] <= dask["median_share_of_single"] <= dask["max_share"]
    assert len(report["load_average_before"]) == 3


def test_engine_cpu_is_counted_per_process_kind(tmp_path: Path) -> None:
    import rasterio

    from sitewatch.watch import measure_engine_cpu

    scene = tmp_path / "scene.tif"
    image = np.random.default_rng(2).integers(0, 255, (3, 300, 600), dtype=np.uint8)
    with rasterio.open(scene, "w", driver="GTiff", width=600, height=300, count=3,
                       dtype="uint8") as dst:
        dst.write(image)
    report = measure_engine_cpu(scene, gsd_m=0.3, scenes=2, side_px=300, workers=1,
                                tiles_per_task=1, idle_s=1.0)
    assert report["tasks"] == 2 and report["dask_defaults"] is False
    assert set(report["idle_cpu_s"]) == set(report["run_cpu_s"]) == {"client", "workers", "nannies"}
    assert report["run_cpu_s"]["workers"] > report["idle_cpu_s"]["workers"]  # the model ran there
    assert report["same_tasks_in_one_process_cpu_s"] > 0


def test_cutting_a_scene_without_georeference_warns_nobody(tmp_path: Path) -> None:
    """`bench --scale` printed rasterio's NotGeoreferencedWarning, a line naming a file inside
    the installation: the scene was opened before the filter was set."""
    import warnings

    import cv2

    from sitewatch.watch.scale import cut_scenes

    scene = tmp_path / "scene.png"
    cv2.imwrite(str(scene), np.random.default_rng(0).integers(0, 255, (96, 96), dtype=np.uint8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = cut_scenes(scene, tmp_path, count=2, side_px=48)
    assert len(paths) == 2
    assert not [str(w.message) for w in caught if "georeference" in str(w.message).lower()
                or "geotransform" in str(w.message)]
