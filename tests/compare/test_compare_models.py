from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sitewatch.compare.models import (
    EMBEDDING_SIZE,
    MODEL_NAMES,
    Embedder,
    VehicleFinder,
    corner_views,
    model_card,
)
from sitewatch.errors import ModelError
from tests.compare.compare_fixtures import vehicle_scene


def test_cards_match_shipped_files_and_name_licences() -> None:
    licences = {name: model_card(name).licence for name in MODEL_NAMES}
    assert licences == {"efficientnet_lite0": "Apache-2.0", "yolo26n_coco": "AGPL-3.0"}
    for name in MODEL_NAMES:
        card = model_card(name)
        assert card.path.stat().st_size < 15_000_000
        assert len(card.source_sha256) == 64


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    card = model_card("efficientnet_lite0")
    shutil.copy(card.path, tmp_path / card.path.name)
    shutil.copy(card.path.with_suffix(".json"), tmp_path / "efficientnet_lite0.json")
    with (tmp_path / card.path.name).open("r+b") as handle:
        handle.seek(5000)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="tampered"):
        model_card("efficientnet_lite0", models_dir=tmp_path)
    with pytest.raises(ModelError, match="missing"):
        model_card("yolo26n_coco", models_dir=tmp_path)
    with pytest.raises(ModelError, match="valid"):
        model_card("resnet")
    data = json.loads((tmp_path / "efficientnet_lite0.json").read_text())
    assert data["onnx_sha256"] == card.onnx_sha256


def test_embeddings_are_unit_mirror_invariant_and_discriminative() -> None:
    embedder = Embedder(threads=1)
    tracked = vehicle_scene(1, kind="tracked")
    tracked_b = vehicle_scene(2, kind="tracked")
    stripes = vehicle_scene(3, kind="stripes")
    vectors, armour = embedder.embed([tracked, tracked[:, ::-1].copy(), tracked_b, stripes])
    assert vectors.shape == (4, EMBEDDING_SIZE) and armour.shape == (4,)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > 0.99  # mirrored copy
    assert float(vectors[0] @ vectors[2]) > float(vectors[0] @ vectors[3])
    assert np.all((armour >= 0) & (armour <= 1))
    assert embedder.embed([])[0].shape == (0, EMBEDDING_SIZE)


def test_finder_boxes_stay_inside_the_frame() -> None:
    finder = VehicleFinder(threads=1)
    rgb = vehicle_scene(4, kind="wheeled", size=(300, 500))
    for proposal in finder.find(rgb, min_score=0.01):
        assert 0 <= proposal.x0_px < proposal.x1_px <= 500
        assert 0 <= proposal.y0_px < proposal.y1_px <= 300
        assert 0.01 <= proposal.score <= 1.0


def test_each_crop_is_the_average_of_its_five_views() -> None:
    """Multi-crop test-time augmentation: whole crop and four 85 % corners, averaged."""
    embedder = Embedder(threads=1)
    crop = vehicle_scene(4, kind="tracked")
    (vector,), (armour,) = embedder.embed([crop])
    views, view_armour = embedder._embed_views(corner_views(crop))
    mean = views.mean(axis=0)
    assert np.allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)
    assert armour == pytest.approx(float(view_armour[0]))
    assert float(vector @ views[0]) < 0.9999  # the corners moved it: not the whole crop alone
