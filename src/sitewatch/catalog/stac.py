"""STAC Item JSON as an ingest input: the item names a local image asset and its date."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sitewatch.errors import InputFileError

_IMAGE_TYPES = ("image/tiff", "image/jpeg", "image/png", "image/webp")


@dataclass(frozen=True, slots=True, kw_only=True)
class StacImage:
    """The local image a STAC Item points at, with what the item says about it."""

    asset_path: Path
    date: dt.date | None
    gsd_m: float | None
    source: str
    licence: str


def read_stac_item(path: Path) -> StacImage:
    """Read a STAC Item and resolve its image asset to a local file.

    Raises:
        InputFileError: not a valid STAC Item, or its image asset is remote or missing.
    """
    import pystac

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        item = pystac.Item.from_dict(data)
    except (ValueError, KeyError, TypeError, pystac.STACError) as exc:
        raise InputFileError(f"cannot read '{path}' as a STAC Item: {exc}") from None
    asset = _image_asset(item, path)
    href = asset.href
    if urlparse(href).scheme not in ("", "file"):
        raise InputFileError(
            f"STAC Item '{path}' points at remote asset {href}; sitewatch works offline: "
            "download the asset and point the item's href at the local file"
        )
    asset_path = (path.parent / urlparse(href).path).resolve()
    if not asset_path.is_file():
        raise InputFileError(f"STAC Item '{path}' names asset '{asset_path}', which does not exist")
    when = item.datetime or item.common_metadata.start_datetime
    gsd = item.common_metadata.gsd
    return StacImage(
        asset_path=asset_path,
        date=when.date() if when else None,
        gsd_m=float(gsd) if gsd else None,
        source=f"STAC item {item.id}" + (f" ({item.collection_id})" if item.collection_id else ""),
        licence=str(data.get("properties", {}).get("license", "")),
    )


def _image_asset(item: Any, path: Path) -> Any:
    assets = item.assets
    for key in ("visual", "image", "data"):
        if key in assets:
            return assets[key]
    for asset in assets.values():
        if (asset.media_type or "").split(";")[0] in _IMAGE_TYPES:
            return asset
    raise InputFileError(
        f"STAC Item '{path}' has no image asset (looked for 'visual', 'image', 'data' or an image "
        "media type); add one"
    )
