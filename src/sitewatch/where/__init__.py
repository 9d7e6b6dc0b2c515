"""Where and when: metadata of photos and videos, and sun-and-shadow checks of place and time.

Sits between ``compare`` and ``assess``: it may import geo, imagery, catalog, detect and compare;
nothing below imports it. Sun positions come from pvlib (NREL SPA), time zones from timezonefinder.
"""

from __future__ import annotations

from sitewatch.where.checks import (
    FittingTimes,
    PlaceTimeCheck,
    SunMap,
    check_place_time,
    fitting_times,
    where_on_earth,
)
from sitewatch.where.shadows import (
    Interval,
    ReferenceLine,
    ShadowMarks,
    ShadowMeasurement,
    measure_shadow,
    measurement_from_lengths,
)
from sitewatch.where.sun import SunGrid, SunPosition, solar_library, sun_grid, sun_position, time_zone_at

__all__ = [
    "FittingTimes",
    "Interval",
    "PlaceTimeCheck",
    "ReferenceLine",
    "ShadowMarks",
    "ShadowMeasurement",
    "SunGrid",
    "SunMap",
    "SunPosition",
    "check_place_time",
    "fitting_times",
    "measure_shadow",
    "measurement_from_lengths",
    "solar_library",
    "sun_grid",
    "sun_position",
    "time_zone_at",
    "where_on_earth",
]
