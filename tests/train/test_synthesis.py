"""Tests of chips, D4 transforms, layout pasting and tile composition, on planted pixels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.detect.types import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo.coords import OrientedBoxPx
from sitewatch.train.backgrounds import Background, random_cell
from sitewatch.train.chips import chips_by_class, cut_chips, transform_chip
from sitewatch.train.layouts import Layout, LayoutBox
from sitewatch.train.mixing import TileMix, synthesize
from sitewatch.train.resample import resample_sample
from sitewatch.train.samples import TrainBox, TrainingSample
from sitewatch.train.synth import Cell, SynthConfig, compose_tile, d4, paste_layout

ARMOUR = VehicleClass.ARMORED_VEHICLE


def _box(x0: float, y0: float, x1: float, y1: float, label: VehicleClass = ARMOUR) -> TrainBox:
    return TrainBox(
        box=OrientedBoxPx(
            cx_px=(x0 + x1) / 2, cy_px=(y0 + y1) / 2, width_px=x1 - x0, height_px=y1 - y0,
            angle_rad=0.0,
        ),
        label=label,
    )  # fmt: skip


def _planted(side: int = 64) -> TrainingSample:
    """Dark ground with one bright 20×10 'vehicle' at (10..30, 20..30)."""
    image = np.full((side, side, 3), 40, np.uint8)
    image[20:30, 10:30] = 250
    return TrainingSample(image=image, boxes=(_box(10, 20, 30, 30),), source="planted")


def _inside_mean(image: np.ndarray, box: OrientedBoxPx, shrink: float = 0.6) -> float:
    """Mean brightness of the image over the box shrunk about its centre."""
    import cv2

    small = OrientedBoxPx(
        cx_px=box.cx_px, cy_px=box.cy_px, width_px=box.width_px * shrink,
        height_px=box.height_px * shrink, angle_rad=box.angle_rad,
    )  # fmt: skip
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(small.corners_px()).astype(np.int32)], 1)
    return float(image[..., 0][mask > 0].mean())


def test_cut_chip_has_margin_and_soft_mask() -> None:
    (chip,) = cut_chips(_planted(), gsd_m=0.3, margin_frac=0.2, min_margin_px=3)
    assert chip.image.shape[:2] == chip.alpha.shape == (16, 26)
    assert chip.alpha[8, 13] == 1.0
    assert chip.alpha[0, 0] == 0.0
    assert 0 < chip.alpha[1, 13] < 1
    assert chip.box.bounds_px() == (3.0, 3.0, 23.0, 13.0)
    assert chip.label is ARMOUR


@given(
    scale=st.floats(0.5, 2.0),
    angle=st.floats(-math.pi, math.pi),
    flip=st.booleans(),
)
@settings(max_examples=30, deadline=None)
def test_transform_chip_box_follows_pixels(scale: float, angle: float, flip: bool) -> None:
    (chip,) = cut_chips(_planted(), gsd_m=0.3)
    image, alpha, box = transform_chip(chip, scale=scale, angle_rad=angle, flip=flip)
    assert image.shape[:2] == alpha.shape
    assert box.width_px == pytest.approx(20 * scale)
    assert _inside_mean(image, box) > 200
    x0, y0, x1, y1 = box.bounds_px()
    assert x0 >= -1 and y0 >= -1 and x1 <= image.shape[1] + 1 and y1 <= image.shape[0] + 1


@given(turns=st.integers(0, 7), mirror=st.booleans())
@settings(max_examples=16, deadline=None)
def test_d4_moves_boxes_with_pixels(turns: int, mirror: bool) -> None:
    sample = _planted()
    image, boxes = d4(sample.image, sample.boxes, quarter_turns=turns, mirror=mirror)
    assert _inside_mean(image, boxes[0].box, shrink=0.7) == 250
    back, back_boxes = d4(image, boxes, quarter_turns=(4 - turns % 4) % 4, mirror=False)
    if not mirror:
        np.testing.assert_array_equal(back, sample.image)
        assert back_boxes[0].box.bounds_px() == pytest.approx(sample.boxes[0].box.bounds_px())


def test_resample_scales_image_and_boxes() -> None:
    out = resample_sample(_planted(), from_gsd_m=0.15, to_gsd_m=0.3)
    assert out.image.shape == (32, 32, 3)
    assert out.boxes[0].box.bounds_px() == (5.0, 10.0, 15.0, 15.0)
    with pytest.raises(ConfigError, match="positive"):
        resample_sample(_planted(), from_gsd_m=0.0, to_gsd_m=0.3)


def test_paste_layout_places_chips_at_true_size_without_overlap() -> None:
    chips = chips_by_class(cut_chips(_planted(), gsd_m=0.3))
    cell = np.full((128, 128, 3), 40, np.uint8)
    layout = Layout(
        boxes=(
            LayoutBox(cx=0.25, cy=0.25, w=0.1, h=0.05, label=ARMOUR),
            LayoutBox(cx=0.26, cy=0.25, w=0.1, h=0.05, label=ARMOUR),  # overlaps the first
            LayoutBox(cx=0.7, cy=0.7, w=0.05, h=0.1, label=ARMOUR),  # upright: turned chip
            LayoutBox(cx=0.5, cy=0.9, w=0.1, h=0.1, label=VehicleClass.CIVILIAN_VEHICLE),
        ),
        source="test",
    )
    config = SynthConfig(
        gsd_m=0.3, cell_px=128, layout_side_m=38.4, size_jitter=0.0, max_turn_deg=0, drop_prob=0
    )
    boxes = paste_layout(np.random.default_rng(1), cell, layout, chips, config=config)
    assert len(boxes) == 2  # overlap skipped, no civilian chip
    for b in boxes:
        assert _inside_mean(cell, b.box) > 200
        assert {round(b.box.width_px), round(b.box.height_px)} == {20, 10}
    x0, y0, x1, y1 = boxes[1].box.bounds_px()
    assert y1 - y0 > x1 - x0


def test_paste_layout_turns_the_whole_layout() -> None:
    """A turned layout keeps its row: vehicles and the line through them turn together."""
    chips = chips_by_class(cut_chips(_planted(), gsd_m=0.3))
    row = Layout(boxes=tuple(LayoutBox(cx=0.3 + 0.2 * k, cy=0.5, w=0.1, h=0.05, label=ARMOUR)
                             for k in range(3)), source="row")
    config = SynthConfig(gsd_m=0.3, cell_px=128, layout_side_m=38.4, size_jitter=0.0,
                         max_turn_deg=0, layout_turn_deg=45, drop_prob=0)
    turned = 0
    for seed in range(6):
        cell = np.full((128, 128, 3), 40, np.uint8)
        boxes = paste_layout(np.random.default_rng(seed), cell, row, chips, config=config)
        assert len(boxes) == 3
        for b in boxes:
            assert _inside_mean(cell, b.box) > 200
        first, last = boxes[0].box, boxes[-1].box
        row_angle = math.atan2(last.cy_px - first.cy_px, last.cx_px - first.cx_px)
        along = (first.angle_rad if first.width_px >= first.height_px
                 else first.angle_rad + math.pi / 2)
        # each vehicle lies along the row (modulo a half turn), however far the row turned
        assert abs(math.sin(along - row_angle)) < 0.05
        turned += abs(math.sin(row_angle)) > math.sin(math.radians(16))
    assert turned >= 2  # some rows turned beyond what max_turn_deg alone allows


def test_compose_tile_and_synthesize() -> None:
    sample = _planted()
    chips = chips_by_class(cut_chips(sample, gsd_m=0.3))
    config = SynthConfig(gsd_m=0.3, cell_px=64, layout_side_m=19.2)
    layout = Layout(boxes=(LayoutBox(cx=0.5, cy=0.5, w=0.3, h=0.15, label=ARMOUR),), source="l")
    rng = np.random.default_rng(0)
    ground = np.full((64, 64, 3), 90, np.uint8)
    cells = [Cell(image=ground.copy(), boxes=(), source=f"g{k}", paste=True) for k in range(4)]
    tile = compose_tile(rng, cells, [layout], chips, config=config)
    assert tile.image.shape == (128, 128, 3)
    assert len(tile.boxes) >= 3
    for b in tile.boxes:
        assert _inside_mean(tile.image, b.box) > 180
    with pytest.raises(ConfigError, match="4 cells"):
        compose_tile(rng, cells[:3], [layout], chips, config=config)
    tiles = list(
        synthesize(
            rng,
            real=[Background.from_sample(sample, paste=False)],
            grounds=[Background(image=ground, boxes=(), source="ground")],
            negatives=[],
            layouts=[layout],
            chips=chips,
            n_tiles=3,
            config=config,
            mix=TileMix(real_cell_prob=0.5, negative_cell_prob=0.0),
        )
    )
    assert len(tiles) == 3
    assert all(t.source.startswith("synthetic:") for t in tiles)


def test_random_cell_never_cuts_a_known_vehicle() -> None:
    sample = _planted(side=64)
    background = Background.from_sample(sample, paste=True)
    rng = np.random.default_rng(3)
    for _ in range(20):
        cell = random_cell(rng, background, cell_px=40)
        assert cell.image.shape == (40, 40, 3)
        for b in cell.boxes:
            assert _inside_mean(cell.image, b.box, shrink=0.7) == 250
        if not cell.boxes:
            assert (cell.image == 250).sum() == 0


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        SynthConfig(gsd_m=0)
    with pytest.raises(ConfigError):
        TileMix(real_cell_prob=0.8, negative_cell_prob=0.5)
    with pytest.raises(ConfigError, match="uint8"):
        TrainingSample(image=np.zeros((4, 4), np.uint8), boxes=(), source="bad")
