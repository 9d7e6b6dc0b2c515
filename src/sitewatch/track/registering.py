"""Registering every date of a site onto its reference date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

from sitewatch.errors import RegistrationError
from sitewatch.geo.frames import same_crs
from sitewatch.imagery.registration import (
    Registration,
    RegistrationOptions,
    identity_registration,
    register_by_georeference,
    register_images,
)
from sitewatch.track.types import Observation, Refusal

#: Registers one observation onto the reference observation.
Registrar = Callable[[Observation, Observation], Registration]


def _georeference_seed(obs: Observation, reference: Observation) -> Registration | None:
    if (
        obs.transform is not None
        and reference.transform is not None
        and obs.crs_wkt is not None
        and reference.crs_wkt is not None
        and same_crs(obs.crs_wkt, reference.crs_wkt)
    ):
        return register_by_georeference(
            obs.date, reference.date, obs.transform, reference.transform
        )
    return None


def register_by_metadata(obs: Observation, reference: Observation) -> Registration:
    """Register through the georeferences alone (no pixels read).

    Two dates without a shared georeference are assumed to share a pixel grid exactly
    (identity, residual 0); that is only right for planted test data or pre-aligned images.
    A georeference-only registration has an unmeasured residual (``None``).
    """
    if obs.date == reference.date:
        return identity_registration(obs.date)
    seed = _georeference_seed(obs, reference)
    if seed is not None:
        return seed
    return replace(identity_registration(obs.date), reference_date=reference.date)


def register_by_pixels(obs: Observation, reference: Observation,
                       options: RegistrationOptions | None = None) -> Registration:
    """Register on the imagery (SIFT + RANSAC), seeded by the georeferences when both exist.

    Raises:
        RegistrationError: the images could not be registered.
        RasterReadError: an image could not be read.
    """
    if obs.date == reference.date:
        return identity_registration(obs.date)
    return register_images(
        obs.image_path, reference.image_path, date=obs.date, reference_date=reference.date,
        reference_gsd_m=reference.gsd_m, seed=_georeference_seed(obs, reference),
        options=options,
    )


def register_all(
    ordered: Sequence[Observation], registrar: Registrar,
    given: dict[dt.date, Registration],
) -> tuple[list[tuple[Observation, Registration]], list[Refusal]]:
    """Register every date onto the first; dates that fail are refused, not guessed."""
    reference = ordered[0]
    kept: list[tuple[Observation, Registration]] = []
    refused: list[Refusal] = []
    for obs in ordered:
        try:
            reg = given.get(obs.date) or registrar(obs, reference)
        except RegistrationError as exc:
            refused.append(Refusal(date=obs.date, message=str(exc)))
            continue
        kept.append((obs, reg))
    return kept, refused
