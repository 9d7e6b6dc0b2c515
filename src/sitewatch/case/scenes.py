"""``sitewatch scene``: see a case's scenes and correct them (retire, restore, keep one per date,
redate, set the GSD). The store operations and their audit live in
:mod:`sitewatch.catalog.changes`; this module adds what needs the whole case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sitewatch.catalog import (
    CaseStore,
    MosaicAdded,
    Scene,
    SceneChange,
    add_mosaic,
    find_scene,
    retire_scene,
    scene_changes,
)
from sitewatch.errors import CatalogError


@dataclass(frozen=True, slots=True, kw_only=True)
class SceneRow:
    """One line of ``sitewatch scene list``."""

    scene: Scene
    detections: int | None
    same_date: int
    changes: int

    @property
    def status(self) -> str:
        """``retired``, ``duplicate date`` or ``in use``."""
        if self.scene.retired:
            return "retired"
        return "duplicate date" if self.same_date > 1 else "in use"


def list_scenes(store: CaseStore) -> tuple[SceneRow, ...]:
    """Every scene of the case, retired ones too, with its detections and corrections."""
    scenes = store.scenes(include_retired=True)
    in_use: dict[tuple[str, dt.date], int] = {}
    for scene in scenes:
        if not scene.retired:
            in_use[(scene.site, scene.date)] = in_use.get((scene.site, scene.date), 0) + 1
    changes: dict[str, int] = {}
    for change in scene_changes(store):
        changes[change.scene_sha256] = changes.get(change.scene_sha256, 0) + 1
    return tuple(
        SceneRow(
            scene=scene,
            detections=(len(store.detections(scene.sha256))
                        if store.latest_run_id(scene.sha256) is not None else None),
            same_date=in_use.get((scene.site, scene.date), 0),
            changes=changes.get(scene.sha256, 0),
        )
        for scene in scenes
    )


def keep_scene(store: CaseStore, ref: str, *, reason: str,
               actor: str | None = None) -> tuple[SceneChange, ...]:
    """Keep this scene for its site and date and retire the others in use on that date.

    Raises:
        CatalogError: no such scene, it is retired, or it is already the only one of its date.
        ConfigError: no reason given.
    """
    kept = find_scene(store, ref)
    if kept.retired:
        raise CatalogError(f"scene {kept.original_name} ({kept.sha256[:12]}) is retired; restore "
                           f"it first with `sitewatch scene restore {store.root} "
                           f"{kept.sha256[:12]} --reason TEXT`")
    others = [s for s in store.scenes(site=kept.site) if s.date == kept.date and s != kept]
    if not others:
        raise CatalogError(f"scene {kept.original_name} is already the only image of site "
                           f"{kept.site!r} on {kept.date}; nothing to retire")
    because = f"{reason.strip()} (kept {kept.original_name} {kept.sha256[:12]})"
    return tuple(retire_scene(store, s.sha256, reason=because, actor=actor) for s in others)


def mosaic_scenes(store: CaseStore, refs: list[str] | tuple[str, ...], *, reason: str,
                  actor: str | None = None) -> MosaicAdded:
    """Mosaic georeferenced scenes of one site and date into one new scene and retire them
    (:func:`sitewatch.catalog.add_mosaic`); ``sitewatch detect`` then detects on the mosaic.

    Raises:
        CatalogError: fewer than two scenes, retired ones, or of different sites or dates.
        ImageryError: a source without georeference, or overlaps that disagree.
        ConfigError: no reason given.
    """
    return add_mosaic(store, refs, reason=reason, actor=actor)
