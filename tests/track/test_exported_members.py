from __future__ import annotations

import sitewatch.geo
import sitewatch.track

TRACK = [
    "LOADED_TRANSPORTER", "Alert", "AlertRule", "Count", "Departure", "Event", "EventKind",
    "Link", "Observation", "PairSummary", "Refusal", "RegistrationNote", "Registrar", "Sighting",
    "SiteTrack", "TrackOptions", "Unseen", "Verdict", "Visibility",
    "site_visibility", "Zone", "ZoneFrame", "check_alert_zones", "departures", "estimate_count",
    "interval_meaning", "link_sightings", "load_alerts", "load_sightings", "load_zones",
    "register_by_metadata", "register_by_pixels", "track_site", "write_counts_csv",
    "write_events_csv", "write_links_csv",
]
GEO = [
    "DEFAULT_SPEEDS", "Boundary", "LonLat", "ModeSpeed", "OrientedBoxPx", "PixelPoint",
    "TransportMode", "geodesic_azimuth_deg", "geodesic_distance_m", "load_boundary",
]


def test_track_public_face_is_pinned() -> None:
    assert sorted(sitewatch.track.__all__) == sorted(TRACK)
    assert all(hasattr(sitewatch.track, name) for name in TRACK)


def test_geo_public_face_is_pinned() -> None:
    assert sorted(sitewatch.geo.__all__) == sorted(GEO)
    assert all(hasattr(sitewatch.geo, name) for name in GEO)
