"""Geodesic distances and travel times by transport mode, with the speeds' sources.

Distances are geodesics on the WGS84 ellipsoid (:class:`pyproj.Geod`). A vehicle on the
ground covers more than the geodesic: each mode's ``detour_factor`` turns a straight line into
a route length, after the road circuity factors of Ballou, Rahardja and Sakai, "Selected
country circuity factors for road travel distance estimation", Transportation Research Part A
36 (2002) 843-848 (about 1.1-1.6 by country, 1.2-1.3 typical).

The speeds below are **planning figures**, not measurements of any particular unit: typical
and sustained-maximum average speeds over a whole move, halts included. Each carries the
source it was taken from as a plain sentence. They were written from the author's knowledge of
these documents and have not been re-checked against the texts offline: an analyst who
publishes a link should check them, or pass their own :class:`ModeSpeed` values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from pyproj import Geod

from sitewatch.errors import ConfigError, GeoError
from sitewatch.geo.coords import LonLat

_GEOD = Geod(ellps="WGS84")


class TransportMode(StrEnum):
    """How armoured vehicles move between sites."""

    TRANSPORTER_ROAD = "transporter_road"  #: on heavy equipment transporters, by road
    TRACKED_ROAD_MARCH = "tracked_road_march"  #: on their own tracks, in column, by road
    RAIL = "rail"  #: on flat wagons of a military train


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeSpeed:
    """Speeds and delays assumed for one transport mode.

    Attributes:
        mode: the mode.
        typical_kmh: average speed over the route, halts included, as usually planned.
        max_kmh: the highest such average that is still realistic (a forced move).
        detour_factor: route length over geodesic distance.
        fixed_delay_h: loading and unloading (rail ramps, transporter loading).
        hours_per_day: driving hours in one day of a multi-day move (crews rest).
        source: where the figures come from.
    """

    mode: TransportMode
    typical_kmh: float
    max_kmh: float
    detour_factor: float
    fixed_delay_h: float
    hours_per_day: float
    source: str

    def __post_init__(self) -> None:
        if not 0 < self.typical_kmh <= self.max_kmh:
            raise ConfigError(f"{self.mode}: need 0 < typical_kmh <= max_kmh, got "
                              f"{self.typical_kmh} and {self.max_kmh}")
        if self.detour_factor < 1.0 or self.fixed_delay_h < 0:
            raise ConfigError(f"{self.mode}: detour_factor must be >= 1 and fixed_delay_h >= 0")
        if not 0 < self.hours_per_day <= 24:
            raise ConfigError(f"{self.mode}: hours_per_day must be in (0, 24]")

    def hours(self, distance_m: float, *, fastest: bool = False) -> float:
        """Elapsed hours to cover ``distance_m`` (geodesic), rests and delays included.

        >>> rail = DEFAULT_SPEEDS[TransportMode.RAIL]
        >>> round(rail.hours(0.0), 1) == rail.fixed_delay_h
        True
        """
        speed = self.max_kmh if fastest else self.typical_kmh
        driving = distance_m * self.detour_factor / 1000.0 / speed
        rest_days = math.floor(driving / self.hours_per_day) if driving > 0 else 0
        if rest_days and math.isclose(driving, rest_days * self.hours_per_day):
            rest_days -= 1
        return self.fixed_delay_h + driving + rest_days * (24.0 - self.hours_per_day)


#: Default planning figures. Replace them with sourced figures for the case at hand.
DEFAULT_SPEEDS: dict[TransportMode, ModeSpeed] = {
    TransportMode.TRANSPORTER_ROAD: ModeSpeed(
        mode=TransportMode.TRANSPORTER_ROAD, typical_kmh=40.0, max_kmh=60.0,
        detour_factor=1.3, fixed_delay_h=1.0, hours_per_day=16.0,
        source=("Heavy equipment transporter convoys: highway march planning rates of about "
                "40-50 km/h in US Army motor transport doctrine (FM 55-30 Army Motor Transport "
                "Units and Operations; ATP 4-11 Army Motor Transport Operations); loaded top "
                "speed of the Oshkosh M1070 HET tractor about 70 km/h (manufacturer data); one "
                "hour to load."),
    ),
    TransportMode.TRACKED_ROAD_MARCH: ModeSpeed(
        mode=TransportMode.TRACKED_ROAD_MARCH, typical_kmh=20.0, max_kmh=30.0,
        detour_factor=1.3, fixed_delay_h=0.0, hours_per_day=12.0,
        source=("Tracked columns on roads: average march speeds of 20-30 km/h by day and less "
                "by night for tank and motorised rifle units (US Army FM 100-2-1 The Soviet "
                "Army: Operations and Tactics, 1984, march chapter); road top speeds of single "
                "tanks (60 km/h and more) are not sustained in column."),
    ),
    TransportMode.RAIL: ModeSpeed(
        mode=TransportMode.RAIL, typical_kmh=25.0, max_kmh=45.0, detour_factor=1.4,
        fixed_delay_h=6.0, hours_per_day=24.0,
        source=("Military trains: route speeds of roughly 20-45 km/h including stops and "
                "passing loops, and several hours to load and unload a company of tanks at "
                "ramps (US Army FM 55-20 Army Rail Operations planning factors); rail lines "
                "wind more than roads, hence the larger detour factor."),
    ),
}


def geodesic_distance_m(a: LonLat, b: LonLat) -> float:
    """Distance on the WGS84 ellipsoid, in metres.

    >>> round(geodesic_distance_m(LonLat(lon_deg=0, lat_deg=0), LonLat(lon_deg=1, lat_deg=0)))
    111319
    """
    _, _, dist = _GEOD.inv(a.lon_deg, a.lat_deg, b.lon_deg, b.lat_deg)
    if not math.isfinite(dist):
        raise GeoError(f"no geodesic between {a} and {b}")
    return float(dist)


def geodesic_azimuth_deg(a: LonLat, b: LonLat) -> float:
    """Initial bearing from ``a`` to ``b``, degrees clockwise from north in [0, 360)."""
    az, _, _ = _GEOD.inv(a.lon_deg, a.lat_deg, b.lon_deg, b.lat_deg)
    return float(az) % 360.0
