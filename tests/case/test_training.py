"""Pseudo-labels taken from a case are written by the case package, with one audit entry."""

from __future__ import annotations

import json
from pathlib import Path

from sitewatch.case import export_pseudo_labels
from sitewatch.catalog import ReviewAction, read_entries
from sitewatch.detect.registry import DEFAULT_MODEL
from sitewatch.review.session import apply_decision
from tests.review.casefixture import make_case


def test_pseudo_labels_cover_the_scenes_an_analyst_did_not_review(tmp_path: Path) -> None:
    store = make_case(tmp_path, vehicles=(2, 3))
    reviewed, other = store.scenes()
    for detection_id in ("d0", "d1"):
        apply_decision(store, reviewed, ReviewAction.ACCEPT.value, reviewer="Ana Lyst",
                       detection_id=detection_id)
    done = export_pseudo_labels(store, tmp_path / "pseudo", DEFAULT_MODEL, skip_reviewed=True)
    manifest = json.loads((tmp_path / "pseudo" / "reviews.json").read_text())
    assert [e["source"] for e in manifest["images"]] == [str(other.path)]
    assert manifest["teacher"] == DEFAULT_MODEL
    assert (tmp_path / "pseudo" / "images" / f"{manifest['images'][0]['stem']}.png").is_file()
    entry = read_entries(store.root / "audit.jsonl")[-1]
    assert entry.action == "export-pseudo-labels"
    assert entry.details["teacher"] == DEFAULT_MODEL
    assert entry.details["images"] == list(done.stems) and entry.details["labels"] == done.labels
    assert done.scenes == 1

    everything = export_pseudo_labels(store, tmp_path / "all", DEFAULT_MODEL, skip_reviewed=False)
    assert everything.scenes == 2
    assert len(json.loads((tmp_path / "all" / "reviews.json").read_text())["images"]) == 2
