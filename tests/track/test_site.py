from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from sitewatch.errors import TrackError
from sitewatch.track import (
    LOADED_TRANSPORTER,
    Count,
    EventKind,
    TrackOptions,
    Zone,
    ZoneFrame,
    register_by_metadata,
)
from sitewatch.track import track_site as _track_site
from tests.track.planted import AFV, TRUCK, det, obs


def track_site(observations, *, options=None, **kw):  # type: ignore[no-untyped-def]
    """Planted detections: no pixels to read, so register by metadata, measure no cloud."""
    options = options or TrackOptions()
    from dataclasses import replace

    kw.setdefault("registrar", register_by_metadata)
    return _track_site(observations, options=replace(options, measure_visibility=False), **kw)


def kinds(track, kind):  # type: ignore[no-untyped-def]
    return [e for e in track.events if e.kind is kind]


def test_arrived_departed_stayed_moved_between_three_dates() -> None:
    d1 = obs(10, [det(100, 100)])
    d2 = obs(21, [det(100, 101), det(300, 300), det(400, 300), det(500, 100)])
    d3 = obs(28, [det(100, 100), det(330, 300)])
    track = track_site([d3, d1, d2])
    assert track.dates == (dt.date(2014, 8, 10), dt.date(2014, 8, 21), dt.date(2014, 8, 28))
    first = [e for e in track.events if e.date_from == dt.date(2014, 8, 10)]
    assert sorted(e.kind.value for e in first) == ["arrived", "arrived", "arrived", "stayed"]
    second = [e for e in track.events if e.date_from == dt.date(2014, 8, 21)]
    by_kind = {k: [e for e in second if e.kind is k] for k in EventKind}
    assert len(by_kind[EventKind.STAYED]) == 1
    (moved,) = by_kind[EventKind.MOVED]
    assert (moved.from_x_px, moved.x_px) == (300, 330)
    assert moved.distance_m == pytest.approx(9.0)
    assert {(e.x_px, e.y_px) for e in by_kind[EventKind.DEPARTED]} == {(400, 300), (500, 100)}
    assert by_kind[EventKind.ARRIVED] == []
    assert track.count(dt.date(2014, 8, 21), AFV.value).n == 4
    per_zone = track.event_counts()
    assert per_zone[(None, dt.date(2014, 8, 10), dt.date(2014, 8, 21), "arrived", AFV.value)] == 3
    assert track.count(dt.date(2014, 8, 28), AFV.value).n == 2


def test_far_move_reads_as_departure_and_arrival() -> None:
    track = track_site([obs(10, [det(100, 100)]), obs(11, [det(100, 400)])])  # 90 m away
    assert sorted(e.kind.value for e in track.events) == ["arrived", "departed"]


def test_label_and_heading_steer_the_assignment() -> None:
    # two vehicles side by side; on date 2 they are equally near, labels decide
    a = obs(10, [det(100, 100, AFV), det(130, 100, TRUCK, length=40, width=10)])
    b = obs(11, [det(131, 100, AFV), det(99, 100, TRUCK, length=40, width=10)])
    track = track_site([a, b], options=TrackOptions(label_cost=2.0))
    moved = kinds(track, EventKind.MOVED)
    assert {(e.label, e.from_x_px) for e in moved} == {("armored_vehicle", 100),
                                                       ("military_truck", 130)}


def test_georeference_puts_shifted_pixels_on_the_same_ground() -> None:
    t1 = (0.3, 0.0, 500000.0, 0.0, -0.3, 5300000.0)
    t2 = (0.3, 0.0, 500000.0 + 15.0, 0.0, -0.3, 5300000.0 - 6.0)  # image 2 starts 50 px right
    a = obs(10, [det(200, 200)], transform=t1)
    b = obs(11, [det(150, 180)], transform=t2)
    track = track_site([a, b])
    (e,) = track.events
    assert e.kind is EventKind.STAYED
    assert (e.x_px, e.y_px) == pytest.approx((200, 200))
    assert e.lonlat is not None
    assert 38.0 < e.lonlat.lon_deg < 40.0 and 47.0 < e.lonlat.lat_deg < 48.0


