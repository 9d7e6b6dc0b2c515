"""Reading photos and videos into traced frames.

Photos are decoded with OpenCV from bytes already hashed, so the hash in the trace is the hash
of what was decoded. EXIF time and GPS position are read with Pillow when present. Videos are
decoded with OpenCV; keyframes are picked by scene change and sharpness (see
:func:`select_keyframes`), never every frame.
"""

from __future__ import annotations

import hashlib
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np

from sitewatch.compare.keyframes import (
    FrameSample,
    select_keyframes,
    sharpness_of,
    starts_new_scene,
)
from sitewatch.compare.quicktime import read_quicktime_metadata
from sitewatch.compare.types import (
    PHOTO_SUFFIXES,
    VIDEO_SUFFIXES,
    Frame,
    FrameTrace,
    MediaKind,
)
from sitewatch.digest import sha256_file
from sitewatch.errors import CompareError, GeoError
from sitewatch.geo import LonLat

MAX_PHOTO_BYTES = 100 * 1024 * 1024
MAX_PIXELS = 80_000_000
#: Shortest side of a photo that can be compared (crops, features and panels need some pixels).
MIN_SIDE_PX = 16
SAMPLE_EDGE_PX = 96
#: Only the first MAX_VIDEO_S seconds of a video are searched for keyframes; cut longer
#: videos into the parts that matter first.
MAX_VIDEO_S = 900.0


def media_kind(path: Path) -> MediaKind:
    """Photo or video, from the file suffix.

    Raises:
        CompareError: the suffix is neither a supported photo nor video format.
    """
    suffix = path.suffix.lower()
    if suffix in PHOTO_SUFFIXES:
        return MediaKind.PHOTO
    if suffix in VIDEO_SUFFIXES:
        return MediaKind.VIDEO
    valid = ", ".join(sorted(PHOTO_SUFFIXES | VIDEO_SUFFIXES))
    raise CompareError(
        f"cannot compare {str(path)!r}: suffix {suffix!r} is not supported; use one of {valid}",
        path=str(path),
    )


def sha256_pixels(rgb: np.ndarray) -> str:
    """Hex sha256 of decoded pixels, shape included, so a frame can be re-identified.

    >>> sha256_pixels(np.zeros((1, 1, 3), np.uint8))[:12]
    'db7d0f6944d1'
    """
    digest = hashlib.sha256(f"{rgb.shape[0]}x{rgb.shape[1]}x{rgb.shape[2]}:".encode())
    digest.update(np.ascontiguousarray(rgb).tobytes())
    return digest.hexdigest()


#: Processor time allowed to pick a video's keyframes (up to MAX_VIDEO_S of it sampled 4 times a
#: second); a photo gets the decode budget of MAX_PIXELS.
VIDEO_DECODE_S = 60.0


def read_media(path: Path, *, max_keyframes: int = 8) -> tuple[Frame, ...]:
    """All frames sitewatch analyses from one file: the photo, or a video's keyframes.

    The file comes from outside, so it is decoded in a child process under a time and memory
    budget (:func:`sitewatch.budget.run_bounded`) and the frames are handed back.

    Raises:
        CompareError: the file is missing, unsupported, corrupt, has no decodable frame, or
            its decoding broke the time or memory budget.
    """
    from functools import partial

    from sitewatch.budget import decode_seconds, run_bounded

    if not path.is_file():
        raise CompareError(f"cannot compare {str(path)!r}: no such file", path=str(path))
    seconds = (decode_seconds(3 * MAX_PIXELS) if media_kind(path) is MediaKind.PHOTO
               else VIDEO_DECODE_S)
    return run_bounded(_read_media, path, max_keyframes, what=repr(str(path)),
                       error=partial(CompareError, path=str(path)), seconds=seconds)


def _read_media(path: Path, max_keyframes: int) -> tuple[Frame, ...]:
    if media_kind(path) is MediaKind.PHOTO:
        return (read_photo(path),)
    return read_video_keyframes(path, max_keyframes=max_keyframes)


