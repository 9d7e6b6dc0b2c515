"""Two detectors as one: the combination rules and the combined detector on real pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitewatch.detect import Detection, Detector, VehicleClass, detect_raster
from sitewatch.detect.ensemble import CombinedDetector, CombineRules, combine, cross_iou
from sitewatch.detect.types import detections_to_arrays
from sitewatch.errors import ConfigError
from tests.detect.fakes import BlobDetector, planted_scene

ORDER = tuple(VehicleClass)
TANK, CAR, VEH = (ORDER.index(v) for v in (VehicleClass.ARMORED_VEHICLE,
                                           VehicleClass.CIVILIAN_VEHICLE, VehicleClass.VEHICLE))


def _arrays(rows: list[tuple[float, float, float, int]]) -> tuple[np.ndarray, ...]:
    """Boxes 8×4 px at (cx, cy), with scores and label ids."""
    return (np.array([[x, y, 8, 4, 0.0] for x, y, _, _ in rows]).reshape(-1, 5),
            np.array([s for _, _, s, _ in rows]), np.array([k for *_, k in rows], np.intp))


def test_cross_iou_matches_shifted_boxes_and_ignores_far_ones() -> None:
    a = np.array([[10, 10, 8, 4, 0.0], [10, 10, 8, 4, np.pi / 2]])
    b = np.array([[10, 10, 8, 4, 0.0], [100, 100, 8, 4, 0.0]])
    iou = cross_iou(a, b)
    assert iou.shape == (2, 2)
    assert iou[0, 0] == pytest.approx(1.0)
    assert iou[1, 0] == pytest.approx(16 / 48)  # a cross: 4×4 shared of 32 + 32 - 16
    assert (iou[:, 1] == 0).all()
    assert cross_iou(np.empty((0, 5)), b).shape == (0, 2)


def test_rules_off_keep_the_primary_unchanged() -> None:
    primary = _arrays([(10, 10, 0.2, TANK), (40, 40, 0.9, CAR)])
    secondary = _arrays([(10, 10, 0.9, VEH), (80, 80, 0.9, VEH)])
    boxes, scores, labels = combine(primary, secondary, CombineRules(add_unmatched=False))
    assert labels.tolist() == [TANK, CAR] and scores.tolist() == [0.2, 0.9]
    np.testing.assert_array_equal(boxes, primary[0])


def test_each_rule_does_only_its_own_job() -> None:
    primary = _arrays([(10, 10, 0.2, TANK),    # weak, confirmed: relabel
                       (40, 40, 0.2, TANK),    # weak, unconfirmed: veto
                       (60, 60, 0.9, TANK),    # strong, unconfirmed: kept
                       (70, 10, 0.9, TANK)])   # strong, confirmed: kept as tank
    secondary = _arrays([(10, 10, 0.9, VEH), (70, 10, 0.9, VEH),
                         (90, 90, 0.9, VEH),   # alone: added
                         (90, 10, 0.1, VEH)])  # too weak to count
    rules = CombineRules(relabel_below=0.5, veto_below=0.5, add_unmatched=True)
    boxes, scores, labels = combine(primary, secondary, rules)
    assert labels.tolist() == [CAR, TANK, TANK, VEH]
    assert boxes[:, :2].tolist() == [[10, 10], [60, 60], [70, 10], [90, 90]]
    assert scores.tolist() == [0.2, 0.9, 0.9, 0.9]
    # a secondary box that touches a primary box is never added as a second vehicle
    touching = _arrays([(13, 10, 0.9, VEH)])
    assert len(combine(primary, touching, CombineRules())[0]) == 4


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ConfigError, match="match_iou=0"):
        CombineRules(match_iou=0)
    with pytest.raises(ValueError):
        CombineRules(added_label="tank")  # type: ignore[arg-type]


class _Labelled:
    """The blob detector with every box labelled ``label`` and scored ``score``."""

    def __init__(self, inner: BlobDetector, label: VehicleClass, score: float) -> None:
        self.inner, self.label, self.score = inner, label, score
        self.name, self.sha256 = f"blob-{label.value}", label.value[0] * 64
        self.gsd_m, self.tile_px = inner.gsd_m, inner.tile_px
        self.seen: list[tuple[int, int]] = []

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        self.seen += [t.shape[:2] for t in tiles]
        out = self.inner.detect_batch(tiles)
        return [tuple(Detection(box=d.box, label=self.label, score=self.score) for d in found)
                for found in out]


def test_combined_detector_runs_the_secondary_at_its_own_scale(tmp_path: Path) -> None:
    primary = _Labelled(BlobDetector(gsd_m=0.3, tile_px=64), VehicleClass.ARMORED_VEHICLE, 0.2)
    secondary = _Labelled(BlobDetector(gsd_m=0.15, tile_px=128), VehicleClass.VEHICLE, 0.9)
    combined = CombinedDetector(primary, secondary, rules=CombineRules(relabel_below=0.5))
    assert isinstance(combined, Detector)
    assert combined.secondary_gsd_m == pytest.approx(0.15)
    assert combined.name == "blob-armored_vehicle+blob-vehicle@0.15"
    assert combined.sha256 == "a" * 64 + "+" + "v" * 64
    tile = np.full((64, 64, 3), 20, np.uint8)
    tile[20:24, 10:26] = 230
    (found,) = combined.detect_batch([tile])
    assert secondary.seen == [(128, 128)]
    (car,) = found
    assert car.label is VehicleClass.CIVILIAN_VEHICLE and car.score == 0.2
    boxes, _, _ = detections_to_arrays(found)
    (alone,) = primary.inner.detect_batch([tile])[0]
    assert boxes[0, 0] == pytest.approx(alone.box.cx_px, abs=0.6)  # mapped back to 0.3 m
    assert boxes[0, 2] == pytest.approx(alone.box.width_px, abs=1.0)
    # and through tiled detection of a whole raster, unchanged
    scene = planted_scene(tmp_path / "s.tif", width=200, height=150,
                          centres=[(40, 40), (150, 100)], gsd_m=0.3)
    result = detect_raster(scene, combined)
    assert result.model_sha256 == combined.sha256
    assert sorted(d.label.value for d in result.detections) == ["civilian_vehicle"] * 2


def test_a_secondary_input_too_small_is_refused() -> None:
    primary = BlobDetector(gsd_m=0.3, tile_px=512)
    secondary = BlobDetector(gsd_m=0.05, tile_px=1024)
    with pytest.raises(ConfigError, match=r"0\.15 m or coarser"):
        CombinedDetector(primary, secondary, rules=CombineRules(), secondary_gsd_m=0.1)
