from __future__ import annotations

import sitewatch.track


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.track.__all__) == sorted(
        [
            "LOADED_TRANSPORTER",
            "Alert",
            "Count",
            "Event",
            "EventKind",
            "Observation",
            "Registrar",
            "SiteTrack",
            "TrackOptions",
            "Zone",
            "ZoneFrame",
            "register_by_metadata",
            "track_site",
        ]
    )
    for name in sitewatch.track.__all__:
        assert hasattr(sitewatch.track, name)
