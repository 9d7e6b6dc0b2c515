"""sitewatch.review stage: the analyst's review of detections in the browser.

Public names:

- :func:`create_app`: the FastAPI app over one case, for one reviewer, behind one token.
- :func:`serve`: run it on 127.0.0.1 (what ``sitewatch review`` calls).
- :func:`new_token`: a fresh access token.
- :func:`apply_decision` (one decision stored in the case, as the page makes it) and
  :class:`BoxPx`; :class:`TileCache`, :data:`TILE_PX` and :func:`native_zoom`, the map tiles
  the page draws (for measuring them).

The reviewed boxes are exported as training data by :func:`sitewatch.case.export_reviewed_labels`
(the export is audited in the case). The app and its server need the ``review`` extra (FastAPI,
uvicorn); every name is imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sitewatch.review.app import create_app, new_token
    from sitewatch.review.decisions import BoxPx
    from sitewatch.review.server import serve
    from sitewatch.review.session import apply_decision
    from sitewatch.review.tiles import TILE_PX, TileCache, native_zoom

#: Each public name and the module it lives in, imported on first use.
_HOMES = {
    "create_app": "app", "new_token": "app", "serve": "server", "BoxPx": "decisions",
    "apply_decision": "session", "TILE_PX": "tiles", "TileCache": "tiles", "native_zoom": "tiles",
}

__all__ = ["TILE_PX", "BoxPx", "TileCache", "apply_decision", "create_app", "native_zoom", "new_token",
           "serve"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"sitewatch.review.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'sitewatch.review' has no attribute {name!r}")
