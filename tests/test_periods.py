from datetime import date

import pytest

from labor_lake.registry.periods import PeriodError, period_bounds


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2024-05", date(2024, 5, 1), date(2024, 5, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2024/2026-Q1", date(2024, 1, 1), date(2026, 3, 31)),
    ],
)
def test_period_bounds(period: str, start: date, end: date) -> None:
    assert period_bounds(period) == (start, end)


@pytest.mark.parametrize(
    "period", ["", "25", "2025-13", "2025-Q5", "May 2024", "2026/2024", "2024/"]
)
def test_bad_periods_are_refused(period: str) -> None:
    with pytest.raises(PeriodError):
        period_bounds(period)