def read_photo(path: Path) -> Frame:
    """Decode one photo (JPEG, PNG, WebP) with its hash and EXIF time and place.

    Raises:
        CompareError: too large, or not decodable as an image.
    """
    size = path.stat().st_size
    if size > MAX_PHOTO_BYTES:
        raise CompareError(
            f"cannot read photo {str(path)!r}: {size} bytes exceeds {MAX_PHOTO_BYTES}; "
            "downscale it first",
            path=str(path),
        )
    data = path.read_bytes()
    _check_header_size(path, data)
    buffer = np.frombuffer(data, np.uint8)
    bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR) if size else None
    if bgr is None or bgr.size == 0:
        raise CompareError(
            f"cannot read photo {str(path)!r}: not a decodable JPEG/PNG/WebP image "
            "(corrupt or truncated file?)",
            path=str(path),
        )
    if bgr.shape[0] * bgr.shape[1] > MAX_PIXELS:
        raise CompareError(
            f"cannot read photo {str(path)!r}: {bgr.shape[1]}×{bgr.shape[0]} px exceeds "
            f"{MAX_PIXELS} pixels; downscale it first",
            path=str(path),
        )
    if min(bgr.shape[:2]) < MIN_SIDE_PX:
        raise CompareError(
            f"cannot read photo {str(path)!r}: {bgr.shape[1]}×{bgr.shape[0]} px is too small "
            f"to compare (at least {MIN_SIDE_PX} px a side)", path=str(path))
    if data.startswith(b"\xff\xd8"):
        _check_jpeg_whole(path, data)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    local, offset, utc, lonlat = read_exif(path)
    trace = FrameTrace(
        source_path=str(path),
        source_sha256=hashlib.sha256(data).hexdigest(),
        kind=MediaKind.PHOTO,
        frame_sha256=sha256_pixels(rgb),
        width_px=rgb.shape[1],
        height_px=rgb.shape[0],
        exif_datetime_local=local,
        exif_utc_offset=offset,
        exif_time_utc=utc,
        exif_lonlat=lonlat,
        sharpness=sharpness_of(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)),
    )
    return Frame(trace=trace, rgb=rgb)


