"""The ``assessment.toml`` case file: strict reading with :mod:`tomllib`, and a small writer.

Format ``sitewatch-assessment/1``::

    format = "sitewatch-assessment/1"     # required
    title = "Origin of tanks"              # optional text
    illustrative = false                   # optional; true marks a sample, not a real product
    note = ""                              # optional text

    [[hypotheses]]                         # id, text
    id = "H1"
    text = "The tanks were captured from Ukrainian Army stocks"

    [[evidence]]                           # id, kind, description, source; ref, credibility,
    id = "E1"                              # relevance optional (weights in (0, 1], default 1)
    kind = "event"                         # event|count|link|comparison|document|other
    description = "Ten armoured vehicles arrive"
    source = "sitewatch track, scenes of 2014-06-11 and 2014-06-12"
    ref = "event:depot/2014-06-11..2014-06-12/arrived/armored_vehicle"  # scheme:value, see
                                           # sitewatch.assess.ids.REF_SCHEMES; the report prints
                                           # sitewatch's own figure for count:SITE/DATE/LABEL[/ZONE],
                                           # event:SITE/FROM..TO/KIND/LABEL and link:SIGHTING

    [[ratings]]                            # evidence, hypothesis, rating (CC|C|NA|I|II); note
    evidence = "E1"
    hypothesis = "H1"
    rating = "I"

    [[judgments]]                          # id, statement, likelihood, confidence;
    id = "J1"                              # basis, hypothesis optional
    statement = "The tanks came from the staging area"
    likelihood = "likely"                  # one of the seven ICD 203 terms
    confidence = "moderate"                # low|moderate|high
    basis = ["E1"]                         # evidence ids it rests on
    hypothesis = "H2"                      # the hypothesis the statement asserts

Unknown keys, missing keys and wrong types are rejected with the key, the entry and the file
named. The writer emits this layout (comments in a hand-edited file are not kept); it is ours,
so sitewatch needs no TOML-writing dependency.
"""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from sitewatch.assess.assessment import Assessment
from sitewatch.assess.hypotheses import Evidence, EvidenceKind, EvidenceRating, Hypothesis, Rating
from sitewatch.assess.judgments import Judgment
from sitewatch.assess.language import parse_confidence, parse_likelihood
from sitewatch.errors import AssessError

ASSESSMENT_FILENAME = "assessment.toml"
FORMAT = "sitewatch-assessment/1"
#: Larger files are refused before parsing: a real assessment is a few kilobytes.
MAX_FILE_BYTES = 4 * 1024 * 1024

# key -> (accepted python types, required)
_Schema = dict[str, tuple[tuple[type, ...], bool]]
_TOP: _Schema = {
    "format": ((str,), True),
    "title": ((str,), False),
    "illustrative": ((bool,), False),
    "note": ((str,), False),
    "hypotheses": ((list,), False),
    "evidence": ((list,), False),
    "ratings": ((list,), False),
    "judgments": ((list,), False),
}
_HYPOTHESIS: _Schema = {"id": ((str,), True), "text": ((str,), True)}
_EVIDENCE: _Schema = {
    "id": ((str,), True),
    "kind": ((str,), True),
    "description": ((str,), True),
    "source": ((str,), True),
    "ref": ((str,), False),
    "credibility": ((float, int), False),
    "relevance": ((float, int), False),
}
_RATING: _Schema = {
    "evidence": ((str,), True),
    "hypothesis": ((str,), True),
    "rating": ((str,), True),
    "note": ((str,), False),
}
_JUDGMENT: _Schema = {
    "id": ((str,), True),
    "statement": ((str,), True),
    "likelihood": ((str,), True),
    "confidence": ((str,), True),
    "basis": ((list,), False),
    "hypothesis": ((str,), False),
}


#: Sample assessments shipped with sitewatch: name -> file under ``sitewatch/assess/samples``.
SAMPLES: dict[str, str] = {"rostov": "rostov_assessment.toml"}


