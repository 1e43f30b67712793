"""Value types shared by the settings classes.

Environment values are text; these types say how a piece of text becomes a value when
pydantic's own rule would reject a spelling operators already use (``1e6`` pixels, ``DEBUG``
or ``debug``), so every class parses the same value the same way.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _whole_number(value: Any) -> Any:
    """``"4e7"`` or ``"16.0"`` -> 40000000 / 16; a fraction such as ``"2.5"`` stays an error."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return value  # pydantic reports "not a valid integer"
        if number.is_integer():
            return int(number)
    return value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


#: An integer that may be written in float notation (``1e6``), as the settings always allowed.
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]

#: Apply to a ``Literal`` of lower-case choices so ``RapidOCR`` and ``rapidocr`` both match.
LowerCase = BeforeValidator(_lower)

#: Apply to a ``Literal`` of upper-case choices (log levels).
UpperCase = BeforeValidator(_upper)
