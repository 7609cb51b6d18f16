"""Reading an official series over a figure's period, as a writer did: "at the end of February",
"peaked in March 2022", "18% above its pre-pandemic baseline".

Each reading is declared once in `schemas.vocabulary.READINGS` (its words and the unit it yields);
this module computes it over the observations of one series. A reading either gives a value with
the observations it rests on, or says why it cannot, naming the nearest observations before and
after the period, so that "no value" is never mistaken for "not fetched".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from labor_lake.registry.validation import Problem
from labor_lake.sources.series import SeriesFamily, find_series, nearest_series
from schemas.formulas import FormulaError, growth_pct
from schemas.vocabulary import DEFAULT_READING, READINGS

# How far before a day the last published value may lie and still be "the value on" that day:
# one step of the series' frequency.
FREQUENCY_STEP: dict[str, timedelta] = {
    "daily": timedelta(days=1),
    "monthly": timedelta(days=31),
    "annual": timedelta(days=366),
}
# Indeed's indexes are levels with 2020-02-01 = 100.
INDEX_BASE = 100.0

Observation = Mapping[str, Any]


@dataclass(frozen=True)
class ReadValue:
    """What a reading gives: the value, the observations it rests on, and how, in words."""

    value: float
    observations: tuple[Observation, ...]
    how: str


@dataclass(frozen=True)
class NoValue:
    """Why a reading gives no value."""

    reason: str


def _day(observation: Observation) -> str:
    start, end = observation["period_start"], observation["period_end"]
    if start == end:
        return f"{start}"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start:%Y}"
    if start.day == 1 and (end + timedelta(days=1)).day == 1 and start.month == end.month:
        return f"{start:%Y-%m}"
    return f"{start}..{end}"


def number_words(value: float) -> str:
    """A value as people print it: 5,003,910 and 138,110, but 3.29005 and 0.113059."""
    if abs(value) >= 1000:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{value:.6g}"


def _value_words(observation: Observation) -> str:
    return f"{number_words(observation['value'])} ({_day(observation)})"


def _nearest(series: pl.DataFrame, series_id: str, start: date, end: date) -> NoValue:
    before = series.filter(pl.col("period_end") < start).sort("period_end")
    after = series.filter(pl.col("period_start") > end).sort("period_start")
    around = []
    if before.height:
        around.append(f"the last before is {_value_words(before.row(-1, named=True))}")
    if after.height:
        around.append(f"the first after is {_value_words(after.row(0, named=True))}")
    period = f"{start}" if start == end else f"{start}..{end}"
    if not around:
        return NoValue(f"{series_id} has no observations at all in core/observations.")
    return NoValue(f"{series_id} has no value in {period}; " + " and ".join(around) + ".")


def _on(series: pl.DataFrame, day: date) -> Observation | None:
    """The observation covering `day`, else the last one ending before it within one step."""
    covering = series.filter((pl.col("period_start") <= day) & (pl.col("period_end") >= day))
    if covering.height:
        return covering.sort(pl.col("period_end") - pl.col("period_start")).row(0, named=True)
    earlier = series.filter(pl.col("period_end") < day).sort("period_end")
    if not earlier.height:
        return None
    last = earlier.row(-1, named=True)
    step = FREQUENCY_STEP.get(last["frequency"], timedelta(0))
    return last if day - last["period_end"] <= step else None


def _read_on(series: pl.DataFrame, series_id: str, start: date, end: date) -> ReadValue | NoValue:
    found = _on(series, end)
    if found is None:
        return _nearest(series, series_id, end, end)
    return ReadValue(found["value"], (found,), f"on {end}: {_value_words(found)}")


def _inside(series: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return series.filter((pl.col("period_start") >= start) & (pl.col("period_end") <= end)).sort(
        "period_start"
    )


def _aggregate(kind: str) -> Callable[[pl.DataFrame, str, date, date], ReadValue | NoValue]:
    def read(series: pl.DataFrame, series_id: str, start: date, end: date) -> ReadValue | NoValue:
        inside = _inside(series, start, end)
        if not inside.height:
            return _nearest(series, series_id, start, end)
        rows = tuple(inside.iter_rows(named=True))
        count = f"{len(rows)} observation{'s' if len(rows) != 1 else ''} in {start}..{end}"
        if kind == "mean":
            value = float(inside["value"].mean())  # type: ignore[arg-type]
            return ReadValue(value, rows, f"mean of {count}: {number_words(value)}")
        if kind == "end":
            return ReadValue(
                rows[-1]["value"], rows[-1:], f"last of {count}: {_value_words(rows[-1])}"
            )
        pick = max if kind == "max" else min
        extreme = pick(rows, key=lambda r: r["value"])
        word = "highest" if kind == "max" else "lowest"
        return ReadValue(
            extreme["value"], (extreme,), f"{word} of {count}: {_value_words(extreme)}"
        )

    return read


def _two_ends(
    series: pl.DataFrame, series_id: str, start: date, end: date
) -> tuple[Observation, Observation] | NoValue:
    first, last = _on(series, start), _on(series, end)
    if first is None:
        return _nearest(series, series_id, start, start)
    if last is None:
        return _nearest(series, series_id, end, end)
    return first, last


def _change(kind: str) -> Callable[[pl.DataFrame, str, date, date], ReadValue | NoValue]:
    def read(series: pl.DataFrame, series_id: str, start: date, end: date) -> ReadValue | NoValue:
        ends = _two_ends(series, series_id, start, end)
        if isinstance(ends, NoValue):
            return ends
        first, last = ends
        words = f"from {_value_words(first)} to {_value_words(last)}"
        if kind == "change_pp":
            value = last["value"] - first["value"]
            return ReadValue(value, ends, f"{value:+.6g} points {words}")
        try:
            if kind == "ratio":
                value = last["value"] / first["value"]
                return ReadValue(value, ends, f"{value:.6g} times, {words}")
            value = growth_pct(last["value"], first["value"])
        except (FormulaError, ZeroDivisionError):
            return NoValue(f"{series_id} is 0 on {first['period_start']}: no change from zero.")
        return ReadValue(value, ends, f"{value:+.6g}% {words}")

    return read


def _read_above_base(
    series: pl.DataFrame, series_id: str, start: date, end: date
) -> ReadValue | NoValue:
    found = _on(series, end)
    if found is None:
        return _nearest(series, series_id, end, end)
    value = growth_pct(found["value"], INDEX_BASE)
    return ReadValue(value, (found,), f"{value:+.6g}% from its base of 100: {_value_words(found)}")


def _read_value(
    series: pl.DataFrame, series_id: str, start: date, end: date
) -> ReadValue | NoValue:
    covering = series.filter((pl.col("period_start") <= start) & (pl.col("period_end") >= end))
    if not covering.height:
        inside = _inside(series, start, end)
        if inside.height:
            found = ", ".join(_day(row) for row in inside.head(3).iter_rows(named=True))
            more = f" and {inside.height - 3} more" if inside.height > 3 else ""
            return NoValue(
                f"{series_id} has observations inside {start}..{end} ({found}{more}) but none "
                "covering all of it: give the period the series publishes (an OEWS estimate "
                "refers to May), or a reading over the period (mean, end, max, min)."
            )
        return _nearest(series, series_id, start, end)
    found = covering.sort(pl.col("period_end") - pl.col("period_start")).row(0, named=True)
    return ReadValue(found["value"], (found,), f"{_value_words(found)}")


_READERS: dict[str, Callable[[pl.DataFrame, str, date, date], ReadValue | NoValue]] = {
    DEFAULT_READING: _read_value,
    "on": _read_on,
    "mean": _aggregate("mean"),
    "max": _aggregate("max"),
    "min": _aggregate("min"),
    "end": _aggregate("end"),
    "change_pct": _change("change_pct"),
    "change_pp": _change("change_pp"),
    "ratio": _change("ratio"),
    "above_base_pct": _read_above_base,
}
assert set(_READERS) == set(READINGS), "every declared reading is computed here, and only those"


def read_series(
    observations: pl.DataFrame, series_id: str, reading: str, start: date, end: date
) -> ReadValue | NoValue:
    """`reading` of `series_id` over [start, end], from core/observations rows.

    Empty values (a series that publishes none for a period, such as a top-coded wage) are not
    observations a reading can use; the `value` reading says so when it is the one it needs."""
    series = observations.filter(pl.col("series_id") == series_id)
    if reading == DEFAULT_READING:
        covering = series.filter(
            (pl.col("period_start") <= start) & (pl.col("period_end") >= end)
        ).sort(pl.col("period_end") - pl.col("period_start"))
        if covering.height and covering["value"][0] is None:
            found = covering.row(0, named=True)
            footnotes = ", ".join(found["footnote_codes"]) or "none"
            return NoValue(
                f"{series_id} publishes no value for {_day(found)} (footnotes: {footnotes})."
            )
    return _READERS[reading](series.drop_nulls("value"), series_id, start, end)


def reading_problems(
    figures: pl.DataFrame, families: tuple[SeriesFamily, ...], file: str
) -> list[Problem]:
    """Registry rows whose official series no catalog dataset can produce, or whose reading
    cannot give the figure's unit from that series (or needs an interval the period is not)."""
    problems = []
    for figure in figures.iter_rows(named=True):
        series_id, reading = figure["official_series_id"], figure["reading"]
        where: dict[str, Any] = {
            "record": figure["figure_id"],
            "line": figure["source_line"],
            "file": file,
        }
        if series_id is None or reading not in READINGS:
            continue  # an unknown reading is the schema's to report (allowed values)
        family = find_series(families, series_id)
        if family is None:
            nearest = ", ".join(repr(s) for s in nearest_series(families, series_id))
            problems.append(
                Problem(
                    f"known_series: no catalog dataset produces it; nearest known: {nearest}",
                    column="official_series_id",
                    value=series_id,
                    **where,
                )
            )
            continue
        declared = READINGS[reading]
        yields = declared.unit_from(family.unit)
        if yields != figure["unit"]:
            why = (
                f"reads a series in {family.unit} as {yields}"
                if yields
                else f"cannot read a series in {family.unit} (it reads "
                f"{', '.join(declared.series_units or ())})"
            )
            problems.append(
                Problem(
                    f"reading_unit: {reading} {why}, not {figure['unit']}",
                    column="reading",
                    value=reading,
                    **where,
                )
            )
        elif declared.needs_interval and figure["period_start"] == figure["period_end"]:
            problems.append(
                Problem(
                    f"reading_period: {reading} needs an interval with a first and a last day",
                    column="period",
                    value=figure["period"],
                    **where,
                )
            )
    return problems
