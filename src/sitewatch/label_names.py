"""How stored vehicle labels read in words and the colour each is drawn in, shared by every
stage that shows them to a person.

Labels such as ``armored_vehicle`` are stored as the detector names them; a reader (of the
report, or of the review page's count table) sees them through :func:`label_name`, which spells
them one way (British, as the project writes "armoured") and makes the plural agree with the
number. Each label has one colour (:data:`LABEL_COLOURS`), the same in the report's figures,
its exports and the review page (:func:`label_css`). It lives outside the stages because
``report`` and ``review`` both show labels and are siblings that do not import each other.
"""

from __future__ import annotations

import re

#: Stored label -> (singular, plural) as the reader sees them.
LABEL_NAMES: dict[str, tuple[str, str]] = {
    "armored_vehicle": ("armoured vehicle", "armoured vehicles"),
    "military_truck": ("military truck", "military trucks"),
    "military_light_vehicle": ("military light vehicle", "military light vehicles"),
    "military_engineering_vehicle": ("military engineering vehicle",
                                     "military engineering vehicles"),
    "civilian_vehicle": ("civilian vehicle", "civilian vehicles"),
    "vehicle": ("vehicle of unknown type", "vehicles of unknown type"),
    "loaded_transporter": ("loaded transporter", "loaded transporters"),
}

#: One colour per label (RGB), chosen to stay distinct for colour-blind readers (Okabe-Ito).
LABEL_COLOURS: dict[str, tuple[int, int, int]] = {
    "armored_vehicle": (213, 94, 0),
    "military_truck": (0, 114, 178),
    "military_light_vehicle": (230, 159, 0),
    "military_engineering_vehicle": (204, 121, 167),
    "civilian_vehicle": (86, 180, 233),
    "vehicle": (240, 228, 66),
    "loaded_transporter": (0, 158, 115),
}


def label_css(label: str, default: tuple[int, int, int] = (255, 255, 255)) -> str:
    """A label's colour as CSS hex (``default`` for a label without one).

    >>> label_css("armored_vehicle"), label_css("some_new_label")
    ('#d55e00', '#ffffff')
    """
    r, g, b = LABEL_COLOURS.get(label, default)
    return f"#{r:02x}{g:02x}{b:02x}"


#: American spellings a reader must not meet, with the British form the report uses.
AMERICAN_TO_BRITISH: dict[str, str] = {
    "armored": "armoured",
    "armor": "armour",
    "color": "colour",
    "center": "centre",
    "gray": "grey",
    "meter": "metre",
    "analyze": "analyse",
    "license": "licence",
    "favor": "favour",
    "neighbor": "neighbour",
}


def british(text: str) -> str:
    """``text`` with the American spellings of :data:`AMERICAN_TO_BRITISH` made British.

    Only whole words at their start are changed, keeping case, so "armored_vehicle" and
    "Armored" change but "decolorize" and "parameter" do not.

    >>> british("armored vehicle, Armored column, 5 meters, parameter")
    'armoured vehicle, Armoured column, 5 metres, parameter'
    """

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        new = AMERICAN_TO_BRITISH[word.lower()]
        return new.capitalize() if word[0].isupper() else new

    words = "|".join(sorted(AMERICAN_TO_BRITISH, key=len, reverse=True))
    return re.sub(rf"(?<![A-Za-z])(?:{words})(?=s?\b|s?_)", swap, text, flags=re.IGNORECASE)


def label_name(label: str, n: int | None = 1) -> str:
    """The reader's name of a stored label, singular for ``n == 1`` and plural otherwise.

    >>> label_name("armored_vehicle", 7), label_name("military_truck", 1)
    ('armoured vehicles', 'military truck')
    >>> label_name("some_new_label", 2)
    'some new label'
    """
    names = LABEL_NAMES.get(label)
    if names is None:
        return british(label.replace("_", " "))
    return names[0] if n == 1 else names[1]
