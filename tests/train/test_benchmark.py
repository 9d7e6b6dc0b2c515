from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitewatch.errors import ConfigError, ModelError
from sitewatch.imagery import RasterReader, Tile
from sitewatch.train.benchmark import (
    BenchConfig,
    consensus_set,
    mirrored_scene,
    recall_against,
    run_benchmark,
)
from tests.detect.fakes import BlobDetector, planted_scene


def test_consensus_recall() -> None:
    a = (
        np.array([[0, 0, 10, 10], [20, 0, 30, 10], [50, 50, 60, 60]], float),
        np.array([0.9, 0.6, 0.3]),
    )
    b = (np.array([[1, 0, 11, 10], [80, 80, 90, 90]], float), np.array([0.8, 0.7]))
    reference = consensus_set([a, b])
    # Consensus: {0,0,10,10}~{1,0,11,10}, {20,0,30,10}, {80,80,90,90}.
    assert len(reference) == 3
    assert recall_against(reference, a, score_threshold=0.25) == pytest.approx(2 / 3, abs=1e-4)
    assert recall_against(reference, b, score_threshold=0.25) == pytest.approx(2 / 3, abs=1e-4)
    assert recall_against(reference, b, score_threshold=0.75) == pytest.approx(1 / 3, abs=1e-4)
    assert recall_against(reference[:0], a, score_threshold=0.25) is None


def test_mirrored_scene_is_resized_and_mirrored(tmp_path: Path) -> None:
    src = planted_scene(tmp_path / "s.tif", width=100, height=80, centres=[(20.0, 20.0)])
    out = tmp_path / "big.tif"
    assert mirrored_scene(src, out, factor=2.0, side_px=300) == (400, 320)
    with RasterReader(out) as big, RasterReader(src) as small:
        full = big.read_rgb(Tile(x0_px=0, y0_px=0, width_px=400, height_px=320))
        orig = small.read_rgb(Tile(x0_px=0, y0_px=0, width_px=100, height_px=80))
    np.testing.assert_array_equal(full[:, :200], full[:, 200:][:, ::-1])
    np.testing.assert_array_equal(full[:160], full[160:][::-1])
    assert abs(int(full[::2, ::2][:80, :100].astype(int).mean()) - int(orig.mean())) <= 2


def test_sitewatch_only_run(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    centres = [(float(x), float(y)) for x, y in rng.integers(20, 280, size=(12, 2))]
    src = planted_scene(tmp_path / "s.tif", width=300, height=300, centres=centres)
    config = BenchConfig(gsd_m=0.3, side_px=600, tile_px=256, repeats=2)
    report = run_benchmark(src, [BlobDetector(gsd_m=0.3, tile_px=256)], weights=None, config=config)
    assert report["scene_px"] == [600, 600]
    assert report["area_km2"] == pytest.approx(600 * 600 * 0.09 / 1e6, abs=1e-4)
    assert len(report["sitewatch_seconds_all"]) == 2 and report["sitewatch_km2_per_s"] > 0
    assert report["sitewatch_recall"] == 1.0 and "ratio" not in report
    assert "baseline_skipped" in report and report["cores"] >= 1


def test_bad_config_and_wrong_weights(tmp_path: Path) -> None:
    src = planted_scene(tmp_path / "s.tif", width=50, height=50, centres=[])
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    with pytest.raises(ConfigError):
        run_benchmark(src, [detector], weights=None, config=BenchConfig(side_px=10))
    fake = tmp_path / "w.pt"
    fake.write_bytes(b"not the weights")
    with pytest.raises(ModelError, match="not the weights"):
        run_benchmark(src, [detector], weights=fake, config=BenchConfig(side_px=256, tile_px=256))


def test_network_alone_runs_the_pipelines_batches(tmp_path: Path) -> None:
    """The network-alone timing runs the real model on as many tiles, in batches of the same
    sizes, as the pipeline, and reports the pipeline's share of its throughput."""
    from sitewatch.detect import OnnxDetector, load_detector

    class Counting(OnnxDetector):
        def __init__(self, base: OnnxDetector) -> None:
            super().__init__(base.card, threads=1)
            self.pipeline: list[int] = []
            self.network: list[int] = []

        def detect_arrays(self, tiles: list[np.ndarray]) -> list:  # type: ignore[type-arg]
            self.pipeline.append(len(tiles))
            return super().detect_arrays(tiles)

        def run_network(self, batch: np.ndarray) -> None:
            self.network.append(len(batch))
            super().run_network(batch)

    loaded = load_detector(threads=1)
    assert isinstance(loaded, OnnxDetector)
    detector = Counting(loaded)
    src = planted_scene(tmp_path / "s.tif", width=300, height=300, centres=[(50.0, 60.0)])
    config = BenchConfig(gsd_m=detector.gsd_m, side_px=1400, tile_px=detector.tile_px, repeats=1,
                         batch_size=4, threads=1)
    report = run_benchmark(src, [detector], weights=None, config=config)
    # pipeline: a warm-up on a one-tile-wide scene (600 px: 2 × 2 tiles), then the timed run;
    # network: its own warm-up, then its timed run, each over the timed run's batches
    warm_up, timed = detector.pipeline[0], detector.pipeline[1:]
    assert warm_up == 4 and len(timed) >= 3 and max(timed) == 4 and sum(timed) > 8
    assert sorted(detector.network) == sorted(timed * 2)
    share = report["sitewatch_share_of_network"]
    assert 0 < share < 1.5 and report["sitewatch_network_seconds"] > 0
    assert "sitewatch_network_recall" not in report
