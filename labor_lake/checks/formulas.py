"""Evaluating a formula (declared in schemas/formulas.py) over figures that may be ranges."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from schemas.formulas import FORMULAS, FormulaError


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
    spec = FORMULAS[formula]
    if spec.function is None:
        raise FormulaError(f"{formula} is computed from series, not from figures")
    if len(inputs) != spec.arity:
        raise FormulaError(f"{formula} takes {spec.arity} input(s), got {len(inputs)}")
    function = spec.function
    value = function(*(i.mid for i in inputs))
    corners = [
        function(*corner) for corner in itertools.product(*((i.low, i.high) for i in inputs))
    ]
    text = spec.template.format(*(i.format() for i in inputs))
    return Evaluation(value=value, low=min(corners), high=max(corners), text=text)
