from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["sitewatch.imagery.tiles", "sitewatch.imagery.georef", "sitewatch.imagery.scale",
     "sitewatch.imagery.sniff", "sitewatch.imagery.rectify",
     "sitewatch.detect.obb", "sitewatch.detect.gsd"],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
