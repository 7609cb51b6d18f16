"""Period strings used in the registry, and their calendar bounds.

Grammar: a point `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-Qn` or `YYYY-Hn`, or an interval `A/B` of
two points (ISO 8601 style). `2024/2026-Q1` reads "from the start of 2024 to the end of 2026 Q1";
`2024-01-01/2025-06-30` from the first day to the last. The pattern the schemas check is
`schemas.vocabulary.PERIOD_PATTERN`; this module adds what a pattern cannot: a day must exist
(`2024-02-30` does not) and an interval must not end before it starts.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_POINT_RE = re.compile(
    r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?|Q([1-4])|H([12])))?$"
)


class PeriodError(ValueError):
    """A period string that does not follow the grammar above."""


def _point_bounds(text: str) -> tuple[date, date]:
    match = _POINT_RE.match(text)
    if match is None:
        raise PeriodError(
            f"not a period: {text!r} (expected YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Qn or YYYY-Hn)"
        )
    year = int(match.group(1))
    month, day, quarter, half = match.group(2), match.group(3), match.group(4), match.group(5)
    if day is not None:
        try:
            point = date(year, int(month), int(day))
        except ValueError:
            raise PeriodError(f"not a date: {text!r} (no such day in the calendar)") from None
        return point, point
    if month is not None:
        first_month = last_month = int(month)
    elif quarter is not None:
        first_month, last_month = 3 * int(quarter) - 2, 3 * int(quarter)
    elif half is not None:
        first_month, last_month = 6 * int(half) - 5, 6 * int(half)
    else:
        first_month, last_month = 1, 12
    last_day = calendar.monthrange(year, last_month)[1]
    return date(year, first_month, 1), date(year, last_month, last_day)


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day covered by `period`; raises PeriodError on bad input."""
    points = period.split("/")
    if len(points) > 2:
        raise PeriodError(f"not a period: {period!r} (at most one '/')")
    start, end = _point_bounds(points[0])
    if len(points) == 2:
        _, end = _point_bounds(points[1])
        if end < start:
            raise PeriodError(f"period {period!r} ends before it starts")
    return start, end


def strict_date(text: str) -> date:
    """A day written `YYYY-MM-DD` that exists in the calendar; raises PeriodError otherwise."""
    start, end = _point_bounds(text)
    if start != end:
        raise PeriodError(f"not a date: {text!r} (expected YYYY-MM-DD)")
    return start
