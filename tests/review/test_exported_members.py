from __future__ import annotations

import sitewatch.review


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.review.__all__) == [
        "create_app", "new_token", "serve"]

