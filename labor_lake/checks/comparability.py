"""Like-for-like rules: which figures a formula may combine, and why not when it may not.

A metric is only computed from figures that measure the same thing in the same unit over
comparable periods; otherwise the comparison is refused with the reasons, never silently made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from labor_lake.checks.formulas import Interval
from schemas.formulas import FORMULAS


@dataclass(frozen=True)
class Figure:
    """The facts about one registry figure that the ledger needs."""

    figure_id: str
    measure: str
    subject: str
    unit: str
    period: str
    period_start: date
    period_end: date
    qualifier: str
    publisher: str
    conflict_group: str | None
    value: float | None
    low: float | None
    high: float | None

    @property
    def interval(self) -> Interval:
        if self.value is not None:
            return Interval(self.value, self.value)
        assert self.low is not None and self.high is not None
        return Interval(self.low, self.high)


def _differs(field: str, a: Figure, b: Figure) -> str | None:
    left, right = getattr(a, field), getattr(b, field)
    if left == right:
        return None
    return f"{field} differs: {left} ({a.figure_id}) vs {right} ({b.figure_id})"


def refusal_reasons(formula: str, figures: Sequence[Figure]) -> list[str]:
    """Why `formula` may not combine `figures`; empty when the comparison is like-for-like."""
    if formula == "restated":
        return []
    a, b = figures
    reasons = [
        f"{formula} does not apply to unit {f.unit} ({f.figure_id})"
        for f in (a, b)
        if (units := FORMULAS[formula].input_units) is not None and f.unit not in units
    ]
    reasons += [r for r in (_differs("measure", a, b), _differs("unit", a, b)) if r]
    if formula == "growth_pct":
        if (subject := _differs("subject", a, b)) is not None:
            reasons.append(subject)
        if a.period_start <= b.period_end:
            reasons.append(
                f"growth needs the new period after the old: {a.period} ({a.figure_id}) "
                f"is not after {b.period} ({b.figure_id})"
            )
    elif (period := _differs("period", a, b)) is not None:
        reasons.append(period)
    return reasons


def input_flags(figures: Sequence[Figure]) -> list[str]:
    """Caveats a reader should see next to a value computed from `figures`."""
    flags = []
    for figure in figures:
        if figure.qualifier != "exact":
            flags.append(f"{figure.figure_id} is stated as {figure.qualifier}")
        if figure.publisher == "unattributed":
            flags.append(f"{figure.figure_id} has no named publisher")
    return flags
