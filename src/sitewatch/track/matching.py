"""Optimal assignment of detections between two dates, in the reference date's frame.

Each detection is first *placed*: its centre, length and heading mapped into the reference
pixel grid, and its position also in metres on the ground. Two dates are then matched by a
linear assignment (Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment`) whose
cost grows with distance, label change, size ratio and heading change, and where leaving a
detection unmatched has a fixed price, so a far or unlike pair stays apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Price of leaving one detection unmatched, in the same units as the pair cost (where a move
#: of ``max_move_m`` costs 1). A pair is matched only when it costs less than two of these.
UNMATCHED_COST = 0.8
#: A box longer than this many times its width has a heading worth comparing.
ELONGATED = 1.3
_INFEASIBLE = 1e6


@dataclass(frozen=True, slots=True, kw_only=True)
class Placed:
    """One detection placed in the reference frame.

    Attributes:
        index: position of the detection in its observation's tuple.
        label: its label (a :class:`~sitewatch.detect.VehicleClass` value).
        x_px, y_px: centre in the reference date's pixel grid.
        x_m, y_m: the same centre in metres (reference pixels × reference gsd).
        length_m: the longer side on the ground.
        width_m: the shorter side on the ground.
        heading_rad: axial direction of the long side in the reference grid, in [0, π).
        score: detector confidence.
    """

    index: int
    label: str
    x_px: float
    y_px: float
    x_m: float
    y_m: float
    length_m: float
    width_m: float
    heading_rad: float
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchCosts:
    """Weights of the pair cost; see :class:`sitewatch.track.TrackOptions`."""

    max_move_m: float
    label_cost: float
    size_cost: float
    heading_cost: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Matching:
    """Result of matching two dates: index pairs into the two sequences, and the leftovers."""

    pairs: tuple[tuple[int, int], ...]
    unmatched_before: tuple[int, ...]
    unmatched_after: tuple[int, ...]


def axial_difference(a_rad: float, b_rad: float) -> float:
    """Smallest angle between two undirected axes, in [0, π/2].

    >>> round(axial_difference(0.1, math.pi - 0.1), 6)
    0.2
    """
    d = abs(a_rad - b_rad) % math.pi
    return min(d, math.pi - d)


def headings_comparable(a: Placed, b: Placed) -> bool:
    """Whether both boxes are long enough (:data:`ELONGATED`) for their headings to mean much."""
    return a.length_m > ELONGATED * a.width_m and b.length_m > ELONGATED * b.width_m


def pair_cost(a: Placed, b: Placed, costs: MatchCosts) -> float:
    """Cost of calling ``a`` (earlier date) and ``b`` (later date) the same vehicle."""
    distance = math.hypot(a.x_m - b.x_m, a.y_m - b.y_m)
    if distance > costs.max_move_m:
        return _INFEASIBLE
    cost = distance / costs.max_move_m
    if a.label != b.label:
        cost += costs.label_cost
    cost += costs.size_cost * abs(math.log(max(a.length_m, 1e-6) / max(b.length_m, 1e-6)))
    if headings_comparable(a, b):
        cost += costs.heading_cost * axial_difference(a.heading_rad, b.heading_rad)
    return cost


def _columns(placed: Sequence[Placed]) -> dict[str, np.ndarray]:
    return {
        "x": np.array([p.x_m for p in placed]), "y": np.array([p.y_m for p in placed]),
        "len": np.maximum(np.array([p.length_m for p in placed]), 1e-6),
        "wid": np.array([p.width_m for p in placed]),
        "head": np.array([p.heading_rad for p in placed]),
        "label": np.array([p.label for p in placed], dtype=object),
    }


def pair_costs(before: Sequence[Placed], after: Sequence[Placed],
               costs: MatchCosts) -> np.ndarray:
    """All :func:`pair_cost` values at once, as an (n, m) array."""
    a, b = _columns(before), _columns(after)
    dist = np.hypot(a["x"][:, None] - b["x"][None, :], a["y"][:, None] - b["y"][None, :])
    cost = dist / costs.max_move_m
    cost += costs.label_cost * (a["label"][:, None] != b["label"][None, :])
    cost += costs.size_cost * np.abs(np.log(a["len"][:, None] / b["len"][None, :]))
    turn = np.abs(a["head"][:, None] - b["head"][None, :]) % math.pi
    turn = np.minimum(turn, math.pi - turn)
    elongated = ((a["len"] > ELONGATED * a["wid"])[:, None]
                 & (b["len"] > ELONGATED * b["wid"])[None, :])
    cost += costs.heading_cost * turn * elongated
    return np.where(dist > costs.max_move_m, _INFEASIBLE, cost)


def match(before: Sequence[Placed], after: Sequence[Placed], costs: MatchCosts) -> Matching:
    """Match detections of two dates by optimal assignment.

    The square problem of size ``n + m`` holds the pair costs top-left, the price of leaving a
    detection unmatched on the two diagonals, and zeros bottom-right, so the optimum chooses
    freely between matching and leaving apart.

    >>> p = Placed(index=0, label="armored_vehicle", x_px=0, y_px=0, x_m=0, y_m=0,
    ...     length_m=7, width_m=3.5, heading_rad=0, score=0.9)
    >>> q = Placed(index=0, label="armored_vehicle", x_px=3, y_px=0, x_m=0.9, y_m=0,
    ...     length_m=7, width_m=3.5, heading_rad=0.05, score=0.9)
    >>> match([p], [q], MatchCosts(max_move_m=20, label_cost=0.6, size_cost=0.5,
    ...     heading_cost=0.2)).pairs
    ((0, 0),)
    """
    from scipy.optimize import linear_sum_assignment  # heavy import, only when matching

    n, m = len(before), len(after)
    if n == 0 or m == 0:
        return Matching(pairs=(), unmatched_before=tuple(range(n)), unmatched_after=tuple(range(m)))
    size = n + m
    big = np.full((size, size), _INFEASIBLE)
    big[:n, :m] = pair_costs(before, after, costs)
    big[np.arange(n), m + np.arange(n)] = UNMATCHED_COST
    big[n + np.arange(m), np.arange(m)] = UNMATCHED_COST
    big[n:, m:] = 0.0
    rows, cols = linear_sum_assignment(big)
    pairs = tuple(
        (int(r), int(c))
        for r, c in zip(rows, cols, strict=True)
        if r < n and c < m and big[r, c] < 2 * UNMATCHED_COST
    )
    matched_before = {p[0] for p in pairs}
    matched_after = {p[1] for p in pairs}
    return Matching(
        pairs=pairs,
        unmatched_before=tuple(i for i in range(n) if i not in matched_before),
        unmatched_after=tuple(j for j in range(m) if j not in matched_after),
    )
