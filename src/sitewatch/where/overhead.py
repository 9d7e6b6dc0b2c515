"""The sun in an overhead image: shadow directions measured beside vehicles, checked against the
stated date, the site and a satellite's plausible overpass times.

In a north-up image seen from above, a shadow points away from the sun, so the sun's azimuth is
the shadow's bearing + 180°. Shadows are measured two ways:

* **marked**: the analyst gives (base, tip) pixel pairs of shadows (a mast, a building corner);
* **beside detections**: for each vehicle box, the dark pixels of a ring around the box (darker
  than the ring's own 25th percentile and than the box surroundings' median by a margin) are taken
  as its shadow, and the direction from the box centre to their centroid is its shadow bearing.

Directions are combined by circular mean; the interval is a bootstrap over the objects. Elevation
needs a known object height and the ground sample distance: tan(elevation) = height / shadow length.

The check assumes a sun-synchronous optical satellite passing between 09:30 and 11:30 local mean
solar time (Sentinel-2, Landsat, WorldView, Pléiades and SPOT all cross near 10:00–10:30); aerial
surveys fly at other hours, so the looser "any daylight time" answer is reported too.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sitewatch.errors import ConfigError
from sitewatch.where.evidence import CheckKind, WhereCheck, canonical
from sitewatch.where.shadows import Interval
from sitewatch.where.sun import solar_library, sun_positions

#: Local mean solar time (hours) of a sun-synchronous optical satellite's overpass, assumed.
OVERPASS_HOURS = (9.5, 11.5)
TOLERANCE_DEG = 5.0
ELEVATION_TOLERANCE_DEG = 2.0
#: Shadow directions more spread than this (circular standard deviation) are refused.
MAX_SPREAD_DEG = 40.0
BOOTSTRAP = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class OverheadSun:
    """Sun azimuth (and elevation, when a height was known) measured from shadows in one image."""

    azimuth_deg: float
    azimuth_interval: Interval
    shadows_used: int
    elevation_deg: float | None = None


def _circular_mean(angles_deg: np.ndarray, axis: int = -1) -> np.ndarray:
    radians = np.radians(angles_deg)
    return np.degrees(np.arctan2(np.sin(radians).mean(axis=axis), np.cos(radians).mean(axis=axis))) % 360.0


def sun_from_shadow_bearings(bearings_deg: np.ndarray | list[float], *, level: float = 0.95,
                             seed: int = 0, max_spread_deg: float = MAX_SPREAD_DEG) -> OverheadSun:
    """Sun azimuth from shadow bearings (degrees east of north), with a bootstrap interval.

    Shadows whose directions disagree (circular spread above ``max_spread_deg``) are refused: on
    the real MVRSD vehicle parks the dark pixels beside boxes are other vehicles and dark ground as
    often as shadows, and a mean of such directions is no measurement.

    >>> round(sun_from_shadow_bearings([300.0, 310.0, 305.0]).azimuth_deg)
    125

    Raises:
        ConfigError: fewer than two shadows.
    """
    bearings = np.asarray(bearings_deg, dtype=np.float64) % 360.0
    if bearings.size < 2:
        raise ConfigError(f"{bearings.size} shadow(s) measured; mark or detect at least two")
    length = float(np.hypot(np.cos(np.radians(bearings)).mean(), np.sin(np.radians(bearings)).mean()))
    spread_deg = math.degrees(math.sqrt(-2.0 * math.log(max(length, 1e-9))))
    if spread_deg > max_spread_deg:
        raise ConfigError(f"the {bearings.size} shadow directions disagree (circular spread "
                          f"{spread_deg:.0f}° > {max_spread_deg:.0f}°): no sun direction can be read from "
                          "them; mark shadows of upright objects by hand")
    sun = (bearings + 180.0) % 360.0
    centre = float(_circular_mean(sun))
    rng = np.random.default_rng(seed)
    draws = sun[rng.integers(0, sun.size, size=(BOOTSTRAP, sun.size))]
    offsets = (_circular_mean(draws, axis=1) - centre + 180.0) % 360.0 - 180.0
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(offsets, [tail, 100.0 - tail])
    # Few objects make a bootstrap too narrow: never claim better than the spread of one shadow
    # divided by sqrt(n).
    spread = float(np.degrees(np.sqrt(-2.0 * np.log(max(
        np.hypot(np.cos(np.radians(sun)).mean(), np.sin(np.radians(sun)).mean()), 1e-9)))))
    floor = 1.96 * spread / math.sqrt(sun.size)
    low, high = min(low, -floor), max(high, floor)
    return OverheadSun(azimuth_deg=centre, shadows_used=int(sun.size), azimuth_interval=Interval(
        low_deg=(centre + low) % 360.0, high_deg=(centre + high) % 360.0, level=level))


def sun_elevation_from_lengths(lengths_px: np.ndarray | list[float], *, gsd_m: float, height_m: float,
                               height_error_m: float, level: float = 0.95, seed: int = 0) -> Interval:
    """Sun elevation interval from shadow lengths of objects of one height (± its error).

    Bootstrap of the median length over objects, with the height drawn uniformly in its range.

    Raises:
        ConfigError: no lengths, or non-positive GSD or height.
    """
    lengths = np.asarray(lengths_px, dtype=np.float64)
    if lengths.size < 2 or gsd_m <= 0 or height_m <= 0 or not 0 <= height_error_m < height_m:
        raise ConfigError(f"need >= 2 shadow lengths, a positive GSD and height (got {lengths.size}, "
                          f"{gsd_m} m, {height_m} ± {height_error_m} m)")
    rng = np.random.default_rng(seed)
    medians = np.median(lengths[rng.integers(0, lengths.size, size=(BOOTSTRAP, lengths.size))], axis=1)
    heights = rng.uniform(height_m - height_error_m, height_m + height_error_m, size=BOOTSTRAP)
    draws = np.degrees(np.arctan2(heights, np.maximum(medians, 0.5) * gsd_m))
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    return Interval(low_deg=float(low), high_deg=float(high), level=level)


def marked_shadow_bearings(lines_px: list[tuple[tuple[float, float], tuple[float, float]]], *,
                           north_image_deg: float = 0.0) -> np.ndarray:
    """Bearings of (base, tip) pixel pairs; ``north_image_deg`` is north's clockwise angle from
    image-up (0 for a north-up image)."""
    base = np.asarray([line[0] for line in lines_px], dtype=np.float64)
    tip = np.asarray([line[1] for line in lines_px], dtype=np.float64)
    d = tip - base
    return (np.degrees(np.arctan2(d[:, 0], -d[:, 1])) - north_image_deg) % 360.0


def north_in_image_deg(transform: tuple[float, float, float, float, float, float], crs_wkt: str,
                       x_px: float, y_px: float) -> float:
    """True north's clockwise angle from image-up at a pixel of a georeferenced image.

    Found by stepping 10 m north on the ellipsoid and projecting back to pixels, so it holds for
    rotated transforms and for the grid convergence of a projected CRS (UTM grid north is up to
    about 3° from true north away from the central meridian).

    >>> utm16 = "EPSG:32616"  # Atlanta, 2.5° east of the zone's central meridian
    >>> round(north_in_image_deg((0.5, 0, 733601.0, 0, -0.5, 3725139.0), utm16, 450, 450), 2)
    -1.4

    Raises:
        GeoError: the CRS cannot be read.
    """
    from sitewatch.imagery import lonlat_to_pixel, pixel_to_lonlat

    lon, lat = pixel_to_lonlat(transform, crs_wkt, [x_px], [y_px])[0]
    north = lonlat_to_pixel(transform, crs_wkt, [lon], [lat + 10.0 / 111_000.0])[0]
    return math.degrees(math.atan2(north[0] - x_px, -(north[1] - y_px)))


def shadow_bearings_beside_boxes(grey: np.ndarray, boxes_px: list[tuple[float, float, float, float]], *,
                                 ring_px: int = 0, margin: float = 12.0,
                                 north_image_deg: float = 0.0) -> np.ndarray:
    """Shadow bearing (degrees) beside each (x0, y0, x1, y1) box; see :func:`shadows_beside_boxes`."""
    found = shadows_beside_boxes(grey, boxes_px, ring_px=ring_px, margin=margin,
                                 north_image_deg=north_image_deg)
    return found[:, 0] if found.size else np.zeros(0)


def shadows_beside_boxes(grey: np.ndarray, boxes_px: list[tuple[float, float, float, float]], *,
                         ring_px: int = 0, margin: float = 12.0, north_image_deg: float = 0.0) -> np.ndarray:
    """(bearing deg, length px) of the shadow beside each (x0, y0, x1, y1) box, from the dark
    pixels of a ring around it; the length is how far the dark pixels reach past the box's edge
    along the bearing (farthest pixel edge). Boxes with too few dark pixels around them are skipped.
    """
    image = np.asarray(grey, dtype=np.float32)
    height, width = image.shape
    bearings = []
    for x0, y0, x1, y1 in boxes_px:
        ring = ring_px or max(4, round(0.8 * max(x1 - x0, y1 - y0)))
        a0, b0 = max(int(x0) - ring, 0), max(int(y0) - ring, 0)
        a1, b1 = min(math.ceil(x1) + ring, width), min(math.ceil(y1) + ring, height)
        patch = image[b0:b1, a0:a1]
        ys, xs = np.mgrid[b0:b1, a0:a1]
        outside = ~((xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1))
        values = patch[outside]
        if values.size < 20:
            continue
        threshold = min(np.percentile(values, 25), np.median(values) - margin)
        dark = _attached(outside & (patch < threshold), ~outside)
        if dark.sum() < max(6, 0.02 * outside.sum()):
            continue
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        dx, dy = xs[dark].mean() - cx, ys[dark].mean() - cy
        norm = math.hypot(dx, dy)
        if norm < 1.0:
            continue
        ux, uy = dx / norm, dy / norm
        reach = float(np.max((xs[dark] - cx) * ux + (ys[dark] - cy) * uy)) + 0.5
        edge = abs(ux) * (x1 - x0) / 2.0 + abs(uy) * (y1 - y0) / 2.0
        bearings.append(((math.degrees(math.atan2(dx, -dy)) - north_image_deg) % 360.0,
                         max(float(reach - edge), 0.0)))
    return np.asarray(bearings, dtype=np.float64).reshape(-1, 2)


def _attached(dark: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The dark pixels connected to the box (a shadow touches what casts it; noise does not)."""
    from scipy import ndimage

    labels, _count = ndimage.label(dark)
    touching = np.unique(labels[ndimage.binary_dilation(box, iterations=2) & dark])
    return np.isin(labels, touching[touching > 0])