def _check_jpeg_whole(path: Path, data: bytes) -> None:
    """Refuse a JPEG whose data ends before its pixels do.

    libjpeg (under OpenCV and Pillow alike) only warns when the data ends early and fills the
    missing rows with grey: a 640×480 photo whose SOF marker claims 50,000×1 px decodes. GDAL
    can be told to make that warning an error, so the bytes are decoded once more by GDAL.
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError
    from rasterio.io import MemoryFile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.Env(GDAL_ERROR_ON_LIBJPEG_WARNING=True), MemoryFile(data) as memory, \
                    memory.open(driver="JPEG") as dataset:
                dataset.read()
    except RasterioError as exc:
        reason = (str(exc.__cause__ or exc).strip().splitlines() or [""])[0][:160]
        raise CompareError(f"cannot read photo {str(path)!r}: {reason} (corrupt or truncated "
                           "JPEG?)", path=str(path)) from None


def _check_header_size(path: Path, data: bytes) -> None:
    """Refuse images whose header declares more than MAX_PIXELS, before decoding them.

    Unreadable headers pass; the decoder then reports the file as corrupt.
    """
    import io

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        width, height = MAX_PIXELS, 2
    except Exception:  # a header Pillow cannot parse: let OpenCV decide
        return
    if width * height > MAX_PIXELS:
        raise CompareError(
            f"cannot read photo {str(path)!r}: it declares {width}×{height} px, more than "
            f"{MAX_PIXELS} pixels (decompression bomb?); downscale it first",
            path=str(path),
        )


def read_exif(path: Path) -> tuple[str | None, str | None, datetime | None, LonLat | None]:
    """EXIF DateTimeOriginal (as written), its UTC offset, the UTC time and GPS position.

    Unreadable or absent metadata gives ``None`` values: metadata is a clue, never required.
    """
    try:
        from PIL import Image

        with Image.open(path) as image:
            exif = image.getexif()
            sub = exif.get_ifd(0x8769)
            gps = exif.get_ifd(0x8825)
    except Exception:  # metadata must never stop the comparison
        return None, None, None, None
    local = sub.get(36867) or exif.get(306)
    offset = sub.get(36881)
    local_text = str(local).strip() if local else None
    offset_text = str(offset).strip() if offset else None
    return local_text, offset_text, _utc_time(local_text, offset_text), _gps_lonlat(gps)


def _utc_time(local: str | None, offset: str | None) -> datetime | None:
    if not local or not offset:
        return None
    try:
        naive = datetime.strptime(local, "%Y:%m:%d %H:%M:%S")
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset.lstrip("+-").split(":")
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return naive.replace(tzinfo=timezone(sign * delta)).astimezone(UTC)
    except ValueError:
        return None


def _gps_lonlat(gps: object) -> LonLat | None:
    if not isinstance(gps, dict) or 2 not in gps or 4 not in gps:
        return None
    try:
        lat = _dms(gps[2]) * (-1 if str(gps.get(1, "N")).upper().startswith("S") else 1)
        lon = _dms(gps[4]) * (-1 if str(gps.get(3, "E")).upper().startswith("W") else 1)
        return LonLat(lon_deg=lon, lat_deg=lat)
    except (TypeError, ValueError, ZeroDivisionError, IndexError, GeoError):
        return None


def _dms(value: object) -> float:
    degrees, minutes, seconds = (float(v) for v in value)  # type: ignore[attr-defined]
    return degrees + minutes / 60.0 + seconds / 3600.0


def read_video_keyframes(path: Path, *, max_keyframes: int = 8) -> tuple[Frame, ...]:
    """Decode a video once and keep the sharpest frame of each scene (at most ``max_keyframes``).

    Raises:
        CompareError: OpenCV cannot open the file or decodes no frame from it.
    """
    source_sha256 = sha256_file(path)
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise CompareError(
                f"cannot read video {str(path)!r}: OpenCV cannot open it (corrupt file or "
                "unsupported codec?)",
                path=str(path),
            )
        fps = capture.get(cv2.CAP_PROP_FPS)
        fps = fps if fps and np.isfinite(fps) and 0 < fps < 1000 else 30.0
        samples, frames = _sample_video(capture, fps)
    finally:
        capture.release()
    if not samples:
        raise CompareError(
            f"cannot read video {str(path)!r}: no frame could be decoded (corrupt or empty?)",
            path=str(path),
        )
    chosen = select_keyframes(samples, max_keyframes=max_keyframes)
    created, place = read_quicktime_metadata(path)
    result = []
    for sample in chosen:
        rgb = cv2.cvtColor(frames[sample.frame_index], cv2.COLOR_BGR2RGB)
        trace = FrameTrace(
            source_path=str(path),
            source_sha256=source_sha256,
            kind=MediaKind.VIDEO,
            frame_sha256=sha256_pixels(rgb),
            width_px=rgb.shape[1],
            height_px=rgb.shape[0],
            frame_index=sample.frame_index,
            timestamp_s=round(sample.frame_index / fps, 3),
            container_time_utc=created,
            container_lonlat=place,
            sharpness=sample.sharpness,
        )
        result.append(Frame(trace=trace, rgb=rgb))
    return tuple(result)


def _sample_video(
    capture: cv2.VideoCapture, fps: float, *, samples_per_s: float = 4.0
) -> tuple[list[FrameSample], dict[int, np.ndarray]]:
    """Grab every frame, summarise about ``samples_per_s`` per second.

    Only the sharpest frame of the current and past scenes is kept in memory (the same rule
    :func:`select_keyframes` applies afterwards), so memory grows with scenes, not length.
    """
    stride = max(1, round(fps / samples_per_s))
    last_index = round(MAX_VIDEO_S * fps)
    samples: list[FrameSample] = []
    frames: dict[int, np.ndarray] = {}
    first: FrameSample | None = None
    best: FrameSample | None = None
    index = -1
    while index < last_index and capture.grab():
        index += 1
        if index % stride:
            continue
        ok, bgr = capture.retrieve()
        if not ok or bgr is None or bgr.ndim != 3 or bgr.shape[0] * bgr.shape[1] > MAX_PIXELS:
            continue
        sample = FrameSample.from_bgr(index, bgr, edge_px=SAMPLE_EDGE_PX)
        if first is None or best is None or starts_new_scene(first, samples[-1], sample):
            first, best = sample, sample
            frames[index] = bgr
        elif sample.sharpness > best.sharpness:
            frames.pop(best.frame_index, None)
            best = sample
            frames[index] = bgr
        samples.append(sample)
    return samples, frames
