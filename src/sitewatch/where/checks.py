"""What a measured sun position says about a claimed place and time.

Three questions, each answered with the numbers that decide it:

* :func:`check_place_time` — does the sun at the claimed place and time stand where the shadow
  says (inside the measured interval, widened by ``tolerance_deg`` for the level-ground and
  upright-object assumptions)?
* :func:`fitting_times` — at the claimed place, during which minutes of the claimed local day?
* :func:`where_on_earth` — at the claimed time, in which cells of the globe?
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from sitewatch.errors import ConfigError
from sitewatch.where.shadows import Interval, ShadowMeasurement
from sitewatch.where.sun import SunGrid, SunPosition, sun_grid, sun_position, sun_positions, time_zone_at

#: Extra degrees allowed beyond the marking interval, for ground slope and a leaning object.
TOLERANCE_DEG = 1.0


def _within(value: float, interval: Interval, tolerance: float, *, circular: bool = False) -> bool:
    widened = Interval(low_deg=interval.low_deg - tolerance, high_deg=interval.high_deg + tolerance)
    return widened.contains(value % 360.0 if circular else value, circular=circular)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceTimeCheck:
    """The sun at a claimed place and time against the shadow's measurement."""

    lon_deg: float
    lat_deg: float
    time_utc: dt.datetime
    predicted: SunPosition
    elevation_fits: bool
    azimuth_fits: bool | None
    tolerance_deg: float

    @property
    def fits(self) -> bool:
        """True when every measured angle agrees with the claim."""
        return self.elevation_fits and self.azimuth_fits is not False


def check_place_time(measurement: ShadowMeasurement, *, lon_deg: float, lat_deg: float,
                     time_utc: dt.datetime, tolerance_deg: float = TOLERANCE_DEG) -> PlaceTimeCheck:
    """Whether the sun at (``lon_deg``, ``lat_deg``) at ``time_utc`` casts the measured shadow.

    A sun below the horizon never fits (there is no shadow to measure).

    Raises:
        ConfigError: naive time.
    """
    sun = sun_position(lon_deg, lat_deg, time_utc)
    elevation_fits = sun.elevation_deg > 0 and _within(sun.elevation_deg, measurement.elevation_interval,
                                                       tolerance_deg)
    azimuth_fits = None
    if measurement.azimuth_interval is not None:
        azimuth_fits = _within(sun.azimuth_deg, measurement.azimuth_interval, tolerance_deg, circular=True)
    return PlaceTimeCheck(lon_deg=lon_deg, lat_deg=lat_deg, time_utc=time_utc, predicted=sun,
                          elevation_fits=bool(elevation_fits), azimuth_fits=azimuth_fits,
                          tolerance_deg=tolerance_deg)


@dataclass(frozen=True, slots=True, kw_only=True)
class FittingTimes:
    """Minutes of one local day at one place when the sun fits the measurement."""

    lon_deg: float
    lat_deg: float
    day: dt.date
    time_zone: str
    windows_utc: tuple[tuple[dt.datetime, dt.datetime], ...]
    step_s: int

    def local(self) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The windows in the place's local time."""
        zone = ZoneInfo(self.time_zone)
        return tuple((a.astimezone(zone), b.astimezone(zone)) for a, b in self.windows_utc)


def fitting_times(measurement: ShadowMeasurement, *, lon_deg: float, lat_deg: float, day: dt.date,
                  time_zone: str | None = None, step_s: int = 60,
                  tolerance_deg: float = TOLERANCE_DEG) -> FittingTimes:
    """Windows of the local ``day`` at the place when the sun fits the shadow (every ``step_s``).

    The local day's time zone comes from timezonefinder unless given (UTC at sea).

    Raises:
        ConfigError: unknown time zone name or a step outside 1..3600 s.
    """
    if not 1 <= step_s <= 3600:
        raise ConfigError(f"time step {step_s} s is out of range; use 1..3600")
    zone_name = time_zone or time_zone_at(lon_deg, lat_deg) or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {zone_name!r}; give an IANA name such as "
                          "'Europe/Kyiv'") from exc
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    times = np.arange(start.timestamp(), end.timestamp(), step_s, dtype=np.float64)
    azimuth, elevation = sun_positions(lon_deg, lat_deg, times)
    ok = _band(elevation, measurement.elevation_interval, tolerance_deg) & (elevation > 0)
    if measurement.azimuth_interval is not None:
        ok &= _azimuth_band(azimuth, measurement.azimuth_interval, tolerance_deg)
    windows = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    for first, stop in zip(edges[::2], edges[1::2], strict=True):
        windows.append((dt.datetime.fromtimestamp(times[first], dt.UTC),
                        dt.datetime.fromtimestamp(times[stop - 1], dt.UTC)))
    return FittingTimes(lon_deg=lon_deg, lat_deg=lat_deg, day=day, time_zone=zone_name,
                        windows_utc=tuple(windows), step_s=step_s)


def _band(values: np.ndarray, interval: Interval, tolerance: float) -> np.ndarray:
    return (values >= interval.low_deg - tolerance) & (values <= interval.high_deg + tolerance)


def _azimuth_band(values: np.ndarray, interval: Interval, tolerance: float) -> np.ndarray:
    width = (interval.high_deg - interval.low_deg) % 360.0 + 2 * tolerance
    return (values - (interval.low_deg - tolerance)) % 360.0 <= width


@dataclass(frozen=True, slots=True, kw_only=True)
class SunMap:
    """Cells of the globe where, at one instant, the sun stands as the shadow says."""

    grid: SunGrid
    mask: np.ndarray  # (lat, lon) bool
    elevation_interval: Interval
    tolerance_deg: float

    @property
    def fraction_of_cells(self) -> float:
        """Share of grid cells that fit (not of area)."""
        return float(self.mask.mean())

    def fits_at(self, lon_deg: float, lat_deg: float) -> bool:
        """Whether the cell holding this place fits."""
        step = self.grid.step_deg
        row = min(int((90.0 - lat_deg) // step), self.mask.shape[0] - 1)
        col = min(int((lon_deg + 180.0) // step), self.mask.shape[1] - 1)
        return bool(self.mask[row, col])


def where_on_earth(measurement: ShadowMeasurement, time_utc: dt.datetime, *, step_deg: float = 0.1,
                   tolerance_deg: float = TOLERANCE_DEG) -> SunMap:
    """Every cell where the sun's elevation at ``time_utc`` is inside the measured interval.

    Only elevation is used: an azimuth measured against a local reference already assumes a place.

    Raises:
        ConfigError: naive time or a bad step.
    """
    grid = sun_grid(time_utc, step_deg=step_deg)
    interval = measurement.elevation_interval
    low = max(interval.low_deg - tolerance_deg, 0.0)
    high = interval.high_deg + tolerance_deg
    mask = (grid.elevation_deg >= low) & (grid.elevation_deg <= high)
    return SunMap(grid=grid, mask=mask, elevation_interval=interval, tolerance_deg=tolerance_deg)
