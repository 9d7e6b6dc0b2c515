from __future__ import annotations

import sitewatch.review


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.review.__all__) == [
        "BoxPx", "TILE_PX", "TileCache", "apply_decision", "create_app", "native_zoom", "new_token",
        "serve"]
    for name in ("BoxPx", "TILE_PX", "TileCache", "apply_decision", "native_zoom"):
        assert getattr(sitewatch.review, name) is not None

