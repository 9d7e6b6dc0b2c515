"""Tracking one site across dates: register, place, count, match, derive events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry import Point, Polygon

from sitewatch.errors import TrackError
from sitewatch.imagery import Registration
from sitewatch.track.comparing import DateState, compare_dates, pair_summaries
from sitewatch.track.frame import footprint, lonlat_of, place_detections, zone_of, zone_polygon
from sitewatch.track.intervals import estimate_count
from sitewatch.track.loading import loaded_pairs
from sitewatch.track.registering import Registrar, register_all, register_by_pixels
from sitewatch.track.types import (
    LOADED_TRANSPORTER,
    PARTIAL_BELOW,
    Alert,
    Count,
    Event,
    EventKind,
    Observation,
    Refusal,
    SiteTrack,
    TrackOptions,
    rates_for,
)
from sitewatch.track.visibility import Visibility, measure_visibility
from sitewatch.track.zonefiles import AlertRule
from sitewatch.track.zones import Zone


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
            "image per date (the sharpest or most complete; `sitewatch scene keep` or `scene "
            "retire`) or mosaic them into one (`sitewatch scene mosaic`) before tracking",
            site=sites[0],
        )
    return ordered


def _state(obs: Observation, reg: Registration, ref_gsd_m: float, opt: TrackOptions,
           vis: Visibility | None) -> DateState:
    placed = place_detections(obs, reg, ref_gsd_m, min_score=opt.min_score)
    kept = [obs.detections[p.index] for p in placed]
    # loaded: what an analyst marked loaded and, where the detector's loaded figure is measured
    # (opt.loaded_unmeasured is None), an armoured box the loading rule puts on a transporter
    loaded = {i for i, d in enumerate(kept) if d.marked_loaded}
    if opt.loaded_unmeasured is None:
        pairs = loaded_pairs(
            kept, min_overlap=opt.loaded_overlap, max_angle_rad=opt.loaded_max_angle_rad
        )
        loaded |= {i for i, _ in pairs}
    return DateState(obs=obs, reg=reg, placed=placed, footprint=footprint(obs, reg),
                     loaded=tuple(sorted(loaded)), vis=vis)


@dataclass(frozen=True, slots=True)
class _Seen:
    ok: bool
    reason: str
    coverage: float
    cloud: float | None
    px_per_vehicle: float
    washed: float | None = None
    share: float | None = None


def _observability(state: DateState, area: Polygon, opt: TrackOptions) -> _Seen:
    """Whether ``area`` is observable on ``state``'s date, why not, and how much of it is.

    Cloud and washed-out ground are read from the same local masks the events are claimed on
    (:attr:`Visibility.seen`), so a count never says "all of it seen" where the pair summary
    says part of it was hidden.
    """
    coverage = state.footprint.intersection(area).area / area.area if area.area > 0 else 0.0
    ppv = opt.smallest_vehicle_m / state.obs.gsd_m
    haze = state.vis.haze_fraction if state.vis is not None else 0.0
    if state.vis is not None:
        cloud, washed, share = state.vis.hidden_shares(area)
        cloud_or_none: float | None = cloud
        washed_or_none: float | None = washed if state.vis.washed is not None else None
    else:
        cloud, washed, share = 0.0, 0.0, coverage
        cloud_or_none = washed_or_none = None
    hidden = cloud + washed

    def seen(ok: bool, reason: str) -> _Seen:
        return _Seen(ok, reason, coverage, cloud_or_none, ppv, washed_or_none, share)

    if coverage < opt.min_coverage:
        return seen(False, f"not covered: image covers {coverage:.0%} of it")
    if ppv < opt.min_px_per_vehicle:
        return seen(False, f"too coarse: {state.obs.gsd_m:.2f} m pixels make a "
                    f"{opt.smallest_vehicle_m} m vehicle {ppv:.1f} px long "
                    f"(< {opt.min_px_per_vehicle})")
    if hidden > opt.max_cloud_fraction:
        what = (f"{cloud:.0%} under cloud" if washed_or_none is None
                else f"{cloud:.0%} under cloud, {washed:.0%} washed out")
        return seen(False, f"clouded: {hidden:.0%} of what the image covers is hidden ({what}); "
                    f"over {opt.max_cloud_fraction:.0%} hidden is not counted")
    if haze > opt.max_haze_fraction:
        return seen(False, f"hazy: {haze:.0%} of contrast lost")
    detail = (f"{coverage:.0%} covered, cloud not measured" if state.vis is None
              else f"{coverage:.0%} covered, {cloud:.0%} cloud" + (
                  f", {washed:.0%} washed out" if washed_or_none is not None else ""))
    if share < PARTIAL_BELOW:
        return seen(True, f"partly observable: counts only the {share:.0%} of it seen "
                    f"({detail}); vehicles in the hidden part are not counted")
    return seen(True, f"observable ({detail})")


def _counts(state: DateState, areas: Sequence[tuple[str | None, Polygon]],
            labels: Sequence[str], opt: TrackOptions) -> list[Count]:
    out = []
    for zone_name, area in areas:
        seen = _observability(state, area, opt)
        inside = {k for k, p in enumerate(state.placed) if area.covers(Point(p.x_px, p.y_px))}
        for label in labels:
            n = (sum(1 for k in state.loaded if k in inside) if label == LOADED_TRANSPORTER
                 else sum(1 for k in inside if state.placed[k].label == label))
            if label == LOADED_TRANSPORTER and seen.ok and opt.loaded_unmeasured is not None:
                out.append(_unmeasured_count(state, zone_name, seen, opt.loaded_unmeasured, n))
                continue
            precision, recall = rates_for(opt, _rates_label(opt, label))
            true = (estimate_count(n, precision=precision, recall=recall,
                                   level=opt.interval_level) if seen.ok else None)
            out.append(Count(
                site=state.obs.site, date=state.obs.date, label=label, zone=zone_name,
                n=n if seen.ok else None, observable=seen.ok, reason=seen.reason,
                estimate=None if true is None else true.estimate,
                interval_lo=None if true is None else true.lo,
                interval_hi=None if true is None else true.hi,
                interval_level=None if true is None else true.level,
                precision=None if true is None else precision,
                recall=None if true is None else recall, coverage=seen.coverage,
                cloud_fraction=seen.cloud, px_per_vehicle=seen.px_per_vehicle,
                washed_fraction=seen.washed, observable_share=seen.share,
            ))
    return out


def _rates_label(opt: TrackOptions, label: str) -> str:
    """The label whose rates a count uses: loaded transporters borrow the armoured vehicles'
    unless rates measured for them are given."""
    if label == LOADED_TRANSPORTER and all(name != label for name, _, _ in opt.rates_by_label):
        return "armored_vehicle"
    return label


def _unmeasured_count(state: DateState, zone: str | None, seen: _Seen, why: str,
                      marked: int) -> Count:
    """A loaded-transporter count the detector cannot make: the analyst's marks, said as such."""
    analyst = f"analyst marked {marked}" if marked else "none marked"
    return Count(
        site=state.obs.site, date=state.obs.date, label=LOADED_TRANSPORTER, zone=zone, n=None,
        observable=True, unmeasured=why,
        reason=f"not measurable by the detector, analyst marks only: {analyst}; {seen.reason}",
        marked=marked, coverage=seen.coverage, cloud_fraction=seen.cloud,
        px_per_vehicle=seen.px_per_vehicle, washed_fraction=seen.washed,
        observable_share=seen.share,
    )


