import pytest

from labor_lake.checks.formulas import Interval, evaluate
from schemas.formulas import (
    FormulaError,
    difference,
    gap_pp,
    growth_pct,
    premium_pct,
    spread_pp,
)


def test_premium_is_relative_excess_in_percent() -> None:
    # The article's own inputs: $261,875 vs $190,000 median total compensation.
    assert premium_pct(261_875, 190_000) == pytest.approx(37.828947, rel=1e-6)
    assert premium_pct(100, 100) == 0
    assert premium_pct(50, 100) == -50


def test_growth_is_new_over_old() -> None:
    assert growth_pct(301, 120) == pytest.approx(150.8333, rel=1e-5)
    assert growth_pct(120, 301) < 0


def test_spread_and_gap_are_differences_in_points() -> None:
    assert spread_pp(340, -15) == 355
    assert gap_pp(3.3, 3.4) == pytest.approx(-0.1)
    assert difference(261_875, 190_000) == 71_875


@pytest.mark.parametrize("call", [lambda: premium_pct(1, 0), lambda: growth_pct(1, 0)])
def test_division_by_zero_is_an_error(call) -> None:
    with pytest.raises(FormulaError):
        call()


def test_evaluate_takes_extremes_over_input_ranges() -> None:
    result = evaluate("premium_pct", [Interval(183_000, 186_000), Interval(133_080, 133_080)])
    assert result.low == pytest.approx(premium_pct(183_000, 133_080))
    assert result.high == pytest.approx(premium_pct(186_000, 133_080))
    assert result.value == pytest.approx(premium_pct(184_500, 133_080))
    assert result.text == "([183000..186000] / 133080 - 1) x 100"


def test_evaluate_checks_arity() -> None:
    with pytest.raises(FormulaError, match="takes 2"):
        evaluate("gap_pp", [Interval(1, 1)])
