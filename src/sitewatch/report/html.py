"""The self-contained HTML report of a case: every image, plot and table inline."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from sitewatch.assess import AchTable
from sitewatch.catalog import ReviewSummary, RunRecord, Scene
from sitewatch.detect import Detection, ModelCard
from sitewatch.digest import sha256_file
from sitewatch.errors import ReportError
from sitewatch.imagery import Tile
from sitewatch.label_names import LABEL_COLOURS, british, label_css, label_name
from sitewatch.report.figures import CountPoint, annotated_panel, counts_plot
from sitewatch.report.insets import DENSE_SCALE, inset_windows
from sitewatch.report.maps import MapPoint, site_map
from sitewatch.report.measured import measured_for
from sitewatch.report.summary import (
    CHANGES,
    MAX_LISTED_EVENTS,
    change_rows,
    label_counts,
    opening,
    pair_heading,
    unseen_rows,
)
from sitewatch.report.wording import (
    EVENT_NOUNS,
    events_phrase,
    long_date,
    plural,
    share,
)
from sitewatch.track import LOADED_TRANSPORTER, Link, SiteTrack, Zone, ZoneFrame, interval_meaning


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteEvidence:
    """What the report shows for one site: its scenes with detections, and its track."""

    site: str
    scenes: tuple[tuple[Scene, tuple[Detection, ...]], ...]
    track: SiteTrack


def render_report(
    case_name: str,
    sites: Sequence[SiteEvidence],
    runs: Sequence[RunRecord],
    *,
    links: Sequence[Link] = (),
    zones: Sequence[Zone] = (),
    comparisons: Sequence[dict[str, object]] = (),
    assessment: AchTable | None = None,
    software: dict[str, str],
    audit_head: str | None,
    manifest_sha256: str,
    review: ReviewSummary | None = None,
    intervals_note: str = "an interval from the detector's precision and recall",
    where_when: Sequence[object] = (),
    progress: Callable[[int, str], None] | None = None,
) -> str:
    """The report as one HTML document with images embedded as data URIs.

    ``progress`` hears how many sites have their figures drawn, and the last one's name.

    ``review`` says how many detections an analyst reviewed; the report states it when any were.
    ``intervals_note`` says what interval each count carries, from which precision and recall.
    Evidence that references a count, event group or link of the case shows sitewatch's own
    figure beside the analyst's description (:func:`.measured.measured_for`).
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("sitewatch.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(label=label_name, british=british, long_date=long_date,
                       share=share, plural=plural, events=events_phrase)
    tracks = [site.track for site in sites]
    measured = {} if assessment is None else {
        row.evidence_id: text for row in assessment.rows
        if (text := measured_for(row.ref, tracks, links)) is not None}
    context = {
        "case_name": case_name,
        "generated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sites": _site_contexts(sites, zones, review, progress),
        "assessment": assessment,
        "measured": measured,
        "comparisons": [_comparison_context(c) for c in comparisons],
        "scenes": [scene for site in sites for scene, _ in site.scenes],
        "runs": list(runs),
        "links": list(links),
        "speeds": sorted({link.speed.mode.value: link.speed for link in links}.items()),
        "software": software,
        "audit_head": audit_head,
        "manifest_sha256": manifest_sha256,
        "review": review if review is not None and (review.reviewed or review.added) else None,
        "intervals_note": intervals_note,
        "where_when": list(where_when),
        "licences": _licences(sites, runs),
        "legend": _legend(),
    }
    return env.get_template("report.html.j2").render(**context)


def _data_uri(data: bytes) -> str:
    kind = "png" if data.startswith(b"\x89PNG\r\n\x1a\n") else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def _site_contexts(sites: Sequence[SiteEvidence], zones: Sequence[Zone],
                   review: ReviewSummary | None,
                   progress: Callable[[int, str], None] | None) -> list[dict[str, object]]:
    out = []
    for done, site in enumerate(sites, start=1):
        out.append(_site_context(site, zones, review))
        if progress is not None:
            progress(done, site.site)
    return out


