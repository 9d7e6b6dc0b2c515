"""Registration of one date of a site onto a reference date.

A :class:`Registration` carries a 3×3 projective matrix that maps a pixel of the moving date
into the reference date's pixel grid, and the residual of that fit in metres. It is made
either from the two georeferences alone (:func:`register_by_georeference`) or from the pixels
(:func:`register_images`, feature matching with RANSAC, seeded by the georeference when there
is one).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sitewatch.errors import RegistrationError


class RegistrationMethod(StrEnum):
    """How a registration was obtained."""

    IDENTITY = "identity"
    GEOREFERENCE = "georeference"
    FEATURES = "features"


IDENTITY_MATRIX: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """How one date's pixels map into the reference date's pixel grid.

    Attributes:
        date: the moving date.
        reference_date: the date whose pixel grid is the common frame.
        matrix: row-major 3×3 projective matrix, moving pixel -> reference pixel.
        residual_m: root-mean-square residual of the fit on the ground, in metres; ``None``
            when nothing measured it (a georeference-only registration is only as good as the
            two georeferences, which it cannot check).
        method: how the matrix was obtained.
        n_inliers: feature matches that agree with the fit (0 when not from features).
        n_matches: feature matches tried.
    """

    date: dt.date
    reference_date: dt.date
    matrix: tuple[float, ...]
    residual_m: float | None
    method: RegistrationMethod
    n_inliers: int = 0
    n_matches: int = 0

    def __post_init__(self) -> None:
        if len(self.matrix) != 9 or not all(math.isfinite(v) for v in self.matrix):
            raise RegistrationError(
                f"registration of {self.date} needs 9 finite matrix entries, got {self.matrix}"
            )

    def to_reference(self, xs_px: Sequence[float], ys_px: Sequence[float]) -> np.ndarray:
        """Map pixels of the moving date into the reference grid; returns an (N, 2) array.

        >>> reg = Registration(date=dt.date(2014, 8, 21), reference_date=dt.date(2014, 8, 10),
        ...     matrix=(1, 0, 5, 0, 1, -2, 0, 0, 1), residual_m=0.2,
        ...     method=RegistrationMethod.FEATURES)
        >>> reg.to_reference([10.0], [10.0]).tolist()
        [[15.0, 8.0]]
        """
        m = np.asarray(self.matrix, dtype=float).reshape(3, 3)
        pts = np.column_stack([np.asarray(xs_px, float), np.asarray(ys_px, float)])
        if pts.size == 0:
            return np.zeros((0, 2))
        homo = np.column_stack([pts, np.ones(len(pts))]) @ m.T
        return homo[:, :2] / homo[:, 2:3]

    def scale(self) -> float:
        """Mean linear scale of the map (reference pixels per moving pixel)."""
        m = np.asarray(self.matrix, dtype=float).reshape(3, 3)
        return float(math.sqrt(abs(np.linalg.det(m[:2, :2]))))


def identity_registration(date: dt.date) -> Registration:
    """The reference date registered onto itself."""
    return Registration(
        date=date,
        reference_date=date,
        matrix=IDENTITY_MATRIX,
        residual_m=0.0,
        method=RegistrationMethod.IDENTITY,
    )


def affine_matrix(transform: Sequence[float]) -> np.ndarray:
    """The 3×3 matrix of a GDAL-order affine (a, b, c, d, e, f), pixel -> map.

    >>> affine_matrix((0.3, 0, 500.0, 0, -0.3, 100.0)) @ np.array([10.0, 10.0, 1.0])
    array([503.,  97.,   1.])
    """
    a, b, c, d, e, f = (float(v) for v in transform[:6])
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def register_by_georeference(
    date: dt.date,
    reference_date: dt.date,
    transform: Sequence[float],
    reference_transform: Sequence[float],
) -> Registration:
    """Register through the two georeferences alone (both must be in the same CRS).

    Raises:
        RegistrationError: the reference transform cannot be inverted.
    """
    ref = affine_matrix(reference_transform)
    if abs(np.linalg.det(ref)) < 1e-18:
        raise RegistrationError(
            f"reference date {reference_date}: its transform {tuple(reference_transform)} is "
            "singular; re-ingest the reference image with a valid georeference"
        )
    m = np.linalg.inv(ref) @ affine_matrix(transform)
    m = m / m[2, 2]
    return Registration(
        date=date,
        reference_date=reference_date,
        matrix=tuple(float(v) for v in m.ravel()),
        residual_m=None,
        method=RegistrationMethod.GEOREFERENCE,
    )
