"""The one number rule (labor_lake/registry/numbers.py): publisher forms only, sane magnitudes per unit."""

from __future__ import annotations

import pytest

from labor_lake.registry.numbers import MAGNITUDES, NumberError, magnitude_problem, parse_number
from schemas.vocabulary import UNITS


@pytest.mark.parametrize(
    ("text", "number"),
    [("3.3", 3.3), ("-1.5", -1.5), ("+2", 2.0), (".5", 0.5), ("190000", 190000.0), ("0", 0.0)],
)
def test_publisher_forms_parse(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "2_1",
        "\uff13.\uff13",
        "\u0663.\u0663",
        "1e308",
        "inf",
        "-Infinity",
        "nan",
        "0x10",
        "1,234",
        "1.2.3",
        "",
        "-",
        "3.3%",
        " 3.3",
        "1e5",
    ],
)
def test_anything_else_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(NumberError, match="'"):
        parse_number(text)


def test_separators_and_exponents_only_where_the_format_declares_them() -> None:
    assert parse_number("1,234,567.5", thousands=",") == 1234567.5
    with pytest.raises(NumberError):
        parse_number("1,23,4", thousands=",")  # groups of three only
    assert parse_number("1.2E-5", exponent=True) == 1.2e-5
    with pytest.raises(NumberError, match="overflows to inf"):
        parse_number("1e309", exponent=True)


def test_every_unit_has_magnitude_limits_and_absurd_values_are_named() -> None:
    assert set(MAGNITUDES) == set(UNITS)
    assert magnitude_problem(133080.0, "usd_per_year") is None
    assert magnitude_problem(0.0, "usd_per_year") is None
    assert "below 1" in (magnitude_problem(1e-300, "usd_per_year") or "")
    assert "above 1e+09" in (magnitude_problem(1e308, "usd_per_year") or "")
    assert "not a finite" in (magnitude_problem(float("inf"), None) or "")
