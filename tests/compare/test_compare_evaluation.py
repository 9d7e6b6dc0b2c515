from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.compare.evaluation import _pair_correct, evaluation_files, summarise
from sitewatch.errors import CompareError


def test_missing_shared_data_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(CompareError, match="not shipped"):
        evaluation_files(tmp_path)


def test_pair_order_and_summary() -> None:
    assert _pair_correct(["T-72", "BMP", "Leclerc"], "T-72") is True
    assert _pair_correct(["T-72", "Leclerc"], "Leclerc") is False
    assert _pair_correct(["BMP", "T-72", "Leclerc"], "BMP") is None
    rows: list[dict[str, object]] = [
        {"type": "x", "top1": True, "top3": True, "pair_correct": True, "seconds": 1.0},
        {"type": "x", "top1": False, "top3": True, "pair_correct": False, "seconds": 3.0},
    ]
    summary = summarise(rows)["x"]
    assert summary == {"queries": 2, "top1": 0.5, "top3": 1.0, "pair_correct": 0.5,
                       "seconds_per_photo": 2.0}
