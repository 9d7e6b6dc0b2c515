from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.track.matching import MatchCosts, Placed, match, pair_cost, pair_costs

COSTS = MatchCosts(max_move_m=20.0, label_cost=0.6, size_cost=0.5, heading_cost=0.2)
LABELS = ("armored_vehicle", "military_truck")


def _placed(i: int, x: float, y: float, label: str, length: float, heading: float) -> Placed:
    return Placed(index=i, label=label, x_px=x / 0.3, y_px=y / 0.3, x_m=x, y_m=y,
                  length_m=length, width_m=3.0, heading_rad=heading, score=0.9)


placed_lists = st.lists(
    st.tuples(st.floats(0, 60), st.floats(0, 60), st.sampled_from(LABELS), st.floats(4, 20),
              st.floats(0, 3.14)),
    max_size=8,
).map(lambda rows: [_placed(i, *r) for i, r in enumerate(rows)])


@settings(max_examples=60)
@given(placed_lists, placed_lists)
def test_vectorised_costs_equal_the_scalar_cost(a: list[Placed], b: list[Placed]) -> None:
    if a and b:
        expected = np.array([[pair_cost(p, q, COSTS) for q in b] for p in a])
        assert np.allclose(pair_costs(a, b, COSTS), expected)


@settings(max_examples=60)
@given(placed_lists, placed_lists)
def test_matching_is_one_to_one_and_accounts_for_everyone(a: list[Placed],
                                                          b: list[Placed]) -> None:
    m = match(a, b, COSTS)
    assert len({i for i, _ in m.pairs}) == len(m.pairs) == len({j for _, j in m.pairs})
    assert len(m.pairs) + len(m.unmatched_before) == len(a)
    assert len(m.pairs) + len(m.unmatched_after) == len(b)
    for i, j in m.pairs:
        assert np.hypot(a[i].x_m - b[j].x_m, a[i].y_m - b[j].y_m) <= COSTS.max_move_m


@given(placed_lists)
def test_a_date_matched_with_itself_is_all_pairs(a: list[Placed]) -> None:
    m = match(a, a, COSTS)
    assert len(m.pairs) == len(a)
    assert all(pair_cost(a[i], a[j], COSTS) <= 1e-9 for i, j in m.pairs)
