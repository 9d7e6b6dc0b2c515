"""Untrusted text made safe: CSV cells, terminal lines and KML markup."""

from __future__ import annotations

import doctest
import html
import unicodedata
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

import sitewatch.untrusted as untrusted
from sitewatch.untrusted import csv_cell, markup_text, printable


def test_doctests() -> None:
    assert doctest.testmod(untrusted).failed == 0


def test_formula_cells_are_neutralised_and_numbers_kept() -> None:
    for attack in ("=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3+cmd|'x'!A1",
                   "@SUM(1)", "\t=1", "\r=1", "\n=1"):
        assert csv_cell(attack) == "'" + attack
    for number in (-3, -0.25, "-12.5", "+4", "-1e3", 7, "plain"):
        assert csv_cell(number) == str(number)


@settings(deadline=None, max_examples=300)
@given(st.text())
def test_no_cell_can_start_a_formula(text: str) -> None:
    cell = csv_cell(text)
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        float(cell)  # only a plain number may start so


@settings(deadline=None, max_examples=300)
@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert len(shown) == len(text)
    assert not any(unicodedata.category(ch) == "Cc" for ch in shown)
    assert "\u202e" not in shown


@settings(deadline=None, max_examples=300)
@given(st.text())
def test_markup_parses_to_escaped_html_only(text: str) -> None:
    parsed = ET.fromstring(f"<description>{markup_text(text)}</description>").text or ""
    assert "<" not in parsed and ">" not in parsed  # nothing a viewer could render as a tag
    assert html.unescape(parsed) == printable(text)
