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
import sys
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from series_pixels import (
    MVRSD_GSD_M,
    Chip,
    DateLook,
    Tile,
    axis_chip,
    chip_library,
    data_root,
    diagonal_chip,
    inpaint_boxes,
    load_tiles,
    mirrored,
    paste,
    render_date,
    rotated_box,
    world_to_image,
)
from shapely.geometry import Polygon
from shapely.ops import unary_union


@dataclass
class Vehicle:
    """One vehicle of the series: where it stands in the world frame on each date it is there."""

    vid: str
    chip: Chip
    poses: dict[int, tuple[float, float, float]] = field(default_factory=dict)  # date -> pose
    original: tuple[int, int, int, int] | None = None  # box in the background tile, if real
    loaded_on: str | None = None
    width_px: float | None = None  # truth box width, when not the chip's (a loaded carrier)


def _in_place(v: Vehicle, k: int) -> bool:
    """Whether a real vehicle stands on date ``k`` where it stands in the source tile."""
    return v.original is not None and k in v.poses and v.poses[k] == v.poses[min(v.poses)]


def _own_pixels(box: tuple[int, int, int, int], gone: list[tuple[int, int, int, int]],
                region: tuple[slice, slice], grow: int) -> np.ndarray:
    """Mask of ``region`` (``box`` grown by ``grow``, clipped to the image) without the
    pixels nearer a gone vehicle's centre.

    Axis-aligned boxes of vehicles parked side by side at an angle overlap; copying a staying
    vehicle's whole box would copy back part of a neighbour that left. Where the boxes overlap,
    each pixel belongs to the box whose centre is nearer (in units of the box's half sides).
    """
    ys, xs = np.mgrid[region].astype(np.float32)

    def dist(b: tuple[int, int, int, int]) -> np.ndarray:
        hw, hh = max((b[2] - b[0]) / 2, 1.0), max((b[3] - b[1]) / 2, 1.0)
        return np.hypot((xs - (b[0] + b[2]) / 2) / hw, (ys - (b[1] + b[3]) / 2) / hh)

    own = dist(box)
    keep = np.ones(xs.shape, bool)
    for g in gone:
        inside = (xs >= g[0] - grow) & (xs < g[2] + grow) & (ys >= g[1] - grow) & (ys < g[3] + grow)
        keep &= ~(inside & (dist(g) < own))
    return keep


def render_world(background: np.ndarray, source: np.ndarray | None, vehicles: list[Vehicle],
                 k: int) -> np.ndarray:
    """The site on date index ``k`` in the world frame."""
    world = background.copy()
    gone = [v.original for v in vehicles
            if v.original is not None and not _in_place(v, k)]
    for v in vehicles:
        if k not in v.poses:
            continue
        x, y, a = v.poses[k]
        if v.original is not None and source is not None and _in_place(v, k):
            # a real vehicle where it really stands: copy its pixels, not a departed neighbour's
            x0, y0, x1, y1 = v.original
            h, w = world.shape[:2]
            region = (slice(max(y0 - 3, 0), min(y1 + 3, h)), slice(max(x0 - 3, 0), min(x1 + 3, w)))
            keep = _own_pixels(v.original, gone, region, 3)
            world[region][keep] = source[region][keep]
        else:
            world = paste(world, v.chip, x, y, a, opaque=v.loaded_on is not None)
    return world


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
        "cy_px": round(float(cy), 2),
        "width_px": round((v.width_px or v.chip.width_px) * s, 2),
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
                assert before is not None and after is not None
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


#: The three heavy equipment transporters of AUAU010001 (tractor and empty trailer) by box
#: index, cut upright 26 px (3.1 m) wide.
TRANSPORTERS = (0, 16, 8)


def transporter_chips(tiles: dict[str, Tile]) -> list[Chip]:
    return [diagonal_chip(tiles["AUAU010001"], i, 26.0) for i in TRANSPORTERS]


