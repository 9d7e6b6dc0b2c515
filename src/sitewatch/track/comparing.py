"""Comparing dates place by place: events only where both dates could see.

An arrival, departure, move or stay is claimed only at a place observable on both dates it
spans: inside both images, not under cloud or washed out around the vehicle's footprint, on a
date not hazy as a whole, at pixels fine enough for that vehicle. A place one date could not
see is compared with the last earlier date that saw it, so a vehicle hidden by cloud on one
date and visible on the next has not arrived; a vehicle whose place the later date cannot show
is reported as :class:`~sitewatch.track.types.Unseen`, with the reason, never as departed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from shapely.geometry import Point, Polygon

from sitewatch.imagery import Registration
from sitewatch.track.frame import lonlat_of, zone_of
from sitewatch.track.matching import MatchCosts, Placed, headings_comparable, match
from sitewatch.track.types import (
    Event,
    EventKind,
    Observation,
    PairSummary,
    TrackOptions,
    Unseen,
)
from sitewatch.track.visibility import Visibility, zncc

#: Side of the grid, in cells, on which shares of a zone are measured without pixels.
_SHARE_GRID_PX = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class DateState:
    """One registered date as tracking sees it: its vehicles placed in the reference grid."""

    obs: Observation
    reg: Registration
    placed: tuple[Placed, ...]
    footprint: Polygon
    loaded: tuple[int, ...]  # indices into placed of loaded cargo
    vis: Visibility | None


def unseen_reason(state: DateState, p: Placed, opt: TrackOptions) -> str | None:
    """Why ``state``'s date cannot show the place where ``p`` stands, or ``None`` if it can.

    Judged around the vehicle's own footprint (a disc of half its length, at least 8
    reference px), not per zone.
    """
    d = state.obs.date
    if not state.footprint.covers(Point(p.x_px, p.y_px)):
        return f"outside the image of {d}"
    px_long = p.length_m / state.obs.gsd_m
    if px_long < opt.min_px_per_vehicle:
        return (f"too coarse on {d}: {state.obs.gsd_m:.2f} m pixels make this {p.length_m:.1f} "
                f"m {p.label} {px_long:.1f} px long (< {opt.min_px_per_vehicle:g})")
    if state.vis is None:
        return None
    if state.vis.haze_fraction > opt.max_haze_fraction:
        return f"hazy on {d}: {state.vis.haze_fraction:.0%} of contrast lost"
    half_px = 0.5 * p.length_m / state.obs.gsd_m * state.reg.scale()
    why = state.vis.obscured_near(p.x_px, p.y_px, max(half_px, 8.0))
    return None if why is None else f"{why} on {d}"


@dataclass(frozen=True, slots=True)
class _Seen:
    """A vehicle of date ``k`` that date ``k`` saw, to be compared with a later date."""

    k: int
    p: Placed


def _stay_tolerance_m(a: DateState, b: DateState, opt: TrackOptions) -> float:
    residuals = [opt.unmeasured_residual_m if r.residual_m is None else r.residual_m
                 for r in (a.reg, b.reg)]
    loc = opt.localisation_sigma_m
    return max(opt.stay_tolerance_m, 3.0 * math.hypot(*residuals, loc, loc))


class _Sight:
    """Memo of :func:`unseen_reason` per (date, vehicle date, vehicle index)."""

    def __init__(self, states: Sequence[DateState], opt: TrackOptions) -> None:
        self._states, self._opt = states, opt
        self._memo: dict[tuple[int, int, int], str | None] = {}

    def why(self, k: int, owner: int, p: Placed) -> str | None:
        key = (k, owner, p.index)
        if key not in self._memo:
            self._memo[key] = unseen_reason(self._states[k], p, self._opt)
        return self._memo[key]

    def last_seeing(self, before: int, owner: int, p: Placed) -> int | None:
        """The latest date index ``< before`` that shows where ``p`` stands."""
        for k in range(before - 1, -1, -1):
            if self.why(k, owner, p) is None:
                return k
        return None


def compare_dates(states: Sequence[DateState], reference: Observation,
                  zones: Sequence[tuple[str, Polygon]],
                  opt: TrackOptions) -> tuple[list[Event], list[Unseen]]:
    """Events and unseen vehicles of every date against the dates before it, place by place.

    For date ``k`` the earlier side holds, for each place, the vehicles of the last date
    before ``k`` that saw that place (and only where that date saw it); the later side the
    vehicles of date ``k`` at places it saw. Both are matched as in
    :func:`sitewatch.track.matching.match`.
    """
    sight = _Sight(states, opt)
    events: list[Event] = []
    unseen: list[Unseen] = []
    for k in range(1, len(states)):
        ev, un = _compare_one(states, k, sight, reference, zones, opt)
        events += ev
        unseen += un
    return events, unseen


def _compare_one(states: Sequence[DateState], k: int, sight: _Sight, reference: Observation,
                 zones: Sequence[tuple[str, Polygon]],
                 opt: TrackOptions) -> tuple[list[Event], list[Unseen]]:
    b = states[k]
    site, d1 = reference.site, b.obs.date
    unseen: list[Unseen] = []

    def record(s: _Seen, on: int, reason: str, date_to: int) -> Unseen:
        p = s.p
        return Unseen(site=site, date_from=states[s.k].obs.date, date_to=states[date_to].obs.date,
                      unseen_on=states[on].obs.date, reason=reason, label=p.label,
                      zone=zone_of(p.x_px, p.y_px, zones), x_px=p.x_px, y_px=p.y_px,
                      lonlat=lonlat_of(reference, p.x_px, p.y_px), confidence=p.score)

    before: list[_Seen] = []
    for j in range(k):
        for p in states[j].placed:
            if sight.why(j, j, p) is not None or sight.last_seeing(k, j, p) != j:
                continue  # its own date did not see it, or a later date saw its place since
            why = sight.why(k, j, p)
            if why is None:
                before.append(_Seen(j, p))
            else:
                unseen.append(record(_Seen(j, p), k, why, k))
    after: list[_Seen] = []
    for q in b.placed:
        if sight.why(k, k, q) is not None:
            continue  # detected where its own date is judged blind: no claim either way
        last = sight.last_seeing(k, k, q)
        if last is None:
            why = sight.why(k - 1, k, q) or "not seen on any earlier date"
            unseen.append(Unseen(site=site, date_from=states[k - 1].obs.date, date_to=d1,
                                 unseen_on=states[k - 1].obs.date, reason=why, label=q.label,
                                 zone=zone_of(q.x_px, q.y_px, zones), x_px=q.x_px, y_px=q.y_px,
                                 lonlat=lonlat_of(reference, q.x_px, q.y_px),
                                 confidence=q.score))
        else:
            after.append(_Seen(last, q))
    events, split = _events(states, before, after, k, sight, reference, zones, opt)
    return events, unseen + split


def _events(states: Sequence[DateState], before: Sequence[_Seen], after: Sequence[_Seen],
            k: int, sight: _Sight, reference: Observation, zones: Sequence[tuple[str, Polygon]],
            opt: TrackOptions) -> tuple[list[Event], list[Unseen]]:
    """Events of date ``k`` from its vehicles (``after``) matched with those of the dates
    that last saw their places (``before``), and the matched vehicles no one earlier date
    saw at both ends (see :func:`_one_earlier_date`)."""
    b = states[k]
    stay_by_k = {s.k: _stay_tolerance_m(states[s.k], b, opt) for s in [*before, *after]}
    widest = max(stay_by_k.values(), default=opt.stay_tolerance_m)
    costs = MatchCosts(max_move_m=max(opt.max_move_m, 2.0 * widest), label_cost=opt.label_cost,
                       size_cost=opt.size_cost, heading_cost=opt.heading_cost)
    m = match([s.p for s in before], [s.p for s in after], costs)
    site, d1 = reference.site, b.obs.date

    def event(kind: EventKind, k: int, p: Placed, conf: float, **extra: float) -> Event:
        return Event(site=site, date_from=states[k].obs.date, date_to=d1, kind=kind,
                     label=p.label, zone=zone_of(p.x_px, p.y_px, zones), x_px=p.x_px,
                     y_px=p.y_px, lonlat=lonlat_of(reference, p.x_px, p.y_px), confidence=conf,
                     **extra)

    out: list[Event] = []
    unseen: list[Unseen] = []
    unmatched_before, unmatched_after = list(m.unmatched_before), list(m.unmatched_after)
    for i, j in m.pairs:
        sp, q = before[i], after[j].p
        a, p = states[sp.k], sp.p
        why = _one_earlier_date(sp, after[j], k, sight)
        if why is not None:
            unseen.append(Unseen(site=site, date_from=a.obs.date, date_to=d1,
                                 unseen_on=a.obs.date, reason=why, label=q.label,
                                 zone=zone_of(q.x_px, q.y_px, zones), x_px=q.x_px, y_px=q.y_px,
                                 lonlat=lonlat_of(reference, q.x_px, q.y_px),
                                 confidence=min(p.score, q.score)))
            continue
        stay_m = stay_by_k[sp.k]
        dist = math.hypot(p.x_m - q.x_m, p.y_m - q.y_m)
        if dist > stay_m and (_unchanged(a, b, p, opt) or _unchanged(b, a, q, opt)
                              or _looks_different(a, p, b, q, opt)):
            # not a move: one of the two stands where it stood (the detector missed it once),
            # or the two do not look like one vehicle (one left, another came)
            unmatched_before.append(i)
            unmatched_after.append(j)
            continue
        kind = EventKind.STAYED if dist <= stay_m else EventKind.MOVED
        out.append(event(kind, sp.k, q, min(p.score, q.score), from_x_px=p.x_px,
                         from_y_px=p.y_px, distance_m=dist))
    # one whose pixels did not change was missed by the detector on the other date: stayed
    for i in unmatched_before:
        sp = before[i]
        same = _unchanged(states[sp.k], b, sp.p, opt)
        out.append(event(EventKind.STAYED, sp.k, sp.p, sp.p.score * 0.5, distance_m=0.0)
                   if same else event(EventKind.DEPARTED, sp.k, sp.p, sp.p.score))
    for j in unmatched_after:
        sq = after[j]
        same = _unchanged(b, states[sq.k], sq.p, opt)
        out.append(event(EventKind.STAYED, sq.k, sq.p, sq.p.score * 0.5, distance_m=0.0)
                   if same else event(EventKind.ARRIVED, sq.k, sq.p, sq.p.score))
    return out, unseen


def _one_earlier_date(sp: _Seen, sq: _Seen, k: int, sight: _Sight) -> str | None:
    """Why no one earlier date shows both ends of a matched pair, or ``None`` when the date
    that last saw the earlier vehicle (``sp.k``) also shows where the later one stands.

    The two sides of a pair may have been compared with different dates (each place with the
    last date that saw it). A move or stay is claimed between one earlier date and date
    ``k``, so that date must show both places; when the later vehicle's place was hidden on
    it (under cloud, say, while the vehicle's old place was clear), the pair is left unclaimed
    rather than dated from a day that could not see where the vehicle now stands.
    """
    if sp.k == sq.k:
        return None
    return sight.why(sp.k, k, sq.p)


def _unchanged(seen: DateState, other: DateState, p: Placed, opt: TrackOptions) -> bool:
    """Whether the pixels around a vehicle seen on one date look the same on the other."""
    if opt.same_patch_correlation >= 1.0 or seen.vis is None or other.vis is None:
        return False
    half_px = 0.5 * p.width_m / seen.obs.gsd_m * seen.reg.scale()  # the body, not the row
    score = seen.vis.same_content(other.vis, p.x_px, p.y_px, half_px)
    return score is not None and score >= opt.same_patch_correlation


def _looks_different(a: DateState, p: Placed, b: DateState, q: Placed,
                     opt: TrackOptions) -> bool:
    """Whether the vehicle seen at ``p`` on one date and at ``q`` on the next look unlike
    (normalised correlation of their aligned pixels, either way round, below the bar).

    A box nearly as wide as long says little about which way the vehicle points, so the
    second chip is then also tried a quarter turn either way.
    """
    if opt.move_correlation <= -1.0 or a.vis is None or b.vis is None:
        return False
    length_px = max(p.length_m, q.length_m) / a.obs.gsd_m * a.reg.scale()
    width_px = max(p.width_m, q.width_m) / a.obs.gsd_m * a.reg.scale()
    first = a.vis.chip(p.x_px, p.y_px, p.heading_rad, length_px, width_px)
    if first is None:
        return False
    turns = ((0.0, math.pi) if headings_comparable(p, q)
             else (0.0, math.pi / 2, math.pi, 1.5 * math.pi))
    best = None
    for turn in turns:
        second = b.vis.chip(q.x_px, q.y_px, q.heading_rad + turn, length_px, width_px)
        score = None if second is None else zncc(first, second)
        if score is not None:
            best = score if best is None else max(best, score)
    return best is not None and best < opt.move_correlation


def _seen_mask(state: DateState, shape: tuple[int, int], scale: float,
               opt: TrackOptions) -> np.ndarray:
    """Where ``state``'s date can show the smallest vehicle, on a grid of ``scale`` cells per
    reference px."""
    if opt.smallest_vehicle_m / state.obs.gsd_m < opt.min_px_per_vehicle:
        return np.zeros(shape, bool)
    vis = state.vis
    if vis is not None:
        if vis.haze_fraction > opt.max_haze_fraction:
            return np.zeros(shape, bool)
        if vis.seen.shape == shape:
            return vis.seen
    return _fill(state.footprint, shape, scale)


def _fill(area: Polygon, shape: tuple[int, int], scale: float) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    for poly in getattr(area, "geoms", [area]):
        if isinstance(poly, Polygon) and not poly.is_empty:
            pts = np.asarray(poly.exterior.coords, float) * scale
            cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def pair_summaries(states: Sequence[DateState], areas: Sequence[tuple[str | None, Polygon]],
                   opt: TrackOptions) -> list[PairSummary]:
    """Per pair of consecutive dates and area, the share observable on both dates and the
    share compared with some earlier date."""
    if len(states) < 2:
        return []
    vis = next((s.vis for s in states if s.vis is not None), None)
    ref = states[0].obs
    if vis is not None:
        shape, scale = vis.cloud.shape, vis.scale
    else:
        scale = min(1.0, _SHARE_GRID_PX / max(ref.width_px, ref.height_px))
        shape = (max(1, round(ref.height_px * scale)), max(1, round(ref.width_px * scale)))
    seen = [_seen_mask(s, shape, scale, opt) for s in states]
    out = []
    for name, area in areas:
        zone = _fill(area, shape, scale)
        total = int(zone.sum())
        ever = np.zeros(shape, bool)
        for k in range(1, len(states)):
            ever |= seen[k - 1]
            both = int((zone & seen[k - 1] & seen[k]).sum())
            compared = int((zone & ever & seen[k]).sum())
            out.append(PairSummary(
                site=ref.site, date_from=states[k - 1].obs.date, date_to=states[k].obs.date,
                zone=name, observable_share=both / total if total else 0.0,
                compared_share=compared / total if total else 0.0))
    return out
