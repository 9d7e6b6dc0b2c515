"""Sun elevation and azimuth measured from an upright object and its shadow.

The analyst marks three points in pixels: the object's base, its top and the tip of its shadow,
and optionally a reference line on the ground of known bearing (a road, a wall), marked from its
start to its end in the direction of that bearing. Then

* elevation = atan(object height / shadow length), both measured in the image, which holds when
  the object stands upright on level ground and the object and its shadow are seen at the same
  scale (side-on, or in a rectified view);
* sun azimuth = bearing of the reference + image angle from the reference to the shadow + 180,
  which holds when the ground is seen in plan (from above: drone, rooftop, overhead image).

The uncertainty is propagated from the marking error by Monte Carlo: every mark is moved by an
independent error, uniform within ``±marking_error_px`` on each axis, and the 2.5th and 97.5th
percentiles of the recomputed angles give a 95 % interval. ``level`` is the level of the sun
position as a whole: when both angles are measured each gets ``1 - (1 - level) / 2`` (Bonferroni),
so the pair of intervals covers the true position at least ``level`` of the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sitewatch.errors import ConfigError

#: Monte Carlo draws and interval level used unless a caller says otherwise.
SAMPLES = 4000
LEVEL = 0.95

ASSUMPTION_ELEVATION = ("the object is upright on level ground, and the object and its shadow "
                        "are seen at the same scale (side-on or rectified)")
ASSUMPTION_AZIMUTH = ("the shadow and the reference line lie on the ground and are seen in plan "
                      "(from above), so image angles are ground angles")

Point = tuple[float, float]


def _point(name: str, value: Point) -> Point:
    if len(value) != 2 or not all(math.isfinite(float(v)) for v in value):
        raise ConfigError(f"{name} {value!r} is not a finite pixel position 'x,y'")
    return (float(value[0]), float(value[1]))


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceLine:
    """A line on the ground marked from ``start_px`` to ``end_px``, pointing at ``bearing_deg``."""

    start_px: Point
    end_px: Point
    bearing_deg: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_px", _point("reference start", self.start_px))
        object.__setattr__(self, "end_px", _point("reference end", self.end_px))
        if not (math.isfinite(self.bearing_deg) and 0.0 <= self.bearing_deg < 360.0):
            raise ConfigError(f"reference bearing {self.bearing_deg} is not in [0, 360) degrees")
        if math.dist(self.start_px, self.end_px) < 1.0:
            raise ConfigError("reference line is shorter than 1 px; mark its two ends further apart")


@dataclass(frozen=True, slots=True, kw_only=True)
class ShadowMarks:
    """Pixels the analyst marked on one photo, and how far each may be off."""

    base_px: Point
    top_px: Point
    tip_px: Point
    reference: ReferenceLine | None = None
    marking_error_px: float = 3.0

    def __post_init__(self) -> None:
        for name in ("base_px", "top_px", "tip_px"):
            object.__setattr__(self, name, _point(name.removesuffix("_px"), getattr(self, name)))
        if not (math.isfinite(self.marking_error_px) and 0.0 <= self.marking_error_px <= 100.0):
            raise ConfigError(f"marking error {self.marking_error_px} px is not in [0, 100]")
        if math.dist(self.base_px, self.top_px) < 2.0:
            raise ConfigError("object top is within 2 px of its base; mark the top of the object")
        if math.dist(self.base_px, self.tip_px) < 2.0:
            raise ConfigError("shadow tip is within 2 px of the base; mark the end of the shadow")

    def to_json(self) -> dict[str, object]:
        """Plain JSON form (inverse of :meth:`from_json`)."""
        ref = self.reference
        return {"base_px": list(self.base_px), "top_px": list(self.top_px), "tip_px": list(self.tip_px),
                "marking_error_px": self.marking_error_px,
                "reference": None if ref is None else {"start_px": list(ref.start_px),
                                                       "end_px": list(ref.end_px),
                                                       "bearing_deg": ref.bearing_deg}}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ShadowMarks:
        """Marks from :meth:`to_json` output.

        Raises:
            ConfigError: missing or malformed fields.
        """
        try:
            ref = data.get("reference")
            reference = None if ref is None else ReferenceLine(
                start_px=tuple(ref["start_px"]), end_px=tuple(ref["end_px"]),  # type: ignore[index]
                bearing_deg=float(ref["bearing_deg"]))  # type: ignore[index]
            return cls(base_px=tuple(data["base_px"]), top_px=tuple(data["top_px"]),  # type: ignore[arg-type]
                       tip_px=tuple(data["tip_px"]), reference=reference,  # type: ignore[arg-type]
                       marking_error_px=float(data.get("marking_error_px", 3.0)))  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"shadow marks {data!r} are malformed ({exc}); give base, top, tip") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    """A central interval of an angle, in degrees (an azimuth interval may wrap past 360)."""

    low_deg: float
    high_deg: float
    level: float = LEVEL

    def contains(self, value_deg: float, *, circular: bool = False) -> bool:
        """True when ``value_deg`` lies in the interval (modulo 360 when ``circular``)."""
        if not circular:
            return self.low_deg <= value_deg <= self.high_deg
        width = (self.high_deg - self.low_deg) % 360.0
        return (value_deg - self.low_deg) % 360.0 <= width


@dataclass(frozen=True, slots=True, kw_only=True)
class ShadowMeasurement:
    """The sun's elevation (and azimuth, with a reference line) measured from shadow marks."""

    shadow_ratio: float
    elevation_deg: float
    elevation_interval: Interval
    azimuth_deg: float | None = None
    azimuth_interval: Interval | None = None
    marking_error_px: float
    samples: int
    assumptions: tuple[str, ...] = field(default=())


