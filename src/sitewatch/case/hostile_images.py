"""Hostile images and videos for the fuzz benchmark: the ways an adversary bends a seed.

A *mutation* turns a seed's bytes (:mod:`.fuzz_seeds`) into a hostile file: truncation, bit
flips, header fields patched to lie about the size (JPEG SOF, PNG IHDR, TIFF width/height/
samples/bits/compression/tiles/strips), sparse huge TIFFs, valid one-colour giants, wrong
extensions, polyglots, nonsense georeference (latitude 150, NaN or 1e300 scale, unknown EPSG,
a geocentric CRS, lying world files), hostile EXIF and MP4 boxes. Every choice is drawn from
the ``random.Random`` passed in, so a corpus is a pure function of its seed.
"""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from sitewatch.case.fuzz_seeds import Seed, encode_pil

#: Suffixes a file may be given, whatever its bytes (wrong extensions).
SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".mp4", ".mov", ".json", ".gif", "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Hostile:
    """One hostile file's bytes, the name it is given and sidecar files beside it."""

    data: bytes
    suffix: str
    mutation: str
    sidecars: tuple[tuple[str, bytes], ...] = ()


def hostile_image(seed: Seed, rng: random.Random, *, large: bool = True) -> Hostile:
    """One hostile file made from ``seed`` by a mutation drawn from ``rng``.

    ``large=False`` leaves out valid one-colour images of 12,000² to 20,000² px: sitewatch
    accepts the JPEG ones (they are real images), and a loose ``detect`` then runs for minutes
    over their 144-289 Mpx, as it would over a real scene that size.
    """
    choices: list[tuple[str, Callable[[Seed, random.Random], Hostile]]] = [
        ("truncate", _truncate), ("bitflip", _bitflip), ("wrong-suffix", _wrong_suffix),
        ("polyglot", _polyglot), ("bitflip", _bitflip), ("truncate", _truncate),
    ]
    choices += {
        "jpeg": [("jpeg-sof", _jpeg_sof), ("jpeg-sof", _jpeg_sof), ("exif", _hostile_exif),
                 ("bomb", _bomb)],
        "png": [("png-ihdr", _png_ihdr), ("png-ihdr", _png_ihdr), ("bomb", _bomb)],
        "tiff": [("tiff-tag", _tiff_tag), ("tiff-tag", _tiff_tag), ("tiff-tag", _tiff_tag),
                 ("sparse-tiff", _sparse_tiff), ("georef", _nonsense_georef),
                 ("georef", _nonsense_georef), ("world-file", _world_file)],
        "mp4": [("mp4-box", _mp4_box), ("mp4-box", _mp4_box)],
    }[seed.kind]
    if not large:
        choices = [c for c in choices if c[0] != "bomb"]
    _, mutate = rng.choice(choices)
    return mutate(seed, rng)


# --- generic mutations --------------------------------------------------------------------


def _truncate(seed: Seed, rng: random.Random) -> Hostile:
    cut = rng.choice([0, 1, 8, 16, 64, 256]) if rng.random() < 0.3 else rng.randrange(len(seed.data))
    return Hostile(data=seed.data[:cut], suffix=seed.suffix, mutation=f"truncate at {cut}")


def _bitflip(seed: Seed, rng: random.Random) -> Hostile:
    data = bytearray(seed.data)
    flips = rng.choice([1, 2, 4, 16, 64, 256])
    head = rng.random() < 0.5  # half the time in the first 2 KB, where the headers are
    for _ in range(flips):
        at = rng.randrange(min(len(data), 2048) if head else len(data))
        data[at] ^= 1 << rng.randrange(8)
    return Hostile(data=bytes(data), suffix=seed.suffix,
                   mutation=f"{flips} bit flips{' in the header' if head else ''}")


def _wrong_suffix(seed: Seed, rng: random.Random) -> Hostile:
    suffix = rng.choice([s for s in SUFFIXES if s != seed.suffix])
    return Hostile(data=seed.data, suffix=suffix, mutation=f"{seed.kind} named {suffix or 'no suffix'}")


