"""Registration on real pixels: the checked-in demo series (MVRSD-derived, see its README)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.errors import RegistrationError
from sitewatch.imagery.registration import (
    Registration,
    RegistrationOptions,
    register_by_georeference,
    register_images,
)
from tests.track.demo_series import DEMO, observations, truth


def _corner_error_m(reg: Registration, true_matrix: list[float], size: int) -> float:
    corners = np.array([[0, 0], [size, 0], [size, size], [0, size]], float)
    true = np.asarray(true_matrix).reshape(3, 3)
    homo = np.column_stack([corners, np.ones(4)]) @ true.T
    expected = homo[:, :2] / homo[:, 2:]
    got = reg.to_reference(corners[:, 0], corners[:, 1])
    return float(np.hypot(*(got - expected).T).max()) * 0.3


@pytest.mark.parametrize("index", [1, 2])
def test_features_register_within_a_metre_and_beat_the_georeference(index: int) -> None:
    obs, t = observations(), truth()
    seed = register_by_georeference(obs[index].date, obs[0].date, obs[index].transform or (),
                                    obs[0].transform or ())
    reg = register_images(obs[index].image_path, obs[0].image_path, date=obs[index].date,
                          reference_date=obs[0].date, reference_gsd_m=0.3, seed=seed)
    true = t["dates"][index]["image_to_reference"]
    assert reg.residual_m is not None and reg.residual_m < 0.5
    assert _corner_error_m(reg, true, 600) < 1.0
    assert _corner_error_m(seed, true, 600) > 2.0  # the stated georeferences are metres off
    assert reg.n_inliers >= 12


def test_unrelated_images_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (600, 600, 3), dtype=np.uint8)
    noise = cv2.GaussianBlur(noise, (0, 0), 2)
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), noise)
    obs = observations()
    with pytest.raises(RegistrationError, match=r"cannot register .* leave the date out"):
        register_images(other, obs[0].image_path, date=obs[1].date, reference_date=obs[0].date,
                        reference_gsd_m=0.3)


def test_seed_far_from_the_truth_leaves_too_few_matches() -> None:
    obs = observations()
    seed = register_by_georeference(obs[1].date, obs[0].date, obs[1].transform or (),
                                    obs[0].transform or ())
    far = dataclasses.replace(seed, matrix=(1, 0, 300.0, 0, 1, 0, 0, 0, 1))
    with pytest.raises(RegistrationError):
        register_images(obs[1].image_path, obs[0].image_path, date=obs[1].date,
                        reference_date=obs[0].date, reference_gsd_m=0.3, seed=far,
                        options=RegistrationOptions(seed_radius_m=10.0))


def test_unknown_model_is_refused() -> None:
    with pytest.raises(RegistrationError, match="unknown registration model"):
        RegistrationOptions(model="thin-plate")


def test_demo_files_are_the_ones_the_truth_names() -> None:
    assert sorted(p.name for p in DEMO.glob("*.tif")) == sorted(
        d["file"] for d in truth()["dates"])
