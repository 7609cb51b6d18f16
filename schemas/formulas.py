"""Every formula of the metrics, declared once: its arithmetic, how many inputs it takes, the
input units it accepts, the unit it produces, and the metrics table its rows go to.

The vocabulary (the `formula` column's allowed values), the comparability rules, the ledger, the
data dictionary and the metrics tables all read this one table; a new formula is one entry.
The arithmetic is pure, so it sits with the table metadata at the bottom of the layers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class FormulaError(ValueError):
    """A formula that cannot be evaluated on its inputs (e.g. division by zero)."""


def premium_pct(a: float, b: float) -> float:
    """How much more `a` is than `b`, in percent: (a / b - 1) x 100."""
    if b == 0:
        raise FormulaError("premium over a base of zero is undefined")
    return (a / b - 1.0) * 100.0


def growth_pct(new: float, old: float) -> float:
    """Relative change from `old` to `new`, in percent: (new / old - 1) x 100."""
    if old == 0:
        raise FormulaError("growth from zero is undefined")
    return (new / old - 1.0) * 100.0


def spread_pp(growth_a: float, growth_b: float) -> float:
    """Divergence between two growth rates, in percentage points."""
    return growth_a - growth_b


def gap_pp(rate_a: float, rate_b: float) -> float:
    """Gap between two rates, in percentage points."""
    return rate_a - rate_b


def difference(a: float, b: float) -> float:
    """Plain difference a - b, in the inputs' unit."""
    return a - b


def restated(a: float) -> float:
    """A figure repeated as a claim: the value itself."""
    return a


@dataclass(frozen=True)
class Formula:
    description: str
    # The arithmetic on input values; None for a formula computed from series, not figures.
    function: Callable[..., float] | None
    arity: int
    template: str  # how the computation is written out, e.g. "({0} / {1} - 1) x 100"
    # Units a published figure may have to enter the formula; None: any unit.
    input_units: frozenset[str] | None
    output_unit: Callable[[str], str]  # the input unit -> the unit of the result
    table: str | None  # the metrics table its rows go to; None: claim_checks only


FORMULAS: dict[str, Formula] = {
    "premium_pct": Formula(
        "(a / b - 1) x 100: how much more a is than b, in percent.",
        premium_pct, 2, "({0} / {1} - 1) x 100", frozenset({"usd_per_year"}),
        lambda _: "percent_change", "pay_premiums",
    ),
    "growth_pct": Formula(
        "(new / old - 1) x 100: relative change from old to new, in percent.",
        growth_pct, 2, "({0} / {1} - 1) x 100", frozenset({"usd_per_year", "count"}),
        lambda _: "percent_change", "growth_rates",
    ),
    "spread_pp": Formula(
        "growth_a - growth_b, in percentage points: divergence of two growth rates.",
        spread_pp, 2, "{0} - ({1})", frozenset({"percent_change"}),
        lambda _: "percentage_points", "postings_divergence",
    ),
    "gap_pp": Formula(
        "rate_a - rate_b, in percentage points: gap between two rates.",
        gap_pp, 2, "{0} - {1}", frozenset({"percent"}),
        lambda _: "percentage_points", "unemployment_gaps",
    ),
    "difference": Formula(
        "a - b, in the inputs' unit.",
        difference, 2, "{0} - {1}", frozenset({"usd_per_year", "count"}),
        lambda unit: f"{unit}_difference", "pay_premiums",
    ),
    "restated": Formula(
        "The input figure itself: a claim that repeats a figure from elsewhere.",
        restated, 1, "{0}", None, lambda unit: unit, None,
    ),
    "trend_pp_per_year": Formula(
        "Least-squares slope of a premium over years that use the same occupation codes, in "
        "percentage points a year.",
        None, 0, "", None, lambda _: "percentage_points_per_year", None,
    ),
}  # fmt: skip
