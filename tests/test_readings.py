"""Readings: a stated value read from its official series as the writer read it ("at the end of
February", "peaked in March 2022", "18% above its pre-pandemic baseline").

The unit tests use SYNTHETIC series (made-up values, labelled as such); the last tests read the
lake built from the committed registry and the recorded real snapshots."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from labor_lake.checks.readings import NoValue, ReadValue, read_series
from schemas.tables import CORE_OBSERVATIONS
from schemas.vocabulary import READINGS

SYNTHETIC_DAILY = "indeed:ai_share:US"
SYNTHETIC_INDEX = "indeed:aggregate:total postings:SA"
SYNTHETIC_MONTHLY = "bls:LNS14000000"


def _row(series_id: str, start: date, end: date, value: float | None, frequency: str) -> dict:
    return {
        "source": "indeed_hiring_lab",
        "dataset": "synthetic",
        "series_id": series_id,
        "subject": "synthetic",
        "measure": "ai_share_of_postings",
        "geography": "US",
        "frequency": frequency,
        "period_start": start,
        "period_end": end,
        "value": value,
        "unit": "percent",
        "footnote_codes": [],
    }


def _daily(series_id: str, first: date, values: list[float | None]) -> list[dict]:
    return [
        _row(series_id, first + timedelta(days=i), first + timedelta(days=i), v, "daily")
        for i, v in enumerate(values)
    ]


def _monthly(series_id: str, months: list[tuple[int, int, float]]) -> list[dict]:
    rows = []
    for year, month, value in months:
        start = date(year, month, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        rows.append(_row(series_id, start, end, value, "monthly"))
    return rows


@pytest.fixture
def observations() -> pl.DataFrame:
    # SYNTHETIC: 2024-02-26..2024-03-02 daily (a gap on 2024-02-29), an index, and three months.
    rows = [
        *_daily(SYNTHETIC_DAILY, date(2024, 2, 26), [1.8, 2.2, 1.9, None, 2.0, 2.4]),
        *_daily(SYNTHETIC_INDEX, date(2024, 3, 6), [117.0, 117.5, 118.0]),
        *_monthly(SYNTHETIC_MONTHLY, [(2022, 10, 3.7), (2022, 11, 3.6), (2022, 12, 3.5)]),
    ]
    return pl.DataFrame(rows, schema=CORE_OBSERVATIONS.polars_schema)


def _read(observations, series_id, reading, start, end=None) -> ReadValue | NoValue:
    return read_series(observations, series_id, reading, start, end or start)


def test_on_a_day_takes_that_day_or_the_last_one_within_a_step(observations) -> None:
    on = _read(observations, SYNTHETIC_DAILY, "on", date(2024, 2, 28))
    assert isinstance(on, ReadValue) and on.value == 1.9
    # 2024-02-29 has no value: the day before is within one step of a daily series.
    leap = _read(observations, SYNTHETIC_DAILY, "on", date(2024, 2, 29))
    assert isinstance(leap, ReadValue) and leap.value == 1.9
    assert leap.observations[0]["period_start"] == date(2024, 2, 28)
    # Two days after the last value is more than one step: no value, with the nearest named.
    late = _read(observations, SYNTHETIC_DAILY, "on", date(2024, 3, 4))
    assert isinstance(late, NoValue)
    assert "the last before is 2.4 (2024-03-02)" in late.reason


def test_max_min_mean_and_end_over_a_period(observations) -> None:
    feb = (date(2024, 2, 1), date(2024, 2, 29))
    assert _read(observations, SYNTHETIC_DAILY, "max", *feb).value == 2.2
    assert _read(observations, SYNTHETIC_DAILY, "min", *feb).value == 1.8
    assert _read(observations, SYNTHETIC_DAILY, "mean", *feb).value == pytest.approx(5.9 / 3)
    assert _read(observations, SYNTHETIC_DAILY, "end", *feb).value == 1.9
    peak = _read(observations, SYNTHETIC_DAILY, "max", *feb)
    assert peak.observations[0]["period_start"] == date(2024, 2, 27)
    q4 = (date(2022, 10, 1), date(2022, 12, 31))
    assert _read(observations, SYNTHETIC_MONTHLY, "mean", *q4).value == pytest.approx(3.6)


def test_changes_are_computed_from_the_two_ends(observations) -> None:
    change = _read(observations, SYNTHETIC_DAILY, "change_pct", date(2024, 2, 26), date(2024, 3, 2))
    assert change.value == pytest.approx((2.4 / 1.8 - 1) * 100)
    assert [o["period_start"] for o in change.observations] == [
        date(2024, 2, 26),
        date(2024, 3, 2),
    ]
    points = _read(
        observations, SYNTHETIC_MONTHLY, "change_pp", date(2022, 10, 1), date(2022, 12, 31)
    )
    assert points.value == pytest.approx(-0.2)
    times = _read(observations, SYNTHETIC_DAILY, "ratio", date(2024, 2, 26), date(2024, 3, 2))
    assert times.value == pytest.approx(2.4 / 1.8)


def test_above_base_is_an_index_distance_from_100(observations) -> None:
    above = _read(observations, SYNTHETIC_INDEX, "above_base_pct", date(2024, 3, 8))
    assert above.value == pytest.approx(18.0)


def test_value_names_what_lies_inside_a_period_it_does_not_cover(observations) -> None:
    year = _read(observations, SYNTHETIC_MONTHLY, "value", date(2022, 1, 1), date(2022, 12, 31))
    assert isinstance(year, NoValue)
    assert "observations inside 2022-01-01..2022-12-31 (2022-10, 2022-11, 2022-12)" in year.reason
    month = _read(observations, SYNTHETIC_MONTHLY, "value", date(2022, 11, 1), date(2022, 11, 30))
    assert month.value == 3.6


def test_a_series_with_no_value_in_the_period_names_its_neighbours(observations) -> None:
    gap = _read(observations, SYNTHETIC_MONTHLY, "mean", date(2023, 1, 1), date(2023, 3, 31))
    assert isinstance(gap, NoValue)
    assert gap.reason == (
        "bls:LNS14000000 has no value in 2023-01-01..2023-03-31; the last before is 3.5 (2022-12)."
    )


def test_every_reading_is_declared_with_words() -> None:
    assert all(reading.description for reading in READINGS.values())


# The lake built from the committed registry and the recorded real snapshots: statements of real
# articles read from the daily Indeed series (the values in the reasons are the recorded data's).
REAL_READINGS = {
    # "hitting 2% of all jobs at the end of February 2024" (Indeed Hiring Lab, 2024-03-14)
    "hl2403_ai_feb": ("on", "consistent", ["indeed:ai_share:US@2024-02-29"]),
    # "their recent peak of 3.3%, reached in March 2022"
    "hl2403_ai_peak": ("max", "consistent", ["indeed:ai_share:US@2022-03-13"]),
    # "18% above its pre-pandemic baseline" as of March 8, 2024
    "hl2403_jpi": (
        "above_base_pct",
        "consistent",
        ["indeed:aggregate:total postings:SA@2024-03-08"],
    ),
    # Production & Manufacturing postings down 21.9% year over year to July 5, 2024
    "hl2407_pm_yoy": (
        "change_pct",
        "consistent",
        [
            "indeed:sector:Production & Manufacturing:total postings@2023-07-05",
            "indeed:sector:Production & Manufacturing:total postings@2024-07-05",
        ],
    ),
}


@pytest.mark.parametrize("figure_id", sorted(REAL_READINGS))
def test_real_statements_are_read_from_the_daily_series(published_lake: Path, figure_id) -> None:
    reading, status, inputs = REAL_READINGS[figure_id]
    checks = pl.read_parquet(published_lake / "metrics" / "claim_checks.parquet")
    row = checks.filter(pl.col("claim_id") == f"official_{figure_id}").row(0, named=True)
    assert row["status"] == status, row["explanation"]
    assert row["computed_value"] is not None
    assert row["inputs"] == [figure_id, *inputs]
    assert f"read {reading}," in row["explanation"]
