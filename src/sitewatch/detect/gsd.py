"""Ground sample distance from the image itself: the scale at which the vehicles look right.

The detector was trained at one GSD (0.3 m); run on an image resampled as if its pixels were
``g`` metres, it finds vehicles whose size suits that belief. So the image is run at a ladder
of trial GSDs, and at each the vehicles found (score >= ``min_score``) are counted. The trial
kept is the one with the most detection score per ``g ** clutter_exponent``: the further a
trial overstates the GSD, the more small clutter (people, bollards, road marks) the model sees
as vehicles, so a raw count favours too-coarse trials; dividing by ``g ** 1.5`` removes that
pull (the exponent was chosen on the MVRSD and drone tiles, see ``docs/gsd.md``). At each
trial, each vehicle's length in pixels and the length range of its label give a GSD, pooled
by :func:`sitewatch.imagery.scale.fit_gsd` with a bootstrap interval.

**Consensus across trial scales.** Real vehicles are found over a range of trial scales, and
their lengths in the image's own pixels, hence the GSD they give, do not change with the
trial; clutter taken for vehicles at one trial gives a GSD that follows that trial instead.
So the kept trial's GSD must be confirmed by at least ``min_agreeing_trials`` trials (itself
included) whose own GSDs lie within ``agreement`` of it; the estimate is their weighted median
(weights: the trials' merit) and its interval spans all of their intervals
(:func:`sitewatch.imagery.scale.pool_fits`). Without that confirmation, with too few
vehicles, or when the kept trial is the first or last of the ladder (the GSD may lie beyond
it), there is no estimate: a refusal is better than a wrong GSD.

Large images are sampled: up to ``max_windows`` windows of ``window_px`` spread over the image,
so the cost is bounded whatever the size (about 5-20 s on two CPU cores).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sitewatch.detect.merging import VEHICLE_CARGO, merge_tile_boxes
from sitewatch.detect.obb import bounds
from sitewatch.detect.types import Detector, VehicleClass, detections_to_arrays
from sitewatch.errors import ConfigError
from sitewatch.imagery import GsdEstimate, RasterReader, Tile, fit_gsd, pool_fits, tile_grid

#: Plausible length on the ground (shortest, longest) in metres of each label, as the box
#: a detector draws: cars 3.8-5.2 m; HMMWV/UAZ/Tigr-size light vehicles 4.0-5.7 m; tanks,
#: IFVs and APCs 6-10 m (a tank's gun makes it longer); medium trucks and engineering vehicles
#: 5.5-9 m; large trucks up to heavy equipment transporters 7-20 m (weak evidence, so weighted
#: least); an unclassified vehicle 3.8-12 m.
VEHICLE_LENGTHS_M: dict[VehicleClass, tuple[float, float]] = {
    VehicleClass.CIVILIAN_VEHICLE: (3.8, 5.2),
    VehicleClass.MILITARY_LIGHT_VEHICLE: (4.0, 5.7),
    VehicleClass.ARMORED_VEHICLE: (6.0, 10.0),
    VehicleClass.MILITARY_ENGINEERING_VEHICLE: (5.5, 9.0),
    VehicleClass.MILITARY_TRUCK: (7.0, 20.0),
    VehicleClass.VEHICLE: (3.8, 12.0),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class GsdSearch:
    """Knobs of :func:`estimate_gsd`.

    Attributes:
        min_gsd_m: Finest trial GSD.
        max_gsd_m: Coarsest trial GSD.
        step_ratio: Ratio between neighbouring trials.
        min_score: Detections below this score are not used.
        clutter_exponent: A trial's score sum is divided by ``trial_gsd_m ** clutter_exponent``.
        window_px: Side of the windows sampled from a large image.
        max_windows: Windows sampled at most (an image no larger than two windows a side is
            read whole).
        min_vehicles: Fewer vehicles than this at the chosen trial: no estimate; a trial
            with fewer cannot confirm another.
        agreement: Largest relative difference between the GSD of the chosen trial and that
            of a trial confirming it.
        min_agreeing_trials: Trials (the chosen one included) whose GSDs must agree for an
            estimate.
        batch_size: Tiles per detector call.
    """

    min_gsd_m: float = 0.04
    max_gsd_m: float = 0.65
    step_ratio: float = 1.15
    min_score: float = 0.5
    clutter_exponent: float = 1.5
    window_px: int = 640
    max_windows: int = 4
    min_vehicles: int = 3
    agreement: float = 0.15
    min_agreeing_trials: int = 2
    batch_size: int = 4

    def __post_init__(self) -> None:
        checks = {
            "min_gsd_m": 0 < self.min_gsd_m < self.max_gsd_m,
            "step_ratio": self.step_ratio > 1.0,
            "min_score": 0.0 <= self.min_score < 1.0,
            "clutter_exponent": self.clutter_exponent >= 0,
            "window_px": self.window_px >= 64,
            "max_windows": self.max_windows >= 1,
            "min_vehicles": self.min_vehicles >= 1,
            "agreement": 0 < self.agreement < 1,
            "min_agreeing_trials": self.min_agreeing_trials >= 1,
            "batch_size": self.batch_size >= 1,
        }
        bad = [f"{k}={getattr(self, k)}" for k, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"invalid GSD search options: {', '.join(bad)}")

    def ladder(self) -> tuple[float, ...]:
        """The trial GSDs, finest first.

        >>> [round(g, 3) for g in GsdSearch(min_gsd_m=0.1, max_gsd_m=0.4, step_ratio=2).ladder()]
        [0.1, 0.2, 0.4]
        """
        n = math.floor(math.log(self.max_gsd_m / self.min_gsd_m) / math.log(self.step_ratio) + 1e-9)
        return tuple(self.min_gsd_m * self.step_ratio**k for k in range(n + 1))


def detect_at_gsd(
    rgb: np.ndarray, detector: Detector, trial_gsd_m: float, *, batch_size: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``detector`` on ``rgb`` as if its pixels were ``trial_gsd_m`` metres.

    Returns:
        Boxes (N, 5) as (cx, cy, w, h, angle_rad) in ``rgb``'s own pixel grid, scores (N,) and
        label indices into :class:`VehicleClass` (N,); merged across tiles, and without boxes
        cut by an inner tile edge.
    """
    scale = trial_gsd_m / detector.gsd_m  # image pixels -> model pixels
    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    image = cv2.resize(rgb, size, interpolation=interp) if scale != 1.0 else rgb
    height, width = image.shape[:2]
    tiles = tile_grid(width, height, tile_px=detector.tile_px, overlap_px=detector.tile_px // 8)
    parts = []
    for start in range(0, len(tiles), batch_size):
        chunk = tiles[start : start + batch_size]
        found = detector.detect_batch(
            [np.ascontiguousarray(image[t.y0_px : t.y1_px, t.x0_px : t.x1_px]) for t in chunk]
        )
        for dets, tile in zip(found, chunk, strict=True):
            raw, scores, labels = detections_to_arrays(dets)
            aabb = bounds(raw)
            cut = (
                ((aabb[:, 0] <= 2) & (tile.x0_px > 0))
                | ((aabb[:, 1] <= 2) & (tile.y0_px > 0))
                | ((aabb[:, 2] >= tile.width_px - 2) & (tile.x1_px < width))
                | ((aabb[:, 3] >= tile.height_px - 2) & (tile.y1_px < height))
            )
            full = raw.copy()
            full[:, 0] = (tile.x0_px + raw[:, 0]) / scale
            full[:, 1] = (tile.y0_px + raw[:, 1]) / scale
            full[:, 2:4] = raw[:, 2:4] / scale
            parts.append((full, scores, labels, cut))
    boxes = np.concatenate([p[0] for p in parts])
    scores = np.concatenate([p[1] for p in parts])
    labels = np.concatenate([p[2] for p in parts])
    cut = np.concatenate([p[3] for p in parts])
    keep = merge_tile_boxes(boxes, scores, cut, iou_threshold=0.3, cover_threshold=0.5,
                            labels=labels, cargo=VEHICLE_CARGO)
    keep = keep[~cut[keep]]
    return boxes[keep], scores[keep], labels[keep]


def sample_windows(width_px: int, height_px: int, *, window_px: int, max_windows: int
                   ) -> tuple[Tile, ...]:
    """Windows to read from an image: the whole image when it is at most two windows a side,
    else up to ``max_windows`` windows centred on a regular grid over it.

    >>> [(t.x0_px, t.y0_px, t.width_px) for t in sample_windows(2000, 2000, window_px=500,
    ...                                                          max_windows=4)]
    [(250, 250, 500), (1250, 250, 500), (250, 1250, 500), (1250, 1250, 500)]
    """
    if width_px <= 2 * window_px and height_px <= 2 * window_px:
        return (Tile(x0_px=0, y0_px=0, width_px=width_px, height_px=height_px),)
    side = max(1, math.isqrt(max_windows))
    cols = side if width_px > window_px else 1
    rows = max(1, min(side, max_windows // cols)) if height_px > window_px else 1
    wx, wy = min(window_px, width_px), min(window_px, height_px)
    tiles = []
    for r in range(rows):
        for c in range(cols):
            cx, cy = (c + 0.5) * width_px / cols, (r + 0.5) * height_px / rows
            x0 = int(min(max(0, round(cx - wx / 2)), width_px - wx))
            y0 = int(min(max(0, round(cy - wy / 2)), height_px - wy))
            tiles.append(Tile(x0_px=x0, y0_px=y0, width_px=wx, height_px=wy))
    return tuple(tiles)


def estimate_gsd_of_array(
    windows: list[np.ndarray], detector: Detector, *, search: GsdSearch | None = None
) -> GsdEstimate | None:
    """:func:`estimate_gsd` on RGB arrays already read (windows of one image).

    Returns:
        The estimate, or None when it cannot be made: fewer than ``search.min_vehicles``
        vehicles at the best trial (an empty field, a forest, imagery too coarse for
        vehicles), no other trial scale confirming the best trial's GSD, or the best trial at
        an end of the ladder.
    """
    search = search or GsdSearch()
    ladder = search.ladder()
    found: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    merit: dict[int, float] = {}

    def run(k: int) -> None:
        parts = [detect_at_gsd(w, detector, ladder[k], batch_size=search.batch_size)
                 for w in windows]
        scores = np.concatenate([p[1] for p in parts])
        sure = scores >= search.min_score
        found[k] = (np.concatenate([p[0] for p in parts])[sure], scores[sure],
                    np.concatenate([p[2] for p in parts])[sure])
        merit[k] = float(scores[sure].sum()) / ladder[k] ** search.clutter_exponent

    for k in range(0, len(ladder), 2):  # every other trial, then the neighbours of the best
        run(k)
    coarse_best = max(merit, key=merit.__getitem__)
    for k in (coarse_best - 1, coarse_best + 1):
        if 0 <= k < len(ladder) and k not in merit:
            run(k)
    best = max(merit, key=merit.__getitem__)
    if best in (0, len(ladder) - 1):
        return None  # at the edge of the ladder: the GSD may lie beyond it
    order = tuple(VehicleClass)
    fits = {}
    for k, (boxes, scores, labels) in found.items():
        if len(boxes) >= search.min_vehicles:
            ranges = np.array([VEHICLE_LENGTHS_M[order[int(c)]] for c in labels])
            fits[k] = fit_gsd(boxes[:, 2:4].max(axis=1), ranges[:, 0], ranges[:, 1], scores)
    if best not in fits:
        return None
    near = math.log(1 + search.agreement)
    agreeing = sorted(k for k, f in fits.items()
                      if abs(math.log(f.gsd_m / fits[best].gsd_m)) <= near)
    if len(agreeing) < search.min_agreeing_trials:
        return None  # no other trial scale confirms it: clutter, or too few vehicles
    fit = pool_fits([fits[k] for k in agreeing], [merit[k] for k in agreeing])
    trials = ", ".join(f"{ladder[k]:.3g}" for k in agreeing)
    return GsdEstimate(
        gsd_m=fit.gsd_m, low_m=fit.low_m, high_m=fit.high_m, n_vehicles=fit.n_vehicles,
        method=(
            f"vehicle lengths: {detector.name} ({detector.sha256[:12]}) run at "
            f"{len(merit)} trial GSDs {ladder[0]:.3g}-{ladder[-1]:.3g} m on "
            f"{len(windows)} window(s); best trial {ladder[best]:.3g} m, confirmed by the "
            f"trials at {trials} m (GSDs within {search.agreement:.0%}); up to "
            f"{fit.n_vehicles} vehicles scoring >= {search.min_score}; interval: the span of "
            "those trials' 90 % bootstrap intervals over vehicles and their label's length range"
        ),
    )


def estimate_gsd(
    path: str | Path, detector: Detector, *, search: GsdSearch | None = None
) -> GsdEstimate | None:
    """Estimate a raster's ground sample distance from the lengths of the vehicles in it.

    Args:
        path: Any raster GDAL can open; georeference is ignored.
        detector: The model (see :func:`sitewatch.detect.load_detector`).
        search: The trial ladder and sampling.

    Returns:
        The estimate, or None when none can be trusted (too few vehicles, no agreement
        across trial scales, or a GSD at the edge of the trials: see the module docstring).

    Raises:
        RasterReadError: The file cannot be read.
    """
    search = search or GsdSearch()
    with RasterReader(path) as reader:
        info = reader.info
        tiles = sample_windows(info.width_px, info.height_px, window_px=search.window_px,
                               max_windows=search.max_windows)
        windows = [reader.read_rgb(t) for t in tiles]
    return estimate_gsd_of_array(windows, detector, search=search)
