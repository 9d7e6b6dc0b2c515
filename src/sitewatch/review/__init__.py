"""sitewatch.review stage: the analyst's review of detections in the browser.

Public names:

- :func:`create_app`: the FastAPI app over one case, for one reviewer, behind one token.
- :func:`serve`: run it on 127.0.0.1 (what ``sitewatch review`` calls).
- :func:`new_token`: a fresh access token.
- :func:`export_reviewed_labels`: the reviewed boxes as DOTA label files for training.

Needs the ``review`` extra (FastAPI, uvicorn).
"""

from __future__ import annotations

from sitewatch.review.app import create_app, new_token
from sitewatch.review.server import serve
from sitewatch.review.training import export_reviewed_labels

__all__ = ["create_app", "export_reviewed_labels", "new_token", "serve"]
