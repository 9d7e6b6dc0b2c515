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