def build_demo(tiles: dict[str, Tile]) -> Series:
    """Rostov-shaped: empty, then ten armoured vehicles (three on transporters), then two."""
    bg = tiles["AUAU010090"]
    # the three clean armoured vehicles of AUAU010081, and their mirror images
    afv_chips = [axis_chip(tiles["AUAU010081"], i) for i in (1, 4, 6)]
    afv_chips += [mirrored(c) for c in afv_chips]
    hets = transporter_chips(tiles)
    vehicles = [
        Vehicle(f"smv{i}", axis_chip(bg, i), {0: p, 1: p, 2: p}, original=bg.boxes[i][1:])
        for i, p in enumerate(_real_poses(bg))
    ]
    rows = [(200, 60), (255, 60), (310, 60), (365, 60), (150, 170), (205, 170), (260, 170)]
    for i, (x, y) in enumerate(rows):
        vehicles.append(Vehicle(f"afv{i}", afv_chips[i % len(afv_chips)], {1: (x, y, 0.35)}))
    vehicles[3].poses[2] = vehicles[3].poses[1]  # afv0 stays
    vehicles[7].poses[2] = (118.0, 195.0, 0.30)  # afv4 moves about 12 m
    # transporters 60 px (7 m) apart across their axes: a full-size tank (its box with shadow
    # is 42 px wide) stands on each without touching its neighbour's
    het_poses = [(95.0, 352.0, 0.45), (167.0, 337.0, 0.45), (239.0, 322.0, 0.45)]
    for i, pose in enumerate(het_poses):
        cargo = afv_chips[(i + 2) % len(afv_chips)]
        # loaded, a transporter is as wide as what stands on its bed
        vehicles.append(Vehicle(f"het{i}", hets[i], {1: pose},
                                width_px=max(hets[i].width_px, cargo.width_px)))
        vehicles.append(Vehicle(f"afv{7 + i}", cargo, {1: bed_pose(hets[i], pose)},
                                loaded_on=f"het{i}"))
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
               "Cargo stands on the transporters at its true size (the real chip, unscaled), "
               "on the trailer bed, aligned with it."),
    )


#: Where a transporter's bed is: the trailer is the upper half of an upright chip (the tractor
#: is the lower), and the tank stands with its centre this share of the transporter's length
#: above the transporter's centre (measured on the three AUAU010001 transporters: the bed's
#: open frame spans about 7-53 % of the length from the rear end, so its middle is 20 %
#: of the length behind the transporter's centre).
BED_CENTRE_FRACTION = 0.2


def bed_pose(carrier: Chip, pose: tuple[float, float, float]) -> tuple[float, float, float]:
    """Where cargo stands on a transporter standing at ``pose``: on the trailer bed, its
    long axis on the trailer's.

    The transporter keeps its own chip (an empty trailer); the cargo is a real armoured chip
    at its true size, not scaled, pasted after it (``render_world`` pastes in list order, and
    pastes cargo opaque so it keeps its own colours and shadow).
    """
    x, y, a = pose
    off = BED_CENTRE_FRACTION * carrier.height_px
    return (x + off * math.sin(a), y - off * math.cos(a), a)


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
         "licence": ("research, evaluation and demonstration of sitewatch only, under the terms "
                     "of the MVRSD research dataset and of Google Earth imagery (Imagery \u00a9 "
                     "Google Earth; MVRSD, baidongls); not covered by sitewatch's AGPL licence, "
                     "not for redistribution")}
        for d in truth["dates"]],
        "attachments": {"zones": "zones.geojson", "alerts": "alerts.toml",
                        "sightings": "sightings.csv", "boundary": "boundary.geojson"},
        "assessment_sample": "rostov"}
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


def _free(x: float, y: float, size: float, taken: list[tuple[float, float, float]],
          far_from: list[tuple[float, float]], far_px: float) -> bool:
    if any(math.dist((x, y), (tx, ty)) < (size + ts) / 2 + 4 for tx, ty, ts in taken):
        return False
    return all(math.dist((x, y), p) >= far_px for p in far_from)


