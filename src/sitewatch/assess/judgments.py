"""Analytic judgments: a statement with an ICD 203 likelihood and a separate confidence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sitewatch.assess.ids import check_id
from sitewatch.assess.language import Confidence, Likelihood, parse_estimate
from sitewatch.errors import AssessError

#: Hedges that would put a second, undefined likelihood inside a judgment's statement.
_HEDGES = re.compile(
    r"\b(probably|probable|likely|unlikely|certainly|possibly|perhaps|presumably|"
    r"conceivably|doubtless|confident|confidence)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Judgment:
    """An analytic judgment: a statement, its ICD 203 likelihood and a separate confidence.

    ``basis`` names the evidence ids it rests on; ``hypothesis`` names the ACH hypothesis the
    statement asserts, when it asserts one, so the judgment can be checked against the matrix
    and against judgments of competing hypotheses. The statement itself must not hedge
    ("the tanks probably came from ...") because that would state a second, undefined
    likelihood; the likelihood belongs in ``likelihood``.
    """

    id: str
    statement: str
    likelihood: Likelihood
    confidence: Confidence
    basis: tuple[str, ...] = ()
    hypothesis: str | None = None

    def __post_init__(self) -> None:
        check_id("judgment", self.id)
        if not self.statement.strip():
            raise AssessError(f"judgment {self.id!r} has an empty statement; say what is judged")
        if not isinstance(self.likelihood, Likelihood):
            raise AssessError(f"judgment {self.id!r}: likelihood must be a Likelihood term")
        if not isinstance(self.confidence, Confidence):
            raise AssessError(f"judgment {self.id!r}: confidence must be a Confidence level")
        if not isinstance(self.basis, tuple):
            raise AssessError(f"judgment {self.id!r}: basis must be a tuple of evidence ids")
        for evidence_id in self.basis:
            check_id("evidence", evidence_id)
        if self.hypothesis is not None:
            check_id("hypothesis", self.hypothesis)
        if len(set(self.basis)) != len(self.basis):
            raise AssessError(
                f"judgment {self.id!r}: basis {self.basis!r} repeats an evidence id",
                basis=self.basis,
            )
        hedge = _HEDGES.search(self.statement)
        if hedge:
            raise AssessError(
                f"judgment {self.id!r}: statement hedges with {hedge.group(0)!r}; state the claim "
                "plainly and put the likelihood and confidence in their own fields",
                term=hedge.group(0),
            )

    @property
    def notation(self) -> str:
        """Compact entry form, read back by :func:`parse_judgment`; not text for a product.

        ``'likely, moderate confidence: <statement>'``.
        """
        return f"{self.likelihood.value}, {self.confidence.value} confidence: {self.statement}"

    @property
    def sentences(self) -> tuple[str, str]:
        """The judgment for a product, likelihood and confidence in separate sentences.

        ICD 203 D.6.e.(2)(b) forbids combining them in one sentence.

        >>> j = Judgment(id="J1", statement="H2 holds", likelihood=Likelihood.LIKELY,
        ...              confidence=Confidence.MODERATE)
        >>> j.sentences
        ('H2 holds: likely (55–80%).', 'We have moderate confidence in this judgment.')
        """
        statement = self.statement.strip().rstrip(".")
        return (
            f"{statement}: {self.likelihood.label}.",
            f"We have {self.confidence.value} confidence in this judgment.",
        )


def parse_judgment(
    text: str,
    *,
    id: str,
    statement: str | None = None,
    basis: tuple[str, ...] = (),
    hypothesis: str | None = None,
) -> Judgment:
    """Build a :class:`Judgment` from words.

    With ``statement`` given, ``text`` is the estimate alone (``'likely, moderate
    confidence'``). Without it, ``text`` is ``'<estimate>: <statement>'``, the form of
    :attr:`Judgment.notation`, which therefore reads back as the same judgment.

    >>> parse_judgment("likely, moderate confidence", id="J1", statement="H2 holds").notation
    'likely, moderate confidence: H2 holds'
    >>> parse_judgment("very unlikely, low confidence: H1 holds", id="J2").likelihood
    <Likelihood.VERY_UNLIKELY: 'very unlikely'>

    Raises:
        AssessError: see :func:`parse_estimate` and :class:`Judgment`; also when ``text`` has
            no ``':'`` between estimate and statement and no ``statement`` is given.
    """
    estimate = text
    if statement is None:
        estimate, sep, statement = text.partition(":")
        if not sep:
            raise AssessError(
                f"judgment {text.strip()!r} needs an estimate and a statement separated by "
                "':', e.g. 'likely, moderate confidence: H2 holds' (or give the statement "
                "and the estimate separately)",
                term=text,
            )
        statement = statement.strip()
    likelihood, confidence = parse_estimate(estimate)
    return Judgment(
        id=id,
        statement=statement,
        likelihood=likelihood,
        confidence=confidence,
        basis=basis,
        hypothesis=hypothesis,
    )
