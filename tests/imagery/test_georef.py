from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pyproj import CRS

from sitewatch.errors import GeoError, NotGeoreferencedError
from sitewatch.imagery import gsd_m_of, map_to_pixel, outline_lonlat_wkt, pixel_to_lonlat, pixel_to_map

finite = st.floats(-1e3, 1e3, allow_nan=False)


@given(
    a=st.floats(0.01, 10),
    b=st.floats(-1, 1),
    d=st.floats(-1, 1),
    e=st.floats(-10, -0.01),
    c=st.floats(-1e6, 1e6),
    f=st.floats(-1e7, 1e7),
    x=st.floats(0, 1e5),
    y=st.floats(0, 1e5),
)
def test_pixel_map_pixel_round_trip(
    a: float, b: float, d: float, e: float, c: float, f: float, x: float, y: float
) -> None:
    assume(abs(a * e - b * d) > 1e-3)
    transform = (a, b, c, d, e, f)
    ((mx, my),) = pixel_to_map(transform, x, y)
    ((px, py),) = map_to_pixel(transform, mx, my)
    scale = max(abs(v) for v in transform) / abs(a * e - b * d)
    tol = 1e-9 * scale * (abs(mx) + abs(my) + abs(c) + abs(f) + 1)
    assert math.isclose(float(px), x, abs_tol=tol + 1e-6)
    assert math.isclose(float(py), y, abs_tol=tol + 1e-6)


def test_degenerate_transform_raises() -> None:
    with pytest.raises(NotGeoreferencedError, match="not invertible"):
        map_to_pixel((0.0, 0.0, 1.0, 0.0, 0.0, 1.0), 1.0, 1.0)


def test_projected_gsd_uses_pixel_size() -> None:
    wkt = CRS.from_epsg(32617).to_wkt()
    assert gsd_m_of((0.5, 0.0, 4e5, 0.0, -0.5, 3e6), wkt, 100, 100) == pytest.approx(0.5)


def test_geographic_gsd_converts_degrees_to_metres() -> None:
    # 1e-5 degree pixels at 60 N: about 1.11 m north-south, 0.557 m east-west.
    wkt = CRS.from_epsg(4326).to_wkt()
    gsd = gsd_m_of((1e-5, 0.0, 10.0, 0.0, -1e-5, 60.0), wkt, 10, 10)
    assert gsd == pytest.approx(math.sqrt(1.1169 * 0.5583), rel=0.01)


def test_pixel_to_lonlat_in_utm() -> None:
    # Origin of a UTM 33N grid at the central meridian (15 E) on the equator.
    wkt = CRS.from_epsg(32633).to_wkt()
    ((lon, lat),) = pixel_to_lonlat(
        (1.0, 0.0, 500000.0, 0.0, -1.0, 0.0), wkt, np.array([0.0]), np.array([0.0])
    )
    assert lon == pytest.approx(15.0) and lat == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    "transform",
    [(0.3, 0.0, 9e7, 0.0, -0.3, 9e7), (1e300, 0.0, 4e5, 0.0, -1e300, 5e6),
     (math.nan, 0.0, 4e5, 0.0, -0.3, 5e6)],
    ids=["outside-the-projection", "absurd-scale", "nan"],
)
def test_an_outline_nowhere_on_the_globe_is_refused(transform: tuple[float, ...]) -> None:
    wkt = CRS.from_epsg(32637).to_wkt()
    with pytest.raises(GeoError, match="nowhere on the globe"):
        outline_lonlat_wkt(transform, wkt, 16, 16)
    assert outline_lonlat_wkt((0.3, 0.0, 4e5, 0.0, -0.3, 5e6), wkt, 16, 16).startswith("POLYGON ((")
