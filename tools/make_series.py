"""Semi-synthetic multi-date series of one site, built from the real MVRSD tiles, truth known.

No real multi-date imagery of one site with vehicles exists offline, so this script makes it:
real vehicles are removed from a real tile by inpainting, real vehicle chips (cut from the
other tiles, rotated and jittered) are pasted in with Poisson blending, vehicles are moved,
and every date is warped (shift, small rotation and scale: misregistration), given another
brightness, contrast and haze, and saved. The truth written beside the images says where
every vehicle is on every date, which events happened, and how each date maps onto the
first. It is seeded: the same arguments give the same files.

Usage::

    python tools/make_series.py demo OUT_DIR          # the Rostov-shaped sample case
    python tools/make_series.py random OUT_DIR --seed 3 --tile AUAU010081 --dates 4

Reads ``../shared/data/overhead/mvrsd`` (or ``$SITEWATCH_DATA/overhead/mvrsd``); says so and
exits with status 2 when it is absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

MVRSD_LABELS = {
    "SMV": "military_light_vehicle",
    "LMV": "military_truck",
    "AFV": "armored_vehicle",
    "CV": "civilian_vehicle",
    "MCV": "military_engineering_vehicle",
}
#: The ground sample distance the shared data README gives for the MVRSD tiles. Vehicle sizes
#: in the tiles (a 64 px long armoured vehicle, a 215 px tank transporter) suggest it is nearer
#: 0.1-0.12 m; the series keep the documented 0.3 m so that they agree with the detector.
MVRSD_GSD_M = 0.3


def data_root() -> Path:
    """Where the MVRSD tiles are; exits with a clear message when they are absent."""
    env = os.environ.get("SITEWATCH_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [here.parents[2] / "shared" / "data", Path("/work/shared/data")]
    for root in candidates:
        if (root / "overhead" / "mvrsd" / "labels").is_dir():
            return root / "overhead" / "mvrsd"
    sys.exit(
        "make_series: the MVRSD tiles are not here (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); set SITEWATCH_DATA to the shared data folder"
    )


@dataclass(frozen=True)
class Tile:
    name: str
    image: np.ndarray  # RGB uint8
    boxes: tuple[tuple[str, int, int, int, int], ...]  # (sitewatch label, x0, y0, x1, y1)


def load_tiles(root: Path) -> dict[str, Tile]:
    """All labelled tiles, by name (``AUAU010081``), labels mapped to sitewatch labels."""
    out = {}
    for xml_path in sorted((root / "labels").glob("*.xml")):
        doc = ET.parse(xml_path).getroot()
        boxes = []
        for obj in doc.iter("object"):
            name = obj.findtext("name", "").strip()
            bb = obj.find("bndbox")
            if name not in MVRSD_LABELS or bb is None:
                continue
            x0, y0, x1, y1 = (
                int(float(bb.findtext(k, "0"))) for k in ("xmin", "ymin", "xmax", "ymax")
            )
            boxes.append((MVRSD_LABELS[name], x0, y0, x1, y1))
        bgr = cv2.imread(str(root / "images" / f"{xml_path.stem}.jpg"), cv2.IMREAD_COLOR)
        out[xml_path.stem] = Tile(xml_path.stem, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), tuple(boxes))
    return out


@dataclass(frozen=True)
class Chip:
    """A real vehicle cut out with a margin, upright, vehicle box centred."""

    image: np.ndarray
    width_px: float
    height_px: float
    label: str
    source: str
    parts: tuple[dict, ...] = ()  # extra vehicles riding on this one (loaded transporter)


def axis_chip(tile: Tile, index: int, margin: int = 8) -> Chip:
    label, x0, y0, x1, y1 = tile.boxes[index]
    h, w = tile.image.shape[:2]
    pad = cv2.copyMakeBorder(tile.image, margin, margin, margin, margin, cv2.BORDER_REFLECT)
    img = pad[y0 : y1 + 2 * margin, x0 : x1 + 2 * margin].copy()
    del h, w
    return Chip(img, float(x1 - x0), float(y1 - y0), label, f"{tile.name}#{index}")


def diagonal_chip(tile: Tile, index: int, width_px: float, margin: int = 8) -> Chip:
    """A long diagonal vehicle (a tank transporter) turned upright and cut narrow."""
    label, x0, y0, x1, y1 = tile.boxes[index]
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    angle_deg = -math.degrees(math.atan2(w, h))
    rot = cv2.warpAffine(
        tile.image, cv2.getRotationMatrix2D((cx, cy), -angle_deg, 1.0),
        tile.image.shape[1::-1], borderMode=cv2.BORDER_REFLECT,
    )
    length = math.hypot(w, h) - 8
    hx, hy = width_px / 2 + margin, length / 2 + margin
    img = rot[int(cy - hy) : int(cy + hy), int(cx - hx) : int(cx + hx)].copy()
    return Chip(img, width_px, length, label, f"{tile.name}#{index}(upright)")


def rotated_box(cx: float, cy: float, w: float, h: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    pts = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return np.array([(cx + dx * c - dy * s, cy + dx * s + dy * c) for dx, dy in pts])


def paste(canvas: np.ndarray, chip: Chip, cx: float, cy: float, angle: float) -> np.ndarray:
    """Blend ``chip`` into ``canvas`` (in place and returned) centred at (cx, cy), turned by
    ``angle`` (clockwise, y down), with Poisson blending so its background melts in."""
    ch, cw = chip.image.shape[:2]
    side = math.ceil(math.hypot(ch, cw)) + 4
    side += side % 2 == 0
    big = cv2.copyMakeBorder(
        chip.image, (side - ch) // 2, side - ch - (side - ch) // 2,
        (side - cw) // 2, side - cw - (side - cw) // 2, cv2.BORDER_REFLECT,
    )
    ctr = ((big.shape[1] - 1) / 2, (big.shape[0] - 1) / 2)
    rot = cv2.warpAffine(big, cv2.getRotationMatrix2D(ctr, -math.degrees(angle), 1.0),
                         (big.shape[1], big.shape[0]), borderMode=cv2.BORDER_REFLECT)
    mask = np.zeros(rot.shape[:2], np.uint8)
    poly = rotated_box(ctr[0], ctr[1], chip.width_px + 6, chip.height_px + 6, angle)
    cv2.fillConvexPoly(mask, np.round(poly).astype(np.int32), 255)
    ys, xs = np.nonzero(mask)
    # seamlessClone puts the centre of the mask's bounding rectangle at the given point
    bx = (xs.min() + xs.max() + 1) / 2 - ctr[0]
    by = (ys.min() + ys.max() + 1) / 2 - ctr[1]
    pad = side  # room so a vehicle near the edge still fits
    big_canvas = cv2.copyMakeBorder(canvas, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    center = (round(cx + bx) + pad, round(cy + by) + pad)
    out = cv2.seamlessClone(rot, big_canvas, mask, center, cv2.NORMAL_CLONE)
    return out[pad:-pad, pad:-pad].copy()


def inpaint_boxes(image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Remove vehicles: inpaint their (slightly grown) boxes."""
    mask = np.zeros(image.shape[:2], np.uint8)
    for x0, y0, x1, y1 in boxes:
        cv2.rectangle(mask, (x0 - 3, y0 - 3), (x1 + 3, y1 + 3), 255, -1)
    return cv2.inpaint(image, mask, 7, cv2.INPAINT_TELEA)


