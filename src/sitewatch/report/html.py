"""The self-contained HTML report of a case: every image, plot and table inline."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from sitewatch.assess import AchTable
from sitewatch.catalog import ReviewSummary, RunRecord, Scene
from sitewatch.detect import Detection
from sitewatch.digest import sha256_file
from sitewatch.errors import ReportError
from sitewatch.report.figures import CountPoint, annotated_panel, counts_plot
from sitewatch.report.maps import MapPoint, site_map
from sitewatch.report.measured import measured_for
from sitewatch.track import SiteTrack, Zone, ZoneFrame, interval_meaning
from sitewatch.track.links import Link


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
) -> str:
    """The report as one HTML document with images embedded as data URIs.

    ``review`` says how many detections an analyst reviewed; the report states it when any were.
    ``intervals_note`` says what interval each count carries, from which precision and recall.
    Evidence that references a count, event group or link of the case shows sitewatch's own
    figure beside the analyst's description (:func:`.measured.measured_for`).
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("sitewatch.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    tracks = [site.track for site in sites]
    measured = {} if assessment is None else {
        row.evidence_id: text for row in assessment.rows
        if (text := measured_for(row.ref, tracks, links)) is not None}
    context = {
        "case_name": case_name,
        "generated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sites": [_site_context(site, zones) for site in sites],
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
    }
    return env.get_template("report.html.j2").render(**context)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _site_context(site: SiteEvidence, zones: Sequence[Zone]) -> dict[str, object]:
    plot = counts_plot(_series(site.track), title=f"{site.site}: vehicles per date",
                       interval_level=_level(site.track))
    return {
        "name": site.site,
        "count_meaning": interval_meaning(_level(site.track)),
        "level_text": f"{_level(site.track):.0%}",
        "pairs": _pairs(site),
        "map_uri": _map_uri(site, zones),
        "plot_uri": _data_uri(plot),
        "counts": [c for c in site.track.counts if c.zone is None],
        "zone_counts": [c for c in site.track.counts if c.zone is not None],
        "events": [e for e in site.track.events if e.kind.value != "stayed"],
        "stayed": sum(1 for e in site.track.events if e.kind.value == "stayed"),
        "alerts": list(site.track.alerts),
        "registrations": list(site.track.registrations),
        "refused": list(site.track.refused),
    }


def _series(track: SiteTrack) -> dict[str, list[CountPoint]]:
    series: dict[str, list[CountPoint]] = defaultdict(list)
    for c in track.counts:
        if c.zone is None:
            series[c.label].append(CountPoint(date=c.date, detected=c.n, estimate=c.estimate,
                                              lo=c.interval_lo, hi=c.interval_hi))
    return dict(series)


def _level(track: SiteTrack) -> float:
    """The level of the track's count intervals (all counts of a track share it)."""
    return next((c.interval_level for c in track.counts if c.interval_level is not None), 0.9)


def _panel(
    site: str, scene: Scene, detections: Sequence[Detection],
    markers: Sequence[tuple[float, float, str]],
) -> dict[str, object]:
    by_label: dict[str, int] = defaultdict(int)
    for det in detections:
        by_label[det.label.value] += 1
    png = annotated_panel(
        scene.path, detections, markers=markers,
        title=f"{site}  {scene.date.isoformat()}  ({len(detections)} vehicles detected)",
        subtitle=f"{scene.original_name} | {scene.source or 'source not stated'} | "
                 f"{scene.gsd_m:.2f} m/px | sha256 {scene.sha256[:12]}",
    )
    return {"scene": scene, "uri": _data_uri(png), "by_label": dict(by_label)}


def _to_image_px(track: SiteTrack, date: dt.date, x_px: float, y_px: float) -> tuple[float, float]:
    """A reference-date pixel position in the pixel grid of ``date``'s image."""
    for registration in track.registrations:
        if registration.date == date:
            matrix = np.linalg.inv(np.asarray(registration.matrix, dtype=float).reshape(3, 3))
            x, y, w = matrix @ np.array([x_px, y_px, 1.0])
            return float(x / w), float(y / w)
    return x_px, y_px


def _pairs(site: SiteEvidence) -> list[dict[str, object]]:
    """Consecutive dates side by side: departures ringed before, arrivals ringed after."""
    scenes = list(site.scenes)
    if len(scenes) == 1:
        scene, detections = scenes[0]
        return [{"before": _panel(site.site, scene, detections, ()), "after": None, "events": []}]
    pairs: list[dict[str, object]] = []
    for (before, before_dets), (after, after_dets) in pairwise(scenes):
        events = [e for e in site.track.events
                  if e.date_from == before.date and e.date_to == after.date
                  and e.kind.value in ("arrived", "departed", "moved")]
        gone = [(*_to_image_px(site.track, before.date, e.x_px, e.y_px), "departed")
                for e in events if e.kind.value == "departed"]
        came = [(*_to_image_px(site.track, after.date, e.x_px, e.y_px), "arrived")
                for e in events if e.kind.value == "arrived"]
        pairs.append({"before": _panel(site.site, before, before_dets, gone),
                      "after": _panel(site.site, after, after_dets, came), "events": events})
    return pairs


def _map_uri(site: SiteEvidence, zones: Sequence[Zone]) -> str | None:
    points = [
        MapPoint(lon_deg=e.lonlat.lon_deg, lat_deg=e.lonlat.lat_deg,
                 label=f"{e.kind.value} ({e.date_from} to {e.date_to})",
                 colour=(0, 158, 115) if e.kind.value == "arrived" else (220, 20, 60))
        for e in site.track.events if e.lonlat and e.kind.value in ("arrived", "departed")
    ]
    drawn = [(z.name, z.exterior) for z in zones if z.frame is ZoneFrame.LONLAT]
    png = site_map([scene for scene, _ in site.scenes], drawn, points,
                   title=f"{site.site}: image footprints, zones, arrivals and departures")
    return _data_uri(png) if png else None


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
