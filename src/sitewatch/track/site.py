"""Tracking one site across dates: register, place, count, match, derive events."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry import Point, Polygon

from sitewatch.errors import TrackError
from sitewatch.geo.frames import same_crs
from sitewatch.imagery.registration import (
    Registration,
    identity_registration,
    register_by_georeference,
)
from sitewatch.track.frame import footprint, lonlat_of, place_detections, zone_of, zone_polygon
from sitewatch.track.intervals import count_interval
from sitewatch.track.loading import loaded_pairs
from sitewatch.track.matching import MatchCosts, Placed, match
from sitewatch.track.types import (
    LOADED_TRANSPORTER,
    Count,
    Event,
    EventKind,
    Observation,
    SiteTrack,
    TrackOptions,
)
from sitewatch.track.zones import Zone

#: Registers one observation onto the reference observation.
Registrar = Callable[[Observation, Observation], Registration]


@dataclass(frozen=True, slots=True, kw_only=True)
class _DateState:
    obs: Observation
    reg: Registration
    placed: tuple[Placed, ...]
    footprint: Polygon
    loaded: tuple[int, ...]  # indices into placed of loaded cargo


def register_by_metadata(obs: Observation, reference: Observation) -> Registration:
    """Register through georeferences when both dates have one in the same CRS.

    Otherwise assume the two images share a pixel grid (identity, residual unknown); use a
    pixel-based registrar (:func:`sitewatch.track.register_by_pixels`) for real imagery.
    """
    if obs.date == reference.date:
        return identity_registration(obs.date)
    if (
        obs.transform is not None
        and reference.transform is not None
        and obs.crs_wkt is not None
        and reference.crs_wkt is not None
        and same_crs(obs.crs_wkt, reference.crs_wkt)
    ):
        return register_by_georeference(
            obs.date, reference.date, obs.transform, reference.transform
        )
    reg = identity_registration(obs.date)
    return Registration(
        date=obs.date,
        reference_date=reference.date,
        matrix=reg.matrix,
        residual_m=None,
        method=reg.method,
    )


def _check(observations: Sequence[Observation]) -> tuple[Observation, ...]:
    if not observations:
        raise TrackError("no observations to track; ingest and detect at least one date first")
    sites = sorted({o.site for o in observations})
    if len(sites) > 1:
        raise TrackError(
            f"observations mix sites {sites}; track one site at a time", sites=tuple(sites)
        )
    ordered = tuple(sorted(observations, key=lambda o: o.date))
    dates = [o.date for o in ordered]
    dupes = sorted({d for d in dates if dates.count(d) > 1})
    if dupes:
        raise TrackError(
            f"site {sites[0]!r} has several images on {', '.join(map(str, dupes))}; keep one "
            "image per date (the sharpest or most complete) before tracking",
            site=sites[0],
        )
    return ordered


def _state(obs: Observation, reg: Registration, ref_gsd_m: float, opt: TrackOptions) -> _DateState:
    placed = place_detections(obs, reg, ref_gsd_m, min_score=opt.min_score)
    kept = [obs.detections[p.index] for p in placed]
    pairs = loaded_pairs(
        kept, min_overlap=opt.loaded_overlap, max_angle_rad=opt.loaded_max_angle_rad
    )
    return _DateState(
        obs=obs,
        reg=reg,
        placed=placed,
        footprint=footprint(obs, reg),
        loaded=tuple(i for i, _ in pairs),
    )


def _observability(
    state: _DateState, area: Polygon, opt: TrackOptions
) -> tuple[bool, str, float, float]:
    coverage = state.footprint.intersection(area).area / area.area if area.area > 0 else 0.0
    px_per_vehicle = opt.smallest_vehicle_m / state.obs.gsd_m
    if coverage < opt.min_coverage:
        return False, f"not covered: image covers {coverage:.0%} of it", coverage, px_per_vehicle
    if px_per_vehicle < opt.min_px_per_vehicle:
        reason = (
            f"too coarse: {state.obs.gsd_m:.2f} m pixels make a {opt.smallest_vehicle_m} m "
            f"vehicle {px_per_vehicle:.1f} px long (< {opt.min_px_per_vehicle})"
        )
        return False, reason, coverage, px_per_vehicle
    return True, "observable", coverage, px_per_vehicle


def _counts(
    state: _DateState, areas: Sequence[tuple[str | None, Polygon]], labels: Sequence[str],
    opt: TrackOptions,
) -> list[Count]:
    out = []
    for zone_name, area in areas:
        ok, reason, coverage, ppv = _observability(state, area, opt)
        inside = [p for p in state.placed if area.covers(Point(p.x_px, p.y_px))]
        loaded_inside = [p for k, p in enumerate(state.placed) if k in state.loaded and p in inside]
        for label in labels:
            n = len(loaded_inside) if label == LOADED_TRANSPORTER else sum(
                1 for p in inside if p.label == label
            )
            lo, hi = (
                count_interval(
                    n,
                    precision=opt.detector_precision,
                    recall=opt.detector_recall,
                    level=opt.interval_level,
                )
                if ok
                else (None, None)
            )
            out.append(
                Count(
                    site=state.obs.site, date=state.obs.date, label=label, zone=zone_name,
                    n=n if ok else None, observable=ok, reason=reason, interval_lo=lo,
                    interval_hi=hi, coverage=coverage, px_per_vehicle=ppv,
                )
            )
    return out


def _events_between(
    a: _DateState, b: _DateState, reference: Observation, zones: Sequence[tuple[str, Polygon]],
    opt: TrackOptions,
) -> list[Event]:
    residuals = [r for r in (a.reg.residual_m, b.reg.residual_m) if r is not None]
    stay_m = max(opt.stay_tolerance_m, 3.0 * math.hypot(*residuals) if residuals else 0.0)
    costs = MatchCosts(
        max_move_m=max(opt.max_move_m, 2.0 * stay_m), label_cost=opt.label_cost,
        size_cost=opt.size_cost, heading_cost=opt.heading_cost,
    )
    m = match(a.placed, b.placed, costs)
    site, d0, d1 = reference.site, a.obs.date, b.obs.date

    def event(kind: EventKind, p: Placed, conf: float, **extra: float) -> Event:
        return Event(
            site=site, date_from=d0, date_to=d1, kind=kind, label=p.label,
            zone=zone_of(p.x_px, p.y_px, zones), x_px=p.x_px, y_px=p.y_px,
            lonlat=lonlat_of(reference, p.x_px, p.y_px), confidence=conf, **extra,
        )

    out = []
    for i, j in m.pairs:
        p, q = a.placed[i], b.placed[j]
        dist = math.hypot(p.x_m - q.x_m, p.y_m - q.y_m)
        kind = EventKind.STAYED if dist <= stay_m else EventKind.MOVED
        out.append(event(kind, q, min(p.score, q.score), from_x_px=p.x_px, from_y_px=p.y_px,
                         distance_m=dist))
    for i in m.unmatched_before:
        p = a.placed[i]
        if b.footprint.covers(Point(p.x_px, p.y_px)):  # else: not seen on d1, say nothing
            out.append(event(EventKind.DEPARTED, p, p.score))
    for j in m.unmatched_after:
        q = b.placed[j]
        if a.footprint.covers(Point(q.x_px, q.y_px)):
            out.append(event(EventKind.ARRIVED, q, q.score))
    return out


def _loaded_events(state: _DateState, reference: Observation,
                   zones: Sequence[tuple[str, Polygon]]) -> list[Event]:
    out = []
    for k in state.loaded:
        p = state.placed[k]
        out.append(
            Event(
                site=reference.site, date_from=state.obs.date, date_to=state.obs.date,
                kind=EventKind.LOADED, label=LOADED_TRANSPORTER,
                zone=zone_of(p.x_px, p.y_px, zones), x_px=p.x_px, y_px=p.y_px,
                lonlat=lonlat_of(reference, p.x_px, p.y_px), confidence=p.score,
            )
        )
    return out


def track_site(
    observations: Sequence[Observation],
    *,
    zones: Sequence[Zone] = (),
    options: TrackOptions | None = None,
    registrar: Registrar = register_by_metadata,
    registrations: Mapping[dt.date, Registration] | None = None,
) -> SiteTrack:
    """Count vehicles per date and zone, and derive what changed between consecutive dates.

    The earliest date is the reference: every position is given in its pixel grid.

    Args:
        observations: one per date, all of one site, in any order.
        zones: analyst-drawn zones; counts are made for each and for the whole site.
        options: matching, observability and interval knobs (default ``TrackOptions()``).
        registrar: registers one date onto the reference (default: through georeferences).
        registrations: registrations already made, by date; they replace ``registrar``.

    Raises:
        TrackError: no observations, several sites, two images on one date, or a zone drawn
            in longitude/latitude on a site without georeference.
        RegistrationError: a date could not be registered (from ``registrar``).
    """
    options = options or TrackOptions()
    ordered = _check(observations)
    reference = ordered[0]
    regs = [
        (registrations or {}).get(o.date) or registrar(o, reference) for o in ordered
    ]
    states = [_state(o, r, reference.gsd_m, options) for o, r in zip(ordered, regs, strict=True)]
    zone_polys = [(z.name, zone_polygon(z, reference)) for z in zones]
    areas: list[tuple[str | None, Polygon]] = [(None, states[0].footprint), *zone_polys]
    labels = [*sorted({p.label for s in states for p in s.placed}), LOADED_TRANSPORTER]
    counts = [c for s in states for c in _counts(s, areas, labels, options)]
    events: list[Event] = []
    for a, b in itertools.pairwise(states):
        events.extend(_events_between(a, b, reference, zone_polys, options))
    for s in states:
        events.extend(_loaded_events(s, reference, zone_polys))
    events.sort(key=lambda e: (e.date_from, e.date_to, e.kind.value, e.label, e.y_px, e.x_px))
    return SiteTrack(
        site=reference.site,
        reference_date=reference.date,
        dates=tuple(o.date for o in ordered),
        counts=tuple(counts),
        events=tuple(events),
        registrations=tuple(regs),
    )