@dataclass
class Vehicle:
    """One vehicle of the series: where it stands in the world frame on each date it is there."""

    vid: str
    chip: Chip
    poses: dict[int, tuple[float, float, float]] = field(default_factory=dict)  # date -> pose
    original: tuple[int, int, int, int] | None = None  # box in the background tile, if real
    loaded_on: str | None = None


def render_world(background: np.ndarray, source: np.ndarray | None, vehicles: list[Vehicle],
                 k: int) -> np.ndarray:
    """The site on date index ``k`` in the world frame."""
    world = background.copy()
    for v in vehicles:
        if k not in v.poses:
            continue
        x, y, a = v.poses[k]
        if v.original is not None and source is not None and v.poses[k] == v.poses[min(v.poses)]:
            x0, y0, x1, y1 = v.original  # a real vehicle where it really stands: copy its pixels
            world[y0 - 3 : y1 + 3, x0 - 3 : x1 + 3] = source[y0 - 3 : y1 + 3, x0 - 3 : x1 + 3]
        else:
            world = paste(world, v.chip, x, y, a)
    return world


@dataclass(frozen=True)
class DateLook:
    """How one date differs from the world: geometry (world -> image) and radiometry."""

    dx_px: float
    dy_px: float
    rot_rad: float
    scale: float
    gain: float
    bias: float
    haze: float
    georef_error_m: tuple[float, float]
    cloud: tuple[float, float, float] | None = None  # (cx, cy, radius) in image px
    blur_sigma_px: float = 0.0  # a softer or sharper sensor
    noise_sigma: float = 0.0  # sensor noise, grey levels
    warp_px: float = 0.0  # smooth non-rigid displacement (relief, orthorectification), px


