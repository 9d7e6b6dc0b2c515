"""Cross-date tracking of one site: what changed, what could not be seen.

The public face is :func:`track_site`, which takes one :class:`Observation` per date (an image's
metadata and its detections) and returns a :class:`SiteTrack` of :class:`Count` values per
date, label and zone, and :class:`Event` values (arrived, departed, moved, stayed, loaded)
between consecutive dates, every position in the reference (earliest) date's pixel grid.
:func:`estimate_count` gives a count's estimate of the true number and its interval, and
:func:`interval_meaning` says in one line what they mean. :func:`load_zones` and
:func:`load_alerts` read zones and thresholds; :func:`departures`,
:func:`load_sightings` and :func:`link_sightings` say which departures could have reached a
sighting; :func:`site_visibility` gives each date's :class:`Visibility` (cloud and
washed-out masks) as tracking judges it; :func:`write_counts_csv`, :func:`write_events_csv`
and :func:`write_links_csv` write the tables.
"""

from __future__ import annotations

from sitewatch.track.intervals import estimate_count, interval_meaning
from sitewatch.track.links import (
    Departure,
    Link,
    Sighting,
    Verdict,
    departures,
    link_sightings,
    load_sightings,
)
from sitewatch.track.registering import Registrar, register_by_metadata, register_by_pixels
from sitewatch.track.site import site_visibility, track_site
from sitewatch.track.tables import write_counts_csv, write_events_csv, write_links_csv
from sitewatch.track.types import (
    LOADED_TRANSPORTER,
    Alert,
    Count,
    Event,
    EventKind,
    Observation,
    PairSummary,
    Refusal,
    RegistrationNote,
    SiteTrack,
    TrackOptions,
    Unseen,
)
from sitewatch.track.visibility import Visibility
from sitewatch.track.zonefiles import AlertRule, check_alert_zones, load_alerts, load_zones
from sitewatch.track.zones import Zone, ZoneFrame

__all__ = [
    "LOADED_TRANSPORTER",
    "Alert",
    "AlertRule",
    "Count",
    "Departure",
    "Event",
    "EventKind",
    "Link",
    "Observation",
    "PairSummary",
    "Refusal",
    "Registrar",
    "RegistrationNote",
    "Sighting",
    "SiteTrack",
    "TrackOptions",
    "Unseen",
    "Verdict",
    "Visibility",
    "Zone",
    "ZoneFrame",
    "check_alert_zones",
    "departures",
    "estimate_count",
    "interval_meaning",
    "link_sightings",
    "load_alerts",
    "load_sightings",
    "load_zones",
    "register_by_metadata",
    "register_by_pixels",
    "site_visibility",
    "track_site",
    "write_counts_csv",
    "write_events_csv",
    "write_links_csv",
]
