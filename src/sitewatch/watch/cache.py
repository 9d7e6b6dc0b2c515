"""The watch's detection cache: each scene window's merged result, and the pieces of a window
that was split into several tasks while it is not yet whole.

A window's result is kept under :func:`task_key` of its content hash, the model hash and the
detection parameters (``FOLDER/cache/KEY[:2]/KEY.json``). A piece (tiles ``start``..``stop``
of the window's tile plan, unmerged) is kept as soon as it is back, under the key of the same
inputs plus the tile plan (``FOLDER/cache/pieces/KEY[:2]/KEY/START-STOP.npz``), so a client that
dies mid-window loses no finished piece: the next run finds them and runs only the missing
tiles. Once the window is whole and its result written, its pieces are deleted.

Files are written under a temporary name and renamed, so a crash leaves a whole file or none;
a damaged file reads as missing and is computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.catalog import DetectionRecord, Scene
from sitewatch.detect import TileParts, TilePlan

_PIECE_NAME = re.compile(r"(\d+)-(\d+)\.npz")


def task_key(scene_sha256: str, model_sha256: str, params: Mapping[str, Any]) -> str:
    """The cache key of a detection task: its input's content, the model and the options.

    >>> task_key("a" * 64, "b" * 64, {"batch_size": 4})[:12]
    'ac0ad9832aaf'
    """
    text = json.dumps({"scene_sha256": scene_sha256, "model_sha256": model_sha256,
                       "params": params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def pieces_key(window_key: str, plan: TilePlan) -> str:
    """The key under which the pieces of a window are kept: the window's key (content, model,
    options) and the tile plan their bounds index into.

    >>> from sitewatch.imagery import Tile
    >>> import dataclasses
    >>> plan = TilePlan(path=Path("w.tif"), info=None, gsd_m=0.3, gsd_source="given",
    ...                 model_gsd_m=0.3, tile_px=128, overlap_px=67, scale=1.0, tiles=())
    >>> pieces_key("k", plan) == pieces_key("k", dataclasses.replace(plan, overlap_px=60))
    False
    """
    text = json.dumps({"window": window_key, "gsd_m": plan.gsd_m, "model_gsd_m": plan.model_gsd_m,
                       "tile_px": plan.tile_px, "overlap_px": plan.overlap_px, "scale": plan.scale,
                       "tiles": [[t.x0_px, t.y0_px, t.width_px, t.height_px] for t in plan.tiles]},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskCache:
    """Finished windows (one JSON file per key) and finished pieces of unfinished windows (one
    ``.npz`` per piece) under ``folder``, written atomically."""

    folder: Path

    def path(self, key: str) -> Path:
        """Where the result of window ``key`` is kept."""
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[DetectionRecord, ...] | None:
        """The cached records of ``key``, or None when not done (or damaged: done again)."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
            return tuple(DetectionRecord(**r) for r in data["detections"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, scene: Scene, records: Sequence[dict[str, Any]]) -> None:
        """Keep a window's result (the scene named for whoever reads the cache)."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.part")
        temporary.write_text(json.dumps({"scene_sha256": scene.sha256, "site": scene.site,
                                         "detections": list(records)}, sort_keys=True),
                             encoding="utf-8")
        temporary.replace(path)

    def pieces_folder(self, key: str) -> Path:
        """Where the pieces kept under ``key`` (:func:`pieces_key`) are."""
        return self.folder / "pieces" / key[:2] / key

    def put_piece(self, key: str, part: TileParts) -> None:
        """Keep one finished piece of a window that is not yet whole."""
        folder = self.pieces_folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f"{part.start}-{part.stop}.{os.getpid()}.part"
        with temporary.open("wb") as out:
            np.savez(out, boxes=part.boxes, scores=part.scores, labels=part.labels, cut=part.cut)
        temporary.replace(folder / f"{part.start}-{part.stop}.npz")

    def pieces(self, key: str, plan: TilePlan) -> list[TileParts]:
        """The kept pieces of a window, in tile order and not overlapping (of overlapping
        pieces, left by runs that split the window differently, the first in order is used);
        a damaged piece or one outside the plan is left out (computed again)."""
        folder = self.pieces_folder(key)
        if not folder.is_dir():
            return []
        spans = sorted((int(m[1]), int(m[2]), path) for path in folder.iterdir()
                       if (m := _PIECE_NAME.fullmatch(path.name)))
        kept: list[TileParts] = []
        covered = 0
        for start, stop, path in spans:
            if start < covered or not start < stop <= len(plan.tiles):
                continue
            part = _read_piece(path, start, stop)
            if part is not None:
                kept.append(part)
                covered = stop
        return kept

    def drop_pieces(self, key: str) -> None:
        """Delete the pieces of a window once its merged result is kept."""
        shutil.rmtree(self.pieces_folder(key), ignore_errors=True)
        for parent in (self.pieces_folder(key).parent, self.folder / "pieces"):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break


def _read_piece(path: Path, start: int, stop: int) -> TileParts | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            boxes, scores, labels, cut = (data[n] for n in ("boxes", "scores", "labels", "cut"))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    count = len(boxes)
    if boxes.ndim != 2 or boxes.shape[1:] != (5,) or any(a.shape != (count,)
                                                        for a in (scores, labels, cut)):
        return None
    return TileParts(start=start, stop=stop, boxes=boxes, scores=scores, labels=labels, cut=cut)
