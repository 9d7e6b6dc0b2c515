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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.errors import RasterReadError, RegistrationError


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


def read_grey_raw(path: Path, *, max_side_px: int = 2048) -> tuple[np.ndarray, float]:
    """The image as float32 grey (mean of the first three bands, or the only band), in its
    own units, shrunk so its longer side is at most ``max_side_px``.

    Returns the grey image and the factor (≤ 1) it was shrunk by.

    Raises:
        RasterReadError: the file cannot be opened or decoded.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    try:
        with warnings.catch_warnings():  # an image without georeference is fine here
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                shrink = min(1.0, max_side_px / max(src.width, src.height))
                shape = (max(1, round(src.height * shrink)), max(1, round(src.width * shrink)))
                factor = shape[1] / src.width  # the factor actually applied (after rounding)
                indexes = [1, 2, 3] if src.count >= 3 else [1]
                # a decimated read: a huge scene never sits in memory at full resolution
                bands = src.read(indexes=indexes, out_dtype="float32",
                                 out_shape=(len(indexes), *shape),
                                 resampling=Resampling.average)
    except (RasterioError, OSError) as exc:
        raise RasterReadError(
            f"cannot read {str(path)!r} for registration: {exc}; check the file or re-ingest it",
            path=str(path),
        ) from None
    return bands.mean(axis=0), factor


def read_gray(path: Path, *, max_side_px: int = 2048) -> tuple[np.ndarray, float]:
    """Like :func:`read_grey_raw`, stretched to 8 bits between the 0.5 and 99.5 percentiles.

    Raises:
        RasterReadError: the file cannot be opened or decoded.
    """
    grey, factor = read_grey_raw(path, max_side_px=max_side_px)
    lo, hi = np.percentile(grey, (0.5, 99.5))
    out = np.clip((grey - lo) * (255.0 / max(hi - lo, 1e-6)), 0, 255).astype(np.uint8)
    return out, factor


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationOptions:
    """Knobs of :func:`register_images`.

    Attributes:
        model: ``"similarity"`` (shift, turn, scale: nadir imagery), ``"affine"`` or
            ``"homography"`` (oblique views).
        ratio: Lowe's ratio test threshold for SIFT matches.
        seeded_ratio: the looser threshold used with a georeference seed, whose radius
            already throws out most wrong matches (real dates years apart keep few matches
            under the strict test).
        ransac_px: RANSAC reprojection threshold, in reference pixels.
        seed_radius_m: with a georeference seed, matches farther than this from where the
            seed puts them are dropped before RANSAC (georeference errors of several metres
            are normal; tens are not).
        min_inliers: fewer agreeing matches than this and registration fails.
        min_inlier_ratio: a smaller fraction of agreeing matches and registration fails.
        max_residual_m: a larger RMS residual on the ground fails registration, unless it
            is within ``max_residual_px`` reference pixels (coarse imagery: 2 px of 5 m is
            a good fit, and no vehicle is resolved there anyway).
        max_residual_px: see ``max_residual_m``.
        max_side_px: images are shrunk to this longer side for feature detection.
    """

    model: str = "similarity"
    ratio: float = 0.75
    seeded_ratio: float = 0.9
    ransac_px: float = 3.0
    seed_radius_m: float = 30.0
    min_inliers: int = 12
    min_inlier_ratio: float = 0.15
    max_residual_m: float = 2.0
    max_residual_px: float = 2.0
    max_side_px: int = 2048

    def __post_init__(self) -> None:
        if self.model not in ("similarity", "affine", "homography"):
            raise RegistrationError(
                f"unknown registration model {self.model!r}; valid: similarity, affine, "
                "homography"
            )


def _features(grey: np.ndarray) -> tuple[list[Any], np.ndarray | None]:
    import cv2

    sift = cv2.SIFT_create(nfeatures=4000)  # type: ignore[attr-defined]
    keypoints, descriptors = sift.detectAndCompute(grey, None)
    return list(keypoints), descriptors


def _matches(
    moving: np.ndarray, reference: np.ndarray, ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """Matched point pairs (moving, reference) in the two (shrunk) grids."""
    import cv2

    kp_m, des_m = _features(moving)
    kp_r, des_r = _features(reference)
    if des_m is None or des_r is None or len(kp_m) < 2 or len(kp_r) < 2:
        return np.zeros((0, 2)), np.zeros((0, 2))
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(des_m, des_r, k=2)
    good = [p[0] for p in knn if len(p) == 2 and p[0].distance < ratio * p[1].distance]
    src = np.array([kp_m[m.queryIdx].pt for m in good], dtype=float).reshape(-1, 2)
    dst = np.array([kp_r[m.trainIdx].pt for m in good], dtype=float).reshape(-1, 2)
    return src, dst


def _fit(src: np.ndarray, dst: np.ndarray, model: str, ransac_px: float) -> np.ndarray | None:
    import cv2

    if len(src) < 4:
        return None
    if model == "homography":
        m, _ = cv2.findHomography(src, dst, cv2.RANSAC, ransac_px, maxIters=5000)
        return None if m is None else np.asarray(m, float)
    fit = cv2.estimateAffinePartial2D if model == "similarity" else cv2.estimateAffine2D
    m, _ = fit(src, dst, method=cv2.RANSAC, ransacReprojThreshold=ransac_px, maxIters=5000,
               refineIters=20)
    return None if m is None else np.vstack([np.asarray(m, float), [0.0, 0.0, 1.0]])


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    homo = np.column_stack([pts, np.ones(len(pts))]) @ m.T
    return homo[:, :2] / homo[:, 2:3]


def _refuse(what: str, why: str, **context: Any) -> RegistrationError:
    return RegistrationError(
        f"cannot register {what}: {why}; the dates may show different ground, heavy cloud or "
        "a very different view. Register it by hand (give a Registration) or leave the date "
        "out of the comparison",
        **context,
    )


def register_images(
    moving_path: Path,
    reference_path: Path,
    *,
    date: dt.date,
    reference_date: dt.date,
    reference_gsd_m: float,
    seed: Registration | None = None,
    options: RegistrationOptions | None = None,
) -> Registration:
    """Register one image onto a reference image by SIFT feature matching and RANSAC.

    With a ``seed`` (usually :func:`register_by_georeference`), matches that land farther
    than ``options.seed_radius_m`` from where the seed puts them are dropped first, so
    repeated patterns (rows of identical vehicles, parking bays) cannot pull the fit away.

    Raises:
        RasterReadError: an image cannot be read.
        RegistrationError: too few matches agree, the residual is too large, or the fit
            strays from the seed; the message says which and what to do.
    """
    opt = options or RegistrationOptions()
    what = f"{date} onto {reference_date}"
    mov, f_mov = read_gray(moving_path, max_side_px=opt.max_side_px)
    ref, f_ref = read_gray(reference_path, max_side_px=opt.max_side_px)
    src, dst = _matches(mov, ref, opt.ratio if seed is None else max(opt.ratio,
                                                                     opt.seeded_ratio))
    src, dst = src / f_mov, dst / f_ref
    n_matches = len(src)
    seed_m = None if seed is None else np.asarray(seed.matrix, float).reshape(3, 3)
    if seed_m is not None and n_matches:
        near = np.hypot(*(_apply(seed_m, src) - dst).T) * reference_gsd_m <= opt.seed_radius_m
        src, dst = src[near], dst[near]
    threshold = opt.ransac_px / f_ref
    m = _fit(src, dst, opt.model, threshold)
    if m is None:
        raise _refuse(what, f"only {len(src)} of {n_matches} feature matches usable",
                      n_matches=n_matches)
    err = np.hypot(*(_apply(m, src) - dst).T)
    inliers = err <= threshold
    n_in = int(inliers.sum())
    if n_in < opt.min_inliers or n_in < opt.min_inlier_ratio * max(len(src), 1):
        raise _refuse(
            what, f"only {n_in} of {len(src)} feature matches agree (need {opt.min_inliers} "
            f"and {opt.min_inlier_ratio:.0%})", n_inliers=n_in, n_matches=n_matches,
        )
    residual_m = float(np.sqrt(np.mean(err[inliers] ** 2))) * reference_gsd_m
    limit_m = max(opt.max_residual_m, opt.max_residual_px * reference_gsd_m)
    if residual_m > limit_m:
        raise _refuse(what, f"residual {residual_m:.2f} m exceeds {limit_m:.2f} m",
                      residual_m=residual_m)
    if seed_m is not None:
        h, w = mov.shape[0] / f_mov, mov.shape[1] / f_mov
        corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
        stray_m = float(np.max(np.hypot(*(_apply(m, corners) - _apply(seed_m, corners)).T)))
        if stray_m * reference_gsd_m > 3 * opt.seed_radius_m:
            raise _refuse(what, f"the fit strays {stray_m * reference_gsd_m:.0f} m from the "
                          "georeference at the image corners", stray_m=stray_m)
    m = m / m[2, 2]
    return Registration(
        date=date, reference_date=reference_date, matrix=tuple(float(v) for v in m.ravel()),
        residual_m=residual_m, method=RegistrationMethod.FEATURES, n_inliers=n_in,
        n_matches=n_matches,
    )
