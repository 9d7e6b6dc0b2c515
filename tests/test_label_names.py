"""The words every stage shows for a stored label: British, plural-aware, never the raw name."""

from __future__ import annotations

import doctest

from sitewatch import label_names
from sitewatch.detect import VehicleClass
from sitewatch.label_names import label_name


def test_doctests() -> None:
    assert doctest.testmod(label_names).failed == 0


def test_every_vehicle_class_has_words() -> None:
    for cls in VehicleClass:
        for n in (1, 2):
            words = label_name(cls.value, n)
            assert "_" not in words and "armored" not in words and words != cls.value
    assert label_name("armored_vehicle", 2) == "armoured vehicles"


def test_every_vehicle_class_has_one_colour_used_by_report_and_review() -> None:
    from sitewatch.report import figures, formats
    from sitewatch.review import views

    for cls in VehicleClass:
        assert cls.value in label_names.LABEL_COLOURS
    # One definition: the report draws with it, the review page shows it as CSS.
    assert figures.LABEL_COLOURS is label_names.LABEL_COLOURS
    assert formats.LABEL_COLOURS is label_names.LABEL_COLOURS
    for label, (r, g, b) in label_names.LABEL_COLOURS.items():
        assert views.LABEL_CSS[label] == f"#{r:02x}{g:02x}{b:02x}"
    assert len(set(label_names.LABEL_COLOURS.values())) == len(label_names.LABEL_COLOURS)
