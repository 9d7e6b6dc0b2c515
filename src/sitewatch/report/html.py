"""The self-contained HTML report of a case: every image, plot and table inline."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sitewatch.catalog import ReviewSummary, RunRecord, Scene
from sitewatch.detect import Detection
from sitewatch.report.figures import annotated_panel, counts_plot
from sitewatch.track import SiteTrack
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
    software: dict[str, str],
    audit_head: str | None,
    manifest_sha256: str,
    review: ReviewSummary | None = None,
) -> str:
    """The report as one HTML document with images embedded as data URIs.

    ``review`` says how many detections an analyst reviewed; the report states it when any were.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("sitewatch.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    context = {
        "case_name": case_name,
        "generated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sites": [_site_context(site) for site in sites],
        "scenes": [scene for site in sites for scene, _ in site.scenes],
        "runs": list(runs),
        "links": list(links),
        "speeds": sorted({link.speed.mode.value: link.speed for link in links}.items()),
        "software": software,
        "audit_head": audit_head,
        "manifest_sha256": manifest_sha256,
        "review": review if review is not None and (review.reviewed or review.added) else None,
    }
    return env.get_template("report.html.j2").render(**context)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _site_context(site: SiteEvidence) -> dict[str, object]:
    panels = []
    for scene, detections in site.scenes:
        by_label: dict[str, int] = defaultdict(int)
        for det in detections:
            by_label[det.label.value] += 1
        source = scene.source or "source not stated"
        png = annotated_panel(
            scene.path, detections,
            title=f"{site.site}  {scene.date.isoformat()}  ({len(detections)} vehicles detected)",
            subtitle=f"{scene.original_name} | {source} | {scene.gsd_m:.2f} m/px | "
                     f"sha256 {scene.sha256[:12]}",
        )
        panels.append({"scene": scene, "uri": _data_uri(png), "by_label": dict(by_label),
                       "png_sha256": hashlib.sha256(png).hexdigest()})
    series: dict[str, list[tuple[dt.date, int | None, int | None, int | None]]] = defaultdict(list)
    for count in site.track.counts:
        if count.zone is None:
            series[count.label].append((count.date, count.n, count.interval_lo, count.interval_hi))
    plot = counts_plot(dict(series), title=f"{site.site}: vehicles per date")
    return {
        "name": site.site,
        "panels": panels,
        "plot_uri": _data_uri(plot),
        "counts": [c for c in site.track.counts if c.zone is None],
        "zone_counts": [c for c in site.track.counts if c.zone is not None],
        "events": [e for e in site.track.events if e.kind.value != "stayed"],
        "stayed": sum(1 for e in site.track.events if e.kind.value == "stayed"),
        "alerts": list(site.track.alerts),
        "registrations": list(site.track.registrations),
    }


def write_report(html: str, path: Path) -> str:
    """Write the report and return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = html.encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()
