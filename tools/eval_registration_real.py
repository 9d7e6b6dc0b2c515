"""Register real imagery of one place on two dates: the NAIP tile of 2009 onto that of 2020.

The two are real aerial orthoimages eleven years apart (fields, lakes and radiometry all
changed), 5 m pixels, both georeferenced in EPSG:26914. The script registers 2009 onto 2020
by features seeded with the georeferences and prints the residual, the inliers, and how far
the fit departs from the georeferences at the corners and the centre.

Usage::

    python tools/eval_registration_real.py

Reads ``../shared/data/overhead/naip_dates`` (or ``$SITEWATCH_DATA/overhead/naip_dates``);
says so and exits with status 2 when it is absent.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import rasterio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.errors import ConfigError
from sitewatch.imagery import (
    register_by_georeference,
    register_images,
)
from sitewatch.shared_data import shared_data_path


def naip_dir() -> Path:
    """``overhead/naip_dates`` of the shared data folder; exits with status 2 and one line
    when it is absent."""
    try:
        return shared_data_path("overhead/naip_dates", what="the NAIP tiles")
    except ConfigError as error:
        print(f"eval_registration_real: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def main() -> int:
    folder = naip_dir()
    moving, reference = folder / "20090818.tif", folder / "20200831.tif"
    with rasterio.open(moving) as a, rasterio.open(reference) as b:
        ta, tb, gsd, size = tuple(a.transform)[:6], tuple(b.transform)[:6], b.res[0], a.shape
    seed = register_by_georeference(dt.date(2009, 8, 18), dt.date(2020, 8, 31), ta, tb)
    reg = register_images(moving, reference, date=seed.date, reference_date=seed.reference_date,
                          reference_gsd_m=gsd, seed=seed)
    h, w = size
    pts = np.array([[0, 0], [w, 0], [0, h], [w, h], [w / 2, h / 2]], float)
    xs, ys = pts[:, 0].tolist(), pts[:, 1].tolist()
    apart = np.hypot(*(reg.to_reference(xs, ys) - seed.to_reference(xs, ys)).T) * gsd
    print(f"residual {reg.residual_m:.2f} m ({reg.residual_m / gsd:.2f} px), inliers "
          f"{reg.n_inliers} of {reg.n_matches} matches, scale {reg.scale():.4f}")
    print("fit minus georeference at the four corners and the centre (m): "
          + ", ".join(f"{v:.2f}" for v in apart))
    return 0


if __name__ == "__main__":
    sys.exit(main())
