from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["media", "keyframes", "vehicles", "gallery", "quicktime", "models"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"sitewatch.compare.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