_TAILS = (
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"evil.txt",
    b"<html><script>alert(1)</script></html>",
    b'{"type": "Feature", "stac_version": "1.0.0", "assets": {}}',
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xff\xff\x00\x00\xff\xff\x08\x02\x00\x00\x00",
    b"II*\x00\x08\x00\x00\x00",
)


def _polyglot(seed: Seed, rng: random.Random) -> Hostile:
    tail = rng.choice(_TAILS)
    if rng.random() < 0.5:
        return Hostile(data=seed.data + tail * rng.choice([1, 1000]), suffix=seed.suffix,
                       mutation="polyglot: trailer appended")
    return Hostile(data=tail + seed.data, suffix=seed.suffix, mutation="polyglot: header prepended")


def _bomb(seed: Seed, rng: random.Random) -> Hostile:
    """A valid, small file that decodes huge: one-colour PNG or JPEG (a few KB to MB)."""
    side = rng.choice([12_000, 17_000, 20_000])
    if seed.kind == "png" or side > 17_000:
        return Hostile(data=_png_bomb(side, side), suffix=".png", mutation=f"PNG {side}² one colour")
    return Hostile(data=_jpeg_bomb(side), suffix=".jpg", mutation=f"JPEG {side}² one colour")


# --- format headers -----------------------------------------------------------------------

_HUGE = (0, 1, 65_535, 65_500, 50_000, 30_000)


def _jpeg_sof(seed: Seed, rng: random.Random) -> Hostile:
    data = bytearray(seed.data)
    for at in range(2, len(data) - 9):
        if data[at] == 0xFF and 0xC0 <= data[at + 1] <= 0xCF and data[at + 1] not in (0xC4, 0xC8, 0xCC):
            field = rng.choice(["height", "width", "both", "components", "precision"])
            if field in ("height", "both"):
                struct.pack_into(">H", data, at + 5, rng.choice(_HUGE))
            if field in ("width", "both"):
                struct.pack_into(">H", data, at + 7, rng.choice(_HUGE))
            if field == "components":
                data[at + 9] = rng.choice([0, 2, 4, 255])
            if field == "precision":
                data[at + 4] = rng.choice([0, 12, 16, 255])
            return Hostile(data=bytes(data), suffix=seed.suffix, mutation=f"JPEG SOF {field}")
    return _bitflip(seed, rng)


def _png_ihdr(seed: Seed, rng: random.Random) -> Hostile:
    data = bytearray(seed.data)
    if data[12:16] != b"IHDR":
        return _bitflip(seed, rng)
    field = rng.choice(["width", "height", "both", "depth", "colour", "interlace"])
    if field in ("width", "both"):
        struct.pack_into(">I", data, 16, rng.choice([0, 2**31 - 1, 2**32 - 1, 100_000, 40_000]))
    if field in ("height", "both"):
        struct.pack_into(">I", data, 20, rng.choice([0, 2**31 - 1, 2**32 - 1, 100_000, 40_000]))
    if field == "depth":
        data[24] = rng.choice([0, 3, 16, 255])
    if field == "colour":
        data[25] = rng.choice([1, 5, 7, 255])
    if field == "interlace":
        data[28] = rng.choice([1, 2, 255])
    if rng.random() < 0.8:  # a correct CRC gets past the first check of most decoders
        struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return Hostile(data=bytes(data), suffix=seed.suffix, mutation=f"PNG IHDR {field}")