def test_uncovered_zone_is_not_observable_never_zero() -> None:
    inside = Zone(name="parking", exterior=((10, 10), (200, 10), (200, 200), (10, 200)),
                  frame=ZoneFrame.PIXEL)
    outside = Zone(name="rail ramp", exterior=((600, 600), (900, 600), (900, 900), (600, 900)),
                   frame=ZoneFrame.PIXEL)
    track = track_site([obs(10, [det(100, 100)])], zones=[inside, outside])
    d = dt.date(2014, 8, 10)
    parking = track.count(d, AFV.value, "parking")
    assert parking.observable and parking.n == 1
    ramp = track.count(d, AFV.value, "rail ramp")
    assert not ramp.observable and ramp.n is None and "not covered" in ramp.reason
    assert ramp.interval_lo is None and ramp.estimate is None and ramp.precision is None


def test_coarse_imagery_is_not_observable() -> None:
    track = track_site([obs(10, [det(10, 10, length=3, width=2)], gsd_m=1.0)])
    c = track.count(dt.date(2014, 8, 10), AFV.value)
    assert not c.observable and c.reason.startswith("too coarse")


def test_departure_outside_the_later_footprint_is_not_reported() -> None:
    # date 2 image is smaller: the vehicle at x=500 is outside it
    track = track_site([obs(10, [det(500, 100), det(50, 50)]), obs(11, [det(50, 50)], size=300)])
    assert [e.kind for e in track.events] == [EventKind.STAYED]


def test_loaded_transporter_counted_and_reported() -> None:
    truck = det(200, 200, TRUCK, length=60, width=12, angle=0.3)
    tank = det(205, 201, AFV, length=24, width=11, angle=0.35)
    beside = det(300, 300, AFV)
    track = track_site([obs(10, [truck, tank, beside])])
    assert track.count(dt.date(2014, 8, 10), LOADED_TRANSPORTER).n == 1
    (loaded,) = kinds(track, EventKind.LOADED)
    assert loaded.label == LOADED_TRANSPORTER and loaded.date_from == loaded.date_to


def test_crossed_tank_on_truck_is_not_loaded() -> None:
    truck = det(200, 200, TRUCK, length=60, width=12, angle=0.0)
    tank = det(200, 200, AFV, length=12, width=11, angle=math.pi / 2)
    track = track_site([obs(10, [truck, tank])],
                       options=TrackOptions(loaded_max_angle_rad=0.2))
    # a near-square box has no reliable axis: it is judged by its declared long axis
    assert track.count(dt.date(2014, 8, 10), LOADED_TRANSPORTER).n == 0


def test_a_vehicle_the_analyst_marked_loaded_counts_as_loaded() -> None:
    # the crossed pair of the test above, but an analyst saw the tank on the trailer
    truck = det(200, 200, TRUCK, length=60, width=12, angle=0.0)
    tank = dataclasses.replace(det(200, 200, AFV, length=12, width=11, angle=math.pi / 2),
                               marked_loaded=True)
    alone = det(400, 400, AFV)
    track = track_site([obs(10, [truck, tank, alone])],
                       options=TrackOptions(loaded_max_angle_rad=0.2))
    assert track.count(dt.date(2014, 8, 10), LOADED_TRANSPORTER).n == 1
    (loaded,) = kinds(track, EventKind.LOADED)
    assert (loaded.x_px, loaded.y_px) == pytest.approx((200, 200), abs=1)


def test_rejects_mixed_sites_and_duplicate_dates() -> None:
    with pytest.raises(TrackError, match="mix sites"):
        track_site([obs(10, []), obs(11, [], site="other")])
    with pytest.raises(TrackError, match="several images on 2014-08-10"):
        track_site([obs(10, []), obs(10, [])])
    with pytest.raises(TrackError, match="no observations"):
        track_site([])


