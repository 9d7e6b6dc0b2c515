from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.errors import ConfigError
from sitewatch.track.intervals import count_interval


@given(
    n=st.integers(0, 200),
    precision=st.floats(0.3, 1.0),
    recall=st.floats(0.3, 1.0),
)
def test_interval_is_ordered_and_holds_the_count_when_recall_loses_more(
    n: int, precision: float, recall: float
) -> None:
    lo, hi = count_interval(n, precision=precision, recall=recall)
    assert 0 <= lo <= n
    assert lo <= hi
    if recall <= precision:
        assert hi >= n


def test_perfect_detector_gives_an_exact_count() -> None:
    assert count_interval(7, precision=1.0, recall=1.0) == (7, 7)


def test_poor_recall_widens_the_top() -> None:
    assert count_interval(10, precision=0.9, recall=0.5)[1] > count_interval(
        10, precision=0.9, recall=0.9
    )[1]


def test_rejects_bad_rates() -> None:
    with pytest.raises(ConfigError, match="recall"):
        count_interval(3, precision=0.9, recall=0.0)
