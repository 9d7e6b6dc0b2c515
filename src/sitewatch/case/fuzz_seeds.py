"""Seeds of the fuzz corpus: real files from the shared data folder, or tiny generated ones.

A seed is what :mod:`.hostile_images` bends into hostile files. The generated seeds (a PNG, a
JPEG with EXIF GPS, striped, tiled and float GeoTIFFs, an MP4) let CI fuzz without any data;
the real ones (``../shared/data``: JPEG tiles, GeoTIFFs, EXIF samples, videos) carry the
structures real encoders write.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

#: Seeds taken from the shared data folder: (glob under it, kind), smallest files first.
REAL_SEEDS = (
    ("overhead/mvrsd/images/*.jpg", "jpeg"),
    ("overhead/geotiff/*.tif", "tiff"),
    ("overhead/naip_dates/*.tif", "tiff"),
    ("overhead/civilian/*/*.png", "png"),
    ("overhead/civilian/*/*.tif", "tiff"),
    ("ground/exif_samples/jpg/gps/*.jpg", "jpeg"),
    ("ground/exif_samples/jpg/invalid/*.jpg", "jpeg"),
    ("ground/exif_samples/jpg/orientation/*.jpg", "jpeg"),
    ("ground/photos/leclerc/*.JPEG", "jpeg"),
    ("ground/photos/t72_bmp/*.jpg", "jpeg"),
    ("ground/video/*.mp4", "mp4"),
)
#: Real seeds larger than this are skipped (a mutated copy is written per hostile file).
MAX_SEED_BYTES = 8 * 1024 * 1024
@dataclass(frozen=True, slots=True, kw_only=True)
class Seed:
    """A file hostile images are made from."""

    name: str
    kind: str  # "png", "jpeg", "tiff" or "mp4"
    data: bytes
    suffix: str


def generated_seeds() -> tuple[Seed, ...]:
    """Tiny seeds made here: a PNG, a JPEG with EXIF GPS, GeoTIFFs (striped uint8 RGB, tiled
    uint16, deflate float32) and an MP4."""
    import numpy as np

    rng = np.random.default_rng(24)
    pixels = rng.integers(40, 90, size=(96, 128, 3), dtype=np.uint8)
    pixels[30:42, 40:66] = 230
    seeds = [
        Seed(name="gen.png", kind="png", data=encode_pil(pixels, "PNG"), suffix=".png"),
        Seed(name="gen-gps.jpg", kind="jpeg", data=_jpeg_with_gps(pixels), suffix=".jpg"),
        Seed(name="gen-rgb.tif", kind="tiff", suffix=".tif",
             data=_geotiff(pixels.transpose(2, 0, 1), tiled=False, compress=None)),
        Seed(name="gen-u16-tiled.tif", kind="tiff", suffix=".tif",
             data=_geotiff(pixels[:, :, :1].transpose(2, 0, 1).astype("uint16") * 40, tiled=True,
                           compress="lzw")),
        Seed(name="gen-f32.tif", kind="tiff", suffix=".tif",
             data=_geotiff(pixels.transpose(2, 0, 1).astype("float32"), tiled=False,
                           compress="deflate")),
    ]
    video = _mp4(pixels)
    if video:
        seeds.append(Seed(name="gen.mp4", kind="mp4", data=video, suffix=".mp4"))
    return tuple(seeds)


def real_seeds(data: Path) -> tuple[Seed, ...]:
    """Seeds from the shared data folder (``../shared/data``), at most :data:`MAX_SEED_BYTES`
    each, in a stable order."""
    seeds = []
    for pattern, kind in REAL_SEEDS:
        for path in sorted(data.glob(pattern)):
            if path.is_file() and path.stat().st_size <= MAX_SEED_BYTES:
                seeds.append(Seed(name=str(path.relative_to(data)), kind=kind,
                                  data=path.read_bytes(), suffix=path.suffix.lower()))
    return tuple(seeds)


def encode_pil(pixels: object, fmt: str, **options: object) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **options)  # type: ignore[arg-type]
    return out.getvalue()


def _jpeg_with_gps(pixels: object) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0132] = "2024:05:01 10:30:00"
    exif[0x010F] = "sitewatch-fuzz"
    exif[0x8825] = {1: "N", 2: (47.0, 12.0, 30.5), 3: "E", 4: (39.0, 42.0, 10.0)}
    return encode_pil(pixels, "JPEG", exif=exif.tobytes())


def _geotiff(bands: object, *, tiled: bool, compress: str | None) -> bytes:
    import rasterio
    from rasterio.io import MemoryFile

    count, height, width = bands.shape  # type: ignore[attr-defined]
    profile: dict[str, object] = {
        "driver": "GTiff", "width": width, "height": height, "count": count,
        "dtype": str(bands.dtype), "crs": "EPSG:32631",  # type: ignore[attr-defined]
        "transform": rasterio.Affine(0.3, 0, 500_000, 0, -0.3, 5_000_000),
    }
    if tiled:
        profile.update(tiled=True, blockxsize=32, blockysize=32)
    if compress:
        profile["compress"] = compress
    with MemoryFile() as memory:
        with memory.open(**profile) as dst:
            dst.write(bands)
        return bytes(memory.read())


def _mp4(pixels: object) -> bytes:
    import tempfile

    import cv2
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="sitewatch-fuzz-") as folder:
        path = Path(folder) / "seed.mp4"
        frame = np.asarray(pixels)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10,
                                 (frame.shape[1], frame.shape[0]))
        for shift in range(20):
            writer.write(np.roll(frame, shift * 3, axis=1))
        writer.release()
        return path.read_bytes() if path.is_file() else b""