#: TIFF tags patched, with the hostile values tried.
_TIFF_TAGS = {
    256: ("ImageWidth", (0, 1, 65_535, 50_000, 2**31 - 1, 2**32 - 1)),
    257: ("ImageLength", (0, 1, 65_535, 50_000, 2**31 - 1, 2**32 - 1)),
    258: ("BitsPerSample", (0, 1, 7, 12, 24, 64, 65_535)),
    259: ("Compression", (0, 2, 6, 7, 99, 34712, 65_535)),
    262: ("Photometric", (2, 5, 6, 99)),
    273: ("StripOffsets", (0, 2**31, 2**32 - 1)),
    277: ("SamplesPerPixel", (0, 2, 4, 200, 65_535)),
    278: ("RowsPerStrip", (0, 1, 2**31, 2**32 - 1)),
    279: ("StripByteCounts", (0, 1, 2**31, 2**32 - 1)),
    284: ("PlanarConfig", (0, 2, 3)),
    322: ("TileWidth", (0, 16, 65_536, 2**31)),
    323: ("TileLength", (0, 16, 65_536, 2**31)),
    324: ("TileOffsets", (0, 2**32 - 1)),
    339: ("SampleFormat", (0, 3, 6, 99)),
}


def tiff_entries(data: bytes) -> tuple[str, list[tuple[int, int, int, int, int]]]:
    """Byte order and first-IFD entries ``(offset, tag, type, count, value)`` of a classic TIFF
    (``value`` is the inline value for SHORT/LONG counts of 1, else the offset)."""
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8 or struct.unpack(order + "H", data[2:4])[0] != 42:
        return order, []
    ifd = struct.unpack(order + "I", data[4:8])[0]
    if ifd + 2 > len(data):
        return order, []
    count = struct.unpack(order + "H", data[ifd:ifd + 2])[0]
    entries = []
    for index in range(count):
        at = ifd + 2 + 12 * index
        if at + 12 > len(data):
            break
        tag, kind, n = struct.unpack(order + "HHI", data[at:at + 8])
        value = (struct.unpack(order + "H", data[at + 8:at + 10])[0] if kind == 3
                 else struct.unpack(order + "I", data[at + 8:at + 12])[0])
        entries.append((at, tag, kind, n, value))
    return order, entries


def _tiff_tag(seed: Seed, rng: random.Random) -> Hostile:
    order, entries = tiff_entries(seed.data)
    patchable = [e for e in entries if e[1] in _TIFF_TAGS]
    if not patchable:
        return _bitflip(seed, rng)
    data = bytearray(seed.data)
    names = []
    for at, tag, kind, count, _ in rng.sample(patchable, k=min(len(patchable), rng.choice([1, 1, 2]))):
        name, values = _TIFF_TAGS[tag]
        value = rng.choice(values)
        if count == 1 and kind == 3:
            struct.pack_into(order + "H", data, at + 8, value & 0xFFFF)
        elif count == 1:
            struct.pack_into(order + "I", data, at + 8, value & 0xFFFFFFFF)
        elif rng.random() < 0.5:  # the count itself lies
            struct.pack_into(order + "I", data, at + 4, rng.choice([0, 2**28, 2**32 - 1]))
            name += ".count"
        else:  # the offset of the values lies
            struct.pack_into(order + "I", data, at + 8, rng.choice([0, len(data) - 1, 2**32 - 1]))
            name += ".offset"
        names.append(f"{name}={value}")
    return Hostile(data=bytes(data), suffix=seed.suffix, mutation="TIFF " + " ".join(names))


def _sparse_tiff(seed: Seed, rng: random.Random) -> Hostile:
    """A huge TIFF with no block written: a few KB on disk, gigabytes declared."""
    import numpy as np
    import rasterio
    from rasterio.io import MemoryFile

    side = rng.choice([20_000, 50_000, 100_000])
    dtype = rng.choice(["uint8", "uint16", "float64"])
    bands = rng.choice([1, 3, 4])
    tiled = rng.random() < 0.5
    profile: dict[str, object] = {"driver": "GTiff", "width": side, "height": side, "count": bands,
                                  "dtype": dtype, "SPARSE_OK": True, "tiled": tiled}
    if not tiled:
        profile["blockysize"] = rng.choice([256, side])  # one row a strip: 40 MB of offsets
    if rng.random() < 0.5:
        profile.update(crs="EPSG:32631", transform=rasterio.Affine(0.3, 0, 500_000, 0, -0.3, 5_000_000))
    with warnings.catch_warnings(), rasterio.Env(CHECK_DISK_FREE_SPACE=False), MemoryFile() as memory:
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with memory.open(**profile) as dst:
            if tiled and rng.random() < 0.3:  # one written strip would be gigabytes
                dst.write(np.full((bands, 16, 16), 7, dtype=dtype),
                          window=rasterio.windows.Window(0, 0, 16, 16))
        data = memory.read()
    layout = "tiled" if tiled else f"strips of {profile['blockysize']} rows"
    return Hostile(data=data, suffix=".tif", mutation=f"sparse {side}² {bands}×{dtype} {layout}")


