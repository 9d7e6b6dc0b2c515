from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.compare.evaluation import (
    LabelledFile,
    evaluation_files,
    left_out_with,
    queryable,
    score_row,
    summarise,
)
from sitewatch.compare.types import GalleryScore
from sitewatch.errors import CompareError
from tests.shared_data import shared_path_or_skip


def _score(name: str, similarity: float) -> GalleryScore:
    return GalleryScore(name=name, similarity=similarity, nearest_similarity=similarity,
                        mean_similarity=similarity, reference_count=1, best=())


def test_missing_shared_data_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(CompareError, match="not shipped"):
        evaluation_files(tmp_path)


def test_row_margin_is_true_gallery_minus_best_other() -> None:
    ranking = (_score("T-72", 0.50), _score("Leclerc", 0.42), _score("BMP", 0.30))
    row = score_row("tank2.mp4", "T-72", ranking, 1.5)
    assert row["top1"] is True and row["top3"] is True
    assert row["margin"] == pytest.approx(0.08)
    wrong = score_row("a.jpg", "BMP", ranking, None)
    assert wrong["top1"] is False and wrong["margin"] == pytest.approx(-0.20)
    with pytest.raises(CompareError, match="not in the ranking"):
        score_row("a.jpg", "T-64", ranking, None)


def test_summary_per_type_and_overall() -> None:
    ranking = (_score("A", 0.6), _score("B", 0.5))
    rows = [score_row("1", "A", ranking, None), score_row("2", "A", ranking, None),
            score_row("3", "B", ranking, None)]
    summary = summarise(rows)
    assert summary["A"] == {"queries": 2, "top1": 1.0, "top3": 1.0, "mean_margin": 0.1,
                            "min_margin": 0.1}
    assert summary["B"]["top1"] == 0.0 and summary["B"]["min_margin"] == pytest.approx(-0.1)
    assert summary["all"]["queries"] == 3 and summary["all"]["top1"] == pytest.approx(2 / 3)


def test_single_file_types_are_not_queried_and_duplicates_leave_together() -> None:
    files = tuple(LabelledFile(path=Path(n), name=n, label=label) for n, label in [
        ("a/1.jpg", "A"), ("a/2.jpg", "A"), ("b/1.jpg", "B"),
        ("russian_tanks/russian_16.jpg", "R"), ("russian_tanks/russian_17.jpg", "R"),
    ])
    assert [f.name for f in queryable(files)] == ["a/1.jpg", "a/2.jpg"]
    assert left_out_with("a/1.jpg") == {"a/1.jpg"}


def test_real_evaluation_set_is_labelled() -> None:
    files = evaluation_files(shared_path_or_skip("ground").parent)
    labels = {f.label for f in files}
    assert {"T-72", "BMP", "Leclerc", "Russian tanks (mixed)"} <= labels
    assert any(f.name == "video/tank2.mp4" and f.label == "T-72" for f in files)
    assert {f.label for f in files} - {f.label for f in queryable(files)} == {
        "Wheeled AFV column", "APC (video)", "Engineering vehicle (video)"}