def world_to_image(look: DateLook, world_size: int, out_size: int) -> np.ndarray:
    """2×3 affine world px -> image px: turn and scale about the centre, then shift and crop."""
    c = (world_size - 1) / 2
    m = cv2.getRotationMatrix2D((c, c), -math.degrees(look.rot_rad), look.scale)
    m[0, 2] += look.dx_px - (world_size - out_size) / 2
    m[1, 2] += look.dy_px - (world_size - out_size) / 2
    return m


def render_date(world: np.ndarray, look: DateLook, out_size: int, seed: int) -> np.ndarray:
    m = world_to_image(look, world.shape[0], out_size)
    img = cv2.warpAffine(world, m, (out_size, out_size), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT).astype(np.float32)
    rng = np.random.default_rng(seed + 7)
    if look.warp_px > 0:  # a smooth displacement field the affine truth does not know about
        field = [cv2.GaussianBlur(rng.normal(0, 1, (out_size, out_size)).astype(np.float32),
                                  (0, 0), 80) for _ in range(2)]
        field = [f * (look.warp_px / max(float(np.abs(f).max()), 1e-6)) for f in field]
        yy, xx = np.mgrid[0:out_size, 0:out_size].astype(np.float32)
        img = cv2.remap(img, xx + field[0], yy + field[1], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REFLECT)
    if look.blur_sigma_px > 0:
        img = cv2.GaussianBlur(img, (0, 0), look.blur_sigma_px)
    if look.noise_sigma > 0:
        img = img + rng.normal(0, look.noise_sigma, img.shape).astype(np.float32)
    img = img * look.gain + look.bias
    haze_color = np.array([205.0, 208.0, 214.0], np.float32)
    img = img * (1 - look.haze) + haze_color * look.haze
    if look.cloud is not None:
        yy, xx = np.mgrid[0:out_size, 0:out_size]
        cx, cy, r = look.cloud
        d = np.hypot(xx - cx, yy - cy) / r
        alpha = np.clip(1.3 - d, 0, 1)[..., None] * 0.95
        rng = np.random.default_rng(seed)
        texture = cv2.GaussianBlur(rng.normal(0, 12, (out_size, out_size)).astype(np.float32),
                                   (0, 0), 6)[..., None]
        img = img * (1 - alpha) + (235.0 + texture) * alpha
    return np.clip(img, 0, 255).astype(np.uint8)


@dataclass
class Series:
    """Everything needed to write a series and its truth."""

    site: str
    dates: list[dt.date]
    background: np.ndarray
    source: np.ndarray | None
    vehicles: list[Vehicle]
    looks: list[DateLook]
    out_size: int
    seed: int
    lonlat_origin: tuple[float, float] | None  # world pixel (0, 0), ILLUSTRATIVE
    notes: str = ""


