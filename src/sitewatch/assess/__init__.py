"""sitewatch.assess: competing hypotheses, evidence ratings and ICD 203 judgments.

* :mod:`~sitewatch.assess.language`: the ICD 203 likelihood terms, confidence levels and the
  parser that rejects undefined or mixed terms;
* :mod:`~sitewatch.assess.judgments`: :class:`Judgment`, a statement with both;
* :mod:`~sitewatch.assess.hypotheses`: Heuer's Analysis of Competing Hypotheses matrix with
  diagnosticity and inconsistency scores;
* :mod:`~sitewatch.assess.assessment`: one case's hypotheses, evidence, ratings and judgments;
* :mod:`~sitewatch.assess.casefile`: the strict ``assessment.toml`` file and its writer;
* :mod:`~sitewatch.assess.checks`: coherence findings a reviewer would raise;
* :mod:`~sitewatch.assess.table`: the matrix as plain data for the report, or as text.
"""

from __future__ import annotations

from sitewatch.assess.assessment import Assessment
from sitewatch.assess.casefile import (
    ASSESSMENT_FILENAME,
    SAMPLES,
    assessment_path,
    dumps_assessment,
    load_assessment,
    load_sample,
    loads_assessment,
    save_assessment,
)
from sitewatch.assess.checks import Finding, FindingKind, coherence_findings
from sitewatch.assess.hypotheses import (
    AchMatrix,
    Diagnosticity,
    Evidence,
    EvidenceKind,
    EvidenceRating,
    Hypothesis,
    InconsistencyScore,
    Rating,
)
from sitewatch.assess.ids import check_id
from sitewatch.assess.judgments import Judgment, parse_judgment
from sitewatch.assess.language import (
    Confidence,
    Likelihood,
    likelihood_for_probability,
    parse_confidence,
    parse_estimate,
    parse_likelihood,
)
from sitewatch.assess.table import AchCell, AchColumn, AchRow, AchTable, ach_table, format_ach_text

__all__ = [
    "ASSESSMENT_FILENAME",
    "SAMPLES",
    "AchCell",
    "AchColumn",
    "AchMatrix",
    "AchRow",
    "AchTable",
    "Assessment",
    "Confidence",
    "Diagnosticity",
    "Evidence",
    "EvidenceKind",
    "EvidenceRating",
    "Finding",
    "FindingKind",
    "Hypothesis",
    "InconsistencyScore",
    "Judgment",
    "Likelihood",
    "Rating",
    "ach_table",
    "assessment_path",
    "check_id",
    "coherence_findings",
    "dumps_assessment",
    "format_ach_text",
    "likelihood_for_probability",
    "load_assessment",
    "load_sample",
    "loads_assessment",
    "parse_confidence",
    "parse_estimate",
    "parse_judgment",
    "parse_likelihood",
    "save_assessment",
]
