"""Where the sun stands: NREL's Solar Position Algorithm as implemented by pvlib.

sitewatch writes no solar formula of its own. A single place and time, or one place over a day,
goes through :func:`pvlib.spa.solar_position_numpy` (topocentric, refracted). A whole-globe grid
for one instant takes the time-dependent part of the same algorithm once (apparent sidereal time,
the sun's geocentric right ascension and declination) and evaluates, per cell, pvlib's hour-angle
and refraction functions with the geocentric elevation; the solar parallax (at most 8.8 arc
seconds) is left out there, so the grid differs from the full algorithm by under 0.005 degrees
(pinned by a test against the full algorithm). The time zone of a place comes from
``timezonefinder``'s offline polygons.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import numpy as np

from sitewatch.errors import ConfigError

#: Standard atmosphere used for refraction when the weather is unknown.
PRESSURE_HPA = 1013.25
TEMPERATURE_C = 12.0
#: NREL SPA's refraction at sunrise/sunset, degrees.
ATMOS_REFRACT_DEG = 0.5667


def _require(module: str) -> ModuleType:
    """Import an optional dependency or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigError(
            f"sun and shadow checks need {module.split('.')[0]!r}; install it with "
            "`pip install 'sitewatch[where]'`"
        ) from exc


def solar_library() -> str:
    """The library and version that compute sun positions, for the evidence record.

    >>> solar_library().startswith("pvlib ")
    True
    """
    pvlib = _require("pvlib")
    return f"pvlib {pvlib.__version__} (NREL SPA, pvlib.spa numpy)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SunPosition:
    """Apparent (refracted) sun position seen from one place at one instant."""

    azimuth_deg: float
    elevation_deg: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.azimuth_deg < 360.0 and -90.0 <= self.elevation_deg <= 90.0):
            raise ConfigError(f"sun position az={self.azimuth_deg} el={self.elevation_deg} is out of range")


def _check_utc(time_utc: datetime) -> None:
    if time_utc.tzinfo is None:
        raise ConfigError(f"time {time_utc.isoformat()} has no time zone; give it in UTC (e.g. ...Z)")


def delta_t_s(time_utc: datetime) -> float:
    """Terrestrial minus universal time (seconds) for the date, from pvlib's polynomial."""
    spa = _require("pvlib.spa")
    return float(spa.calculate_deltat(time_utc.year, time_utc.month))