def _angles(base: np.ndarray, top: np.ndarray, tip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shadow/height ratio, elevation deg) for arrays of (…, 2) points."""
    height = np.hypot(*(top - base).T)
    shadow = np.hypot(*(tip - base).T)
    return shadow / height, np.degrees(np.arctan2(height, shadow))


def _image_bearing(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Clockwise angle from image-up of the direction start→end (image y grows downwards)."""
    d = end - start
    return np.degrees(np.arctan2(d[..., 0], -d[..., 1])) % 360.0


def _sun_azimuth(base: np.ndarray, tip: np.ndarray, ref_start: np.ndarray, ref_end: np.ndarray,
                 bearing_deg: float) -> np.ndarray:
    shadow_bearing = bearing_deg + _image_bearing(base, tip) - _image_bearing(ref_start, ref_end)
    return (shadow_bearing + 180.0) % 360.0


def measure_shadow(marks: ShadowMarks, *, samples: int = SAMPLES, level: float = LEVEL,
                   seed: int = 0) -> ShadowMeasurement:
    """Sun elevation (and azimuth) with a ``level`` interval propagated from the marking error.

    >>> m = measure_shadow(ShadowMarks(base_px=(100, 200), top_px=(100, 100), tip_px=(200, 200)))
    >>> round(m.elevation_deg, 1), m.elevation_interval.low_deg < 45 < m.elevation_interval.high_deg
    (45.0, True)

    Raises:
        ConfigError: fewer than 100 samples or a level outside (0.5, 1).
    """
    if samples < 100 or not 0.5 < level < 1.0:
        raise ConfigError(f"need at least 100 samples and a level in (0.5, 1); got {samples}, {level}")
    rng = np.random.default_rng(seed)
    err = marks.marking_error_px
    if marks.reference is not None:
        level = 1.0 - (1.0 - level) / 2.0

    def jitter(point: Point) -> np.ndarray:
        return np.asarray(point) + rng.uniform(-err, err, size=(samples, 2))

    base, top, tip = jitter(marks.base_px), jitter(marks.top_px), jitter(marks.tip_px)
    ratio, elevation = _angles(np.asarray([marks.base_px]), np.asarray([marks.top_px]),
                               np.asarray([marks.tip_px]))
    _, draws = _angles(base, top, tip)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    assumptions = [ASSUMPTION_ELEVATION]
    azimuth = azimuth_interval = None
    if marks.reference is not None:
        ref = marks.reference
        point = float(_sun_azimuth(np.asarray(marks.base_px), np.asarray(marks.tip_px),
                                   np.asarray(ref.start_px), np.asarray(ref.end_px), ref.bearing_deg))
        az_draws = _sun_azimuth(base, tip, jitter(ref.start_px), jitter(ref.end_px), ref.bearing_deg)
        offsets = (az_draws - point + 180.0) % 360.0 - 180.0
        az_low, az_high = np.percentile(offsets, [tail, 100.0 - tail])
        azimuth = point
        azimuth_interval = Interval(low_deg=(point + az_low) % 360.0, high_deg=(point + az_high) % 360.0,
                                    level=level)
        assumptions.append(ASSUMPTION_AZIMUTH)
    return ShadowMeasurement(
        shadow_ratio=float(ratio[0]), elevation_deg=float(elevation[0]),
        elevation_interval=Interval(low_deg=float(low), high_deg=float(high), level=level),
        azimuth_deg=azimuth, azimuth_interval=azimuth_interval, marking_error_px=err,
        samples=samples, assumptions=tuple(assumptions),
    )


def measurement_from_lengths(height_m: float, shadow_m: float, *, error_m: float,
                             samples: int = SAMPLES, level: float = LEVEL,
                             seed: int = 0) -> ShadowMeasurement:
    """Sun elevation from an object height and shadow length measured on the ground (as in
    ShadowFinder), each uncertain by ``±error_m`` (uniform).

    Raises:
        ConfigError: non-positive lengths or a negative error.
    """
    if not (height_m > 0 and shadow_m > 0 and error_m >= 0):
        raise ConfigError(f"height {height_m} m and shadow {shadow_m} m must be positive, error >= 0")
    rng = np.random.default_rng(seed)
    heights = np.clip(height_m + rng.uniform(-error_m, error_m, samples), 1e-6, None)
    shadows = np.clip(shadow_m + rng.uniform(-error_m, error_m, samples), 1e-6, None)
    draws = np.degrees(np.arctan2(heights, shadows))
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    return ShadowMeasurement(
        shadow_ratio=shadow_m / height_m, elevation_deg=math.degrees(math.atan2(height_m, shadow_m)),
        elevation_interval=Interval(low_deg=float(low), high_deg=float(high), level=level),
        marking_error_px=0.0, samples=samples,
        assumptions=("the object is upright on level ground; lengths measured on the ground",),
    )