def _nonsense_georef(seed: Seed, rng: random.Random) -> Hostile:
    """A GeoTIFF whose georeference is nonsense: latitude 150, NaN or 1e300 scale, unknown EPSG,
    a rotation, a zero scale."""
    import rasterio
    from rasterio.io import MemoryFile

    with MemoryFile(seed.data) as memory, memory.open() as src:
        pixels = src.read()
        profile = src.profile
    kind = rng.choice(["lat150", "nan", "1e300", "zero", "rotated", "epsg", "ecef"])
    crs: object = "EPSG:4326"
    transform = {
        "lat150": rasterio.Affine(0.0001, 0, 10.0, 0, -0.0001, 150.0),
        "nan": rasterio.Affine(float("nan"), 0, 10.0, 0, float("nan"), 50.0),
        "1e300": rasterio.Affine(1e300, 0, 1e300, 0, -1e300, 1e300),
        "zero": rasterio.Affine(0.0, 0, 10.0, 0, 0.0, 50.0),
        "rotated": rasterio.Affine(0.3, 2.0, 500_000, -5.0, -0.3, 5_000_000),
        "epsg": rasterio.Affine(0.3, 0, 500_000, 0, -0.3, 5_000_000),
        "ecef": rasterio.Affine(0.3, 0, 4e6, 0, -0.3, 4e6),
    }[kind]
    if kind == "rotated" or kind == "epsg":
        crs = "EPSG:32631"
    if kind == "ecef":
        crs = "EPSG:4978"  # geocentric: no plane to lay an image on
    profile.update(driver="GTiff", crs=crs, transform=transform)
    with rasterio.Env(GTIFF_SRS_SOURCE="EPSG"), MemoryFile() as memory:
        try:
            with memory.open(**profile) as dst:
                dst.write(pixels)
        except (rasterio.errors.RasterioError, ValueError):
            return _bitflip(seed, rng)
        data = memory.read()
    if kind == "epsg":  # patch the ProjectedCSTypeGeoKey (3072) to a code that does not exist
        key = struct.pack("<HHHH", 3072, 0, 1, 32631)
        data = data.replace(key, struct.pack("<HHHH", 3072, 0, 1, 65_000))
    return Hostile(data=data, suffix=".tif", mutation=f"georeference {kind}")


def _world_file(seed: Seed, rng: random.Random) -> Hostile:
    """An image without embedded georeference, placed by a lying world file and .prj."""
    lines = rng.choice([
        ["nan", "0", "0", "-nan", "10", "50"], ["1e300", "0", "0", "-1e300", "0", "0"],
        ["0.0001", "0", "0", "-0.0001", "10", "150"], ["abc"], ["0", "0", "0", "0", "0", "0"],
        ["1"] * 5000,
    ])
    prj = rng.choice([b"", b"GEOGCS[garbage", b'LOCAL_CS["x"]', b"EPSG:99999", b"\x00" * 64])
    png = seed.data if seed.kind != "tiff" else _strip_to_png(seed)
    return Hostile(data=png, suffix=".png", mutation=f"world file {lines[0]!r}",
                   sidecars=((".pgw", "\n".join(lines).encode()), (".prj", prj)))


