"""Figures for reports: annotated image panels and count plots, as PNG bytes."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from sitewatch.detect import Detection
from sitewatch.errors import ReportError
from sitewatch.imagery import RasterReader, Tile
from sitewatch.label_names import LABEL_COLOURS, label_name

_LINE_PX = 20


def annotated_panel(
    image_path: object,
    detections: Sequence[Detection],
    *,
    title: str,
    subtitle: str,
    markers: Sequence[tuple[float, float, str]] = (),
    max_side_px: int = 1100,
    gsd_m: float | None = None,
    window: Tile | None = None,
    outlines: Sequence[tuple[str, Tile]] = (),
    jpeg_quality: int | None = None,
) -> bytes:
    """The image with every detection drawn as its oriented box, and a header naming it.

    ``markers`` are (x_px, y_px, text) in the image's own pixels, drawn as rings with their
    text (e.g. where a vehicle arrived or departed).

    ``title`` and ``subtitle`` (site, date, source) are burnt into the panel so that a copy
    cut out of the report still says what it shows; so is a scale bar when ``gsd_m`` (metres
    per pixel of the image) is given.

    ``window`` shows only that part of the image (a zoomed inset), in the image's pixels;
    ``outlines`` are (name, window) rectangles drawn and named on the panel, e.g. where the
    insets of an overview lie. The panel is at most ``max_side_px`` on its longer side, so a
    10,000 px scene is embedded at the size of a page, never at its own. ``jpeg_quality``
    returns a JPEG instead of a PNG (a photograph compresses ten times better).
    """
    with RasterReader(image_path) as raster:  # type: ignore[arg-type]
        info = raster.info
        view = window or Tile(x0_px=0, y0_px=0, width_px=info.width_px, height_px=info.height_px)
        rgb = raster.read_rgb(view)
    scale = min(1.0, max_side_px / max(view.width_px, view.height_px))
    if scale < 1.0:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.ascontiguousarray(rgb)
    shift = np.array([view.x0_px, view.y0_px], dtype=np.float64)
    thickness = max(1, round(2 * max(1.0, canvas.shape[1] / 900)))
    for det in detections:
        corners = (np.array(det.box.corners_px(), dtype=np.float64) - shift) * scale
        colour = LABEL_COLOURS.get(det.label.value, (255, 255, 255))
        ring = [corners.round().astype(np.int32)]
        # A dark halo under the coloured line keeps boxes visible on bright and dark ground.
        cv2.polylines(canvas, ring, True, (0, 0, 0), thickness + 2, cv2.LINE_AA)
        cv2.polylines(canvas, ring, True, colour, thickness, cv2.LINE_AA)
    for name, tile in outlines:
        x0, y0 = round((tile.x0_px - view.x0_px) * scale), round((tile.y0_px - view.y0_px) * scale)
        x1, y1 = x0 + round(tile.width_px * scale), y0 + round(tile.height_px * scale)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), (0, 0, 0), thickness + 3, cv2.LINE_AA)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), (255, 255, 255), thickness + 1, cv2.LINE_AA)
        _text(canvas, name, (x0 + 6, y0 + 24), 0.8, (255, 255, 255))
    _draw_markers(canvas, [((x - view.x0_px) * scale, (y - view.y0_px) * scale, text)
                           for x, y, text in markers], thickness)
    if gsd_m is not None:
        draw_scale_bar(canvas, gsd_m / scale)
    lines = _wrap(subtitle, width_px=canvas.shape[1] - 16, scale=0.45)
    header = np.full((34 + _LINE_PX * len(lines), canvas.shape[1], 3), 20, dtype=np.uint8)
    cv2.putText(header, title, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.62, (255, 255, 255), 1,
                cv2.LINE_AA)
    for index, line in enumerate(lines):
        cv2.putText(header, line, (8, 44 + _LINE_PX * index), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (210, 210, 210), 1, cv2.LINE_AA)
    panel = cv2.cvtColor(np.vstack([header, canvas]), cv2.COLOR_RGB2BGR)
    if jpeg_quality is not None:
        ok, data = cv2.imencode(".jpg", panel, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    else:
        ok, data = cv2.imencode(".png", panel)
    if not ok:
        raise ValueError("image encoding failed")
    return data.tobytes()


def _text(canvas: np.ndarray, text: str, origin: tuple[int, int], size: float,
          colour: tuple[int, int, int]) -> None:
    """Text with a dark halo, readable on any ground."""
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, size, colour, 1 if size < 0.6
                else 2, cv2.LINE_AA)


def _draw_markers(canvas: np.ndarray, markers: Sequence[tuple[float, float, str]],
                  thickness: int) -> None:
    """Rings with their text at panel pixels; a text crossing one already written is left out."""
    radius = max(14, round(canvas.shape[1] / 28))
    written: list[tuple[int, int, int, int]] = []
    for x_px, y_px, text in markers:
        centre = (round(x_px), round(y_px))
        colour = (0, 158, 115) if text.startswith("arrived") else (220, 20, 60)
        cv2.circle(canvas, centre, radius, (0, 0, 0), thickness + 3, cv2.LINE_AA)
        cv2.circle(canvas, centre, radius, colour, thickness + 1, cv2.LINE_AA)
        (w_px, h_px), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 3)
        origin = (max(0, centre[0] - radius), max(h_px + 2, centre[1] - radius - 4))
        place = (origin[0], origin[1] - h_px, w_px, h_px)
        # A label crossing one already written is left out: the ring's colour says the same.
        if any(_overlap(place, other) for other in written):
            continue
        written.append(place)
        cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3,
                    cv2.LINE_AA)
        cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)


def scale_bar_m(span_m: float) -> float:
    """The longest 1, 2 or 5 × 10^k metres that fits in ``span_m``: a scale bar's length.

    >>> scale_bar_m(137.0), scale_bar_m(1.9), scale_bar_m(5000.0), scale_bar_m(0.04)
    (100.0, 1.0, 5000.0, 0.02)
    """
    if span_m <= 0:
        raise ValueError(f"a scale bar needs a positive span, got {span_m} m")
    exponent = math.floor(math.log10(span_m))
    for step in (5.0, 2.0, 1.0):
        length = step * 10.0**exponent
        if length <= span_m * (1 + 1e-9):
            return float(f"{length:.6g}")
    return float(f"{10.0 ** (exponent - 1) * 5:.6g}")  # pragma: no cover (1 ≤ span/10^k < 10)


def scale_bar_text(length_m: float) -> str:
    """A scale bar's caption.

    >>> scale_bar_text(50.0), scale_bar_text(2000.0), scale_bar_text(0.5)
    ('50 m', '2 km', '0.5 m')
    """
    if length_m >= 1000:
        return f"{length_m / 1000:g} km"
    return f"{length_m:g} m"


def draw_scale_bar(canvas: np.ndarray, metres_per_px: float) -> tuple[int, float]:
    """Draw a black-and-white scale bar in the lower left of ``canvas`` (RGB, in place).

    The bar is the longest round length (:func:`scale_bar_m`) up to a quarter of the width.

    Returns:
        (length of the bar in pixels, the length it stands for in metres).
    """
    height, width = canvas.shape[:2]
    length_m = scale_bar_m(0.25 * width * metres_per_px)
    length_px = max(1, round(length_m / metres_per_px))
    bar_h = max(6, round(width / 150))
    x0, y1 = 14, height - 14
    y0 = y1 - bar_h
    text = scale_bar_text(length_m)
    size = max(0.5, width / 1800)
    (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size, 2)
    # A translucent plate under the bar and its text keeps both readable on any ground.
    plate = canvas[max(0, y0 - text_h - 18):height - 4, 4:min(width, x0 + max(length_px, text_w)
                                                               + 10)]
    plate[:] = (plate.astype(np.float32) * 0.35 + 255 * 0.65).astype(np.uint8)
    half = length_px // 2
    cv2.rectangle(canvas, (x0, y0), (x0 + length_px, y1), (0, 0, 0), -1)
    cv2.rectangle(canvas, (x0 + 1, y0 + 1), (x0 + half, y1 - 1), (255, 255, 255), -1)
    cv2.putText(canvas, text, (x0, y0 - 6), cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0), 2,
                cv2.LINE_AA)
    return length_px, length_m


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two (x, y, width, height) rectangles overlap."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _wrap(text: str, *, width_px: int, scale: float) -> list[str]:
    """Split ``text`` at ' | ' and spaces into lines that fit ``width_px`` when drawn."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        trial = f"{current} {word}".strip()
        if current and cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > width_px:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines


