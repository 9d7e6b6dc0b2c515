"""The report's count tables and plot: three figures per count, and what they mean."""

from __future__ import annotations

import datetime as dt

from sitewatch.report import SiteEvidence, render_report
from sitewatch.track import Count, SiteTrack, estimate_count

DAY = dt.date(2024, 6, 11)


def _count(label: str, n: int | None, precision: float = 0.332, recall: float = 0.61,
           zone: str | None = None) -> Count:
    if n is None:
        return Count(site="depot", date=DAY, label=label, zone=zone, n=None, observable=False,
                     reason="clouded: 80% under cloud")
    found = estimate_count(n, precision=precision, recall=recall)
    return Count(site="depot", date=DAY, label=label, zone=zone, n=n, observable=True,
                 reason="observable", estimate=found.estimate, interval_lo=found.lo,
                 interval_hi=found.hi, interval_level=found.level, precision=precision,
                 recall=recall)


def _html(counts: tuple[Count, ...]) -> str:
    track = SiteTrack(site="depot", reference_date=DAY, dates=(DAY,), counts=counts, events=(),
                      registrations=())
    return render_report("case", [SiteEvidence(site="depot", scenes=(), track=track)], [],
                         software={"sitewatch": "test"}, audit_head=None, manifest_sha256="0" * 64,
                         intervals_note="90% interval from precision 0.33 and recall 0.61 of "
                                        "model m, from a test")


def test_count_tables_show_detections_estimate_and_interval_with_their_meaning() -> None:
    # the depot's light vehicles: 156 detected at the measured per-label rates
    html = _html((_count("military_light_vehicle", 156),
                  _count("military_light_vehicle", 20, zone="north"),
                  _count("armored_vehicle", None, zone="north")))
    found = estimate_count(156, precision=0.332, recall=0.61)
    row = (f'<td class="num">156</td><td class="num">{found.estimate:.0f}</td>'
           f'<td>{found.lo}–{found.hi}</td><td class="num">0.33 / 0.61</td>')
    assert row in html
    assert ('<th class="num">estimated true number</th><th>90% interval</th>'
            '<th class="num">precision / recall</th>') in html
    assert "Each count is three figures, detected: boxes the detector found" in html
    assert "Rates: 90% interval from precision 0.33 and recall 0.61 of model m" in html
    assert "not observable: clouded" in html  # an unseen zone is a dash, never 0


def test_loaded_rows_the_detector_cannot_count_show_the_analysts_marks_and_no_interval() -> None:
    why = ("not measurable by the detector: the loading rule with model m found 0 of 32 (none "
           "reported) on generated series; analyst marks only")
    marked = Count(site="depot", date=DAY, label="loaded_transporter", zone=None, n=None,
                   observable=True, reason="not measurable by the detector, analyst marks only: "
                   "analyst marked 3; observable", unmeasured=why, marked=3)
    html = _html((_count("armored_vehicle", 10), marked))
    row = html[html.index("<td>loaded transporters</td>"):]
    row = row[:row.index("</tr>")]
    assert '<td class="num unobs">3 marked by an analyst</td><td class="num unobs">—</td>' in row
    assert '<td class="unobs">none</td>' in row and "analyst marked 3" in row
    assert f'class="meta loaded-note">Loaded transporters (an armoured vehicle standing on a ' \
           f"transporter) are {why}." in html
    # a loaded count at rates measured for it keeps its three figures and names them
    counted = _count("loaded_transporter", 2, precision=0.85, recall=0.9)
    html = _html((counted,))
    assert "loaded-note" in html and "use precision 0.85 and recall 0.90" in html
    assert "not measurable" not in html


def test_each_models_terms_and_limits_come_from_its_own_card() -> None:
    """The base checkpoint's card names no limits and its own data; a model by path has no card."""
    from sitewatch.catalog.records import RunRecord
    from sitewatch.detect import card_path_for, load_card
    from sitewatch.detect.registry import BASE_MODEL
    from sitewatch.report.html import _licences

    base = load_card(card_path_for(BASE_MODEL), verify=False)

    def run(name: str, sha256: str) -> RunRecord:
        return RunRecord(run_id=name, kind="detect", created_utc="2026-12-05T00:00:00+00:00",
                         model_name=name, model_sha256=sha256, params={}, software={})

    models = _licences([], [run(BASE_MODEL, base.onnx_sha256), run("mine", "b" * 64)])["models"]
    assert isinstance(models, list)
    by_name = {m["name"]: m for m in models}
    assert by_name[BASE_MODEL]["limits"] == []
    assert by_name[BASE_MODEL]["training_data"] == list(base.training_data)
    assert by_name["mine"] == {"name": "mine", "licence": "not recorded (no model card)",
                               "origin": "a model file given by path", "limits": [],
                               "training_data": []}