def _refused_counts(obs: Observation, refusal: Refusal, areas: Sequence[tuple[str | None, Polygon]],
                    labels: Sequence[str]) -> list[Count]:
    reason = f"not registered: {refusal.message}"
    return [Count(site=obs.site, date=obs.date, label=label, zone=name, n=None,
                  observable=False, reason=reason) for name, _ in areas for label in labels]


def _loaded_events(state: DateState, reference: Observation,
                   zones: Sequence[tuple[str, Polygon]]) -> list[Event]:
    return [
        Event(site=reference.site, date_from=state.obs.date, date_to=state.obs.date,
              kind=EventKind.LOADED, label=LOADED_TRANSPORTER,
              zone=zone_of(p.x_px, p.y_px, zones), x_px=p.x_px, y_px=p.y_px,
              lonlat=lonlat_of(reference, p.x_px, p.y_px), confidence=p.score)
        for p in (state.placed[k] for k in state.loaded)
    ]


def _alerts(counts: Sequence[Count], rules: Sequence[AlertRule]) -> list[Alert]:
    out = []
    for rule in rules:
        for c in counts:
            if c.zone != rule.zone or c.label != rule.label:
                continue
            where = "the whole site" if c.zone is None else f"zone {c.zone!r}"
            if c.n is not None:
                crossed = rule.crossed(c.n)
                if crossed:
                    out.append(Alert(site=c.site, date=c.date, zone=c.zone or "*", label=c.label,
                                     threshold=crossed, n=c.n,
                                     message=f"{c.date}: {c.n} {c.label} in {where}, {crossed}"))
            elif c.marked and rule.more_than is not None and c.marked > rule.more_than:
                # analyst marks are a floor on the true number: only "more than" can be claimed
                crossed = f"more than {rule.more_than}"
                out.append(Alert(site=c.site, date=c.date, zone=c.zone or "*", label=c.label,
                                 threshold=crossed, n=c.marked,
                                 message=f"{c.date}: analyst marked {c.marked} {c.label} in "
                                         f"{where}, {crossed}"))
    return out


