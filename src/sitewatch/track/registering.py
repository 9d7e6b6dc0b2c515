"""Registering every date of a site onto its reference date."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from sitewatch.errors import RegistrationError
from sitewatch.imagery import (
    Registration,
    RegistrationMethod,
    RegistrationOptions,
    identity_registration,
    lonlat_to_pixel,
    pixel_to_lonlat,
    register_by_georeference,
    register_images,
    same_crs,
)
from sitewatch.track.types import Observation, Refusal, RegistrationNote

#: Registers one observation onto the reference observation.
Registrar = Callable[[Observation, Observation], Registration]


def _georeference_seed(obs: Observation, reference: Observation) -> Registration | None:
    """The mapping the two georeferences imply, or ``None`` when either has none.

    In one CRS it is exact affine algebra; across CRSs a projective fit to a 5×5 grid of
    points carried through WGS84.
    """
    if (obs.transform is None or reference.transform is None or obs.crs_wkt is None
            or reference.crs_wkt is None):
        return None
    if same_crs(obs.crs_wkt, reference.crs_wkt):
        return register_by_georeference(
            obs.date, reference.date, obs.transform, reference.transform
        )
    import cv2

    gx, gy = np.meshgrid(np.linspace(0, obs.width_px, 5), np.linspace(0, obs.height_px, 5))
    src = np.column_stack([gx.ravel(), gy.ravel()])
    lonlat = pixel_to_lonlat(obs.transform, obs.crs_wkt, src[:, 0], src[:, 1])
    dst = lonlat_to_pixel(reference.transform, reference.crs_wkt, lonlat[:, 0], lonlat[:, 1])
    m, _ = cv2.findHomography(src, dst, 0)
    if m is None:
        raise RegistrationError(f"cannot carry {obs.date} into the CRS of {reference.date}; "
                                "check both georeferences")
    m = m / m[2, 2]
    return Registration(date=obs.date, reference_date=reference.date,
                        matrix=tuple(float(v) for v in m.ravel()), residual_m=None,
                        method=RegistrationMethod.GEOREFERENCE)


def register_by_metadata(obs: Observation, reference: Observation) -> Registration:
    """Register through the georeferences alone (no pixels read).

    Two dates without a shared georeference are assumed to share a pixel grid exactly
    (identity, residual 0); that is only right for planted test data or pre-aligned images.
    A georeference-only registration has an unmeasured residual (``None``).
    """
    if obs.scene_id == reference.scene_id:  # the reference itself
        return identity_registration(obs.date)
    seed = _georeference_seed(obs, reference)
    if seed is not None:
        return seed
    # one date georeferenced and the other not: nothing says how they align
    one_sided = (obs.transform is None) != (reference.transform is None)
    return replace(identity_registration(obs.date), reference_date=reference.date,
                   residual_m=None if one_sided else 0.0)


def register_by_pixels(obs: Observation, reference: Observation,
                       options: RegistrationOptions | None = None) -> Registration:
    """Register on the imagery (SIFT + RANSAC), seeded by the georeferences when both exist.

    Raises:
        RegistrationError: the images could not be registered.
        RasterReadError: an image could not be read.
    """
    if obs.scene_id == reference.scene_id:  # the reference itself
        return identity_registration(obs.date)
    return register_images(
        obs.image_path, reference.image_path, date=obs.date, reference_date=reference.date,
        reference_gsd_m=reference.gsd_m, seed=_georeference_seed(obs, reference),
        options=options,
    )


def _chained(obs: Observation, via: tuple[Observation, Registration],
             registrar: Registrar) -> Registration:
    """Register onto an already registered date and compose with its registration."""
    step = registrar(obs, via[0])
    m = (np.asarray(via[1].matrix, float).reshape(3, 3)
         @ np.asarray(step.matrix, float).reshape(3, 3))
    m = m / m[2, 2]
    residual = (None if step.residual_m is None or via[1].residual_m is None
                else math.hypot(step.residual_m, via[1].residual_m))
    return replace(step, reference_date=via[1].reference_date,
                   matrix=tuple(float(v) for v in m.ravel()), residual_m=residual)


def _georeferenced(obs: Observation) -> bool:
    return obs.transform is not None and obs.crs_wkt is not None


def register_all(
    ordered: Sequence[Observation], registrar: Registrar,
    given: dict[dt.date, Registration], *, assumed_residual_m: float = 5.0,
) -> tuple[list[tuple[Observation, Registration]], list[Refusal], list[RegistrationNote]]:
    """Register every date onto the first; dates that fail are refused, not guessed.

    A date that fails directly is tried once more through the latest date already
    registered (seasons change: neighbours in time look more alike), the two residuals
    combined. When that fails too and both it and the reference carry a georeference, it is
    registered by the georeferences alone (:func:`register_by_metadata`: residual unmeasured,
    ``assumed_residual_m`` assumed by the comparison) and a note says why; repeated content
    (rows of identical sheds, a tiled mirror) defeats feature matching but not a
    georeference. A date without a georeference is refused.
    """
    reference = ordered[0]
    kept: list[tuple[Observation, Registration]] = []
    refused: list[Refusal] = []
    notes: list[RegistrationNote] = []
    for obs in ordered:
        try:
            reg = given.get(obs.date) or registrar(obs, reference)
        except RegistrationError as exc:
            chained = None
            if len(kept) >= 2:
                try:
                    chained = _chained(obs, kept[-1], registrar)
                except RegistrationError:
                    chained = None
            if chained is not None:
                reg = chained
            elif _georeferenced(obs) and _georeferenced(reference):
                try:
                    reg = register_by_metadata(obs, reference)
                except RegistrationError:
                    refused.append(Refusal(date=obs.date, message=str(exc)))
                    continue
                notes.append(RegistrationNote(date=obs.date, message=str(exc),
                                              assumed_residual_m=assumed_residual_m))
            else:
                refused.append(Refusal(date=obs.date, message=str(exc)))
                continue
        kept.append((obs, reg))
    return kept, refused, notes