def _random_look(rng: np.random.Generator, first: bool, cloud_p: float, size: int,
                 cloud_scale: float = 1.0) -> DateLook:
    if first:
        return DateLook(dx_px=0, dy_px=0, rot_rad=0, scale=1, gain=1, bias=0, haze=0,
                        georef_error_m=(float(rng.uniform(-2, 2)), float(rng.uniform(-2, 2))))
    cloud = None
    if rng.random() < cloud_p:
        cloud = (float(rng.uniform(100, size - 100)), float(rng.uniform(100, size - 100)),
                 float(rng.uniform(60, 110)) * cloud_scale)
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
                 far_px: float = 75.0, cloud_scale: float = 1.0, loaded: int = 0,
                 cargo: list[Chip] | None = None) -> Series:
    """A random series on one real tile: its labelled vehicles on the first date, then
    departures (p 0.2), moves (p 0.1, 8-50 px) and arrivals (Poisson 3) on each later date.

    Arrivals are kept ``far_px`` (default 75 px, 22 m at 0.3 m) from that interval's
    departures: an arrival beside a departure is, to any matcher, a move.

    ``loaded``: also this many loaded transporters (an armoured chip at its true size on a
    real transporter chip, on its bed: :func:`bed_pose`) and as many empty ones, each arriving
    on a later date and staying one or more dates, drawn from their own random stream so the
    rest of the series is the same as without them.
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
    looks = [_random_look(rng, k == 0, cloud_p, 600, cloud_scale) for k in range(n_dates)]
    placed = (_add_transporters(tiles, vehicles, loaded, seed, n_dates, size, cargo)
              if loaded else 0)
    start = dt.date(2020, 3, 2)
    return Series(
        site=f"gen-{tile.lower()}-s{seed}",
        dates=[start + dt.timedelta(days=7 * k + int(rng.integers(0, 3))) for k in range(n_dates)],
        background=background, source=base.image, vehicles=vehicles, looks=looks,
        out_size=600, seed=seed,
        lonlat_origin=(float(rng.uniform(-115, -110)), float(rng.uniform(36, 42)))
        if georeferenced else None,
        notes=f"random series on {tile}, seed {seed}; arrivals kept {far_px} px from departures"
        + (f"; {placed} of {2 * loaded} transporters placed (half of those asked loaded, "
           "cargo at true size)" if loaded else ""),
    )


def _footprint(chip: Chip, pose: tuple[float, float, float], grow: float) -> Polygon:
    return Polygon(rotated_box(pose[0], pose[1], chip.width_px + grow, chip.height_px + grow,
                               pose[2]))


def cargo_chips(tiles: dict[str, Tile]) -> list[Chip]:
    """What the transporters carry: AUAU010081's three armoured vehicles, and their mirror
    images."""
    chips = [axis_chip(tiles["AUAU010081"], i) for i in (1, 4, 6)]
    return chips + [mirrored(c) for c in chips]


def _add_transporters(tiles: dict[str, Tile], vehicles: list[Vehicle], n: int, seed: int,
                      n_dates: int, size: int, cargo: list[Chip] | None = None) -> int:
    """Add ``n`` loaded and ``n`` empty transporters where nothing stands on their dates;
    returns how many were placed (a crowded tile may have no room). ``cargo``: the chips
    loaded (default :func:`cargo_chips`)."""
    rng = np.random.default_rng([seed, 19])
    carriers = transporter_chips(tiles)
    loads = cargo or cargo_chips(tiles)
    placed = 0
    for m in range(2 * n):
        first = int(rng.integers(1, n_dates)) if n_dates > 1 else 0
        last = int(rng.integers(first, n_dates))
        dates = range(first, last + 1)
        carrier = carriers[int(rng.integers(len(carriers)))]
        load = loads[int(rng.integers(len(loads)))] if m < n else None
        busy = unary_union([_footprint(v.chip, v.poses[k], 8.0) for v in vehicles
                            for k in dates if k in v.poses])
        for _try in range(200):
            pose = (float(rng.uniform(110, size - 110)), float(rng.uniform(110, size - 110)),
                    float(rng.uniform(0, 2 * math.pi)))
            cargo_pose = bed_pose(carrier, pose)
            shape = _footprint(carrier, pose, 8.0)
            if load is not None:
                shape = shape.union(_footprint(load, cargo_pose, 8.0))
            if busy.is_empty or not shape.intersects(busy):
                vid = f"t{m}"
                vehicles.append(Vehicle(vid, carrier, dict.fromkeys(dates, pose), width_px=max(
                    carrier.width_px, load.width_px) if load is not None else None))
                if load is not None:
                    vehicles.append(Vehicle(f"{vid}c", load, dict.fromkeys(dates, cargo_pose),
                                            loaded_on=vid))
                placed += 1
                break
    return placed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["demo", "random"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tile", default="AUAU010081")
    parser.add_argument("--dates", type=int, default=4)
    parser.add_argument("--no-georef", action="store_true")
    parser.add_argument("--cloud", type=float, default=0.0, help="chance of a cloud per date")
    parser.add_argument("--cloud-scale", type=float, default=1.0,
                        help="cloud radius factor (1: 18-33 m; 4 covers most of a date)")
    parser.add_argument("--loaded", type=int, default=0,
                        help="random: add this many loaded transporters and as many empty ones")
    args = parser.parse_args(argv)
    tiles = load_tiles(data_root())
    if args.kind == "demo":
        series = build_demo(tiles)
    else:
        series = build_random(tiles, seed=args.seed, tile=args.tile, n_dates=args.dates,
                              georeferenced=not args.no_georef, cloud_p=args.cloud,
                              cloud_scale=args.cloud_scale, loaded=args.loaded)
    truth = write_series(series, args.out)
    if args.kind == "demo":
        write_demo_extras(args.out, truth)
    n = sum(len(d["vehicles"]) for d in truth["dates"])
    print(f"wrote {len(truth['dates'])} dates, {n} vehicle boxes, {len(truth['events'])} "
          f"events to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
