from __future__ import annotations

import sitewatch.track


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.track.__all__) == sorted(
        [
            "LOADED_TRANSPORTER",
            "Alert",
            "AlertRule",
            "Count",
            "Event",
            "EventKind",
            "Observation",
            "Refusal",
            "Registrar",
            "SiteTrack",
            "TrackOptions",
            "Zone",
            "ZoneFrame",
            "load_alerts",
            "load_zones",
            "register_by_metadata",
            "register_by_pixels",
            "track_site",
        ]
    )
    for name in sitewatch.track.__all__:
        assert hasattr(sitewatch.track, name)