def _site_context(site: SiteEvidence, zones: Sequence[Zone],
                  review: ReviewSummary | None) -> dict[str, object]:
    plot = counts_plot(_series(site.track), title=f"{site.site}: vehicles per date",
                       interval_level=_level(site.track))
    events = [e for e in site.track.events if e.kind.value in CHANGES]
    scenes = [scene for scene, _ in site.scenes]
    return {
        "name": site.site,
        "opening": opening(site.site, scenes, site.track,
                           reviewed=review.reviewed if review else 0,
                           # of the model's detections, as ``reviewed`` counts them (the
                           # site's detections after review drop rejected and add drawn boxes)
                           detected=review.detected if review else sum(len(d) for _, d in site.scenes)),
        "count_meaning": interval_meaning(_level(site.track)),
        "level_text": f"{_level(site.track):.0%}",
        "pairs": _pairs(site),
        "map_uri": _map_uri(site, zones),
        "plot_uri": _data_uri(plot),
        "counts": [c for c in site.track.counts if c.zone is None],
        **_loaded_context(site.track),
        "zone_counts": [c for c in site.track.counts if c.zone is not None],
        # a change outside every zone is "outside any zone" where zones were drawn
        "zone_names": sorted({c.zone for c in site.track.counts if c.zone is not None}),
        "change_rows": change_rows(site.track),
        "events": events if len(events) <= MAX_LISTED_EVENTS else [],
        "n_events": len(events),
        "max_listed": MAX_LISTED_EVENTS,
        "stayed": sum(1 for e in site.track.events if e.kind.value == "stayed"),
        "shares": [p for p in site.track.pairs],
        "unseen_rows": unseen_rows(site.track),
        "n_unseen": len(site.track.unseen),
        "alerts": list(site.track.alerts),
        "registrations": list(site.track.registrations),
        "refused": list(site.track.refused),
        "registration_notes": list(site.track.registration_notes),
    }


def _loaded_context(track: SiteTrack) -> dict[str, str | None]:
    """What the report says of its loaded-transporter rows: why the detector cannot count them
    (``loaded_unmeasured``), or the rates their intervals use (``loaded_rates``)."""
    loaded = [c for c in track.counts if c.label == LOADED_TRANSPORTER]
    unmeasured = next((c.unmeasured for c in loaded if c.unmeasured is not None), None)
    rated = next((c for c in loaded if c.precision is not None and c.recall is not None), None)
    rates = None if rated is None else (
        f"precision {rated.precision:.2f} and recall {rated.recall:.2f} (the methods section says "
        "where they come from)")
    return {"loaded_unmeasured": unmeasured, "loaded_rates": None if unmeasured else rates}


def _series(track: SiteTrack) -> dict[str, list[CountPoint]]:
    series: dict[str, list[CountPoint]] = defaultdict(list)
    for c in track.counts:
        if c.zone is None and c.unmeasured is None:  # no figure of the detector's to plot
            series[c.label].append(CountPoint(date=c.date, detected=c.n, estimate=c.estimate,
                                              lo=c.interval_lo, hi=c.interval_hi))
    return dict(series)


def _level(track: SiteTrack) -> float:
    """The level of the track's count intervals (all counts of a track share it)."""
    return next((c.interval_level for c in track.counts if c.interval_level is not None), 0.9)


def _panel(
    site: str, scene: Scene, detections: Sequence[Detection],
    markers: Sequence[tuple[float, float, str]], *, window: Tile | None = None,
    outlines: Sequence[tuple[str, Tile]] = (), name: str = "",
) -> dict[str, object]:
    if window is not None:
        x1, y1 = window.x0_px + window.width_px, window.y0_px + window.height_px
        detections = [d for d in detections
                      if window.x0_px <= d.box.cx_px < x1 and window.y0_px <= d.box.cy_px < y1]
        markers = [m for m in markers if window.x0_px <= m[0] < x1 and window.y0_px <= m[1] < y1]
    labels = [det.label.value for det in detections]
    where = f"inset {name}" if name else "whole image"
    data = annotated_panel(
        scene.path, detections, markers=markers, window=window, outlines=outlines,
        gsd_m=scene.gsd_m, jpeg_quality=_JPEG_QUALITY,
        max_side_px=_INSET_SIDE_PX if window is not None else _PANEL_SIDE_PX,
        title=f"{site}  {scene.date.isoformat()}  {where}  "
              f"({plural(len(detections), 'vehicle')} detected)",
        subtitle=f"{scene.original_name} | {scene.source or 'source not stated'} | "
                 f"{scene.gsd_m:.2f} m/px | sha256 {scene.sha256[:12]}",
    )
    return {"scene": scene, "uri": _data_uri(data), "by_label": label_counts(labels),
            "name": name}


