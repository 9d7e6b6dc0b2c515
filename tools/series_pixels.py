"""Pixels for the semi-synthetic series: real MVRSD tiles, vehicle chips, pasting, removal,
and how one date looks (geometry and radiometry).

A helper module, not a script: imported by ``tools/make_series.py`` (and through it by the
tools and tests that build series); it measures nothing itself.
"""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.errors import ConfigError
from sitewatch.shared_data import shared_data_path

MVRSD_LABELS = {
    "SMV": "military_light_vehicle",
    "LMV": "military_truck",
    "AFV": "armored_vehicle",
    "CV": "civilian_vehicle",
    "MCV": "military_engineering_vehicle",
}

#: The ground sample distance of the MVRSD tiles, from vehicle sizes (a 64 px long armoured
#: vehicle, a 215 px tank transporter; car and tank lengths across ~3000 MVRSD label files),
#: not the 0.3 m the shared data README gives; the detector's training uses the same estimate.
MVRSD_GSD_M = 0.12


def data_root() -> Path:
    """Where the MVRSD tiles are (``overhead/mvrsd`` of the shared data folder); exits with
    status 2 and a one-line message when they are absent."""
    try:
        return shared_data_path("overhead/mvrsd/labels", what="the MVRSD tiles").parent
    except ConfigError as error:
        print(f"make_series: {error}", file=sys.stderr)
        raise SystemExit(2) from None


@dataclass(frozen=True)
class Tile:
    name: str
    image: np.ndarray  # RGB uint8
    boxes: tuple[tuple[str, int, int, int, int], ...]  # (sitewatch label, x0, y0, x1, y1)


def _voc_boxes(xml_path: Path) -> list[tuple[str, int, int, int, int]]:
    """Vehicle boxes of one VOC file, labels mapped; difficult objects are left out."""
    boxes = []
    for obj in ET.parse(xml_path).getroot().iter("object"):
        name = obj.findtext("name", "").strip()
        bb = obj.find("bndbox")
        if name not in MVRSD_LABELS or bb is None or obj.findtext("difficult", "0").strip() == "1":
            continue
        x0, y0, x1, y1 = (int(float(bb.findtext(k, "0"))) for k in ("xmin", "ymin", "xmax", "ymax"))
        boxes.append((MVRSD_LABELS[name], x0, y0, x1, y1))
    return boxes


def load_tiles(root: Path, supplement: Path | None = None) -> dict[str, Tile]:
    """All labelled tiles, by name (``AUAU010081``), labels mapped to sitewatch labels.

    ``supplement`` is a folder of VOC files adding vehicles the labels miss (an audit such as
    ``docs/mvrsd-audit``): they join each tile's boxes after MVRSD's own, so the indices of
    MVRSD's boxes do not change.
    """
    out = {}
    for xml_path in sorted((root / "labels").glob("*.xml")):
        boxes = _voc_boxes(xml_path)
        if supplement is not None and (supplement / xml_path.name).is_file():
            boxes += _voc_boxes(supplement / xml_path.name)
        jpg = root / "images" / f"{xml_path.stem}.jpg"
        bgr = cv2.imread(str(jpg), cv2.IMREAD_COLOR)
        if bgr is None:
            raise SystemExit(f"{jpg}: cannot be read as an image; check the MVRSD copy under {root}")
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


def paste(canvas: np.ndarray, chip: Chip, cx: float, cy: float, angle: float,
          opaque: bool = False) -> np.ndarray:
    """Blend ``chip`` into ``canvas`` (in place and returned) centred at (cx, cy), turned by
    ``angle`` (clockwise, y down), with Poisson blending so its background melts in.

    ``opaque``: copy the vehicle's box (and its shadow inside it) as it is, edges feathered
    over 2 px, instead: a vehicle standing on another keeps its own colours, where Poisson
    blending would take them from the carrier under it."""
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
    if opaque:
        tight = np.zeros(rot.shape[:2], np.float32)
        poly = rotated_box(ctr[0], ctr[1], chip.width_px, chip.height_px, angle)
        cv2.fillConvexPoly(tight, np.round(poly).astype(np.int32), 1.0)
        alpha = cv2.GaussianBlur(tight, (0, 0), 1.0)[..., None]
        x0, y0 = round(cx - ctr[0]) + pad, round(cy - ctr[1]) + pad
        win = big_canvas[y0 : y0 + side, x0 : x0 + side].astype(np.float32)
        big_canvas[y0 : y0 + side, x0 : x0 + side] = np.round(
            win * (1 - alpha) + rot.astype(np.float32) * alpha).astype(np.uint8)
        return big_canvas[pad:-pad, pad:-pad].copy()
    center = (round(cx + bx) + pad, round(cy + by) + pad)
    out = cv2.seamlessClone(rot, big_canvas, mask, center, cv2.NORMAL_CLONE)
    return out[pad:-pad, pad:-pad].copy()


def inpaint_boxes(image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Remove vehicles: inpaint their (slightly grown) boxes."""
    mask = np.zeros(image.shape[:2], np.uint8)
    for x0, y0, x1, y1 in boxes:
        cv2.rectangle(mask, (x0 - 3, y0 - 3), (x1 + 3, y1 + 3), 255, -1)
    return cv2.inpaint(image, mask, 7, cv2.INPAINT_TELEA)


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
    img: np.ndarray = cv2.warpAffine(world, m, (out_size, out_size), flags=cv2.INTER_LINEAR,
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
        img = img + np.asarray(rng.normal(0, look.noise_sigma, img.shape), np.float32)
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


def mirrored(chip: Chip) -> Chip:
    return Chip(chip.image[:, ::-1].copy(), chip.width_px, chip.height_px, chip.label,
                f"{chip.source}(mirrored)")


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


