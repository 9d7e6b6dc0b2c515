"""Estimative language: ICD 203 likelihood terms and a separate confidence level.

Intelligence Community Directive 203, *Analytic Standards* (2 January 2015), section
D.6.e.(2), asks analysts to express likelihood with a fixed set of terms, each standing for a
range of probability (a), and to keep it apart from their confidence in the judgment (b): a
product must not combine a confidence level and a degree of likelihood in the same sentence.
sitewatch enforces both:

* :class:`Likelihood` has exactly the seven ICD 203 terms with their ranges;
* :class:`Confidence` is low, moderate or high, and is always stated separately;
* :func:`parse_estimate` accepts ``"likely, moderate confidence"`` and rejects undefined terms
  (``"highly likely"``, ``"certain"``), ICD 203's second set (``"probably"``), and terms that
  fuse the two
  (``"high-confidence likely"``), naming the offending term and listing the valid ones;
  :func:`sitewatch.assess.judgments.parse_judgment` builds a judgment with it.

ICD 203 defines two sets of terms (likely / probable, very unlikely / highly improbable, ...)
and discourages mixing them. sitewatch writes only the first set so that every report reads
the same; the second set is recognised only to name the first-set term to write instead.

ICD 203 also forbids combining a confidence level and a degree of likelihood *in the same
sentence*; :attr:`sitewatch.assess.judgments.Judgment.sentences` therefore renders a judgment
as two sentences. The compact input ``'likely, moderate confidence'`` is notation for entering
a judgment, not text for a product.
"""

from __future__ import annotations

import re
from enum import StrEnum

from sitewatch.errors import AssessError


class Likelihood(StrEnum):
    """The seven ICD 203 likelihood terms (ICD 203, 2 Jan 2015, section D.6.e.(2)(a)).

    >>> Likelihood.LIKELY.range_pct
    (55, 80)
    >>> Likelihood.LIKELY.label
    'likely (55–80%)'
    """

    ALMOST_NO_CHANCE = "almost no chance"
    VERY_UNLIKELY = "very unlikely"
    UNLIKELY = "unlikely"
    ROUGHLY_EVEN_CHANCE = "roughly even chance"
    LIKELY = "likely"
    VERY_LIKELY = "very likely"
    ALMOST_CERTAIN = "almost certain"

    @property
    def range_pct(self) -> tuple[int, int]:
        """Lower and upper bound of the term's probability range, in percent."""
        return _RANGES_PCT[self]

    @property
    def label(self) -> str:
        """The term with its range, as printed in reports: ``'likely (55–80%)'``."""
        low, high = self.range_pct
        return f"{self.value} ({low:02d}–{high:02d}%)"


_RANGES_PCT: dict[Likelihood, tuple[int, int]] = {
    Likelihood.ALMOST_NO_CHANCE: (1, 5),
    Likelihood.VERY_UNLIKELY: (5, 20),
    Likelihood.UNLIKELY: (20, 45),
    Likelihood.ROUGHLY_EVEN_CHANCE: (45, 55),
    Likelihood.LIKELY: (55, 80),
    Likelihood.VERY_LIKELY: (80, 95),
    Likelihood.ALMOST_CERTAIN: (95, 99),
}


