"""The analyst's reviewed boxes as training data: DOTA label files beside the scenes, audited in the case.

``sitewatch review CASE --export-labels DIR`` writes ``DIR/images/<stem>.<ext>`` (a link to,
or copy of, the stored original), ``DIR/labels/<stem>.txt`` in DOTA format (four corners and
the label, one vehicle a line) and ``DIR/reviews.json`` saying what each file holds, so that
``sitewatch train --data DIR/images --labels DIR/labels --format dota`` can fine-tune on them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sitewatch.catalog import CaseStore, ReviewStatus, Scene, latest_reviews, summarise
from sitewatch.errors import ReviewError
from sitewatch.geo import OrientedBoxPx


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelExport:
    """What :func:`export_reviewed_labels` wrote and left out."""

    images: tuple[str, ...]
    vehicles: int
    skipped: tuple[str, ...]  #: scenes left out, each with the reason
    gsds_m: tuple[float, ...]  #: the distinct ground sample distances of the exported scenes


def label_stem(scene: Scene) -> str:
    """The file stem a scene's training data is written under: site, date, short hash."""
    return f"{scene.site}_{scene.date.isoformat()}_{scene.sha256[:12]}"


def export_reviewed_labels(store: CaseStore, out: Path, *, complete_only: bool = True) -> LabelExport:
    """Write every reviewed scene and its reviewed boxes as a DOTA label folder.

    A scene is exported when an analyst reviewed at least one of its detections; with
    ``complete_only`` (the default) only when every detection was reviewed, because an
    unreviewed false positive would be taught as a vehicle.

    Raises:
        ReviewError: ``out`` exists and is not an empty folder.
    """
    from sitewatch.train import dota_line  # train is loaded only when used

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReviewError(f"cannot export labels into '{out}': not an empty folder; "
                          "choose a new folder")
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(exist_ok=True)
    images, skipped, manifest, vehicles, gsds = [], [], [], 0, set()
    for scene in store.scenes():
        run_id = store.latest_run_id(scene.sha256)
        reviews = store.reviews(scene.sha256, run_id=run_id) if run_id else ()
        summary = summarise(store.detections(scene.sha256), reviews)
        if not reviews:
            continue
        stem = label_stem(scene)
        if complete_only and not summary.complete:
            skipped.append(f"{stem}: {summary.reviewed} of {summary.detected} reviewed")
            continue
        records = store.reviewed_detections(scene.sha256)
        lines = []
        for r in records:
            box = OrientedBoxPx(cx_px=r.cx_px, cy_px=r.cy_px, width_px=r.width_px,
                                height_px=r.height_px, angle_rad=r.angle_rad)
            lines.append(dota_line(box, r.label))
        (out / "labels" / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        image = out / "images" / f"{stem}{scene.path.suffix}"
        try:
            os.symlink(scene.path.resolve(), image)
        except OSError:
            shutil.copyfile(scene.path, image)
        images.append(stem)
        gsds.add(round(scene.gsd_m, 4))
        vehicles += len(records)
        manifest.append({"stem": stem, "scene_sha256": scene.sha256, "run_id": run_id,
                         "gsd_m": scene.gsd_m, "vehicles": len(records),
                         "reviewed": summary.reviewed, "detected": summary.detected,
                         "rejected": summary.rejected, "added": summary.added,
                         "loaded": sorted(k for k, r in latest_reviews(reviews).items()
                                           if r.loaded and r.status is not ReviewStatus.REJECTED)})
    (out / "reviews.json").write_text(json.dumps({"images": manifest, "skipped": skipped},
                                                 indent=1), encoding="utf-8")
    store.append_audit("export-reviewed-labels", {"path": str(out), "images": images,
                                                  "vehicles": vehicles})
    return LabelExport(images=tuple(images), vehicles=vehicles, skipped=tuple(skipped),
                       gsds_m=tuple(sorted(gsds)))
