from __future__ import annotations

import sitewatch.review


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.review.__all__) == [
        "create_app", "export_reviewed_labels", "label_stem", "new_token", "serve"]


def test_exporting_reviews_needs_no_web_framework() -> None:
    """``sitewatch train --from-reviews`` runs where only the train extra is installed."""
    import subprocess
    import sys

    code = ("import sys; from sitewatch.review import export_reviewed_labels; "
            "assert 'fastapi' not in sys.modules and 'uvicorn' not in sys.modules; "
            "from sitewatch.review import create_app; assert 'fastapi' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
