"""sitewatch.review stage: the analyst's review of detections in the browser.

Public names:

- :func:`create_app`: the FastAPI app over one case, for one reviewer, behind one token.
- :func:`serve`: run it on 127.0.0.1 (what ``sitewatch review`` calls).
- :func:`new_token`: a fresh access token.
- :func:`export_reviewed_labels`: the reviewed boxes as DOTA label files for training;
  :func:`label_stem`: the file stem a scene's training data is written under.

The app and its server need the ``review`` extra (FastAPI, uvicorn) and are imported on first
use, so that exporting reviewed labels (``sitewatch train --from-reviews``) works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sitewatch.review.training import export_reviewed_labels, label_stem

if TYPE_CHECKING:
    from sitewatch.review.app import create_app, new_token
    from sitewatch.review.server import serve

__all__ = ["create_app", "export_reviewed_labels", "label_stem", "new_token", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "new_token"):
        from sitewatch.review import app

        return getattr(app, name)
    if name == "serve":
        from sitewatch.review.server import serve

        return serve
    raise AttributeError(f"module 'sitewatch.review' has no attribute {name!r}")
