from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.imagery.georef import lonlat_to_pixel, pixel_to_lonlat, same_crs

T = (0.3, 0.0, 500000.0, 0.0, -0.3, 5300000.0)


@given(st.floats(0, 5000), st.floats(0, 5000))
def test_pixel_lonlat_round_trip(x: float, y: float) -> None:
    ll = pixel_to_lonlat(T, "EPSG:32637", [x], [y])
    back = lonlat_to_pixel(T, "EPSG:32637", ll[:, 0], ll[:, 1])
    assert np.allclose(back, [[x, y]], atol=1e-4)


def test_same_crs_by_meaning() -> None:
    from pyproj import CRS

    assert same_crs("EPSG:32637", CRS.from_epsg(32637).to_wkt())
    assert not same_crs("EPSG:32637", "EPSG:32611")