def _hostile_exif(seed: Seed, rng: random.Random) -> Hostile:
    """A JPEG whose EXIF lies: GPS latitude 150 or with a zero denominator, a date in year
    9999, escape sequences in the camera name, an offset pointing past the end."""
    from PIL import Image

    with Image.open(io.BytesIO(seed.data)) as image:
        image.load()
        rgb = image.convert("RGB")
    exif = Image.Exif()
    kind = rng.choice(["lat150", "zero-denominator", "date", "escape", "huge-ifd"])
    if kind == "lat150":
        exif[0x8825] = {1: "N", 2: (150.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)}
    if kind == "zero-denominator":
        from PIL.TiffImagePlugin import IFDRational

        exif[0x8825] = {1: "N", 2: (IFDRational(1, 0), IFDRational(0, 0), IFDRational(5, 0)),
                        3: "W", 4: (10.0, 0.0, 0.0)}
    if kind == "date":
        exif[0x0132] = rng.choice(["9999:99:99 99:99:99", "0000:00:00 00:00:00", "x" * 400])
    if kind == "escape":
        exif[0x010F] = "\x1b[2J\x1b]0;pwned\x07=HYPERLINK(\"http://x\")"
    out = io.BytesIO()
    rgb.save(out, "JPEG", exif=exif.tobytes())
    data = bytearray(out.getvalue())
    if kind == "huge-ifd":
        at = data.find(b"Exif\x00\x00")
        if at > 0 and at + 16 < len(data):
            struct.pack_into(">H" if data[at + 6:at + 8] == b"MM" else "<H", data, at + 14, 0xFFFF)
    return Hostile(data=bytes(data), suffix=".jpg", mutation=f"EXIF {kind}")


#: MP4 boxes whose fields are patched: (box, offset of the field after the box type, size).
_MP4_FIELDS = (
    (b"mvhd", 12, 4, "timescale"), (b"mvhd", 16, 4, "duration"), (b"tkhd", 76, 4, "width"),
    (b"tkhd", 80, 4, "height"), (b"stsz", 8, 4, "sample_size"), (b"stsz", 12, 4, "sample_count"),
    (b"stco", 4, 4, "chunk_count"), (b"stts", 4, 4, "entry_count"), (b"mdhd", 12, 4, "timescale"),
)


def _mp4_box(seed: Seed, rng: random.Random) -> Hostile:
    data = bytearray(seed.data)
    box, offset, size, name = rng.choice(_MP4_FIELDS)
    at = data.find(box)
    if at < 0 or at + 4 + offset + size > len(data):
        return _bitflip(seed, rng)
    if rng.random() < 0.3:  # the box's own length lies
        struct.pack_into(">I", data, at - 4, rng.choice([0, 1, 7, 2**32 - 1]))
        name = "size"
    else:
        struct.pack_into(">I", data, at + 4 + offset, rng.choice([0, 1, 2**31 - 1, 2**32 - 1]))
    return Hostile(data=bytes(data), suffix=seed.suffix, mutation=f"MP4 {box.decode()} {name}")


def _strip_to_png(seed: Seed) -> bytes:
    from rasterio.io import MemoryFile

    with MemoryFile(seed.data) as memory, memory.open() as src:
        bands = src.read(out_shape=(src.count, min(src.height, 256), min(src.width, 256)))
    rgb = bands[:3] if bands.shape[0] >= 3 else bands[:1].repeat(3, axis=0)
    return encode_pil(rgb.transpose(1, 2, 0).astype("uint8"), "PNG")


_BOMBS: dict[tuple[str, int], bytes] = {}


def _png_bomb(width: int, height: int) -> bytes:
    """A valid one-colour RGB PNG of ``width`` × ``height``, compressed row by row."""
    key = ("png", width * 100_000 + height)
    if key not in _BOMBS:
        squeeze = zlib.compressobj(6)
        row = b"\x00" + b"\x55" * (3 * width)
        body = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
        head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        _BOMBS[key] = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", head) + _chunk(b"IDAT", body)
                       + _chunk(b"IEND", b""))
    return _BOMBS[key]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _jpeg_bomb(side: int) -> bytes:
    """A valid one-colour greyscale JPEG of ``side``² (encoded once, small)."""
    import numpy as np

    key = ("jpeg", side)
    if key not in _BOMBS:
        _BOMBS[key] = encode_pil(np.full((side, side), 90, np.uint8), "JPEG", quality=10)
    return _BOMBS[key]
