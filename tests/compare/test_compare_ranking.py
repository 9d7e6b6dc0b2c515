"""Ranking galleries: each gallery is set against its own baseline, and the output says so."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sitewatch.compare.gallery import Gallery, rank_galleries
from sitewatch.compare.types import BoxPx, FrameTrace, MediaKind, VehicleCrop

BOX = BoxPx(x0_px=0, y0_px=0, x1_px=4, y1_px=4)


def _crop(path: str, vector: list[float]) -> VehicleCrop:
    digest = hashlib.sha256(path.encode()).hexdigest()
    trace = FrameTrace(source_path=path, source_sha256=digest, kind=MediaKind.PHOTO,
                       frame_sha256=digest, width_px=4, height_px=4)
    embedding = np.asarray(vector, np.float32)
    return VehicleCrop(trace=trace, box=BOX, detector_label="truck", detector_score=0.5,
                       armour_probability=0.1, rgb=np.zeros((4, 4, 3), np.uint8),
                       embedding=embedding / np.linalg.norm(embedding))


def _gallery(name: str, vectors: list[list[float]]) -> Gallery:
    return Gallery(name=name, folder=name,
                   crops=tuple(_crop(f"{name}/{i}.jpg", v) for i, v in enumerate(vectors)))


#: "A" and "B" are two vehicle types (along the first and second axes, seen from varied
#: angles); "Mixed" holds A-like, B-like and in-between references, as a folder of photos
#: labelled only "tanks" would, and is close to every query. (Picked by a seeded search for
#: a case where the broad gallery has the highest raw score for an A query.)
A = _gallery("A", [[0.6, -0.2, 0.2, 0.0], [0.8, -1.0, 0.3, 0.1]])
B = _gallery("B", [[-0.7, 1.2, 0.0, 0.1], [0.4, 0.7, 0.3, 0.3]])
MIXED = _gallery("Mixed", [[1.2, 0.5, 0.2, -0.2], [0.7, 0.6, -0.2, -0.4], [0.0, 1.4, 0.5, 0.2],
                           [0.3, 0.3, -0.2, 0.4]])


def test_a_gallery_close_to_everything_does_not_win_by_being_broad() -> None:
    query = (_crop("q.jpg", [0.7, 0.3, 0.0, 0.1]),)
    ranking = rank_galleries(query, (A, B, MIXED))
    by_name = {s.name: s for s in ranking}
    assert ranking[0].name == "A"
    # without the baseline the broad gallery would come first: its raw score is the highest
    raw = {n: 0.5 * (s.nearest_similarity + s.mean_similarity) for n, s in by_name.items()}
    assert max(raw, key=lambda n: raw[n]) == "Mixed"
    assert by_name["Mixed"].baseline_similarity > by_name["A"].baseline_similarity


def test_a_gallery_unlike_the_others_is_not_lifted_for_it() -> None:
    query = (_crop("q.jpg", [0.7, 0.3, 0.0, 0.1]),)
    ranking = rank_galleries(query, (A, B, MIXED))
    a_score = next(s for s in ranking if s.name == "A")
    assert a_score.baseline_similarity < 0  # A is unlike B and Mixed
    raw = 0.5 * (a_score.nearest_similarity + a_score.mean_similarity)
    assert a_score.similarity == pytest.approx(raw, abs=2e-4)


def test_similarity_is_raw_score_minus_baseline_and_is_written_out() -> None:
    query = (_crop("q.jpg", [-0.5, 1.1, 0.1, 0.2]),)
    ranking = rank_galleries(query, (A, B, MIXED))
    assert ranking[0].name == "B"
    for score in ranking:
        raw = 0.5 * (score.nearest_similarity + score.mean_similarity)
        assert score.similarity == pytest.approx(raw - max(0.0, score.baseline_similarity),
                                                 abs=2e-4)
        written = score.to_dict()
        assert written["baseline_similarity"] == score.baseline_similarity
        assert written["similarity"] == score.similarity
        references = written["best_references"]
        assert isinstance(references, list)
        assert [r["path"] for r in references] == [r.path for r in score.best]
    assert [s.similarity for s in ranking] == sorted((s.similarity for s in ranking),
                                                     reverse=True)


def test_one_gallery_has_nothing_to_be_set_against() -> None:
    (score,) = rank_galleries((_crop("q.jpg", [1, 0, 0, 0]),), (A,))
    assert score.baseline_similarity == 0.0
    assert score.similarity == pytest.approx(
        0.5 * (score.nearest_similarity + score.mean_similarity), abs=2e-4)