def site_visibility(observations: Sequence[Observation], *,
                    options: TrackOptions | None = None,
                    registrar: Registrar = register_by_pixels) -> tuple[Visibility, ...]:
    """What each registered date showed, in the reference grid (shrunk), as
    :func:`track_site` judges it: the cloud and washed-out masks, the date-wide haze and the
    footprint, for measuring the masks themselves (``tools/measure_cloud_masks.py``).

    Raises:
        TrackError: as :func:`track_site`.
        RasterReadError: an image could not be read.
    """
    opt = options or TrackOptions()
    ordered = _check(observations)
    kept, _, _ = register_all(ordered, registrar, {}, assumed_residual_m=opt.unmeasured_residual_m)
    return measure_visibility([o for o, _ in kept], [r for _, r in kept], ordered[0],
                              max_contrast_loss=opt.max_haze_fraction)


def track_site(
    observations: Sequence[Observation],
    *,
    zones: Sequence[Zone] = (),
    options: TrackOptions | None = None,
    registrar: Registrar = register_by_pixels,
    registrations: Mapping[dt.date, Registration] | None = None,
    alerts: Sequence[AlertRule] = (),
) -> SiteTrack:
    """Count vehicles per date and zone, and derive what changed between consecutive dates.

    Events are claimed only where both of their dates could see (see
    :mod:`sitewatch.track.comparing`): a place one date could not show is compared with the
    last earlier date that saw it, and a vehicle whose place a date could not show is listed
    in ``SiteTrack.unseen`` with the reason. ``SiteTrack.pairs`` gives, per pair of
    consecutive dates and zone, the share observable on both.

    The earliest date is the reference: every position is given in its pixel grid. A date
    that cannot be registered is refused: it is listed in ``SiteTrack.refused``, its counts
    are "not observable", and its neighbours are compared with each other instead. A date
    whose pixels cannot be matched but which shares a georeference system with the reference
    is compared by georeference alone (residual ``options.unmeasured_residual_m`` assumed),
    listed in ``SiteTrack.registration_notes`` with the reason.

    Args:
        observations: one per date, all of one site, in any order.
        zones: analyst-drawn zones; counts are made for each and for the whole site.
        options: matching, observability and interval knobs (default ``TrackOptions()``).
        registrar: registers one date onto the reference (default: on the pixels, seeded by
            the georeferences; :func:`register_by_metadata` reads no pixels).
        registrations: registrations already made, by date; they replace ``registrar``.
        alerts: zone thresholds to report when crossed.

    Raises:
        TrackError: no observations, several sites, two images on one date, a zone drawn in
            longitude/latitude on a site without georeference, or the reference date itself
            unusable.
        RasterReadError: an image could not be read (with pixel registration or visibility).
    """
    opt = options or TrackOptions()
    ordered = _check(observations)
    reference = ordered[0]
    kept, refused, notes = register_all(ordered, registrar, dict(registrations or {}),
                                        assumed_residual_m=opt.unmeasured_residual_m)
    if not kept or kept[0][0] is not reference:
        raise TrackError(f"reference date {reference.date} of site {reference.site!r} could "
                         "not be registered onto itself", site=reference.site)
    vis: Sequence[Visibility | None] = (
        measure_visibility([o for o, _ in kept], [r for _, r in kept], reference,
                           max_contrast_loss=opt.max_haze_fraction)
        if opt.measure_visibility else [None] * len(kept))
    states = [_state(o, r, reference.gsd_m, opt, v)
              for (o, r), v in zip(kept, vis, strict=True)]
    zone_polys = [(z.name, zone_polygon(z, reference)) for z in zones]
    areas: list[tuple[str | None, Polygon]] = [(None, states[0].footprint), *zone_polys]
    labels = [*sorted({p.label for s in states for p in s.placed}), LOADED_TRANSPORTER]
    counts = [c for s in states for c in _counts(s, areas, labels, opt)]
    for r in refused:
        counts += _refused_counts(next(o for o in ordered if o.date == r.date), r, areas, labels)
    counts.sort(key=lambda c: (c.date, c.zone or "", c.label))
    events, unseen = compare_dates(states, reference, zone_polys, opt)
    for s in states:
        events.extend(_loaded_events(s, reference, zone_polys))
    events.sort(key=lambda e: (e.date_from, e.date_to, e.kind.value, e.label, e.y_px, e.x_px))
    return SiteTrack(
        site=reference.site, reference_date=reference.date, dates=tuple(o.date for o in ordered),
        counts=tuple(counts), events=tuple(events), registrations=tuple(r for _, r in kept),
        alerts=tuple(_alerts(counts, alerts)), refused=tuple(refused),
        unseen=tuple(sorted(unseen, key=lambda u: (u.date_from, u.date_to, u.label, u.y_px,
                                                   u.x_px))),
        pairs=tuple(pair_summaries(states, areas, opt)), registration_notes=tuple(notes),
    )