def _utm_epsg(lon: float, lat: float) -> int:
    return (32600 if lat >= 0 else 32700) + int((lon + 180) // 6) + 1


def world_transform(series: Series) -> tuple[tuple[float, ...], str] | None:
    """Illustrative georeference of the world frame: GDAL affine and CRS, or ``None``."""
    if series.lonlat_origin is None:
        return None
    from pyproj import Transformer

    lon, lat = series.lonlat_origin
    epsg = _utm_epsg(lon, lat)
    e0, n0 = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    g = MVRSD_GSD_M
    return (g, 0.0, round(e0, 2), 0.0, -g, round(n0, 2)), f"EPSG:{epsg}"


def _h(m2x3: np.ndarray) -> np.ndarray:
    return np.vstack([m2x3, [0.0, 0.0, 1.0]])


def _box_in_image(m: np.ndarray, v: Vehicle, k: int) -> dict:
    x, y, a = v.poses[k]
    cx, cy = (m @ np.array([x, y, 1.0]))[:2]
    rot = math.atan2(m[1, 0], m[0, 0])
    s = math.hypot(m[0, 0], m[1, 0])
    return {
        "id": v.vid, "label": v.chip.label, "cx_px": round(float(cx), 2),
        "cy_px": round(float(cy), 2), "width_px": round(v.chip.width_px * s, 2),
        "height_px": round(v.chip.height_px * s, 2),
        "angle_rad": round((a + rot) % (2 * math.pi), 4), "loaded_on": v.loaded_on,
        "source": v.chip.source,
    }


def truth_events(series: Series, ref_m: np.ndarray) -> list[dict]:
    """Events between consecutive dates, positions in the reference image's pixels."""
    out = []
    for k in range(len(series.dates) - 1):
        d0, d1 = series.dates[k].isoformat(), series.dates[k + 1].isoformat()
        for v in series.vehicles:
            before, after = v.poses.get(k), v.poses.get(k + 1)
            if before is None and after is None:
                continue
            kind = ("arrived" if before is None else "departed" if after is None
                    else "stayed" if math.dist(before[:2], after[:2]) < 1e-6 else "moved")
            pos = after if after is not None else before
            assert pos is not None
            x, y = (ref_m @ np.array([pos[0], pos[1], 1.0]))[:2]
            ev = {"date_from": d0, "date_to": d1, "kind": kind, "id": v.vid,
                  "label": v.chip.label, "x_px": round(float(x), 2), "y_px": round(float(y), 2)}
            if kind == "moved":
                assert before is not None
                fx, fy = (ref_m @ np.array([before[0], before[1], 1.0]))[:2]
                ev.update(from_x_px=round(float(fx), 2), from_y_px=round(float(fy), 2),
                          distance_m=round(math.dist(before[:2], after[:2]) * MVRSD_GSD_M, 2))
            out.append(ev)
    for k, d in enumerate(series.dates):
        for v in series.vehicles:
            if v.loaded_on is not None and k in v.poses:
                x, y = (ref_m @ np.array([*v.poses[k][:2], 1.0]))[:2]
                out.append({"date_from": d.isoformat(), "date_to": d.isoformat(),
                            "kind": "loaded", "id": v.vid, "label": "loaded_transporter",
                            "x_px": round(float(x), 2), "y_px": round(float(y), 2)})
    return out


def _write_image(path: Path, img: np.ndarray, transform: tuple[float, ...] | None,
                 crs: str | None, description: str) -> Path:
    if transform is None:
        path = path.with_suffix(".jpg")
        cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 85])
        return path
    import rasterio
    from rasterio.transform import Affine

    path = path.with_suffix(".tif")
    profile = {
        "driver": "GTiff", "width": img.shape[1], "height": img.shape[0], "count": 3,
        "dtype": "uint8", "crs": crs, "transform": Affine(*transform), "compress": "jpeg",
        "photometric": "ycbcr", "jpeg_quality": 85, "tiled": True, "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.transpose(img, (2, 0, 1)))
        dst.update_tags(TIFFTAG_IMAGEDESCRIPTION=description, SITEWATCH_NOTE=description)
    return path


def write_series(series: Series, out: Path) -> dict:
    """Render every date, write the images and ``truth.json``; returns the truth."""
    out.mkdir(parents=True, exist_ok=True)
    geo = world_transform(series)
    world_size = series.background.shape[0]
    mats = [_h(world_to_image(look, world_size, series.out_size)) for look in series.looks]
    ref_m = mats[0]
    dates = []
    for k, (d, look, m) in enumerate(zip(series.dates, series.looks, mats, strict=True)):
        world = render_world(series.background, series.source, series.vehicles, k)
        img = render_date(world, look, series.out_size, series.seed * 100 + k)
        inv = np.linalg.inv(m)
        true_t = stated_t = crs = None
        if geo is not None:
            w = _h(np.array(geo[0]).reshape(2, 3))
            t = (w @ inv)[:2].ravel()
            true_t = tuple(round(float(v), 6) for v in t)
            ex, ey = look.georef_error_m
            stated_t = (*true_t[:2], round(true_t[2] + ex, 3), *true_t[3:5],
                        round(true_t[5] + ey, 3))
            crs = geo[1]
        desc = (f"sitewatch semi-synthetic series {series.site} {d}: made by tools/make_series.py "
                f"from MVRSD tiles (research use). "
                + ("ILLUSTRATIVE GEOREFERENCE - NOT THE REAL LOCATION OF THIS IMAGERY."
                   if geo else "No georeference."))
        path = _write_image(out / f"{series.site}_{d.isoformat()}", img, stated_t, crs, desc)
        to_ref = ref_m @ inv
        dates.append({
            "date": d.isoformat(), "file": path.name, "width_px": series.out_size,
            "height_px": series.out_size, "gsd_m": MVRSD_GSD_M,
            "image_to_reference": [round(float(v), 8) for v in (to_ref / to_ref[2, 2]).ravel()],
            "true_transform": true_t, "stated_transform": stated_t, "crs": crs,
            "georef_error_m": list(look.georef_error_m) if geo else None,
            "look": {k2: getattr(look, k2) for k2 in (
                "dx_px", "dy_px", "rot_rad", "scale", "gain", "bias", "haze", "cloud",
                "blur_sigma_px", "noise_sigma", "warp_px")},
            "vehicles": [_box_in_image(m, v, k) for v in series.vehicles if k in v.poses],
        })
    truth = {
        "site": series.site, "generator": "tools/make_series.py", "seed": series.seed,
        "illustrative_georeference": geo is not None,
        "warning": ("ILLUSTRATIVE georeference: the coordinates are invented for the demo and "
                    "are NOT where this imagery was taken." if geo else None),
        "reference_date": series.dates[0].isoformat(), "gsd_m": MVRSD_GSD_M,
        "notes": series.notes, "dates": dates, "events": truth_events(series, ref_m),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth


#: Demo site: world pixel (0, 0) is put, for illustration only, in the Great Basin of Nevada.
DEMO_LONLAT_ORIGIN = (-114.82, 39.25)
DEMO_DATES = (dt.date(2014, 7, 20), dt.date(2014, 8, 5), dt.date(2014, 8, 7))


def _scaled(chip: Chip, factor: float) -> Chip:
    img = cv2.resize(chip.image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return Chip(img, chip.width_px * factor, chip.height_px * factor, chip.label,
                f"{chip.source}x{factor:g}")


def loaded_chip(carrier: Chip, cargo: Chip, offset_px: float) -> tuple[Chip, Chip]:
    """A transporter chip with the cargo chip blended onto its bed, ``offset_px`` above centre.

    Returns the composite (labelled as the carrier) and the cargo chip whose centre it holds.
    """
    img = carrier.image.copy()
    h, w = img.shape[:2]
    img = paste(img, cargo, (w - 1) / 2, (h - 1) / 2 - offset_px, 0.0)
    return Chip(img, carrier.width_px, carrier.height_px, carrier.label,
                f"{carrier.source}+{cargo.source}"), cargo


def build_demo(tiles: dict[str, Tile]) -> Series:
    """Rostov-shaped: empty, then ten armoured vehicles (three on transporters), then two."""
    bg = tiles["AUAU010090"]
    # the three clean armoured vehicles of AUAU010081, and their mirror images
    afv_chips = [axis_chip(tiles["AUAU010081"], i) for i in (1, 4, 6)]
    afv_chips += [_mirrored(c) for c in afv_chips]
    hets = [diagonal_chip(tiles["AUAU010001"], i, 26.0) for i in (0, 16, 8)]
    vehicles = [
        Vehicle(f"smv{i}", axis_chip(bg, i), {0: p, 1: p, 2: p}, original=bg.boxes[i][1:])
        for i, p in enumerate(_real_poses(bg))
    ]
    rows = [(200, 60), (255, 60), (310, 60), (365, 60), (150, 170), (205, 170), (260, 170)]
    for i, (x, y) in enumerate(rows):
        vehicles.append(Vehicle(f"afv{i}", afv_chips[i % len(afv_chips)], {1: (x, y, 0.35)}))
    vehicles[3].poses[2] = vehicles[3].poses[1]  # afv0 stays
    vehicles[7].poses[2] = (118.0, 195.0, 0.30)  # afv4 moves about 12 m
    het_poses = [(105.0, 350.0, 0.45), (162.0, 338.0, 0.45), (219.0, 326.0, 0.45)]
    for i, pose in enumerate(het_poses):
        cargo = _scaled(afv_chips[(i + 2) % len(afv_chips)], 0.6)
        comp, cargo = loaded_chip(hets[i], cargo, 45.0)
        vehicles.append(Vehicle(f"het{i}", comp, {1: pose}))
        x, y, a = pose
        cx, cy = x + 45.0 * math.sin(a), y - 45.0 * math.cos(a)
        vehicles.append(Vehicle(f"afv{7 + i}", cargo, {1: (cx, cy, a)}, loaded_on=f"het{i}"))
    looks = [
        DateLook(dx_px=0, dy_px=0, rot_rad=0.0, scale=1.0, gain=1.0, bias=0, haze=0.0,
                 georef_error_m=(1.0, 0.5)),
        DateLook(dx_px=12, dy_px=-8, rot_rad=math.radians(0.6), scale=1.004, gain=1.08,
                 bias=-5, haze=0.05, georef_error_m=(3.2, -2.1)),
        DateLook(dx_px=-9, dy_px=11, rot_rad=math.radians(-0.8), scale=0.996, gain=0.92,
                 bias=8, haze=0.2, georef_error_m=(-4.0, 2.6)),
    ]
    return Series(
        site="demo-depot", dates=list(DEMO_DATES), background=bg.image, source=bg.image,
        vehicles=vehicles, looks=looks, out_size=600, seed=2014,
        lonlat_origin=DEMO_LONLAT_ORIGIN,
        notes=("Rostov-shaped sample: empty apron (three light vehicles), then ten armoured "
               "vehicles of which three on tank transporters, then two left (one moved). "
               "Cargo chips on transporters are scaled to 0.6 to fit the trailer bed."),
    )


def _mirrored(chip: Chip) -> Chip:
    return Chip(chip.image[:, ::-1].copy(), chip.width_px, chip.height_px, chip.label,
                f"{chip.source}(mirrored)")


def _real_poses(tile: Tile) -> list[tuple[float, float, float]]:
    return [((x0 + x1) / 2, (y0 + y1) / 2, 0.0) for _, x0, y0, x1, y1 in tile.boxes]


#: Stand-in border for the demo: the meridian of the Nevada-Utah state line (about 114.042 W).
DEMO_BOUNDARY_LON = -114.0422
DEMO_SIGHTINGS = (  # (id, time UTC, distance km, azimuth deg, place, seen, count, source)
    ("S1", "2014-08-08T09:30:00Z", 74.0, 75.0, "road junction east of the line",
     "armored_vehicle", 3, "illustrative: geolocated social-media video"),
    ("S2", "2014-08-04T12:00:00Z", 6.0, 200.0, "lay-by south of the depot",
     "armored_vehicle", 2, "illustrative: local resident photo"),
)


def write_demo_extras(out: Path, truth: dict) -> None:
    """Case manifest, sightings CSV, stand-in boundary, zones GeoJSON and alerts TOML."""
    from pyproj import Geod, Transformer

    manifest = {"scenes": [
        {"file": d["file"], "site": truth["site"], "date": d["date"], "gsd_m": d["gsd_m"],
         "source": "semi-synthetic from MVRSD demo tiles (github baidongls/MVRSD), Google Earth "
                   "imagery; ILLUSTRATIVE georeference, not the real location",
         "licence": "research use only (MVRSD / Google Earth terms); see README.md"}
        for d in truth["dates"]]}
    (out / "case.json").write_text(json.dumps(manifest, indent=1) + "\n")

    ref = truth["dates"][0]
    t = ref["stated_transform"]
    to_ll = Transformer.from_crs(ref["crs"], 4326, always_xy=True)

    def lonlat(x: float, y: float) -> list[float]:
        e, n = t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5]
        lo, la = to_ll.transform(e, n)
        return [round(lo, 7), round(la, 7)]

    c = ref["width_px"] / 2
    site_lon, site_lat = lonlat(c, c)
    geod = Geod(ellps="WGS84")
    rows = ["id,time_utc,lon,lat,place,seen,count,source"]
    for sid, when, km, az, place, seen, n, src in DEMO_SIGHTINGS:
        lon, lat, _ = geod.fwd(site_lon, site_lat, az, km * 1000.0)
        rows.append(f'{sid},{when},{lon:.6f},{lat:.6f},"{place}",{seen},{n},"{src}"')
    (out / "sightings.csv").write_text("\n".join(rows) + "\n")
    boundary = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"name": "ILLUSTRATIVE stand-in border (Nevada-Utah line meridian)"},
            "geometry": {"type": "LineString",
                         "coordinates": [[DEMO_BOUNDARY_LON, 37.0], [DEMO_BOUNDARY_LON, 42.0]]},
        }],
    }
    (out / "boundary.geojson").write_text(json.dumps(boundary, indent=1) + "\n")
    zones = {  # drawn on the reference date, in its (stated) georeference
        "north apron": [(100, 20), (420, 20), (420, 230), (100, 230)],
        "south apron": [(30, 230), (330, 230), (330, 470), (30, 470)],
    }
    feats = [{"type": "Feature", "properties": {"name": name},
              "geometry": {"type": "Polygon",
                           "coordinates": [[lonlat(x, y) for x, y in [*ring, ring[0]]]]}}
             for name, ring in zones.items()]
    (out / "zones.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}, indent=1) + "\n")
    (out / "alerts.toml").write_text(
        "# Alert thresholds per zone, read by sitewatch.track.load_alerts\n"
        '[[alert]]\nzone = "north apron"\nlabel = "armored_vehicle"\nmore_than = 5\n\n'
        '[[alert]]\nzone = "south apron"\nlabel = "loaded_transporter"\nmore_than = 0\n'
    )


def chip_library(tiles: dict[str, Tile], exclude: str) -> list[Chip]:
    """Chips of isolated vehicles (box touching no other box) from every tile but one."""
    chips = []
    for name, tile in tiles.items():
        if name == exclude:
            continue
        for i, (_, x0, y0, x1, y1) in enumerate(tile.boxes):
            grown = (x0 - 6, y0 - 6, x1 + 6, y1 + 6)
            alone = all(
                j == i or b[1] >= grown[2] or b[3] <= grown[0] or b[2] >= grown[3]
                or b[4] <= grown[1]
                for j, b in enumerate(tile.boxes)
            )
            inside = x0 > 2 and y0 > 2 and x1 < 638 and y1 < 638
            if alone and inside:
                chips.append(axis_chip(tile, i))
    return chips


def _free(x: float, y: float, size: float, taken: list[tuple[float, float, float]],
          far_from: list[tuple[float, float]], far_px: float) -> bool:
    if any(math.dist((x, y), (tx, ty)) < (size + ts) / 2 + 4 for tx, ty, ts in taken):
        return False
    return all(math.dist((x, y), p) >= far_px for p in far_from)


def _random_look(rng: np.random.Generator, first: bool, cloud_p: float, size: int) -> DateLook:
    if first:
        return DateLook(dx_px=0, dy_px=0, rot_rad=0, scale=1, gain=1, bias=0, haze=0,
                        georef_error_m=(float(rng.uniform(-2, 2)), float(rng.uniform(-2, 2))))
    cloud = None
    if rng.random() < cloud_p:
        cloud = (float(rng.uniform(100, size - 100)), float(rng.uniform(100, size - 100)),
                 float(rng.uniform(60, 110)))
    return DateLook(
        dx_px=float(rng.uniform(-15, 15)), dy_px=float(rng.uniform(-15, 15)),
        rot_rad=float(rng.uniform(-1, 1) * math.pi / 180), scale=float(rng.uniform(0.99, 1.01)),
        gain=float(rng.uniform(0.85, 1.15)), bias=float(rng.uniform(-10, 10)),
        haze=float(rng.uniform(0.0, 0.25)),
        georef_error_m=(float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5))), cloud=cloud,
        blur_sigma_px=float(rng.uniform(0, 1.2)), noise_sigma=float(rng.uniform(0, 5)),
        warp_px=float(rng.uniform(0, 1.5)),
    )