@dataclass(frozen=True, slots=True, kw_only=True)
class CountPoint:
    """One date of one label in :func:`counts_plot`: the three figures of a count, or nothing.

    ``detected``, ``estimate``, ``lo`` and ``hi`` are all ``None`` where the site could not be
    seen on ``date``.
    """

    date: dt.date
    detected: int | None
    estimate: float | None = None
    lo: int | None = None
    hi: int | None = None


def _checked(label: str, point: CountPoint) -> tuple[float, float, float]:
    """(estimate, distance down to lo, distance up to hi) of an observed point.

    Raises:
        ReportError: the estimate lies outside its interval or a figure is missing or negative
            (a count made by something other than :func:`sitewatch.track.estimate_count`).
    """
    e, lo, hi = point.estimate, point.lo, point.hi
    if e is None or lo is None or hi is None or not 0 <= lo <= e <= hi:
        raise ReportError(
            f"cannot plot {label} on {point.date}: the estimate {e} must lie in its interval "
            f"{lo}-{hi}, never negative; recount with `sitewatch track` (a count from an older "
            "sitewatch has no estimate)"
        )
    return e, e - lo, hi - e


def counts_plot(
    series: dict[str, list[CountPoint]], *, title: str, interval_level: float = 0.9
) -> bytes:
    """Counts over time per label: the estimated true number with its interval as bars, the
    detections as open circles beside it, and not-observable dates marked, never 0.

    Raises:
        ReportError: a point's estimate lies outside its interval (see :func:`_checked`).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(8.5, 3.6), dpi=110)
    try:
        for label, points in sorted(series.items()):
            colour = tuple(c / 255 for c in LABEL_COLOURS.get(label, (90, 90, 90)))
            seen = [p for p in points if p.detected is not None]
            if seen:
                checked = [_checked(label, p) for p in seen]
                dates = mdates.date2num([p.date for p in seen])
                axes.errorbar(dates, [c[0] for c in checked],
                              yerr=[[c[1] for c in checked], [c[2] for c in checked]],
                              marker="o", capsize=4, color=colour, label=label_name(label, 2))
                axes.plot(dates + 0.15, [p.detected or 0 for p in seen], linestyle="none",
                          marker="o", markerfacecolor="none", markersize=5, color=colour)
            for p in points:
                if p.detected is None:
                    axes.axvline(float(mdates.date2num(p.date)), color="grey", linestyle=":",
                                 linewidth=1)
                    axes.annotate("not observable", (p.date, 0), rotation=90, fontsize=7,
                                  color="grey", xytext=(3, 4), textcoords="offset points")
        all_dates = sorted({p.date for points in series.values() for p in points})
        axes.set_xticks(mdates.date2num(all_dates), [d.isoformat() for d in all_dates])
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title, fontsize=10)
        axes.set_ylabel("vehicles")
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.plot([], [], linestyle="none", marker="o", markerfacecolor="none", color="black",
                  label="open circle: detected")
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        figure.text(0.01, 0.01, f"filled: estimated true number; bars: its {interval_level:.0%} "
                    "interval (detector's precision and recall)", fontsize=7, color="#444")
        figure.autofmt_xdate()
        figure.tight_layout(rect=(0, 0.04, 1, 1))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()
