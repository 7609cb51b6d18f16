"""The one rule for reading a number from text, for the registry and the source parsers alike.

Only the forms publishers write are numbers: ASCII digits, one optional leading sign, at most one
decimal point, an exponent only where the caller allows it, and thousands separators only where
the format declares them (then in groups of three). Everything else is refused with the reason:
`2_1` (Python's digit grouping), full-width digits (U+FF10..U+FF19), Arabic-Indic digits
(U+0660..U+0669) and every other non-ASCII digit, `inf`, `nan`, `0x10`,
`1,2` without declared separators, and any value whose magnitude no figure in its unit can have
(`1e308` dollars, a `1e-300` wage that would blow a premium up to 1e307 %).

    parse_number("3.3")                                   # 3.3
    parse_number("1,234.5", thousands=",")                # 1234.5
    parse_number("1.2E-5", exponent=True)                 # 1.2e-05
    parse_number("\u0663.\u0663")                         # NumberError (Arabic-Indic 3.3)
    magnitude_problem(1e-300, "usd_per_year")             # "magnitude 1e-300 is below ..."
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


class NumberError(ValueError):
    """The text is not a number in a form a publisher writes; the message says why."""


_SIGN = r"[+-]?"
_DECIMALS = r"(?:\.[0-9]+)?"
_EXPONENT = r"(?:[eE][+-]?[0-9]{1,3})?"


def _pattern(thousands: str | None, exponent: bool) -> re.Pattern[str]:
    integer = r"(?:[0-9]+)"
    if thousands is not None:
        grouped = rf"[0-9]{{1,3}}(?:{re.escape(thousands)}[0-9]{{3}})+"
        integer = rf"(?:{grouped}|[0-9]+)"
    mantissa = rf"(?:{integer}{_DECIMALS}|\.[0-9]+)"
    return re.compile(rf"{_SIGN}{mantissa}{_EXPONENT if exponent else ''}", re.ASCII)


def number_regex(*, exponent: bool = False, thousands: str | None = None) -> str:
    """The same rule as a whole-string regular expression, for vectorized checks (polars)."""
    return rf"^{_pattern(thousands, exponent).pattern}$"


@dataclass(frozen=True)
class Magnitude:
    """The magnitudes a figure in a unit can have: anything outside is a typo or an attack,
    not a measurement. Wide on purpose (a wage above every published top code is still a wage)."""

    largest: float
    smallest_nonzero: float


# Per unit (keys of schemas.vocabulary.UNITS). Dollar amounts: from one dollar a year to a
# billion; percents and index levels: a millionth to a million; counts and ranks: whole-number
# scale up to ten billion. The physical range of a unit (a percent of a whole is 0 to 100) is
# the schema's `value_within_unit_range` check, not this.
MAGNITUDES: dict[str, Magnitude] = {
    "percent": Magnitude(1e6, 1e-6),
    "percent_change": Magnitude(1e6, 1e-6),
    "percentage_points": Magnitude(1e6, 1e-6),
    "usd_per_year": Magnitude(1e9, 1.0),
    "usd_per_year_difference": Magnitude(1e9, 1.0),
    "usd_per_hour": Magnitude(1e6, 0.01),
    "percentage_points_per_year": Magnitude(1e6, 1e-6),
    "count": Magnitude(1e10, 1e-3),
    "rank": Magnitude(1e6, 1.0),
    "index": Magnitude(1e6, 1e-6),
    "ratio": Magnitude(1e6, 1e-6),
}
# For a number whose unit is unknown (or not given): still finite and of a sane size.
ANY_UNIT = Magnitude(1e12, 1e-9)


def parse_number(text: str, *, exponent: bool = False, thousands: str | None = None) -> float:
    """`text` as a finite float, if written as publishers write numbers; else NumberError."""
    if not _pattern(thousands, exponent).fullmatch(text):
        raise NumberError(_why_not(text, exponent, thousands))
    number = float(text.replace(thousands, "") if thousands else text)
    if not math.isfinite(number):
        raise NumberError(f"{text!r} overflows to {number}")
    return number


def magnitude_problem(number: float, unit: str | None) -> str | None:
    """Why `number` cannot be a figure in `unit` (None when it can)."""
    limits = MAGNITUDES.get(unit or "", ANY_UNIT)
    size = abs(number)
    if not math.isfinite(number):
        return f"{number} is not a finite number"
    if size > limits.largest:
        return f"magnitude {size:g} is above {limits.largest:g}, the largest {unit or 'value'}"
    if 0 < size < limits.smallest_nonzero:
        return (
            f"magnitude {size:g} is below {limits.smallest_nonzero:g}, "
            f"the smallest non-zero {unit or 'value'}"
        )
    return None


def _why_not(text: str, exponent: bool, thousands: str | None) -> str:
    if not text.isascii():
        odd = next(c for c in text if not c.isascii())
        return f"{text!r} has a non-ASCII character {odd!r} (U+{ord(odd):04X})"
    lowered = text.lower().lstrip("+-")
    if lowered in {"inf", "infinity", "nan"}:
        return f"{text!r} is not a finite number"
    if "_" in text:
        return f"{text!r} uses '_' digit grouping, which no publisher writes"
    if not exponent and "e" in lowered:
        return f"{text!r} has an exponent, which this column does not allow"
    if "," in text and thousands != ",":
        return f"{text!r} has a ',' and this format declares no thousands separator"
    return f"{text!r} is not a number (ASCII digits, one sign, one decimal point)"