def build_random(tiles: dict[str, Tile], *, seed: int, tile: str, n_dates: int = 4,
                 georeferenced: bool = True, cloud_p: float = 0.0,
                 far_px: float = 75.0) -> Series:
    """A random series on one real tile: its labelled vehicles on the first date, then
    departures (p 0.2), moves (p 0.1, 8-50 px) and arrivals (Poisson 3) on each later date.

    Arrivals are kept ``far_px`` (default 75 px, 22 m at 0.3 m) from that interval's
    departures: an arrival beside a departure is, to any matcher, a move.
    """
    rng = np.random.default_rng(seed)
    base = tiles[tile]
    boxes = [b[1:] for b in base.boxes]
    background = inpaint_boxes(base.image, boxes)
    vehicles = [
        Vehicle(f"o{i}", axis_chip(base, i), {0: p}, original=boxes[i])
        for i, p in enumerate(_real_poses(base))
    ]
    library = chip_library(tiles, tile)
    size = base.image.shape[0]
    for k in range(1, n_dates):
        present = [v for v in vehicles if k - 1 in v.poses]
        departed: list[tuple[float, float]] = []
        taken: list[tuple[float, float, float]] = []
        for v in present:
            x, y, a = v.poses[k - 1]
            roll = rng.random()
            if roll < 0.2 and v.loaded_on is None:
                departed.append((x, y))
                continue
            if roll < 0.3 and v.original is None and v.loaded_on is None:
                step, turn = rng.uniform(8, 50), rng.uniform(0, 2 * math.pi)
                nx, ny = x + step * math.cos(turn), y + step * math.sin(turn)
                if 50 < nx < size - 50 and 50 < ny < size - 50:
                    x, y, a = nx, ny, a + float(rng.uniform(-0.3, 0.3))
            v.poses[k] = (x, y, a)
            taken.append((x, y, max(v.chip.width_px, v.chip.height_px)))
        for _ in range(int(rng.poisson(3))):
            chip = library[int(rng.integers(len(library)))]
            extent = max(chip.width_px, chip.height_px)
            for _try in range(50):
                x, y = rng.uniform(60, size - 60, 2)
                if _free(x, y, extent, taken, departed, far_px):
                    angle = float(rng.uniform(0, 2 * math.pi))
                    vehicles.append(Vehicle(f"a{k}_{len(vehicles)}", chip, {k: (x, y, angle)}))
                    taken.append((x, y, extent))
                    break
    looks = [_random_look(rng, k == 0, cloud_p, 600) for k in range(n_dates)]
    start = dt.date(2020, 3, 2)
    return Series(
        site=f"gen-{tile.lower()}-s{seed}",
        dates=[start + dt.timedelta(days=7 * k + int(rng.integers(0, 3))) for k in range(n_dates)],
        background=background, source=base.image, vehicles=vehicles, looks=looks,
        out_size=600, seed=seed,
        lonlat_origin=(float(rng.uniform(-115, -110)), float(rng.uniform(36, 42)))
        if georeferenced else None,
        notes=f"random series on {tile}, seed {seed}; arrivals kept {far_px} px from departures",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["demo", "random"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tile", default="AUAU010081")
    parser.add_argument("--dates", type=int, default=4)
    parser.add_argument("--no-georef", action="store_true")
    parser.add_argument("--cloud", type=float, default=0.0, help="chance of a cloud per date")
    args = parser.parse_args(argv)
    tiles = load_tiles(data_root())
    if args.kind == "demo":
        series = build_demo(tiles)
    else:
        series = build_random(tiles, seed=args.seed, tile=args.tile, n_dates=args.dates,
                              georeferenced=not args.no_georef, cloud_p=args.cloud)
    truth = write_series(series, args.out)
    if args.kind == "demo":
        write_demo_extras(args.out, truth)
    n = sum(len(d["vehicles"]) for d in truth["dates"])
    print(f"wrote {len(truth['dates'])} dates, {n} vehicle boxes, {len(truth['events'])} "
          f"events to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