def load_sample(name: str) -> Assessment:
    """A sample assessment shipped with sitewatch (all are marked illustrative).

    Raises:
        AssessError: unknown name; the message lists the samples.
    """
    if name not in SAMPLES:
        raise AssessError(f"no sample assessment {name!r}; samples: {', '.join(SAMPLES)}", name=name)
    resource = resources.files("sitewatch.assess").joinpath("samples", SAMPLES[name])
    return loads_assessment(resource.read_text(encoding="utf-8"), source=f"sample {name!r}")


def assessment_path(case_dir: Path) -> Path:
    """Where a case folder keeps its assessment."""
    return Path(case_dir) / ASSESSMENT_FILENAME


def load_assessment(path: Path) -> Assessment:
    """Read and validate an ``assessment.toml``.

    Raises:
        AssessError: the file is missing, too large, not UTF-8 TOML, or breaks the format; the
            message names the file, the entry and the key.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AssessError(
                f"{path}: {size} bytes is more than the {MAX_FILE_BYTES}-byte limit for an "
                "assessment file; is it the right file?",
                path=str(path),
            )
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise AssessError(
            f"{path} does not exist; create it with 'sitewatch assess DIR add-hypothesis'",
            path=str(path),
        ) from None
    except UnicodeDecodeError as exc:
        raise AssessError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise AssessError(f"{path}: cannot read ({exc.strerror})", path=str(path)) from None
    return loads_assessment(text, source=str(path))


def loads_assessment(text: str, *, source: str = "<text>") -> Assessment:
    """Parse assessment TOML text; ``source`` names it in error messages.

    Raises:
        AssessError: see :func:`load_assessment`.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AssessError(f"{source}: not valid TOML: {exc}", path=source) from None
    except RecursionError:
        # tomllib recurses per nesting level; a hostile file can nest arrays 100 000 deep.
        raise AssessError(
            f"{source}: arrays or tables nested too deeply to be an assessment file",
            path=source,
        ) from None
    top = _fields(data, _TOP, "the top level", source)
    if top["format"] != FORMAT:
        raise AssessError(
            f"{source}: format {top['format']!r} is not supported; this sitewatch reads {FORMAT!r}",
            path=source,
        )
    try:
        return Assessment(
            title=top.get("title", ""),
            illustrative=top.get("illustrative", False),
            note=top.get("note", ""),
            hypotheses=_entries(top, "hypotheses", _HYPOTHESIS, _hypothesis, source),
            evidence=_entries(top, "evidence", _EVIDENCE, _evidence, source),
            ratings=_entries(top, "ratings", _RATING, _rating, source),
            judgments=_entries(top, "judgments", _JUDGMENT, _judgment, source),
        )
    except AssessError as exc:
        if exc.message.startswith(source):
            raise
        raise AssessError(f"{source}: {exc.message}", path=source, **exc.context) from None