@dataclass(frozen=True, slots=True, kw_only=True)
class OverheadCheck:
    """Measured sun azimuth against the one predicted for a stated date (and time) at the site.

    ``overpass_utc`` is the assumed overpass window (:data:`OVERPASS_HOURS` local mean solar time)
    on that date, in UTC. With a stated time, ``at_time`` is the sun then and ``fits_time`` whether
    the measurement fits it.
    """

    date: dt.date
    predicted_overpass_deg: tuple[float, float]
    overpass_utc: tuple[dt.datetime, dt.datetime]
    fits_overpass: bool
    fits_daylight: bool
    daylight_fit_times_utc: tuple[dt.datetime, ...]
    at_time: tuple[float, float] | None = None
    fits_time: bool | None = None


def _fits(azimuth: np.ndarray, elevation: np.ndarray, sun: OverheadSun, elevation_interval: Interval | None,
          tolerance_deg: float) -> np.ndarray:
    interval = sun.azimuth_interval
    width = (interval.high_deg - interval.low_deg) % 360.0 + 2 * tolerance_deg
    inside = ((azimuth - (interval.low_deg - tolerance_deg)) % 360.0 <= width) & (elevation > 2.0)
    if elevation_interval is not None:
        inside &= (elevation >= elevation_interval.low_deg - ELEVATION_TOLERANCE_DEG) & (
            elevation <= elevation_interval.high_deg + ELEVATION_TOLERANCE_DEG)
    return np.asarray(inside, dtype=bool)


