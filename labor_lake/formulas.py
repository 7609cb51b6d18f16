"""The arithmetic of every derived metric, as small pure functions over intervals."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
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
class FormulaSpec:
    function: Callable[..., float]
    arity: int
    template: str
    output_unit: Callable[[str], str]


FORMULA_SPECS: dict[str, FormulaSpec] = {
    "premium_pct": FormulaSpec(premium_pct, 2, "({0} / {1} - 1) x 100", lambda _: "percent_change"),
    "growth_pct": FormulaSpec(growth_pct, 2, "({0} / {1} - 1) x 100", lambda _: "percent_change"),
    "spread_pp": FormulaSpec(spread_pp, 2, "{0} - ({1})", lambda _: "percentage_points"),
    "gap_pp": FormulaSpec(gap_pp, 2, "{0} - {1}", lambda _: "percentage_points"),
    "difference": FormulaSpec(difference, 2, "{0} - {1}", lambda unit: f"{unit}_difference"),
    "restated": FormulaSpec(restated, 1, "{0}", lambda unit: unit),
}


@dataclass(frozen=True)
class Interval:
    """A figure's value: a point (low == high) or a stated range."""

    low: float
    high: float

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2.0

    def format(self) -> str:
        return f"{self.low:g}" if self.low == self.high else f"[{self.low:g}..{self.high:g}]"


@dataclass(frozen=True)
class Evaluation:
    value: float
    low: float
    high: float
    text: str


def evaluate(formula: str, inputs: Sequence[Interval]) -> Evaluation:
    """Evaluate `formula` at the range midpoints, and its extremes over the range corners.

    Every formula here is monotonic in each argument, so its extremes over a box of input ranges
    are at the corners.
    """
    spec = FORMULA_SPECS[formula]
    if len(inputs) != spec.arity:
        raise FormulaError(f"{formula} takes {spec.arity} input(s), got {len(inputs)}")
    value = spec.function(*(i.mid for i in inputs))
    corners = [
        spec.function(*corner) for corner in itertools.product(*((i.low, i.high) for i in inputs))
    ]
    text = spec.template.format(*(i.format() for i in inputs))
    return Evaluation(value=value, low=min(corners), high=max(corners), text=text)
