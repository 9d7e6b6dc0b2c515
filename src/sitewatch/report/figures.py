"""Figures for reports: annotated image panels and count plots, as PNG bytes."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from sitewatch.detect import Detection
from sitewatch.errors import ReportError
from sitewatch.imagery import RasterReader, Tile

#: One colour per label (RGB), chosen to stay distinct for colour-blind readers (Okabe-Ito).
LABEL_COLOURS: dict[str, tuple[int, int, int]] = {
    "armored_vehicle": (213, 94, 0),
    "military_truck": (0, 114, 178),
    "military_light_vehicle": (230, 159, 0),
    "military_engineering_vehicle": (204, 121, 167),
    "civilian_vehicle": (86, 180, 233),
    "vehicle": (240, 228, 66),
    "loaded_transporter": (0, 158, 115),
}
_LINE_PX = 20


def annotated_panel(
    image_path: object,
    detections: Sequence[Detection],
    *,
    title: str,
    subtitle: str,
    markers: Sequence[tuple[float, float, str]] = (),
    max_side_px: int = 1100,
) -> bytes:
    """The image with every detection drawn as its oriented box, and a header naming it.

    ``markers`` are (x_px, y_px, text) in the image's own pixels, drawn as rings with their
    text (e.g. where a vehicle arrived or departed).

    ``title`` and ``subtitle`` (site, date, source) are burnt into the panel so that a copy
    cut out of the report still says what it shows.
    """
    with RasterReader(image_path) as raster:  # type: ignore[arg-type]
        info = raster.info
        rgb = raster.read_rgb(Tile(x0_px=0, y0_px=0, width_px=info.width_px,
                                   height_px=info.height_px))
    scale = min(1.0, max_side_px / max(info.width_px, info.height_px))
    if scale < 1.0:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.ascontiguousarray(rgb)
    thickness = max(1, round(2 * max(1.0, canvas.shape[1] / 900)))
    for det in detections:
        corners = np.array(det.box.corners_px(), dtype=np.float64) * scale
        colour = LABEL_COLOURS.get(det.label.value, (255, 255, 255))
        ring = [corners.round().astype(np.int32)]
        # A dark halo under the coloured line keeps boxes visible on bright and dark ground.
        cv2.polylines(canvas, ring, True, (0, 0, 0), thickness + 2, cv2.LINE_AA)
        cv2.polylines(canvas, ring, True, colour, thickness, cv2.LINE_AA)
    radius = max(14, round(canvas.shape[1] / 28))
    written: list[tuple[int, int, int, int]] = []
    for x_px, y_px, text in markers:
        centre = (round(x_px * scale), round(y_px * scale))
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
    lines = _wrap(subtitle, width_px=canvas.shape[1] - 16, scale=0.45)
    header = np.full((34 + _LINE_PX * len(lines), canvas.shape[1], 3), 20, dtype=np.uint8)
    cv2.putText(header, title, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.62, (255, 255, 255), 1,
                cv2.LINE_AA)
    for index, line in enumerate(lines):
        cv2.putText(header, line, (8, 44 + _LINE_PX * index), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (210, 210, 210), 1, cv2.LINE_AA)
    panel = np.vstack([header, canvas])
    ok, png = cv2.imencode(".png", cv2.cvtColor(panel, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("PNG encoding failed")
    return png.tobytes()


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
                              marker="o", capsize=4, color=colour, label=label.replace("_", " "))
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