class Confidence(StrEnum):
    """Confidence in the basis of a judgment, stated apart from its likelihood."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


#: ICD 203's second set of terms (D.6.e.(2)(a)): defined there, but sitewatch writes only the
#: first set so every product reads the same, and ICD 203 discourages mixing the two sets.
_SECOND_SET: dict[str, Likelihood] = {
    "remote": Likelihood.ALMOST_NO_CHANCE,
    "highly improbable": Likelihood.VERY_UNLIKELY,
    "improbable": Likelihood.UNLIKELY,
    "improbably": Likelihood.UNLIKELY,
    "roughly even odds": Likelihood.ROUGHLY_EVEN_CHANCE,
    "probable": Likelihood.LIKELY,
    "probably": Likelihood.LIKELY,
    "highly probable": Likelihood.VERY_LIKELY,
    "nearly certain": Likelihood.ALMOST_CERTAIN,
}

#: ICD 203 writes "almost certain(ly)": the adverb is the same first-set term.
_FIRST_SET_VARIANTS: dict[str, Likelihood] = {"almost certainly": Likelihood.ALMOST_CERTAIN}

#: Terms people write that ICD 203 does not define, with the term to use instead.
_SUGGESTIONS: dict[str, str] = {
    "no chance": "almost no chance",
    "highly unlikely": "very unlikely",
    "even chance": "roughly even chance",
    "even odds": "roughly even chance",
    "highly likely": "very likely",
    "certain": "almost certain",
    "certainly": "almost certain",
    "low": "low confidence",
    "moderate": "moderate confidence",
    "high": "high confidence",
    "very high": "high confidence",
    "medium": "moderate confidence",
}

#: Words of the likelihood vocabulary; none may sit inside a confidence phrase or a statement.
_LIKELIHOOD_WORDS = re.compile(
    r"\b(likely|unlikely|likelihood|probabl[ey]|improbabl[ey]|probability|chance|odds|"
    r"certain|certainly|remote)\b"
)
_CONFIDENCE_WORDS = re.compile(r"\b(confiden(ce|t|tly))\b")
_CONFIDENCE_PHRASE = re.compile(r"(?P<level>.+) confidence")
_PERCENT = re.compile(r"\(?\s*(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%?\s*(?:-\s*(\d{1,3}(?:\.\d+)?)\s*)?%\s*\)?")
_SEPARATORS = re.compile(r"\s*(?:[,;:()]|\bwith\b|\band\b|\bat\b)\s*")


def valid_terms_text() -> str:
    """One line listing the valid likelihood terms and confidence levels, for error messages."""
    terms = ", ".join(term.label for term in Likelihood)
    levels = ", ".join(level.value for level in Confidence)
    return f"likelihood terms (ICD 203): {terms}; confidence levels, stated separately: {levels}"


def parse_likelihood(text: str) -> Likelihood:
    """Parse one ICD 203 likelihood term, case- and space-insensitively.

    >>> parse_likelihood("Very  likely")
    <Likelihood.VERY_LIKELY: 'very likely'>

    Raises:
        AssessError: the term is undefined, or mixes in a confidence word; the message names
            the term and lists the valid ones.
    """
    term = _normalise(text)
    if term in _FIRST_SET_VARIANTS:
        return _FIRST_SET_VARIANTS[term]
    try:
        return Likelihood(term)
    except ValueError:
        pass
    if _CONFIDENCE_WORDS.search(term):
        raise _mixed_error(text)
    if term in _SECOND_SET:
        first = _SECOND_SET[term]
        raise AssessError(
            f"{text.strip()!r} is ICD 203's second-set wording for {first.value!r}; sitewatch "
            f"writes only the first set so every product reads the same: write {first.value!r}",
            term=text,
            valid=tuple(term.value for term in Likelihood),
        )
    hint = _SUGGESTIONS.get(term)
    tip = f" (did you mean {hint!r}?)" if hint else ""
    raise AssessError(
        f"undefined likelihood term {text.strip()!r}{tip}; use one of the {valid_terms_text()}",
        term=text,
        valid=tuple(term.value for term in Likelihood),
    )


def parse_confidence(text: str) -> Confidence:
    """Parse a confidence level: ``'moderate'`` or ``'moderate confidence'``.

    >>> parse_confidence("High confidence")
    <Confidence.HIGH: 'high'>

    Raises:
        AssessError: the level is undefined, or a likelihood word is fused into it.
    """
    phrase = _normalise(text)
    if _LIKELIHOOD_WORDS.search(phrase):
        raise _mixed_error(text)
    match = _CONFIDENCE_PHRASE.fullmatch(phrase)
    level = match.group("level") if match else phrase
    try:
        return Confidence(level)
    except ValueError:
        hint = _SUGGESTIONS.get(level)
        tip = f" (did you mean {hint!r}?)" if hint else ""
        raise AssessError(
            f"undefined confidence level {text.strip()!r}{tip}; use one of: "
            + ", ".join(c.value for c in Confidence),
            term=text,
            valid=tuple(c.value for c in Confidence),
        ) from None


def parse_estimate(text: str) -> tuple[Likelihood, Confidence]:
    """Split a phrase such as ``'likely, moderate confidence'`` into its two parts.

    Separators may be a comma, semicolon, colon, parentheses, "with", "and" or "at"; the two
    parts may come in either order. A bare space is accepted only between a valid term and
    ``'<level> confidence'``. A stated range or percentage (``'likely (55–80%)'``) is allowed
    only if it agrees with the term's ICD 203 range.

    >>> parse_estimate("very likely (high confidence)")
    (<Likelihood.VERY_LIKELY: 'very likely'>, <Confidence.HIGH: 'high'>)

    Raises:
        AssessError: a term is undefined, likelihood and confidence are fused into one term,
            either part is missing or given twice, or a stated percentage contradicts the term.
    """
    phrase = _normalise(text)
    percents = [(m.group(1), m.group(2)) for m in _PERCENT.finditer(phrase)]
    likelihoods: list[Likelihood] = []
    confidences: list[Confidence] = []
    for part in _split_parts(_PERCENT.sub(",", phrase)):
        if _CONFIDENCE_WORDS.search(part) and _LIKELIHOOD_WORDS.search(part):
            raise _mixed_error(part)
        if _CONFIDENCE_WORDS.search(part):
            confidences.append(parse_confidence(part))
        else:
            likelihoods.append(parse_likelihood(part))
    if len(percents) > 1:
        raise AssessError(
            f"judgment {text.strip()!r} states {len(percents)} percentages; give at most one, "
            "and only the range of the term (e.g. 'likely (55–80%)')",
            term=text,
        )
    if len(likelihoods) != 1 or len(confidences) != 1:
        missing = "a likelihood term" if len(likelihoods) != 1 else "a confidence level"
        raise AssessError(
            f"judgment {text.strip()!r} needs exactly one likelihood term and one confidence "
            f"level, found {len(likelihoods)} and {len(confidences)} (check {missing}); write "
            f"e.g. 'likely, moderate confidence'; {valid_terms_text()}",
            term=text,
        )
    if percents:
        _check_percent(likelihoods[0], percents[0])
    return likelihoods[0], confidences[0]


def _check_percent(term: Likelihood, stated: tuple[str, str | None]) -> None:
    """Raise unless a stated percentage or range agrees with the term's ICD 203 range."""
    low, high = term.range_pct
    first, second = stated
    if second is None:
        if low <= float(first) <= high:
            return
        text, hint = f"{first}%", _covering_term(float(first))
    else:
        if (float(first), float(second)) == (low, high):
            return
        text, hint = f"{first}–{second}%", "the term whose range it is"
    raise AssessError(
        f"{term.value!r} means {low:02d}–{high:02d}% in ICD 203, not {text}; fix the term or "
        f"the number (for {text} use {hint})",
        term=term.value,
        stated=text,
    )


