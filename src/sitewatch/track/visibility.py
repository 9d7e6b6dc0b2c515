"""What each date's pixels let us see: cloud mask and haze, in the reference grid.

Both are estimated from the pixels alone, with simple, documented rules rather than a trained
model:

* **cloud**: after each date's brightness is normalised (median and interquartile range), a
  pixel is cloud when, smoothed over a cloud-sized window, it is brighter than the per-pixel
  median of all dates by ``cloud_lift``, brighter than 90 % of that date's own pixels, and
  the bright patch is at least ``min_cloud_m`` wide (so ground revealed where vehicles left,
  or a new shed, is not a cloud). The mask then grows into the cloud's soft edge: ground
  connected to it, within one cloud width, brighter than the other dates by half
  ``cloud_lift`` and than 75 % of the date (over pale paving the rim of a cloud misses the
  90 % bar). With a single date there is
  nothing to compare with, and only nearly white, flat pixels count (white roofs too: read
  single-date cloud fractions with care).
* **haze**: the loss of contrast against the median of all dates (1 − IQR ratio, in [0, 1]).
  A global brightness gain also changes contrast, so read it as "contrast lost", not as a
  physical optical depth.
* **washed out** (local haze, or a cloud too large or too faint for the rule above, whose
  brightness the per-date normalisation absorbs): where this date's texture (local standard
  deviation of the raw grey's fine detail, scaled by the date's own 90th-percentile texture)
  is under ``1 − max_contrast_loss`` of the median of all dates there, over a patch at least
  ``min_cloud_m`` wide (so a block of vehicles that left is not taken for haze; a cloud's
  shadow, which also flattens the ground, counts as washed out too). Only detail finer than
  about ``detail_m`` counts as texture: a cloud's own brightness ramp, metres wide, would
  otherwise read as texture and hide the contrast it took away (a thin cloud on pale ground
  changes the brightness little, the detail a vehicle is seen by a lot). On a date between two
  others, a smaller patch (half ``min_cloud_m``) counts too, when its texture fell under
  ``1 − max_contrast_loss`` of the other dates' median and it either got brighter or lost
  its detail against both neighbouring dates, inside a cloud-wide region that lost at least
  40 % (a cloud's rim): a cloud over a white roof, no brighter than the roof, with a core
  narrower than ``min_cloud_m``. Not on the first or last date, where a place that filled
  with vehicles later (or emptied before) looks the same.

Everything runs on images shrunk to ``work_side_px`` and warped into the reference grid.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from shapely.geometry import Point, Polygon

from sitewatch.imagery import Registration, read_grey_raw
from sitewatch.track.types import Observation

#: A cloud's soft edge: ground connected to a cloud, within a cloud width of it, brighter than
#: the other dates by this share of ``cloud_lift`` and than this percentile of its date.
_EDGE_LIFT = 0.5
_EDGE_PERCENTILE = 75
#: The narrowest texture-lost patch of :func:`_small_cloud`, as a share of ``min_cloud_m``,
#: and the share of ``max_contrast_loss`` its rim must have lost.
_SMALL = 0.5
_RIM_LOSS_SHARE = 2 / 3

#: Below this spread (in interquartile ranges of the date) a patch is featureless: its
#: correlation with anything is noise, so it is compared by its level instead.
_FLAT_STD = 0.15


@dataclass(frozen=True, slots=True, kw_only=True)
class Visibility:
    """Cloud mask of one date in the (shrunk) reference grid, and its haze."""

    date: dt.date
    cloud: np.ndarray  # bool, True = cloud, in the shrunk reference grid
    valid: np.ndarray  # bool, True = inside this date's image
    scale: float  # shrunk grid px per reference px
    haze_fraction: float
    image: np.ndarray | None = None  # float32 normalised grey in the shrunk reference grid
    washed: np.ndarray | None = None  # bool, True = contrast locally lost (haze, thick cloud)

    @property
    def seen(self) -> np.ndarray:
        """Bool mask of the shrunk reference grid this date shows: inside it, not clouded,
        not washed out (the date-wide haze is judged apart)."""
        out = self.valid & ~self.cloud
        return out & ~self.washed if self.washed is not None else out

    def obscured_near(self, x_px: float, y_px: float, radius_px: float) -> str | None:
        """Why the disc of ``radius_px`` reference px around (x, y) cannot be seen on this
        date ("under cloud", "washed out"), or ``None`` when nothing hides it.

        Any hidden pixel of the disc hides the vehicle: a vehicle half under cloud is not
        seen well enough to say it is there or gone.
        """
        r = max(radius_px * self.scale, 1.0)
        cx, cy = x_px * self.scale, y_px * self.scale
        h, w = self.cloud.shape
        r0, r1 = max(int(np.floor(cy - r)), 0), min(int(np.ceil(cy + r)) + 1, h)
        c0, c1 = max(int(np.floor(cx - r)), 0), min(int(np.ceil(cx + r)) + 1, w)
        if r0 >= r1 or c0 >= c1:
            return None  # off the grid: the footprint test says so
        yy, xx = np.mgrid[r0:r1, c0:c1]
        disc = np.hypot(xx - cx, yy - cy) <= r
        if self.cloud[r0:r1, c0:c1][disc].any():
            return "under cloud"
        if self.washed is not None and self.washed[r0:r1, c0:c1][disc].any():
            return "washed out (haze or thick cloud: local contrast lost)"
        return None

    def chip(self, x_px: float, y_px: float, heading_rad: float, length_px: float,
             width_px: float) -> np.ndarray | None:
        """The vehicle's pixels turned so its long axis runs along x, or ``None`` when it lies
        (partly) outside this date or is under 4 px wide once shrunk."""
        if self.image is None:
            return None
        size = (max(1, round(length_px * self.scale)), max(1, round(width_px * self.scale)))
        if size[1] < 4:
            return None
        cx, cy = x_px * self.scale, y_px * self.scale
        reach = 0.5 * float(np.hypot(*size)) + 1
        h, w = self.image.shape
        if cx - reach < 0 or cy - reach < 0 or cx + reach >= w or cy + reach >= h:
            return None
        turn = cv2.getRotationMatrix2D((cx, cy), float(np.degrees(heading_rad)), 1.0)
        turned = cv2.warpAffine(self.image, turn, (w, h), flags=cv2.INTER_LINEAR)
        return cv2.getRectSubPix(turned, size, (cx, cy))

    def same_content(self, other: Visibility, x_px: float, y_px: float,
                     half_px: float) -> float | None:
        """Zero-mean normalised cross-correlation of the square around a reference point on
        this date and on ``other``; ``None`` when either date cannot show it (outside, or
        too few pixels once shrunk).

        A vehicle one date's detector missed but that still stands there gives a high value;
        a vehicle that left, leaving flat ground, a low one.
        """
        if self.image is None or other.image is None:
            return None
        h = round(half_px * self.scale)
        r, c = round(y_px * self.scale), round(x_px * self.scale)
        if h < 4 or r - h < 0 or c - h < 0 or r + h >= self.image.shape[0] or (
                c + h >= self.image.shape[1]):
            return None
        win = np.s_[r - h : r + h + 1, c - h : c + h + 1]
        if not (self.valid[win].all() and other.valid[win].all()):
            return None
        a, b = self.image[win], other.image[win]
        if max(float(a.std()), float(b.std())) < _FLAT_STD and abs(
                float(a.mean()) - float(b.mean())) < 2 * _FLAT_STD:
            return 1.0  # featureless and alike on both dates (bare ground): nothing changed
        return zncc(a, b)


    def _area_mask(self, area: Polygon) -> np.ndarray:
        mask = np.zeros(self.cloud.shape, np.uint8)
        polys = getattr(area, "geoms", [area])
        for poly in polys:
            if isinstance(poly, Polygon) and not poly.is_empty:
                pts = np.asarray(poly.exterior.coords, float) * self.scale
                cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
        return mask.astype(bool)

    def cloud_fraction(self, area: Polygon) -> float:
        """Fraction of the covered part of ``area`` (reference px) that is cloud."""
        seen = self._area_mask(area) & self.valid
        return float(self.cloud[seen].mean()) if seen.any() else 0.0

    def hidden_shares(self, area: Polygon) -> tuple[float, float, float]:
        """``(cloud, washed, seen)`` of ``area`` (reference px) on this date.

        ``cloud`` and ``washed`` are fractions of the covered part of ``area`` (washed out
        but not cloud, so the two add up to all that is hidden); ``seen`` is the fraction of
        the whole of ``area`` this date shows: inside the image, clear of cloud and not
        washed out. It is the mask :mod:`sitewatch.track.comparing` claims events on
        (:attr:`seen`), so a count and the events of its date agree on what was observable.
        """
        zone = self._area_mask(area)
        total = int(zone.sum())
        covered = zone & self.valid
        n_covered = int(covered.sum())
        if total == 0 or n_covered == 0:
            return 0.0, 0.0, 0.0
        cloud = float(self.cloud[covered].mean())
        washed = (float((self.washed[covered] & ~self.cloud[covered]).mean())
                  if self.washed is not None else 0.0)
        return cloud, washed, float((zone & self.seen).sum()) / total

    def clouded_at(self, x_px: float, y_px: float) -> bool:
        """Whether the reference pixel (x, y) is under cloud on this date."""
        r, c = int(y_px * self.scale), int(x_px * self.scale)
        inside = 0 <= r < self.cloud.shape[0] and 0 <= c < self.cloud.shape[1]
        return bool(inside and self.cloud[r, c])

    def clouded_near(self, pt: Point, radius_px: float) -> bool:
        """Whether any pixel within ``radius_px`` of the reference point is cloud."""
        return any(
            self.clouded_at(pt.x + dx, pt.y + dy)
            for dx in (-radius_px, 0.0, radius_px)
            for dy in (-radius_px, 0.0, radius_px)
        )


def _warped(obs: Observation, reg: Registration, shape: tuple[int, int], scale: float,
            work_side_px: int) -> tuple[np.ndarray, np.ndarray]:
    grey, f = read_grey_raw(obs.image_path, max_side_px=work_side_px)
    m = np.asarray(reg.matrix, float).reshape(3, 3)
    # shrunk moving px -> moving px -> reference px -> shrunk reference px
    full = np.diag([scale, scale, 1.0]) @ m @ np.diag([1 / f, 1 / f, 1.0])
    size = (shape[1], shape[0])
    img = cv2.warpPerspective(grey.astype(np.float32), full, size, flags=cv2.INTER_LINEAR)
    valid = cv2.warpPerspective(np.ones(grey.shape, np.uint8), full, size,
                                flags=cv2.INTER_NEAREST).astype(bool)
    return img, valid


def _texture(img: np.ndarray) -> np.ndarray:
    mean = cv2.blur(img, (9, 9))
    return np.sqrt(np.maximum(cv2.blur(img * img, (9, 9)) - mean * mean, 0.0))


def measure_visibility(
    observations: Sequence[Observation],
    registrations: Sequence[Registration],
    reference: Observation,
    *,
    work_side_px: int = 1024,
    min_cloud_m: float = 10.0,
    cloud_lift: float = 0.25,
    max_contrast_loss: float = 0.6,
    detail_m: float = 0.5,
) -> tuple[Visibility, ...]:
    """Cloud mask, washed-out mask and haze of every date, in the reference grid (shrunk).

    ``cloud_lift`` is the brightening, in units of the date's interquartile range, above
    the median of all dates that reads as cloud; ``min_cloud_m`` the narrowest cloud kept;
    ``max_contrast_loss`` the local loss of texture beyond which ground is washed out;
    ``detail_m`` the scale of the detail whose loss is measured (see the module docstring).

    Raises:
        RasterReadError: an image cannot be read.
    """
    scale = min(1.0, work_side_px / max(reference.width_px, reference.height_px))
    shape = (round(reference.height_px * scale), round(reference.width_px * scale))
    warped = [_warped(o, r, shape, scale, work_side_px)
              for o, r in zip(observations, registrations, strict=True)]
    norm = []
    for img, valid in warped:
        vals = img[valid] if valid.any() else np.array([0.0, 1.0])
        q25, q50, q75 = np.percentile(vals, (25, 50, 75))
        z = (img - q50) / max(q75 - q25, 1.0)
        norm.append((np.where(valid, z, np.nan), float(q75 - q25)))
    stack = np.stack([z for z, _ in norm])
    with np.errstate(all="ignore"):
        median = np.nanmedian(stack, axis=0) if len(norm) > 1 else np.zeros(shape)
    median = np.nan_to_num(median)
    iqr_median = float(np.median([iqr for _, iqr in norm]))
    # clouds are wide: anything narrower than min_cloud_m (a vehicle, a new shed) is not one
    gsd_work_m = reference.gsd_m / scale
    side = max(3, round(min_cloud_m / gsd_work_m) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    # brighter than the same ground on the other dates, smoothed over a cloud-sized window
    lifts = [cv2.GaussianBlur(np.nan_to_num(z - median).astype(np.float32), (0, 0), side / 6.0)
             for z, _ in norm]
    washed = _washed_out(warped, side, max_contrast_loss, detail_px=detail_m / gsd_work_m,
                         lifts=lifts, min_lift=_EDGE_LIFT * cloud_lift)
    out = []
    for o, (img, valid), (z, iqr), wash, lift in zip(observations, warped, norm, washed, lifts,
                                                      strict=True):
        if len(norm) > 1:  # brighter than the same ground on the other dates, over a wide area
            # and brighter than most of this date's own ground: revealed ground where
            # vehicles left is brighter than before, but not brighter than the open ground.
            # Judged on the grey smoothed over a fraction of the cloud size: a cloud's own
            # faint texture (or a dark vehicle showing through its edge) would otherwise
            # pierce the mask with holes, and the opening below would erase it whole
            smooth = cv2.GaussianBlur(np.nan_to_num(z, nan=float(np.nanmedian(z))).astype(
                np.float32), (0, 0), side / 12.0)
            level = np.where(valid, smooth, -np.inf)
            cloud = (lift > cloud_lift) & (level > np.nanpercentile(z, 90)) & valid
            cloud = cv2.morphologyEx(cloud.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
            # the soft edge: a cloud's thinning rim over pale ground is brighter than the
            # other dates and than most of the date, but under the core's bars. Grown from the
            # core into such ground connected to it, at most one cloud width out (so it cannot
            # run along a row of vehicles that left, whose revealed ground is brighter too)
            edge = ((lift > _EDGE_LIFT * cloud_lift)
                    & (level > np.nanpercentile(z, _EDGE_PERCENTILE)) & valid
                    & cv2.dilate(cloud.astype(np.uint8), kernel).astype(bool))
            cloud = connected_to(cloud, edge)
        elif float(img.max(initial=0.0)) <= 255.0:  # one 8-bit date: nearly white and flat
            cloud = (img > 235) & (_texture(img) < 2.0) & valid
        else:
            cloud = np.zeros(shape, bool)
        cloud = cv2.morphologyEx(cloud.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
        cloud &= valid
        haze = float(np.clip(1.0 - iqr / iqr_median, 0.0, 1.0)) if iqr_median > 0 else 0.0
        out.append(Visibility(date=o.date, cloud=cloud, valid=valid, scale=scale,
                              haze_fraction=haze, image=np.nan_to_num(z).astype(np.float32),
                              washed=wash))
    return tuple(out)


def _washed_out(warped: Sequence[tuple[np.ndarray, np.ndarray]], side: int,
                max_contrast_loss: float, *, detail_px: float,
                lifts: Sequence[np.ndarray] | None = None,
                min_lift: float = 0.0) -> list[np.ndarray | None]:
    """Per date, where the local texture fell under ``1 - max_contrast_loss`` of the median
    date's, over patches at least ``side`` wide (``None`` for a single date: nothing to
    compare with).

    Texture is the local standard deviation, over a Gaussian window of ``side / 6`` (the
    patch then grown by the window's reach), of the raw grey's detail: the grey less its
    Gaussian blur of ``detail_px`` (at least 1 px), so that the smooth ramp of a cloud's own
    brightness is not counted as the ground's texture. It is divided by the
    date's own 90th-percentile texture, so a date's gain or bit depth cancels and a cloud
    over most of a date still leaves its clear part as the scale. The date-normalised grey
    is not used: a cloud over half a date moves that date's median and quartiles, and would
    hide its own brightness.
    """
    if len(warped) < 2:
        return [None] * len(warped)
    sigma = side / 6.0
    textures = []
    for img, valid in warped:
        detail = img - cv2.GaussianBlur(img, (0, 0), max(detail_px, 1.0))
        mean = cv2.GaussianBlur(detail, (0, 0), sigma)
        tex = np.sqrt(np.maximum(cv2.GaussianBlur(detail * detail, (0, 0), sigma) - mean * mean,
                                 0.0))
        scale = float(np.percentile(tex[valid], 90)) if valid.any() else 0.0
        textures.append(np.where(valid, tex / max(scale, 1e-6), np.nan))
    with np.errstate(all="ignore"):
        typical = np.nan_to_num(np.nanmedian(np.stack(textures), axis=0))
    big = max(3, side | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (big, big))
    margin = max(3, round(4 * sigma) | 1)  # the window's reach: the edge of a cloud is blurred
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin))
    small = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(3, round(big * _SMALL) | 1),) * 2)
    out: list[np.ndarray | None] = []
    for k, (tex, (_, valid)) in enumerate(zip(textures, warped, strict=True)):
        t = np.nan_to_num(tex, nan=np.inf)
        lost = (t < (1.0 - max_contrast_loss) * typical).astype(np.uint8)
        lost = cv2.morphologyEx(lost, cv2.MORPH_OPEN, kernel).astype(bool)
        neighbours = textures[max(k - 1, 0) : k] + textures[k + 1 : k + 2]
        if lifts is not None and len(neighbours) == 2:
            # Only between two dates: on the first or last date a place that filled with
            # vehicles later (or emptied before) looks the same as a cloud, and nothing after
            # (or before) it tells them apart. Occluded: brightened, or lost against both
            # neighbours (a second cloud nearby on another date can spoil one of the two)
            between = np.logical_and.reduce([t < (1.0 - max_contrast_loss) * np.nan_to_num(n)
                                             for n in neighbours])
            lost |= _small_cloud(t, textures[:k] + textures[k + 1:],
                                 (lifts[k] > min_lift) | between, max_contrast_loss, small,
                                 kernel)
        out.append(cv2.dilate(lost.astype(np.uint8), grow).astype(bool) & valid)
    return out


def _small_cloud(tex: np.ndarray, others: Sequence[np.ndarray], occluded: np.ndarray,
                 max_contrast_loss: float, small: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Texture lost under a cloud too small, or over ground too pale, for the other rules.

    Over a white roof a cloud is no brighter than the roof and its core, where the detail is
    gone, is narrower than ``min_cloud_m``; its rim keeps part of the detail. Judged against
    the median of the *other* dates (a second cloud on another date would otherwise lower
    the yardstick): a patch at least half the cloud width where the texture fell under
    ``1 - max_contrast_loss`` of theirs and the ground got brighter than on the other dates
    (a cloud brightens; clean, noise-free pixels of flat ground do not), that lies in a
    region at least a cloud wide where the texture fell under ``1 - _RIM_LOSS_SHARE ×
    max_contrast_loss`` of theirs (the rim a cloud's fading opacity leaves around its core).
    """
    with warnings.catch_warnings():  # pixels no other date covers: all NaN, no yardstick
        warnings.simplefilter("ignore", RuntimeWarning)
        yardstick = np.nan_to_num(np.nanmedian(np.stack(list(others)), axis=0))
    seed = (tex < (1.0 - max_contrast_loss) * yardstick) & occluded
    seed = cv2.morphologyEx(seed.astype(np.uint8), cv2.MORPH_OPEN, small).astype(bool)
    rim = (tex < (1.0 - _RIM_LOSS_SHARE * max_contrast_loss) * yardstick).astype(np.uint8)
    rim = cv2.morphologyEx(rim, cv2.MORPH_OPEN, kernel).astype(bool)
    return seed & connected_to(seed & rim, rim)


def connected_to(seed: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``seed`` and every pixel of ``region`` 8-connected to it (within ``seed | region``).

    >>> region = np.array([[1, 1, 0, 1]], bool)
    >>> connected_to(np.array([[1, 0, 0, 0]], bool), region).astype(int).tolist()
    [[1, 1, 0, 0]]
    """
    n, labels = cv2.connectedComponents((seed | region).astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[seed])] = True
    keep[0] = False
    return keep[labels] | seed


def zncc(a: np.ndarray, b: np.ndarray) -> float | None:
    """Zero-mean normalised cross-correlation of two same-shaped arrays (``None`` if flat).

    >>> round(zncc(np.arange(9.0).reshape(3, 3), 2 * np.arange(9.0).reshape(3, 3) + 5), 6)
    1.0
    """
    x, y = a.astype(np.float64), b.astype(np.float64)
    x, y = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom > 1e-9 else None
