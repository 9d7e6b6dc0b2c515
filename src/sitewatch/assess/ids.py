"""Identifiers of hypotheses, evidence and judgments, and references to case objects."""

from __future__ import annotations

import re

from sitewatch.errors import AssessError

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SHA256 = re.compile(r"[0-9a-f]{64}")

#: Schemes a case-object reference may use, as ``scheme:value``.
REF_SCHEMES: tuple[str, ...] = (
    "sha256",
    "scene",
    "detection",
    "event",
    "count",
    "link",
    "comparison",
    "document",
    "where",
)


def check_id(what: str, value: str) -> None:
    """Raise unless ``value`` is a short identifier such as ``'H1'`` or ``'E-arrival.2'``.

    >>> check_id("hypothesis", "H1")

    Raises:
        AssessError: the id is empty, too long or has characters other than letters, digits,
            ``_``, ``.`` and ``-`` (it must start with a letter or digit).
    """
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise AssessError(
            f"{what} id {value!r} is not valid; use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit (e.g. 'H1', 'E3')",
            id=value,
        )


def check_ref(value: str) -> None:
    """Raise unless ``value`` is a case-object reference ``scheme:value``.

    The scheme is one of :data:`REF_SCHEMES`; a ``sha256:`` reference must carry 64 lowercase
    hex digits (the content hash of a stored original).

    >>> check_ref("event:arrival-2014-06-11")

    Raises:
        AssessError: the reference is malformed or uses an unknown scheme.
    """
    scheme, sep, rest = value.partition(":")
    if not sep or not rest or any(ch.isspace() for ch in value):
        raise AssessError(
            f"reference {value!r} is not 'scheme:value' without spaces; schemes: " + ", ".join(REF_SCHEMES),
            ref=value,
        )
    if scheme not in REF_SCHEMES:
        raise AssessError(
            f"reference {value!r} has unknown scheme {scheme!r}; valid schemes: " + ", ".join(REF_SCHEMES),
            ref=value,
        )
    if scheme == "sha256" and not _SHA256.fullmatch(rest):
        raise AssessError(f"reference {value!r} needs 64 lowercase hex digits after 'sha256:'", ref=value)