def _covering_term(percent: float) -> str:
    try:
        return repr(likelihood_for_probability(percent / 100).value)
    except AssessError:
        return "no estimative term: 0% and 100% are not estimates"


def _split_parts(phrase: str) -> list[str]:
    parts = [part for part in _SEPARATORS.split(phrase) if part]
    result: list[str] = []
    for part in parts:
        # Accept "likely moderate confidence" when the prefix is exactly a valid term.
        match = re.fullmatch(r"(?P<term>.+) (?P<conf>[a-z]+ confidence)", part)
        if match and match.group("term") in Likelihood._value2member_map_:
            result.extend((match.group("term"), match.group("conf")))
        else:
            result.append(part)
    return result


def _normalise(text: str) -> str:
    text = text.strip().lower().rstrip(".")
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    return re.sub(r"\s+", " ", text)


def _mixed_error(term: str) -> AssessError:
    return AssessError(
        f"{term.strip()!r} mixes likelihood and confidence in one term; state them separately, "
        f"e.g. 'likely, high confidence'; {valid_terms_text()}",
        term=term,
    )


def likelihood_for_probability(probability: float) -> Likelihood:
    """The ICD 203 term whose range holds a probability in (0, 1).

    ICD 203's ranges share their end points (05%, 20%, 45%, 55%, 80%, 95%); a probability on a
    shared end point takes the less extreme term, so the mapping is symmetric:
    ``likelihood_for_probability(p)`` and ``likelihood_for_probability(1 - p)`` are mirror terms.
    Probabilities below 1% or above 99% take the outermost terms: ICD 203 defines no term
    beyond them, and 0 or 1 is not an estimate.

    >>> likelihood_for_probability(0.7)
    <Likelihood.LIKELY: 'likely'>
    >>> likelihood_for_probability(0.55)
    <Likelihood.ROUGHLY_EVEN_CHANCE: 'roughly even chance'>

    Raises:
        AssessError: the probability is not strictly between 0 and 1.
    """
    if not 0.0 < probability < 1.0:
        raise AssessError(
            f"probability {probability!r} is not strictly between 0 and 1; a certainty is a fact "
            "to state with its source, not an estimative judgment",
            probability=probability,
        )
    # Round away binary noise so 0.2 lands on the 20% end point, not just above it.
    percent = round(probability * 100.0, 9)
    terms = tuple(Likelihood)
    middle = terms.index(Likelihood.ROUGHLY_EVEN_CHANCE)
    if percent <= 50.0:
        # Walk up from the bottom; an upper end point belongs to the next, less extreme term.
        for term in terms[:middle]:
            if percent < term.range_pct[1]:
                return term
        return Likelihood.ROUGHLY_EVEN_CHANCE
    for term in reversed(terms[middle + 1 :]):
        if percent > term.range_pct[0]:
            return term
    return Likelihood.ROUGHLY_EVEN_CHANCE