def test_dates_in_different_crs_are_carried_through_wgs84() -> None:
    from pyproj import Transformer

    from sitewatch.track import register_by_metadata as reg_meta

    t1 = (0.3, 0.0, 500000.0, 0.0, -0.3, 5300000.0)  # UTM 37N
    # the same ground in UTM 38N (EPSG:32638)
    lon, lat = Transformer.from_crs(32637, 4326, always_xy=True).transform(500000.0, 5300000.0)
    e, n = Transformer.from_crs(4326, 32638, always_xy=True).transform(lon, lat)
    a = obs(10, [det(200, 200)], transform=t1)
    b = obs(11, [det(200, 200)], transform=(0.3, 0.0, e, 0.0, -0.3, n))
    b = dataclasses.replace(b, crs_wkt="EPSG:32638")
    reg = reg_meta(b, a)
    ((x, y),) = reg.to_reference([0.0], [0.0]).tolist()
    assert abs(x) < 0.5 and abs(y) < 0.5  # origin maps onto origin (grid convergence turns it)
    assert reg.residual_m is None


def test_a_date_that_fails_directly_is_chained_through_its_neighbour() -> None:
    from sitewatch.errors import RegistrationError
    from sitewatch.imagery.registration import Registration, RegistrationMethod

    shifts = {10: 0.0, 11: 5.0, 12: 12.0}  # date 12 only registers onto date 11

    def registrar(o, ref):  # type: ignore[no-untyped-def]
        if o.date == ref.date:
            return register_by_metadata(o, ref)
        if o.date.day == 12 and ref.date.day == 10:
            raise RegistrationError("too different")
        dx = shifts[o.date.day] - shifts[ref.date.day]
        return Registration(date=o.date, reference_date=ref.date,
                            matrix=(1, 0, dx, 0, 1, 0, 0, 0, 1), residual_m=0.3,
                            method=RegistrationMethod.FEATURES)

    observations = [obs(d, [det(100 - s, 100)]) for d, s in shifts.items()]
    track = track_site(observations, registrar=registrar)
    assert track.refused == ()
    last = track.registrations[-1]
    assert last.matrix[2] == 12.0 and last.residual_m == pytest.approx(0.3 * 2**0.5)
    assert [e.kind for e in track.events] == [EventKind.STAYED, EventKind.STAYED]


def test_count_intervals_use_the_rates_of_their_label() -> None:
    rates = TrackOptions(rates_by_label=(("armored_vehicle", 1.0, 1.0),))
    track = track_site([obs(10, [det(100, 100), det(200, 100, TRUCK, length=40, width=10)])],
                       options=rates)
    afv = track.count(dt.date(2014, 8, 10), AFV.value)
    truck = track.count(dt.date(2014, 8, 10), TRUCK.value)
    assert (afv.interval_lo, afv.estimate, afv.interval_hi) == (1, 1.0, 1)
    assert (afv.precision, afv.recall) == (1.0, 1.0)
    assert truck.interval_hi is not None and truck.interval_hi > 1
    # the placeholders 0.9 and 0.8: one truck detected is an estimated 1.125 trucks
    assert (truck.n, truck.precision, truck.recall) == (1, 0.9, 0.8)
    assert truck.estimate == pytest.approx(1.125)


