"""Resampling labelled images to the one ground sample distance a model is trained at."""

from __future__ import annotations

import numpy as np

from sitewatch.errors import ConfigError
from sitewatch.train.samples import TrainingSample, scale_box

__all__ = ["resample_image", "resample_sample"]


def resample_image(image: np.ndarray, *, from_gsd_m: float, to_gsd_m: float) -> np.ndarray:
    """Resize an image from one ground sample distance to another.

    Downsampling uses area averaging (no aliasing); upsampling uses bicubic interpolation.

    Raises:
        ConfigError: a ground sample distance is not positive.
    """
    import cv2

    if from_gsd_m <= 0 or to_gsd_m <= 0:
        raise ConfigError(
            f"ground sample distances must be positive, got {from_gsd_m} m and {to_gsd_m} m"
        )
    factor = from_gsd_m / to_gsd_m
    if abs(factor - 1.0) < 1e-9:
        return image
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    out: np.ndarray = cv2.resize(image, size, interpolation=interp)
    return out


def resample_sample(
    sample: TrainingSample, *, from_gsd_m: float, to_gsd_m: float
) -> TrainingSample:
    """The sample's image and boxes at ``to_gsd_m`` metres per pixel."""
    image = resample_image(sample.image, from_gsd_m=from_gsd_m, to_gsd_m=to_gsd_m)
    fx = image.shape[1] / sample.image.shape[1]
    return TrainingSample(
        image=image,
        boxes=tuple(scale_box(b, fx) for b in sample.boxes),
        source=sample.source,
        ignore_px=tuple((x0 * fx, y0 * fx, x1 * fx, y1 * fx) for x0, y0, x1, y1 in sample.ignore_px),
    )