def _fields(table: Any, schema: _Schema, where: str, source: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise AssessError(f"{source}: {where} must be a table", path=source)
    for key in table:
        if key not in schema:
            raise AssessError(
                f"{source}: unknown key {key!r} in {where}; valid keys: {', '.join(schema)}",
                path=source,
                key=key,
            )
    for key, (types, required) in schema.items():
        if key not in table:
            if required:
                raise AssessError(f"{source}: {where} lacks key {key!r}", path=source, key=key)
            continue
        value = table[key]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            expected = " or ".join(_TYPE_NAMES[t] for t in types)
            raise AssessError(
                f"{source}: key {key!r} in {where} must be {expected}, got {value!r}",
                path=source,
                key=key,
            )
    return table


_TYPE_NAMES = {
    str: "text",
    bool: "true/false",
    list: "an array",
    float: "a number",
    int: "a number",
}


def _entries(
    top: dict[str, Any],
    key: str,
    schema: _Schema,
    build: Callable[[dict[str, Any]], Any],
    source: str,
) -> tuple[Any, ...]:
    result = []
    for index, table in enumerate(top.get(key, []), start=1):
        where = f"[[{key}]] entry {index}"
        fields = _fields(table, schema, where, source)
        try:
            result.append(build(fields))
        except AssessError as exc:
            raise AssessError(f"{source}: {where}: {exc.message}", path=source, **exc.context) from None
    return tuple(result)


def _hypothesis(f: dict[str, Any]) -> Hypothesis:
    return Hypothesis(id=f["id"], text=f["text"])


def _evidence(f: dict[str, Any]) -> Evidence:
    return Evidence(
        id=f["id"],
        kind=EvidenceKind.parse(f["kind"]),
        description=f["description"],
        source=f["source"],
        ref=f.get("ref"),
        credibility=float(f.get("credibility", 1.0)),
        relevance=float(f.get("relevance", 1.0)),
    )


def _rating(f: dict[str, Any]) -> EvidenceRating:
    return EvidenceRating(
        evidence_id=f["evidence"],
        hypothesis_id=f["hypothesis"],
        rating=Rating.parse(f["rating"]),
        note=f.get("note", ""),
    )


def _judgment(f: dict[str, Any]) -> Judgment:
    basis = f.get("basis", [])
    if not all(isinstance(b, str) for b in basis):
        raise AssessError(f"basis {basis!r} must be an array of evidence ids (text)")
    return Judgment(
        id=f["id"],
        statement=f["statement"],
        likelihood=parse_likelihood(f["likelihood"]),
        confidence=parse_confidence(f["confidence"]),
        basis=tuple(basis),
        hypothesis=f.get("hypothesis"),
    )


def dumps_assessment(assessment: Assessment) -> str:
    """The assessment as TOML text in the layout this module reads.

    Raises:
        AssessError: text holds a lone surrogate, which UTF-8 cannot encode.
    """
    lines = [
        "# sitewatch assessment; edit by hand or with 'sitewatch assess DIR ...'.",
        f"format = {_str(FORMAT)}",
    ]
    if assessment.title:
        lines.append(f"title = {_str(assessment.title)}")
    lines.append(f"illustrative = {'true' if assessment.illustrative else 'false'}")
    if assessment.note:
        lines.append(f"note = {_str(assessment.note)}")
    for h in assessment.hypotheses:
        lines += ["", "[[hypotheses]]", f"id = {_str(h.id)}", f"text = {_str(h.text)}"]
    for e in assessment.evidence:
        lines += ["", "[[evidence]]", f"id = {_str(e.id)}", f"kind = {_str(e.kind.value)}"]
        lines += [f"description = {_str(e.description)}", f"source = {_str(e.source)}"]
        if e.ref is not None:
            lines.append(f"ref = {_str(e.ref)}")
        if e.credibility != 1.0:
            lines.append(f"credibility = {_float(e.credibility)}")
        if e.relevance != 1.0:
            lines.append(f"relevance = {_float(e.relevance)}")
    for r in assessment.ratings:
        lines += ["", "[[ratings]]", f"evidence = {_str(r.evidence_id)}"]
        lines += [f"hypothesis = {_str(r.hypothesis_id)}", f"rating = {_str(r.rating.value)}"]
        if r.note:
            lines.append(f"note = {_str(r.note)}")
    for j in assessment.judgments:
        lines += ["", "[[judgments]]", f"id = {_str(j.id)}", f"statement = {_str(j.statement)}"]
        lines += [f"likelihood = {_str(j.likelihood.value)}"]
        lines += [f"confidence = {_str(j.confidence.value)}"]
        lines.append("basis = [" + ", ".join(_str(b) for b in j.basis) + "]")
        if j.hypothesis is not None:
            lines.append(f"hypothesis = {_str(j.hypothesis)}")
    return "\n".join(lines) + "\n"


def save_assessment(assessment: Assessment, path: Path) -> None:
    """Write the assessment atomically: a crash leaves the old file or the new, never half.

    Raises:
        AssessError: the file cannot be written.
    """
    path = Path(path)
    data = dumps_assessment(assessment).encode("utf-8")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".assessment-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise AssessError(f"cannot write {path}: {exc.strerror}", path=str(path)) from None


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _str(text: str) -> str:
    """A TOML basic string.

    >>> _str('say "hi"\\n')
    '"say \\\\"hi\\\\"\\\\n"'
    """
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            raise AssessError(f"text {text!r} holds a lone surrogate and cannot be written")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise AssessError(f"weight {value!r} is not finite")
    return repr(float(value))
