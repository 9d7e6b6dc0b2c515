"""The review web app: a FastAPI application over one case folder.

Every request must carry the start-up token, as a ``token`` query parameter (the first page
load; the app then sets a same-site cookie), the ``X-Sitewatch-Token`` header (what the page's
scripts send) or that cookie. Requests that change anything need the header, so a page of
another site cannot post reviews with the cookie alone. The app serves its own scripts and
styles from the package and loads nothing from the internet.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware

from sitewatch.catalog import CaseStore
from sitewatch.errors import ReviewError, SitewatchError
from sitewatch.review.alignment import Alignments, swipe_view
from sitewatch.review.bulk import Selection
from sitewatch.review.decisions import BoxPx
from sitewatch.review.payloads import BulkIn, BulkUndoIn, DecisionIn
from sitewatch.review.session import apply_bulk, apply_decision, bulk_preview, undo_bulk
from sitewatch.review.tiles import TileCache
from sitewatch.review.views import (
    counts_view,
    detections_view,
    history_view,
    scene_by_sha,
    sites_view,
    zones_view,
)
from sitewatch.review.warp import warped_tile_rgb

TOKEN_HEADER = "X-Sitewatch-Token"
TOKEN_COOKIE = "sitewatch_token"
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png",
                 ".html": "text/html", ".md": "text/plain"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                               "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def new_token() -> str:
    """A fresh random access token (URL-safe)."""
    return secrets.token_urlsafe(24)


def _static(path: str) -> tuple[bytes, str]:
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ReviewError(f"no static file {path!r}")
    node = resources.files("sitewatch.review").joinpath("static", *parts)
    suffix = "." + parts[-1].rsplit(".", 1)[-1] if "." in parts[-1] else ""
    if suffix not in _STATIC_TYPES or not node.is_file():
        raise ReviewError(f"no static file {path!r}")
    return node.read_bytes(), _STATIC_TYPES[suffix]


def _token_guard(token: str, cookie_name: str) -> Callable[..., Awaitable[Any]]:
    """The middleware that lets a request through only with the token."""

    async def check_token(request: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        header = request.headers.get(TOKEN_HEADER, "")
        query = request.query_params.get("token", "")
        cookie = request.cookies.get(cookie_name, "")
        if request.method not in ("GET", "HEAD"):
            ok = secrets.compare_digest(header.encode(), token.encode())
        else:
            ok = any(secrets.compare_digest(v.encode(), token.encode())
                     for v in (header, query, cookie))
        if not ok:
            return Response("sitewatch review: missing or wrong token; open the URL printed "
                            "at start-up", status_code=403, media_type="text/plain")
        response = await call_next(request)
        if query:
            response.set_cookie(cookie_name, token, httponly=True, samesite="strict")
        response.headers.update(_SECURITY_HEADERS)
        return response

    return check_token


def create_app(store: CaseStore, *, reviewer: str, token: str,
               allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
               warm_overviews: bool = False) -> FastAPI:
    """The app for one case, one reviewer and one token.

    With ``warm_overviews`` each scene's overview is built in the background at start-up, so
    that the first view of a large scene does not wait for it.

    Raises:
        ReviewError: the reviewer or token is empty.
    """
    if not reviewer.strip() or len(token) < 16:
        raise ReviewError("the review app needs a reviewer name and a token of 16+ characters")
    # Cookies do not tell ports apart: name the cookie after the token, so that two review
    # servers on one machine do not overwrite each other's.
    cookie_name = f"{TOKEN_COOKIE}_{hashlib.sha256(token.encode()).hexdigest()[:10]}"
    tiles = TileCache()
    alignments = Alignments()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm_overviews:
            tiles.warm([(s.sha256, s.path) for s in store.scenes()])
        yield
        tiles.close()

    app = FastAPI(title="sitewatch review", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)

    app.middleware("http")(_token_guard(token, cookie_name))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.exception_handler(SitewatchError)
    async def sitewatch_error(request: Any, exc: SitewatchError) -> Any:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.get("/")
    def index() -> Any:
        page = _static("index.html")[0].decode("utf-8")
        page = page.replace("{{TOKEN}}", html.escape(token)).replace(
            "{{REVIEWER}}", html.escape(reviewer))
        return HTMLResponse(page)

    @app.get("/static/{path:path}")
    def static(path: str) -> Any:
        try:
            data, media = _static(path)
        except ReviewError:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(data, media_type=media)

    @app.get("/api/sites")
    def sites() -> Any:
        return {**sites_view(store), "reviewer": reviewer}

    @app.get("/api/sites/{site}/counts")
    def counts(site: str) -> Any:
        return counts_view(store, site)

    @app.get("/api/scenes/{sha256}/detections")
    def detections(sha256: str, at_seq: int | None = None) -> Any:
        return detections_view(store, scene_by_sha(store, sha256), until_seq=at_seq)

    @app.get("/api/scenes/{sha256}/history")
    def history(sha256: str) -> Any:
        return history_view(store, scene_by_sha(store, sha256))

    @app.get("/api/scenes/{sha256}/zones")
    def zones(sha256: str) -> Any:
        return zones_view(store, scene_by_sha(store, sha256))

    @app.get("/api/tiles/{sha256}/{zmax}/{z}/{x}/{y}.jpg")
    def tile(sha256: str, zmax: int, z: int, x: int, y: int) -> Any:
        scene = scene_by_sha(store, sha256)
        try:
            data = tiles.jpeg(sha256, scene.path, zmax, z, x, y)
        except ReviewError as exc:
            return Response(str(exc), status_code=404, media_type="text/plain")
        return Response(data, media_type="image/jpeg")

    @app.get("/api/scenes/{before_sha}/on/{current_sha}")
    def swipe(before_sha: str, current_sha: str) -> Any:
        before = scene_by_sha(store, before_sha)
        return swipe_view(store, before, alignments.get(before, scene_by_sha(store, current_sha)))

    @app.get("/api/tiles/{before_sha}/on/{current_sha}/{zmax}/{z}/{x}/{y}.jpg")
    def aligned_tile(before_sha: str, current_sha: str, zmax: int, z: int, x: int, y: int) -> Any:
        before, current = scene_by_sha(store, before_sha), scene_by_sha(store, current_sha)
        alignment = alignments.get(before, current)
        if alignment.registration is None:
            return Response(alignment.message or "", status_code=409, media_type="text/plain")
        matrix = alignment.registration.matrix
        size = (current.width_px, current.height_px)
        try:
            data = tiles.cached(
                (before_sha, "on", current_sha, zmax, z, x, y),
                lambda: warped_tile_rgb(tiles.scene(before_sha, before.path), matrix, zmax, z, x, y,
                                        current_size_px=size))
        except ReviewError as exc:
            return Response(str(exc), status_code=404, media_type="text/plain")
        return Response(data, media_type="image/jpeg")

    @app.post("/api/scenes/{sha256}/reviews")
    def post_review(sha256: str, body: DecisionIn) -> Any:
        return apply_decision(
            store, scene_by_sha(store, sha256), body.action, reviewer=reviewer,
            detection_id=body.detection_id, label=body.label, loaded=body.loaded,
            box=BoxPx(**body.box.model_dump()) if body.box else None)

    def selection(body: BulkIn) -> Selection:
        return Selection(label=body.label, score_min=body.score_min, score_max=body.score_max,
                         area_px=body.area_px, only_unreviewed=body.only_unreviewed)

    @app.post("/api/scenes/{sha256}/bulk/preview")
    def post_bulk_preview(sha256: str, body: BulkIn) -> Any:
        return bulk_preview(store, scene_by_sha(store, sha256), selection(body), body.action,
                            reviewer=reviewer)

    @app.post("/api/scenes/{sha256}/bulk")
    def post_bulk(sha256: str, body: BulkIn) -> Any:
        if body.expect_ids is None:
            raise ReviewError("a bulk decision needs the ids its preview showed (expect_ids); "
                              "preview it first")
        return apply_bulk(store, scene_by_sha(store, sha256), selection(body), body.action,
                          reviewer=reviewer, expect_ids=body.expect_ids)

    @app.post("/api/scenes/{sha256}/bulk/undo")
    def post_bulk_undo(sha256: str, body: BulkUndoIn) -> Any:
        return undo_bulk(store, scene_by_sha(store, sha256), body.seqs, reviewer=reviewer)

    return app
