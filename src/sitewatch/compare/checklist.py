"""Feature checklists: which variants, operated by whom, fit what the analyst sees.

The analyst marks each distinguishing feature as seen, absent or not visible. A variant stays
consistent unless a mark contradicts what the variant is recorded to have: a feature *seen*
that the variant lacks, or a feature marked *absent* that the variant always has. Features
that vary between vehicles of a variant, or whose state is unknown, never exclude it but are
listed, so the analyst sees what the verdict rests on. The tables ship as TOML in
``checklists/`` with a source (and a confidence) for every feature and operator.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

from sitewatch.errors import ConfigError

FAMILY_FILES: dict[str, str] = {"T-64": "t64.toml", "T-72": "t72.toml", "T-80": "t80.toml"}


class FeatureMark(StrEnum):
    """What the analyst records for one feature in one photo."""

    SEEN = "seen"
    ABSENT = "absent"
    NOT_VISIBLE = "not_visible"


class FeatureState(StrEnum):
    """What a reference work records for one feature on one variant."""

    PRESENT = "present"
    ABSENT = "absent"
    VARIES = "varies"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Feature:
    """A distinguishing feature with how to spot it and where it is documented."""

    id: str
    name: str
    look_for: str
    sources: tuple[str, ...]
    confidence: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Operator:
    """An army recorded as operating a variant."""

    army: str
    status: str
    sources: tuple[str, ...]
    confidence: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """One variant and the state of each feature on it."""

    name: str
    family: str
    note: str
    states: tuple[tuple[str, FeatureState], ...]
    operators: tuple[Operator, ...]
    sources: tuple[str, ...]

    def state(self, feature_id: str) -> FeatureState:
        """Recorded state of a feature; unknown when the table does not say."""
        return dict(self.states).get(feature_id, FeatureState.UNKNOWN)


@dataclass(frozen=True, slots=True, kw_only=True)
class Checklist:
    """Features, variants and the bibliography they cite."""

    features: tuple[Feature, ...]
    variants: tuple[Variant, ...]
    sources: tuple[tuple[str, str], ...]

    def feature(self, feature_id: str) -> Feature:
        """Look a feature up; raise a :class:`ConfigError` listing the valid ids."""
        for feature in self.features:
            if feature.id == feature_id:
                return feature
        valid = ", ".join(f.id for f in self.features)
        raise ConfigError(f"unknown feature {feature_id!r}; valid features: {valid}")


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantVerdict:
    """Whether one variant fits the marks, and on which marks that rests."""

    variant: Variant
    consistent: bool
    conflicts: tuple[str, ...]
    supporting: tuple[str, ...]
    uncertain: tuple[str, ...]

    def to_dict(self, checklist: Checklist) -> dict[str, object]:
        """JSON-ready dictionary with operators and full source titles."""
        titles = dict(checklist.sources)
        return {
            "variant": self.variant.name,
            "family": self.variant.family,
            "consistent": self.consistent,
            "conflicts": list(self.conflicts),
            "supporting": list(self.supporting),
            "uncertain": list(self.uncertain),
            "operators": [
                {"army": o.army, "status": o.status, "confidence": o.confidence,
                 "sources": [titles[s] for s in o.sources]}
                for o in self.variant.operators
            ],
            "sources": [titles[s] for s in self.variant.sources],
        }


def _read(name: str) -> dict[str, Any]:
    text = (resources.files("sitewatch.compare") / "checklists" / name).read_text("utf-8")
    return tomllib.loads(text)


def _strict(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed {sorted(allowed)}")


def load_checklist(families: Iterable[str] | None = None) -> Checklist:
    """Load the shared features and the variant tables of ``families`` (default: all).

    Raises:
        ConfigError: an unknown family, or a table naming an unknown feature, state or source.
    """
    chosen = list(families) if families is not None else list(FAMILY_FILES)
    for family in chosen:
        if family not in FAMILY_FILES:
            raise ConfigError(f"no checklist for {family!r}; valid: {', '.join(FAMILY_FILES)}")
    shared = _read("features.toml")
    sources = tuple((k, str(v)) for k, v in shared["sources"].items())
    source_ids = {k for k, _ in sources}
    features = []
    for feature_id, body in shared["features"].items():
        _strict(body, {"name", "look_for", "sources", "confidence"}, f"feature {feature_id}")
        features.append(Feature(id=feature_id, name=body["name"], look_for=body["look_for"],
                                sources=_cited(body["sources"], source_ids, feature_id),
                                confidence=body["confidence"]))
    feature_ids = {f.id for f in features}
    variants = [_variant(body, _read(FAMILY_FILES[family])["family"], feature_ids, source_ids)
                for family in chosen for body in _read(FAMILY_FILES[family])["variants"]]
    return Checklist(features=tuple(features), variants=tuple(variants), sources=sources)


def _cited(ids: list[str], known: set[str], where: str) -> tuple[str, ...]:
    missing = [i for i in ids if i not in known]
    if missing or not ids:
        raise ConfigError(f"{where}: needs sources from features.toml, got unknown {missing}")
    return tuple(ids)


def _variant(body: dict[str, Any], family: str, feature_ids: set[str],
             source_ids: set[str]) -> Variant:
    name = body["name"]
    _strict(body, {"name", "note", "sources", "features", "operators"}, f"variant {name}")
    states = []
    for feature_id, state in body["features"].items():
        if feature_id not in feature_ids:
            raise ConfigError(f"variant {name}: unknown feature {feature_id!r}")
        try:
            states.append((feature_id, FeatureState(state)))
        except ValueError:
            raise ConfigError(f"variant {name}: bad state {state!r} for {feature_id}") from None
    operators = []
    for op in body.get("operators", []):
        _strict(op, {"army", "status", "sources", "confidence"}, f"operator of {name}")
        operators.append(Operator(army=op["army"], status=op["status"],
                                  sources=_cited(op["sources"], source_ids, name),
                                  confidence=op["confidence"]))
    return Variant(name=name, family=family, note=body.get("note", ""), states=tuple(states),
                   operators=tuple(operators), sources=_cited(body["sources"], source_ids, name))


def parse_marks(items: Iterable[str], checklist: Checklist) -> dict[str, FeatureMark]:
    """Parse ``feature=seen|absent|not_visible`` strings, checking feature ids.

    Raises:
        ConfigError: a malformed item, an unknown feature or mark.
    """
    marks: dict[str, FeatureMark] = {}
    for item in items:
        feature_id, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"mark {item!r} must be FEATURE=seen|absent|not_visible")
        checklist.feature(feature_id.strip())
        try:
            marks[feature_id.strip()] = FeatureMark(value.strip())
        except ValueError:
            valid = ", ".join(m.value for m in FeatureMark)
            raise ConfigError(f"mark {item!r}: {value!r} is not one of {valid}") from None
    return marks


def assess_marks(
    checklist: Checklist, marks: Mapping[str, FeatureMark]
) -> tuple[VariantVerdict, ...]:
    """Every variant with its verdict; consistent ones first, then by fewest conflicts."""
    verdicts = []
    for variant in checklist.variants:
        conflicts, supporting, uncertain = [], [], []
        for feature_id, mark in marks.items():
            state = variant.state(feature_id)
            if mark is FeatureMark.NOT_VISIBLE:
                continue
            if state in (FeatureState.VARIES, FeatureState.UNKNOWN):
                uncertain.append(feature_id)
            elif (mark is FeatureMark.SEEN) == (state is FeatureState.PRESENT):
                supporting.append(feature_id)
            else:
                conflicts.append(feature_id)
        verdicts.append(VariantVerdict(variant=variant, consistent=not conflicts,
                                       conflicts=tuple(conflicts), supporting=tuple(supporting),
                                       uncertain=tuple(uncertain)))
    return tuple(sorted(verdicts, key=lambda v: (len(v.conflicts), -len(v.supporting))))
