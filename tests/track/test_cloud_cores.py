"""A cloud is masked whole, also over ground as bright as the cloud (issue 18).

A soft cloud (the opacity profile of ``tools/series_pixels.render_date``: 0.95 in the middle,
fading to nothing at 1.3 radii) is drawn over a white roof and over pale paving, on one date
of four. Within 0.85 of its radius (opacity above about 0.4) a vehicle is not observable, so
that core must be hidden (cloud or washed out) almost entirely, while the same ground on the
clear dates stays seen. Before the cloud rule grew into a cloud's soft edge and small
patches of lost detail on a date between two others were taken as cloud, the roof's core was
not marked at all (the drawn paving's was, already: that case guards against a regression);
a box there would have been claimed.

With ``../shared/data`` the two MVRSD series where that was measured are checked too.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.imagery import Registration, RegistrationMethod
from sitewatch.imagery.registration import IDENTITY_MATRIX
from sitewatch.track import Observation
from sitewatch.track.visibility import Visibility, measure_visibility
from tests.shared_data import needs_shared_data, shared_path_or_skip

SIDE = 480
GSD_M = 0.12  # MVRSD's: a 10 m cloud width is 83 px, wider than the roof cloud's core
TOOLS = Path(__file__).resolve().parents[2] / "tools"


def _noise(rng: np.random.Generator, sigma_px: float) -> np.ndarray:
    n = cv2.GaussianBlur(rng.normal(0, 1, (SIDE, SIDE)).astype(np.float32), (0, 0), sigma_px)
    return n / n.std()


def _scene(surface: str) -> np.ndarray:
    """Textured dark ground with a white roof (seams, vents) or pale, faintly textured paving
    in the middle."""
    rng = np.random.default_rng(5)
    img = 95 + 20 * _noise(rng, 1.2) + 15 * _noise(rng, 15)
    for x in range(20, SIDE, 70):  # a few dark vehicles on the open ground
        img[30:50, x : x + 40] = 40
    y0, y1, x0, x1 = 110, 370, 100, 380
    if surface == "roof":
        img[y0:y1, x0:x1] = 226 + 3 * _noise(rng, 1.0)[y0:y1, x0:x1]
        img[y0:y1:24, x0:x1] -= 45  # seams
        for vy in range(y0 + 30, y1 - 20, 60):
            for vx in range(x0 + 30, x1 - 20, 60):
                img[vy : vy + 8, vx : vx + 8] = 120  # vents
    else:
        img[y0:y1, x0:x1] = 200 + 12 * _noise(rng, 1.0)[y0:y1, x0:x1] + 6 * _noise(
            rng, 8)[y0:y1, x0:x1]
        img[y0:y1:40, x0:x1] -= 25  # joints
        img[y0:y1, x0:x1:40] -= 25
    return img.astype(np.float32)


def _clouded(img: np.ndarray, cx: float, cy: float, r: float, seed: int) -> np.ndarray:
    """``render_date``'s cloud: opacity 0.95 × clip(1.3 - d / r, 0, 1), grey 235, faint texture."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    alpha = np.clip(1.3 - np.hypot(xx - cx, yy - cy) / r, 0, 1) * 0.95
    texture = cv2.GaussianBlur(np.random.default_rng(seed).normal(0, 12, (SIDE, SIDE)).astype(
        np.float32), (0, 0), 6)
    return img * (1 - alpha) + (235.0 + texture) * alpha


def _series(tmp_path: Path, surface: str, cloud: tuple[float, float, float]
            ) -> tuple[Visibility, ...]:
    base = _scene(surface)
    obs, regs = [], []
    for k, day in enumerate((3, 11, 18, 23)):
        rng = np.random.default_rng(100 + k)
        img = base * (1 + 0.02 * (k - 1.5)) + 2 * k + rng.normal(0, 1.5, base.shape)
        if k == 2:
            img = _clouded(img, *cloud, seed=k)
        path = tmp_path / f"{surface}-{day}.png"
        cv2.imwrite(str(path), np.clip(img, 0, 255).astype(np.uint8))
        date = dt.date(2020, 3, day)
        obs.append(Observation(scene_id=path.stem, site=surface, date=date, image_path=path,
                               gsd_m=GSD_M, transform=None, crs_wkt=None, width_px=SIDE,
                               height_px=SIDE, detections=()))
        regs.append(Registration(date=date, reference_date=dt.date(2020, 3, 3),
                                 matrix=IDENTITY_MATRIX, residual_m=0.0,
                                 method=RegistrationMethod.IDENTITY))
    return measure_visibility(obs, regs, obs[0])


def _hidden(v: Visibility) -> np.ndarray:
    return v.valid & ~v.seen


@pytest.mark.parametrize(("surface", "cloud"), [("roof", (240.0, 240.0, 63.0)),
                                                ("paving", (240.0, 240.0, 77.0))])
def test_a_cloud_over_ground_as_bright_as_it_is_masked_whole(tmp_path: Path, surface: str,
                                                              cloud: tuple[float, float, float]
                                                              ) -> None:
    vis = _series(tmp_path, surface, cloud)
    cx, cy, r = cloud
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    d = np.hypot(xx - cx, yy - cy) / r
    core, clear = d < 0.85, d >= 1.3
    clouded = vis[2]
    unmarked = float((core & ~_hidden(clouded)).sum() / core.sum())
    assert unmarked < 0.05, f"{unmarked:.0%} of the cloud's core is taken as seen"
    # ... and a vehicle in the core cannot be claimed
    assert clouded.obscured_near(cx + 0.5 * r, cy, 20) is not None
    # the clear dates, and the clouded date away from its cloud, stay seen
    for v in vis:
        masked = float((_hidden(v) & clear).sum() / clear.sum())
        assert masked < 0.01, f"{v.date}: {masked:.1%} of clear ground masked"
    assert vis[1].obscured_near(cx, cy, 20) is None


@needs_shared_data("overhead/mvrsd")
@pytest.mark.parametrize(("tile", "seed", "date", "most_unmarked"),
                         [("AUAU010008", 4, "2020-03-18", 0.1),  # white roof: 100 % before
                          # pale paving on the series' last date, where only the grown soft
                          # edge helps (docs/track.md): 42 % before, 24 % now
                          ("AUAU010004", 5, "2020-03-25", 0.3)])
def test_the_measured_white_roof_and_pale_paving(tmp_path: Path, tile: str, seed: int,
                                                 date: str, most_unmarked: float) -> None:
    sys.path.insert(0, str(TOOLS))
    import make_series
    import measure_cloud_masks

    tiles = make_series.load_tiles(shared_path_or_skip("overhead/mvrsd"))
    series = make_series.build_random(tiles, seed=seed, tile=tile, n_dates=4, cloud_p=0.6)
    make_series.write_series(series, tmp_path / "series")
    rows = {r["date"]: r for r in measure_cloud_masks.measure_series(tmp_path / "series")}
    row = rows[date]
    assert row["clouded"] and row["core_px"] > 0
    assert row["core_unmarked_px"] / row["core_px"] < most_unmarked
    for r in rows.values():
        assert r["clear_masked_px"] / max(r["clear_px"], 1) < 0.01
