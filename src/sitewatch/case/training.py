"""Training data taken from a case: the teacher's pseudo-labels of its scenes, audited in it.

(The analyst's reviewed labels are exported by :func:`sitewatch.review.export_reviewed_labels`.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sitewatch.catalog import CaseStore, summarise

if TYPE_CHECKING:
    from sitewatch.train import PseudoExport


def export_pseudo_labels(store: CaseStore, folder: Path, teacher: str, *,
                         skip_reviewed: bool) -> PseudoExport:
    """Pseudo-label the case's scenes with ``teacher`` into ``folder`` and audit it
    (``export-pseudo-labels``: the folder, the teacher, the images and the label count).

    With ``skip_reviewed``, scenes whose latest run an analyst fully reviewed are left out: the
    analyst's labels are better than the teacher's.

    Raises:
        ConfigError: ``folder`` is not empty, no scene is left, or the teacher cannot load.
        RasterReadError, ResolutionError: a scene cannot be read or is too coarse.
    """
    from sitewatch.review import label_stem  # review and train are loaded only when used
    from sitewatch.train import PseudoScene, write_pseudo_labels

    scenes = []
    for scene in store.scenes():
        run_id = store.latest_run_id(scene.sha256)
        reviews = store.reviews(scene.sha256, run_id=run_id) if run_id else ()
        summary = summarise(store.detections(scene.sha256), reviews)
        if skip_reviewed and reviews and summary.complete:
            continue
        scenes.append(PseudoScene(path=scene.path, gsd_m=scene.gsd_m, stem=label_stem(scene)))
    done = write_pseudo_labels(scenes, teacher, folder)
    store.append_audit("export-pseudo-labels", {"path": str(folder), "teacher": teacher,
                                                "images": list(done.stems), "labels": done.labels})
    return done
