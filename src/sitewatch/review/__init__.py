"""sitewatch.review stage: the analyst's review of detections in the browser.

Public names:

- :func:`create_app`: the FastAPI app over one case, for one reviewer, behind one token.
- :func:`serve`: run it on 127.0.0.1 (what ``sitewatch review`` calls).
- :func:`new_token`: a fresh access token.

The reviewed boxes are exported as training data by :func:`sitewatch.case.export_reviewed_labels`
(the export is audited in the case). The app and its server need the ``review`` extra (FastAPI,
uvicorn) and are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sitewatch.review.app import create_app, new_token
    from sitewatch.review.server import serve

__all__ = ["create_app", "new_token", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "new_token"):
        from sitewatch.review import app

        return getattr(app, name)
    if name == "serve":
        from sitewatch.review.server import serve

        return serve
    raise AttributeError(f"module 'sitewatch.review' has no attribute {name!r}")
