"""The swipe's alignment: the "before" scene registered onto the current one, once per pair.

Images of one site on different dates rarely share a pixel grid (georeferences off by metres,
other footprints, or none), so the swipe draws the before date in the current scene's frame
through the same registration the tracker uses by default
(:func:`sitewatch.track.register_by_pixels`: features and RANSAC, seeded by the georeferences
where both dates have one). A pair that cannot be registered is shown unaligned, and the
:class:`Alignment` says why, so the page can tell the analyst.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sitewatch.catalog import CaseStore, Scene
from sitewatch.errors import RegistrationError, ReviewError
from sitewatch.imagery import (
    Registration,
    RegistrationMethod,
    identity_registration,
)
from sitewatch.review.views import detections_view
from sitewatch.track import Observation, Registrar, register_by_metadata, register_by_pixels


@dataclass(frozen=True, slots=True, kw_only=True)
class Alignment:
    """How the before scene lies on the current scene, or why it could not be placed.

    Attributes:
        before_sha256: the scene drawn on the left of the swipe.
        current_sha256: the scene whose pixel frame the page shows.
        registration: before pixel -> current pixel; ``None`` when registration failed.
        message: why the pair is shown unaligned, or what limits the alignment (``None`` when
            the pixels were registered).
    """

    before_sha256: str
    current_sha256: str
    registration: Registration | None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.registration is None and self.message is None:
            raise ReviewError("an unaligned pair needs a message saying why")

    def as_json(self) -> dict[str, Any]:
        """What the page shows next to the swipe tags."""
        reg = self.registration
        return {
            "aligned": reg is not None,
            "method": reg.method.value if reg else None,
            "residual_m": reg.residual_m if reg else None,
            "n_inliers": reg.n_inliers if reg else None,
            "matrix": list(reg.matrix) if reg else None,
            "message": self.message,
        }

    def on_current(self, corners_px: list[list[float]]) -> list[list[float]]:
        """Before-scene pixel points in the current scene's frame (unchanged when unaligned)."""
        if self.registration is None or not corners_px:
            return corners_px
        xy = self.registration.to_reference([p[0] for p in corners_px], [p[1] for p in corners_px])
        return [[float(a), float(b)] for a, b in xy]


def register_scenes(before: Scene, current: Scene, *,
                    registrar: Registrar = register_by_pixels) -> Alignment:
    """Register ``before`` onto ``current``; a :class:`RegistrationError` becomes a message.

    When the pixels cannot be registered but both scenes are georeferenced, the georeferences
    alone place the pair (residual not measured), and the message says so.

    Raises:
        RasterReadError: an image cannot be read (not cached by :class:`Alignments`, so a
            later request tries again).
    """
    if before.sha256 == current.sha256:
        return Alignment(before_sha256=before.sha256, current_sha256=current.sha256,
                         registration=identity_registration(current.date))
    try:
        reg = registrar(Observation.of_scene(before), Observation.of_scene(current))
    except RegistrationError as exc:
        failed = f"dates {before.date} and {current.date} could not be registered: {exc}"
        by_georeference = register_by_metadata(Observation.of_scene(before),
                                               Observation.of_scene(current))
        if by_georeference.method is RegistrationMethod.GEOREFERENCE:
            return Alignment(before_sha256=before.sha256, current_sha256=current.sha256,
                             registration=by_georeference,
                             message=f"{failed}; aligned by their georeferences only (error "
                                     "not measured: may be off by metres)")
        return Alignment(before_sha256=before.sha256, current_sha256=current.sha256,
                         registration=None, message=f"{failed}; showing them unaligned")
    return Alignment(before_sha256=before.sha256, current_sha256=current.sha256,
                     registration=reg)


class Alignments:
    """Alignments of scene pairs, each computed once for the app's lifetime (thread-safe).

    Concurrent requests for one pair (the page's tiles arrive together) wait for a single
    registration instead of each running their own.
    """

    def __init__(self, *, registrar: Registrar = register_by_pixels) -> None:
        self._registrar = registrar
        self._done: dict[tuple[str, str], Alignment] = {}
        self._pending: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, before: Scene, current: Scene) -> Alignment:
        """The pair's alignment, registered on first use.

        Raises:
            RasterReadError: an image cannot be read.
        """
        key = (before.sha256, current.sha256)
        with self._lock:
            if key in self._done:
                return self._done[key]
            pair_lock = self._pending.setdefault(key, threading.Lock())
        with pair_lock:
            with self._lock:
                if key in self._done:
                    return self._done[key]
            alignment = register_scenes(before, current, registrar=self._registrar)
            with self._lock:
                self._done[key] = alignment
                self._pending.pop(key, None)
            return alignment


def swipe_view(store: CaseStore, before: Scene, alignment: Alignment) -> dict[str, Any]:
    """The alignment and the before date's detections, their corners in the current frame.

    The items are those of the detections route less ``box`` (which is in the before scene's
    own frame: only the mapped ``corners_px`` are drawn).
    """
    items = detections_view(store, before)["items"]
    for item in items:
        item["corners_px"] = alignment.on_current(item["corners_px"])
        item.pop("box", None)
    return {**alignment.as_json(), "before": before.sha256, "current": alignment.current_sha256,
            "items": items}