def test_every_observable_count_holds_its_estimate_in_its_interval() -> None:
    many = [det(20 + 30 * (k % 20), 20 + 30 * (k // 20)) for k in range(300)]
    track = track_site([obs(10, many), obs(11, many[:120])],
                       options=TrackOptions(detector_precision=0.7, detector_recall=0.95))
    for count in track.counts:
        assert count.observable
        assert count.interval_lo is not None and count.estimate is not None
        assert count.interval_hi is not None
        assert 0 <= count.interval_lo <= count.estimate <= count.interval_hi
    # 300 detections at precision 0.7 and recall 0.95: the true number is fewer, about 221
    first = track.count(dt.date(2014, 8, 10), AFV.value)
    assert first.n == 300 and round(first.estimate or 0) == 221
    assert first.interval_hi is not None and first.interval_hi < 300


def test_a_count_outside_its_interval_or_unseen_with_figures_cannot_be_made() -> None:
    made = dict(site="s", date=dt.date(2014, 8, 10), label=AFV.value, zone=None)
    with pytest.raises(TrackError, match="outside its interval 233-324"):
        Count(**made, n=355, observable=True, reason="", estimate=355.0, interval_lo=233,
              interval_hi=324, interval_level=0.9, precision=1.0, recall=1.0)
    with pytest.raises(TrackError, match="not observable, so it has no estimate"):
        Count(**made, n=None, observable=False, reason="clouded", estimate=1.0)
    with pytest.raises(TrackError, match="needs its estimate"):
        Count(**made, n=3, observable=True, reason="", interval_lo=2, interval_hi=5)


#: How a case says its detector cannot count loaded transporters (``TrackOptions``).
UNMEASURED = ("not measurable by the detector: its loading rule found 0 of 32 on generated "
              "series; analyst marks only")


def test_an_unmeasured_loaded_count_carries_only_the_analysts_marks() -> None:
    from sitewatch.track import AlertRule

    truck = det(200, 200, TRUCK, length=60, width=12, angle=0.3)
    tank = det(205, 201, AFV, length=24, width=11, angle=0.35)  # the loading rule pairs these
    marked = dataclasses.replace(det(400, 400, AFV), marked_loaded=True)
    options = TrackOptions(loaded_unmeasured=UNMEASURED)
    alerts = (AlertRule(zone=None, label=LOADED_TRANSPORTER, more_than=0),
              AlertRule(zone=None, label=LOADED_TRANSPORTER, fewer_than=2))
    track = track_site([obs(10, [truck, tank, marked])], options=options, alerts=alerts)
    c = track.count(dt.date(2014, 8, 10), LOADED_TRANSPORTER)
    assert c.observable and c.unmeasured == UNMEASURED and c.marked == 1
    # no figure of the detector's: no detections, estimate, interval or rates (never 0-1)
    assert (c.n, c.estimate, c.interval_lo, c.interval_hi, c.precision, c.recall) == (None,) * 6
    assert c.reason.startswith("not measurable by the detector, analyst marks only: analyst "
                               "marked 1; observable")
    (loaded,) = kinds(track, EventKind.LOADED)  # the analyst's mark, not the rule's pair
    assert (loaded.x_px, loaded.y_px) == pytest.approx((400, 400), abs=1)
    # the marks are a floor: "more than 0" holds, "fewer than 2" cannot be claimed
    assert [a.message for a in track.alerts] == [
        "2014-08-10: analyst marked 1 loaded_transporter in the whole site, more than 0"]
    # the other labels keep their three figures
    assert track.count(dt.date(2014, 8, 10), AFV.value).n == 2
    none = track_site([obs(10, [truck, tank])], options=options, alerts=alerts)
    c = none.count(dt.date(2014, 8, 10), LOADED_TRANSPORTER)
    assert (c.n, c.marked, c.estimate) == (None, 0, None) and "none marked" in c.reason
    assert not kinds(none, EventKind.LOADED) and not none.alerts


def test_an_unmeasured_count_with_figures_cannot_be_made() -> None:
    made = dict(site="s", date=dt.date(2014, 8, 10), label=LOADED_TRANSPORTER, zone=None,
                reason="", unmeasured=UNMEASURED)
    with pytest.raises(TrackError, match="has no detections, estimate, interval or rates"):
        Count(**made, n=0, observable=True, marked=0)
    with pytest.raises(TrackError, match="has no detections, estimate, interval or rates"):
        Count(**made, n=None, observable=True, marked=0, interval_lo=0, interval_hi=1)
    with pytest.raises(TrackError, match="number of vehicles an analyst marked"):
        Count(**made, n=None, observable=True)
    with pytest.raises(TrackError, match="only a count the detector cannot measure"):
        Count(site="s", date=dt.date(2014, 8, 10), label=LOADED_TRANSPORTER, zone=None, n=None,
              observable=False, reason="clouded", marked=2)
