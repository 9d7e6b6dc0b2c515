from __future__ import annotations

import sitewatch.imagery


def test_imagery_public_face() -> None:
    assert sorted(sitewatch.imagery.__all__) == [
        "Affine6",
        "GsdEstimate",
        "MAX_BANDS",
        "RasterInfo",
        "RasterReader",
        "Tile",
        "check_decoded_size",
        "check_decodes",
        "disagreement",
        "fit_gcps",
        "fit_gsd",
        "gsd_m_of",
        "lonlat_to_map",
        "lonlat_to_pixel",
        "map_to_lonlat",
        "map_to_pixel",
        "outline_lonlat_wkt",
        "pixel_to_lonlat",
        "pixel_to_map",
        "read_info",
        "same_crs",
        "tile_grid",
    ]
