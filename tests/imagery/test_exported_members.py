from __future__ import annotations

import sitewatch.imagery


def test_imagery_public_face() -> None:
    assert sorted(sitewatch.imagery.__all__) == [
        "Affine6",
        "GsdEstimate",
        "MAX_BANDS",
        "MAX_WHOLE_DECODE_BYTES",
        "RasterInfo",
        "RasterReader",
        "Registration",
        "RegistrationMethod",
        "RegistrationOptions",
        "Tile",
        "check_dataset",
        "check_decoded_size",
        "check_decodes",
        "dataset_info",
        "disagreement",
        "fit_gcps",
        "fit_gsd",
        "gsd_m_of",
        "identity_registration",
        "lonlat_to_map",
        "lonlat_to_pixel",
        "map_to_lonlat",
        "map_to_pixel",
        "outline_lonlat_wkt",
        "pixel_to_lonlat",
        "pixel_to_map",
        "pool_fits",
        "read_grey_raw",
        "read_info",
        "register_by_georeference",
        "register_images",
        "same_crs",
        "sniff_bytes",
        "tile_grid",
    ]
