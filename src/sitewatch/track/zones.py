"""Analyst-drawn zones of a site: the value type and its placement in the reference frame."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from sitewatch.errors import ConfigError


class ZoneFrame(StrEnum):
    """The coordinates a zone was drawn in."""

    LONLAT = "lonlat"  #: WGS84 longitude, latitude (GeoJSON and KML)
    PIXEL = "pixel"  #: pixel x, y of the reference date (sites with no georeference)


@dataclass(frozen=True, slots=True, kw_only=True)
class Zone:
    """A named polygon such as ``parking`` or ``rail ramp``.

    ``exterior`` is the outer ring as (x, y) pairs in ``frame`` (longitude first for
    ``LONLAT``); the closing point may be repeated or not.
    """

    name: str
    exterior: tuple[tuple[float, float], ...]
    frame: ZoneFrame

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("zone needs a non-empty name")
        ring = self.exterior
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring = ring[:-1]
        if len(ring) < 3:
            raise ConfigError(
                f"zone {self.name!r} needs at least 3 distinct corners, got {len(ring)}",
                zone=self.name,
            )
        if not all(math.isfinite(v) for p in ring for v in p):
            raise ConfigError(f"zone {self.name!r} has a non-finite coordinate", zone=self.name)