def check_overhead_date(sun: OverheadSun, *, lon_deg: float, lat_deg: float, date: dt.date,
                        elevation: Interval | None = None, time_utc: dt.datetime | None = None,
                        overpass_hours: tuple[float, float] = OVERPASS_HOURS,
                        tolerance_deg: float = TOLERANCE_DEG) -> OverheadCheck:
    """Whether the measured azimuth (and elevation, when given) fits the sun at the site on
    ``date`` during the overpass window (local mean solar time), at any daylight minute, and at
    ``time_utc`` when a time is stated.

    ``date`` is the date at the site (local mean solar time); a stated time must fall on it.

    Raises:
        ConfigError: ``time_utc`` has no time zone or falls on another local date.
    """
    midnight_utc = dt.datetime.combine(date, dt.time(0), tzinfo=dt.UTC).timestamp() - lon_deg / 15.0 * 3600.0
    minutes = np.arange(0, 24 * 60, 2, dtype=np.float64)
    times = midnight_utc + minutes * 60.0
    azimuth, sun_elevation = sun_positions(lon_deg, lat_deg, times)
    inside = _fits(azimuth, sun_elevation, sun, elevation, tolerance_deg)
    window = (minutes >= overpass_hours[0] * 60) & (minutes <= overpass_hours[1] * 60)
    overpass = azimuth[window]
    step = max(1, int(inside.sum()) // 8)
    fit_times = tuple(dt.datetime.fromtimestamp(t, dt.UTC) for t in times[inside][::step])
    overpass_utc = (dt.datetime.fromtimestamp(midnight_utc + overpass_hours[0] * 3600, dt.UTC),
                    dt.datetime.fromtimestamp(midnight_utc + overpass_hours[1] * 3600, dt.UTC))
    at_time = fits_time = None
    if time_utc is not None:
        if time_utc.tzinfo is None:
            raise ConfigError(f"time {time_utc.isoformat()} has no time zone; give it in UTC (e.g. ...Z)")
        offset_s = time_utc.timestamp() - midnight_utc
        if not 0 <= offset_s < 86400:
            raise ConfigError(f"time {time_utc.isoformat()} is not on {date} at longitude {lon_deg:.3f} "
                              "(local solar date); give the date the image was taken there")
        az_t, el_t = sun_positions(lon_deg, lat_deg, np.array([time_utc.timestamp()]))
        at_time = (float(az_t[0]), float(el_t[0]))
        fits_time = bool(_fits(az_t, el_t, sun, elevation, tolerance_deg)[0])
    return OverheadCheck(date=date, predicted_overpass_deg=(float(overpass.min()), float(overpass.max())),
                         overpass_utc=overpass_utc, fits_overpass=bool(inside[window].any()),
                         fits_daylight=bool(inside.any()), daylight_fit_times_utc=fit_times,
                         at_time=at_time, fits_time=fits_time)


def overhead_check(check_id: str, bearings_deg: list[float], *, lon_deg: float, lat_deg: float,
                   date: dt.date, source: str, lengths_px: list[float] | None = None,
                   gsd_m: float | None = None, height_m: float | None = None,
                   height_error_m: float = 0.0, time_utc: dt.datetime | None = None,
                   marks_px: list[list[float]] | None = None,
                   north_image_deg: float | None = None) -> WhereCheck:
    """The evidence record of an overhead sun check (recomputable from its inputs).

    With shadow lengths, the GSD and the objects' height, the sun's elevation is checked too. With
    ``time_utc`` (the stated acquisition time) the measurement is checked against the sun at that
    minute, and that decides whether the claim fits; without it, the overpass window decides.
    ``marks_px`` and ``north_image_deg`` (the pixel marks the bearings came from, and true north's
    clockwise angle from image-up there) are kept with the inputs so that an analyst can redraw them.

    Raises:
        ConfigError: fewer than two shadows, shadows that disagree, or a time off the date.
    """
    inputs: dict[str, object] = {
        "bearings_deg": [round(float(b), 4) for b in bearings_deg], "lon_deg": lon_deg,
        "lat_deg": lat_deg, "date": date.isoformat(), "source": source,
        "overpass_hours": list(OVERPASS_HOURS), "tolerance_deg": TOLERANCE_DEG}
    if time_utc is not None:
        inputs["time_utc"] = time_utc.astimezone(dt.UTC).isoformat()
    if marks_px is not None:
        inputs["marks_px"] = [[round(float(v), 3) for v in mark] for mark in marks_px]
    if north_image_deg is not None:
        inputs["north_image_deg"] = round(float(north_image_deg), 4)
    sun = sun_from_shadow_bearings(bearings_deg)
    elevation = None
    if lengths_px is not None and gsd_m is not None and height_m is not None:
        inputs.update(lengths_px=[round(float(v), 3) for v in lengths_px], gsd_m=gsd_m, height_m=height_m,
                      height_error_m=height_error_m)
        elevation = sun_elevation_from_lengths([round(float(v), 3) for v in lengths_px], gsd_m=gsd_m,
                                               height_m=height_m, height_error_m=height_error_m)
    check = check_overhead_date(sun, lon_deg=lon_deg, lat_deg=lat_deg, date=date, elevation=elevation,
                                time_utc=time_utc)
    finding, fits = _finding(sun, check, elevation, lon_deg=lon_deg, lat_deg=lat_deg, time_utc=time_utc)
    low, high = check.predicted_overpass_deg
    result = {"azimuth_deg": round(sun.azimuth_deg, 3),
              "azimuth_interval_deg": [round(sun.azimuth_interval.low_deg, 3),
                                       round(sun.azimuth_interval.high_deg, 3)],
              "predicted_overpass_deg": [round(low, 3), round(high, 3)],
              "overpass_utc": [t.isoformat() for t in check.overpass_utc],
              "fits_overpass": check.fits_overpass, "fits_daylight": check.fits_daylight,
              "elevation_interval_deg": None if elevation is None else [round(elevation.low_deg, 3),
                                                                         round(elevation.high_deg, 3)]}
    if check.at_time is not None:
        result.update(predicted_at_time_deg=[round(check.at_time[0], 3), round(check.at_time[1], 3)],
                      fits_time=check.fits_time)
    return WhereCheck(check_id=check_id, kind=CheckKind.OVERHEAD_SUN, inputs_json=canonical(inputs),
                      result_json=canonical(result), finding=finding, fits=fits,
                      uncertainty=(f"95 % bootstrap interval over {sun.shadows_used} shadows, "
                                   f"±{TOLERANCE_DEG:g}° allowed for image rotation and object shape"
                                   + ("" if elevation is None else
                                      f"; elevation ±{ELEVATION_TOLERANCE_DEG:g}° beyond its interval")),
                      library=solar_library())


def _clock(hours: float) -> str:
    """``HH:MM`` of a time of day in hours.

    >>> _clock(9.5)
    '09:30'
    """
    return f"{int(hours):02d}:{round((hours % 1) * 60):02d}"


def _finding(sun: OverheadSun, check: OverheadCheck, elevation: Interval | None, *, lon_deg: float,
             lat_deg: float, time_utc: dt.datetime | None) -> tuple[str, bool]:
    """The one-line finding and whether the stated date (and time) fit."""
    low, high = check.predicted_overpass_deg
    start, end = check.overpass_utc
    hours = _clock(OVERPASS_HOURS[0]), _clock(OVERPASS_HOURS[1])
    measured = (f"shadows of {sun.shadows_used} objects put the sun at azimuth {sun.azimuth_deg:.1f}° "
                f"(95 % {sun.azimuth_interval.low_deg:.1f}–{sun.azimuth_interval.high_deg:.1f}°, "
                f"±{TOLERANCE_DEG:g}° allowed)")
    if elevation is not None:
        measured += f", elevation {elevation.low_deg:.1f}–{elevation.high_deg:.1f}°"
    window = (f"a {hours[0]}–{hours[1]} solar-time overpass ({start:%H:%M}–{end:%H:%M} UTC) would see "
              f"azimuth {low:.1f}–{high:.1f}°")
    place = f"on {check.date} at ({lat_deg:.4f}, {lon_deg:.4f})"
    if check.at_time is not None and time_utc is not None:
        az_t, el_t = check.at_time
        fits = bool(check.fits_time)
        verdict = ("FITS the stated time" if fits else
                   "does NOT fit the stated time: possibly misdated, mis-timed or mislocated")
        return (f"{measured}; {place} at {time_utc.astimezone(dt.UTC):%H:%M} UTC the sun stood at azimuth "
                f"{az_t:.1f}°, elevation {el_t:.1f}° ({window}): {verdict}"), fits
    if check.fits_overpass:
        verdict = f"FITS the stated date at a {hours[0]}–{hours[1]} solar-time overpass"
    elif check.fits_daylight:
        verdict = (f"fits the stated date only outside a {hours[0]}–{hours[1]} solar-time overpass "
                   "(aerial survey?)")
    else:
        verdict = "does NOT fit the stated date at any daylight time: possibly misdated or mislocated"
    return f"{measured}; {place} {window}: {verdict}", check.fits_overpass


def rerun_overhead_check(check: WhereCheck) -> WhereCheck:
    """Recompute an overhead check from its stored inputs (for replay)."""
    import json

    inputs = json.loads(check.inputs_json)
    time_utc = inputs.get("time_utc")
    return overhead_check(check.check_id, inputs["bearings_deg"], lon_deg=float(inputs["lon_deg"]),
                          lat_deg=float(inputs["lat_deg"]), date=dt.date.fromisoformat(inputs["date"]),
                          source=str(inputs["source"]), lengths_px=inputs.get("lengths_px"),
                          gsd_m=inputs.get("gsd_m"), height_m=inputs.get("height_m"),
                          height_error_m=float(inputs.get("height_error_m", 0.0)),
                          time_utc=None if time_utc is None else dt.datetime.fromisoformat(time_utc),
                          marks_px=inputs.get("marks_px"), north_image_deg=inputs.get("north_image_deg"))