#: Longest side of an overview panel and of an inset, in pixels, and their JPEG quality:
#: a page-wide photograph is sharp at 1100 px, and the report stays a few megabytes per pair.
_PANEL_SIDE_PX = 1100
_INSET_SIDE_PX = 700
_JPEG_QUALITY = 85


def _to_image_px(track: SiteTrack, date: dt.date, x_px: float, y_px: float) -> tuple[float, float]:
    """A reference-date pixel position in the pixel grid of ``date``'s image."""
    for registration in track.registrations:
        if registration.date == date:
            matrix = np.linalg.inv(np.asarray(registration.matrix, dtype=float).reshape(3, 3))
            x, y, w = matrix @ np.array([x_px, y_px, 1.0])
            return float(x / w), float(y / w)
    return x_px, y_px


def _pairs(site: SiteEvidence) -> list[dict[str, object]]:
    """Consecutive dates side by side: departures ringed before, arrivals ringed after.

    A large image is shown whole (where things are) and in up to two zoomed insets on its
    regions of change, the same ground on both dates, so that each vehicle stays legible.
    """
    scenes = list(site.scenes)
    if len(scenes) == 1:
        scene, detections = scenes[0]
        return [{"before": _panel(site.site, scene, detections, ()), "after": None,
                 "heading": long_date(scene.date), "insets": []}]
    pairs: list[dict[str, object]] = []
    for (before, before_dets), (after, after_dets) in pairwise(scenes):
        events = [e for e in site.track.events
                  if e.date_from == before.date and e.date_to == after.date
                  and e.kind.value in ("arrived", "departed", "moved")]
        gone = [(*_to_image_px(site.track, before.date, e.x_px, e.y_px), "departed")
                for e in events if e.kind.value == "departed"]
        came = [(*_to_image_px(site.track, after.date, e.x_px, e.y_px), "arrived")
                for e in events if e.kind.value == "arrived"]
        windows = _inset_windows(site.track, before, before_dets,
                                 [(e.x_px, e.y_px) for e in events])
        names = [chr(ord("A") + i) for i in range(len(windows))]
        insets = []
        for name, window in zip(names, windows, strict=True):
            after_window = _window_on(site.track, before.date, after, window)
            insets.append({
                "before": _panel(site.site, before, before_dets, gone, window=window, name=name),
                "after": _panel(site.site, after, after_dets, came, window=after_window,
                                name=name)})
        before_outlines = list(zip(names, windows, strict=True))
        after_outlines = [(n, _window_on(site.track, before.date, after, w))
                          for n, w in before_outlines]
        pairs.append({
            "before": _panel(site.site, before, before_dets, gone, outlines=before_outlines),
            "after": _panel(site.site, after, after_dets, came, outlines=after_outlines),
            "heading": pair_heading(site.track, before.date, after.date),
            "insets": insets})
    return pairs


def _inset_windows(track: SiteTrack, scene: Scene, detections: Sequence[Detection],
                   changes_ref_px: Sequence[tuple[float, float]]) -> list[Tile]:
    """Windows of ``scene`` to zoom into: on its changes, or on its busiest ground when the
    overview shrinks the image so much that vehicles become dots."""
    scale = _PANEL_SIDE_PX / max(scene.width_px, scene.height_px)
    if changes_ref_px and scale < 0.6:
        points = [_to_image_px(track, scene.date, x, y) for x, y in changes_ref_px]
    elif scale < DENSE_SCALE and detections:
        points = [(d.box.cx_px, d.box.cy_px) for d in detections]
    else:
        return []
    return inset_windows(points, width_px=scene.width_px, height_px=scene.height_px,
                         gsd_m=scene.gsd_m)


def _window_on(track: SiteTrack, before: dt.date, scene: Scene, window: Tile) -> Tile:
    """The window of ``scene`` that shows the same ground as ``window`` of the date ``before``.

    The window's centre is carried through both registrations (``before``'s pixels -> the
    reference grid -> ``scene``'s pixels); it keeps its size and stays inside the image.
    """
    cx, cy = window.x0_px + window.width_px / 2, window.y0_px + window.height_px / 2
    for registration in track.registrations:
        if registration.date == before:
            matrix = np.asarray(registration.matrix, dtype=float).reshape(3, 3)
            x, y, w = matrix @ np.array([cx, cy, 1.0])
            cx, cy = float(x / w), float(y / w)
    cx, cy = _to_image_px(track, scene.date, cx, cy)
    side_x = min(window.width_px, scene.width_px)
    side_y = min(window.height_px, scene.height_px)
    x0 = int(min(max(0, round(cx - side_x / 2)), scene.width_px - side_x))
    y0 = int(min(max(0, round(cy - side_y / 2)), scene.height_px - side_y))
    return Tile(x0_px=x0, y0_px=y0, width_px=side_x, height_px=side_y)


