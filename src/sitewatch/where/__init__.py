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
from sitewatch.where.evidence import (
    CheckKind,
    WhereCheck,
    WhereWhenRow,
    canonical,
    run_check,
    where_when_rows,
)
from sitewatch.where.metadata import MediaMetadata, read_media_metadata, second_reader
from sitewatch.where.overhead import (
    marked_shadow_bearings,
    north_in_image_deg,
    overhead_check,
    rerun_overhead_check,
    shadow_bearings_beside_boxes,
    sun_from_shadow_bearings,
)
from sitewatch.where.shadows import (
    Interval,
    ReferenceLine,
    ShadowMarks,
    ShadowMeasurement,
    measure_shadow,
    measurement_from_lengths,
)
from sitewatch.where.sun import (
    SunGrid,
    SunPosition,
    solar_library,
    sun_grid,
    sun_position,
    sun_positions,
    time_zone_at,
)

__all__ = [
    "CheckKind",
    "FittingTimes",
    "Interval",
    "MediaMetadata",
    "PlaceTimeCheck",
    "ReferenceLine",
    "ShadowMarks",
    "ShadowMeasurement",
    "SunGrid",
    "SunMap",
    "SunPosition",
    "WhereCheck",
    "WhereWhenRow",
    "canonical",
    "check_place_time",
    "fitting_times",
    "marked_shadow_bearings",
    "measure_shadow",
    "measurement_from_lengths",
    "north_in_image_deg",
    "overhead_check",
    "read_media_metadata",
    "rerun_overhead_check",
    "run_check",
    "second_reader",
    "shadow_bearings_beside_boxes",
    "solar_library",
    "sun_from_shadow_bearings",
    "sun_grid",
    "sun_position",
    "sun_positions",
    "time_zone_at",
    "where_on_earth",
    "where_when_rows",
]