def sun_positions(
    lon_deg: float | np.ndarray,
    lat_deg: float | np.ndarray,
    unixtime_s: np.ndarray,
    *,
    delta_t: float | None = None,
    elevation_m: float = 0.0,
    pressure_hpa: float = PRESSURE_HPA,
    temperature_c: float = TEMPERATURE_C,
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth (degrees east of north) and apparent elevation for arrays of places and times.

    Arrays broadcast against each other (one place over many times, or many places at one
    time). ``delta_t`` defaults to pvlib's estimate for the first time's year.
    """
    spa = _require("pvlib.spa")
    times = np.atleast_1d(np.asarray(unixtime_s, dtype=np.float64))
    if delta_t is None:
        first = datetime.fromtimestamp(float(times.flat[0]), tz=UTC)
        delta_t = delta_t_s(first)
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    result: Any = spa.solar_position_numpy(
        times, lat, lon, elevation_m, pressure_hpa, temperature_c, delta_t, ATMOS_REFRACT_DEG,
        numthreads=1,
    )
    _zenith, _zenith0, elevation, _elevation0, azimuth, _eot = result
    return np.asarray(azimuth, dtype=np.float64) % 360.0, np.asarray(elevation, dtype=np.float64)


def sun_position(lon_deg: float, lat_deg: float, time_utc: datetime, **options: Any) -> SunPosition:
    """The sun's azimuth and elevation at one place and instant.

    >>> from datetime import datetime, UTC
    >>> sun = sun_position(0.0, 51.48, datetime(2024, 6, 21, 12, 0, tzinfo=UTC))
    >>> round(sun.elevation_deg)
    62

    Raises:
        ConfigError: ``time_utc`` has no time zone.
    """
    _check_utc(time_utc)
    azimuth, elevation = sun_positions(lon_deg, lat_deg, np.array([time_utc.timestamp()]), **options)
    return SunPosition(azimuth_deg=float(azimuth[0]) % 360.0, elevation_deg=float(elevation[0]))


@dataclass(frozen=True, slots=True, kw_only=True)
class SunGrid:
    """The sun's apparent elevation over a regular lon/lat grid (cell centres) at one instant."""

    time_utc: datetime
    step_deg: float
    lon_deg: np.ndarray
    lat_deg: np.ndarray
    elevation_deg: np.ndarray  # (lat, lon), float32
    declination_deg: float
    subsolar_lon_deg: float


def sun_grid(time_utc: datetime, *, step_deg: float = 0.1) -> SunGrid:
    """Apparent sun elevation over the whole globe at ``step_deg`` (cell centres), vectorised.

    The sidereal time, right ascension and declination come from pvlib's SPA once for the instant;
    the hour angle and refraction per cell from pvlib's functions; elevation is geocentric
    (parallax under 0.0025 degrees left out).

    Raises:
        ConfigError: naive time or a step outside (0, 10] degrees.
    """
    _check_utc(time_utc)
    if not 0.0 < step_deg <= 10.0:
        raise ConfigError(f"grid step {step_deg} degrees is out of range; use a value in (0, 10]")
    spa = _require("pvlib.spa")
    unixtime = np.array([time_utc.timestamp()])
    sidereal, right_ascension, declination = spa.solar_position_numpy(
        unixtime, 0.0, 0.0, 0.0, PRESSURE_HPA, TEMPERATURE_C, delta_t_s(time_utc), ATMOS_REFRACT_DEG,
        numthreads=1, sst=True,
    )
    lon = np.arange(-180.0 + step_deg / 2, 180.0, step_deg)
    lat = np.arange(90.0 - step_deg / 2, -90.0, -step_deg)
    hour_angle = np.radians(spa.local_hour_angle(float(sidereal[0]), lon, float(right_ascension[0])))
    delta = np.radians(float(declination[0]))
    phi = np.radians(lat)
    row_a = (np.sin(phi) * np.sin(delta)).astype(np.float32)
    row_b = (np.cos(phi) * np.cos(delta)).astype(np.float32)
    col = np.cos(hour_angle).astype(np.float32)
    sine = row_b[:, None] * col[None, :]
    sine += row_a[:, None]
    np.clip(sine, -1.0, 1.0, out=sine)
    geometric = np.degrees(np.arcsin(sine, out=sine), out=sine)
    refraction = spa.atmospheric_refraction_correction(
        PRESSURE_HPA, TEMPERATURE_C, geometric, ATMOS_REFRACT_DEG
    )
    elevation = (geometric + np.asarray(refraction, dtype=np.float32)).astype(np.float32, copy=False)
    subsolar = ((float(right_ascension[0]) - float(sidereal[0]) + 180.0) % 360.0) - 180.0
    return SunGrid(time_utc=time_utc, step_deg=step_deg, lon_deg=lon, lat_deg=lat,
                   elevation_deg=elevation, declination_deg=float(declination[0]),
                   subsolar_lon_deg=subsolar)


def time_zone_at(lon_deg: float, lat_deg: float) -> str | None:
    """IANA time zone name at a place from timezonefinder's offline data (``None`` at sea).

    >>> time_zone_at(37.97, 48.03)
    'Europe/Kyiv'
    """
    module = _require("timezonefinder")
    finder = module.TimezoneFinder(in_memory=True)
    name = finder.timezone_at(lng=float(lon_deg), lat=float(lat_deg))
    return str(name) if name else None