def _map_uri(site: SiteEvidence, zones: Sequence[Zone]) -> str | None:
    periods = sorted({(e.date_from, e.date_to) for e in site.track.events
                      if e.lonlat and e.kind.value in ("arrived", "departed")})
    colours = {period: PERIOD_COLOURS[i % len(PERIOD_COLOURS)]
               for i, period in enumerate(periods)}
    points = [
        MapPoint(lon_deg=e.lonlat.lon_deg, lat_deg=e.lonlat.lat_deg,
                 label=f"{EVENT_NOUNS[e.kind.value][1]}, {long_date(e.date_from)} to "
                       f"{long_date(e.date_to)}",
                 colour=colours[(e.date_from, e.date_to)],
                 marker="^" if e.kind.value == "arrived" else "v")
        for e in site.track.events if e.lonlat and e.kind.value in ("arrived", "departed")
    ]
    drawn = [(z.name, z.exterior) for z in zones if z.frame is ZoneFrame.LONLAT]
    png = site_map([scene for scene, _ in site.scenes], drawn, points,
                   title=f"{site.site}: image footprints, zones, arrivals (▲) and departures (▼)")
    return _data_uri(png) if png else None


#: One colour per pair of dates on the map (Okabe-Ito, distinct for colour-blind readers).
PERIOD_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0),
    (86, 180, 233), (0, 0, 0))


def _licences(sites: Sequence[SiteEvidence], runs: Sequence[RunRecord]) -> dict[str, object]:
    """The terms every input is held under, stated in the report itself.

    Imagery: each distinct (source, licence) of the scenes. Models: the licence, the data the
    weights were made from with its terms, and the known limits on the card of each registered
    model that made the detections (found by its ONNX sha256); a model loaded from a path has no
    card, and the report says its licence is not recorded.
    """
    imagery = sorted({(scene.source or "source not stated", scene.licence or "not stated")
                      for site in sites for scene, _ in site.scenes})
    models = []
    for name, sha256 in sorted({(r.model_name, r.model_sha256) for r in runs}):
        card = _card_for(sha256)
        models.append({"name": name,
                       "licence": card.licence if card else "not recorded (no model card)",
                       "origin": card.source_package if card else "a model file given by path",
                       "limits": list(card.known_limits) if card else [],
                       "training_data": list(card.training_data) if card else []})
    return {"imagery": imagery, "models": models}


def _card_for(sha256: str) -> ModelCard | None:
    """The registered model card whose ONNX file has ``sha256``, if any."""
    from sitewatch.detect import MODELS, card_path_for, load_card

    for name in MODELS:
        card = load_card(card_path_for(name), verify=False)
        if card.onnx_sha256 == sha256:
            return card
    return None


def _comparison_context(query: dict[str, object]) -> dict[str, object]:
    panel = query.get("panel_path")
    data = Path(str(panel)).read_bytes() if panel else b""
    # Only a real PNG is embedded: never whatever file a crafted comparison might name.
    uri = _data_uri(data) if data.startswith(b"\x89PNG\r\n\x1a\n") else None
    return {**query, "panel_uri": uri, "name": Path(str(query["query"])).name}


def write_report(html: str, path: Path) -> str:
    """Write the report and return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = html.encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def write_pdf(html: str, path: Path) -> str:
    """Render the HTML report to PDF with WeasyPrint; returns the PDF's SHA-256.

    Raises:
        ReportError: WeasyPrint (the ``pdf`` extra) or its system libraries are missing.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise ReportError(
            f"PDF output needs WeasyPrint and Pango ({exc}); pip install 'sitewatch[pdf]', "
            "or drop --pdf and print the HTML report from a browser"
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html).write_pdf(path)
    return sha256_file(path)


def _legend() -> list[tuple[str, str, str]]:
    """(background, text colour, words) per label, in the colours the figures draw: dark text on
    the light ones (the yellow of "vehicle of unknown type"), white on the others."""
    legend = []
    for label, (r, g, b) in LABEL_COLOURS.items():
        light = 0.299 * r + 0.587 * g + 0.114 * b > 150
        legend.append((label_css(label), "#000" if light else "#fff", label_name(label, 1)))
    return legend
