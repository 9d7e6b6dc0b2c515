"""Polynomial ground-control-point fits: the residuals are GDAL's, and too few points refused."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from sitewatch.errors import GeoError
from sitewatch.imagery import POLYNOMIAL_POINTS
from sitewatch.imagery.rectify import polynomial_residuals_m


def _points(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(0, 300, n), rng.uniform(0, 200, n)
    lons = 39 + xs * 4e-6 + xs * ys * 2e-9 + xs**2 * 1e-9 + rng.normal(0, 2e-6, n)
    lats = 47 - ys * 3e-6 + ys**2 * 1e-9 + rng.normal(0, 2e-6, n)
    return xs, ys, lons, lats


@pytest.mark.parametrize("n", [7, 8, 9])
def test_order_2_residuals_equal_those_of_gdals_gcp_transformer(n: int) -> None:
    """GDAL picks order 2 itself for 6-9 points; its transformer must put each point where ours
    does, so the residuals printed are the fit GDAL warps with."""
    from rasterio.control import GroundControlPoint
    from rasterio.transform import GCPTransformer

    xs, ys, lons, lats = _points(n)
    ours = polynomial_residuals_m(xs, ys, lons, lats, order=2)
    gcps = [GroundControlPoint(row=y, col=x, x=lo, y=la, z=0.0)
            for x, y, lo, la in zip(xs, ys, lons, lats, strict=True)]
    with GCPTransformer(gcps) as transformer:
        gx, gy = transformer.xy(ys, xs, offset="ul")
    _, _, theirs = Geod(ellps="WGS84").inv(gx, gy, lons, lats)
    assert ours.max() > 0.01  # noisy points: not an exact fit
    assert np.allclose(ours, np.abs(theirs), atol=1e-4)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_too_few_points_for_the_order_are_refused(order: int) -> None:
    need = POLYNOMIAL_POINTS[order]
    xs, ys, lons, lats = _points(need - 1)
    with pytest.raises(GeoError, match=f"order {order} needs {need} or more"):
        polynomial_residuals_m(xs, ys, lons, lats, order=order)
    xs, ys, lons, lats = _points(need)
    assert polynomial_residuals_m(xs, ys, lons, lats, order=order).max() < 1e-6  # exact
