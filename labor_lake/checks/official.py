"""Published figures against official data: counterpart checks, and the
divergence between the AI share of postings and software-development postings.

Everything here reads core/observations; nothing fetches. Where no official series measures a
figure, or the series has no value for its period, the answer is `unverifiable` with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from labor_lake.checks.comparisons import PostingsWindow
from labor_lake.checks.lineage import observation_reference
from labor_lake.checks.readings import NoValue, number_words, read_series
from labor_lake.checks.rows import (
    ClaimCheckRow,
    claim_check_frame,
    claim_check_row,
    metric_frame,
    metric_row,
)
from labor_lake.lake.bitemporal import dataset_vintages, observations_as_of
from labor_lake.sources.snapshots import SNAPSHOT_LABEL
from schemas.formulas import growth_pct, spread_pp
from schemas.vocabulary import ALFRED, PUBLISHER_HISTORY, QUALIFIERS, RECORDED_SNAPSHOT

# Revision dates by dataset (catalog `revisions`): a window that crosses one must take each series
# from one vintage, never splice two (Indeed revised its seasonal adjustment and history in
# November 2024).
Revisions = Mapping[str, tuple[date, ...]]


# A number written with a scale word, as in "5.0 million jobs": its last digit is in millions.
_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(thousand|million|billion)\b", re.IGNORECASE)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def rounding_tolerance(value: float, as_printed: str | None = None) -> float:
    """Half a unit in the last printed digit: 3.3 -> 0.05, 133080 -> 0.5, and 5000000 printed
    "5.0 million" -> 50,000 (the registry holds the number; the words say how it was rounded)."""
    for digits, word in _SCALED.findall(as_printed or ""):
        scale = _SCALE[word.lower()]
        if math.isclose(float(digits) * scale, abs(value)):
            exponent = Decimal(digits).as_tuple().exponent
            return 0.5 * 10.0 ** min(int(exponent), 0) * scale
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return 0.5 * 10.0 ** min(int(exponent), 0)


def vintage_label(observation: Mapping) -> str:
    """Where an observation's value came from, in words: 'fetched 2026-11-29', 'recorded
    snapshot of 2026-07-21' or 'the publisher's version of 2024-07-16'."""
    day = f"{observation['vintage_fetched_at']:%Y-%m-%d}"
    if observation["vintage_origin"] == RECORDED_SNAPSHOT:
        return SNAPSHOT_LABEL.format(date=day)
    if observation["vintage_origin"] == PUBLISHER_HISTORY:
        return f"the publisher's version of {day}"
    if observation["vintage_origin"] == ALFRED:
        return f"FRED's vintage of {day} (ALFRED)"
    return f"fetched {day}"


# How a figure is hedged, in the words of a ledger reason.
QUALIFIER_WORDS: dict[str, str] = {
    "exact": "stated as a point",
    "at_least": "stated as a lower bound",
    "up_to": "stated as an upper bound",
    "approximately": "stated loosely (within 5%)",
}
assert set(QUALIFIER_WORDS) == set(QUALIFIERS), "words for every qualifier"


def _verdict(figure: Mapping, official: float) -> tuple[str, str]:
    qualifier = figure["qualifier"]
    if figure["value"] is not None:
        low = high = figure["value"]
    else:
        low, high = figure["low"], figure["high"]
    tolerance = rounding_tolerance(high, figure["as_printed"])
    if qualifier == "at_least":
        inside = official >= low - tolerance
    elif qualifier == "up_to":
        inside = official <= high + tolerance
    elif qualifier == "approximately":
        # Within 5% of the stated value, whatever its sign ("about -9%" spans -9.45 to -8.55).
        inside = min(low * 0.95, low * 1.05) <= official <= max(high * 0.95, high * 1.05)
    else:
        inside = low - tolerance <= official <= high + tolerance
    return (
        "consistent" if inside else "inconsistent"
    ), f"{QUALIFIER_WORDS[qualifier]}, rounding tolerance {tolerance:g}"


@dataclass(frozen=True)
class _Checked:
    """A figure read from one set of observations: the verdict, what was read and from where."""

    status: str
    explanation: str
    computed: float | None = None
    inputs: tuple[str, ...] = ()
    vintage: date | None = None  # the newest vintage among the observations read


def _check(figure: Mapping[str, Any], observations: pl.DataFrame) -> _Checked:
    series_id, reading = figure["official_series_id"], figure["reading"]
    found = read_series(
        observations, series_id, reading, figure["period_start"], figure["period_end"]
    )
    if isinstance(found, NoValue):
        return _Checked("unverifiable", found.reason)
    status, how = _verdict(figure, found.value)
    releases = sorted({o["release"] for o in found.observations if o["release"]})
    vintages = sorted({vintage_label(o) for o in found.observations})
    provenance = "; ".join([*releases, *vintages])
    return _Checked(
        status,
        f"Official {series_id} {found.how} ({how}; {provenance}).",
        found.value,
        tuple(observation_reference(series_id, o["period_start"]) for o in found.observations),
        max(o["vintage_fetched_at"] for o in found.observations).date(),
    )


@dataclass(frozen=True)
class PublishedNumbers:
    """The numbers as published on any day (from the bitemporal table of observations), to check
    a statement against what its writer could see."""

    # The observations of a series as published on a day (only that series' rows).
    observations_on: Callable[[date, str], pl.DataFrame]
    # The days a series' vintages were published, in order: before the first, nothing can be
    # checked as published.
    vintage_days: Callable[[str], Sequence[date]]


def published_numbers(vintages: pl.DataFrame) -> PublishedNumbers:
    """The numbers as published on any day, from core/observation_vintages. A series' view on a
    day is computed from that series' rows only (taken out of the table once, the first time it
    is asked for), with its datasets' vintage in force on that day named from the datasets'
    vintages: a few thousand rows per view, not whole datasets (up to 437,204 rows), and no pass
    over the whole table for the series never asked about."""
    of_record = dataset_vintages(vintages)
    rows: dict[str, pl.DataFrame] = {}
    views: dict[tuple[date, str], pl.DataFrame] = {}
    days: dict[str, tuple[date, ...]] = {}

    def series_rows(series_id: str) -> pl.DataFrame:
        if series_id not in rows:
            rows[series_id] = vintages.filter(pl.col("series_id") == series_id)
        return rows[series_id]

    def observations_on(day: date, series_id: str) -> pl.DataFrame:
        if (day, series_id) not in views:
            views[day, series_id] = observations_as_of(series_rows(series_id), day, of_record)
        return views[day, series_id]

    def vintage_days(series_id: str) -> Sequence[date]:
        if series_id not in days:
            published = series_rows(series_id)["realtime_start"].dt.date().unique().sort()
            days[series_id] = tuple(published.to_list())
        return days[series_id]

    return PublishedNumbers(observations_on, vintage_days)


def _as_of_words(then: _Checked, now: _Checked) -> str:
    if now.computed is None:
        return f"The newest numbers give no value: {now.explanation}"
    verdict = "still " + now.status if now.status == then.status else "now " + now.status
    return f"The newest vintage ({now.vintage}) reads {number_words(now.computed)}: {verdict}."


def _counterpart(
    figure: Mapping[str, Any],
    observations: pl.DataFrame,
    published_on: date | None,
    published: PublishedNumbers | None,
) -> ClaimCheckRow:
    """The claim_checks row of one published figure against its official series: the verdict
    as published on its article's day where a vintage of the series was out by then, with the
    verdict against the newest vintage beside it; else against the newest vintage, saying why."""
    series_id = figure["official_series_id"]
    stated_low = figure["value"] if figure["value"] is not None else figure["low"]
    stated_high = figure["value"] if figure["value"] is not None else figure["high"]

    def row(checked: _Checked, explanation: str, **as_of: Any) -> ClaimCheckRow:
        return claim_check_row(
            claim_id=f"official_{figure['figure_id']}",
            kind="figure_vs_official",
            about_claim_id=None,
            statement=f"{figure['subject']}: {figure['as_printed']} ({figure['period']}, "
            f"{figure['publisher']}) against its official series.",
            status=checked.status,
            explanation=explanation,
            stated_low=stated_low,
            stated_high=stated_high,
            stated_unit=figure["unit"],
            tolerance=rounding_tolerance(stated_high, figure["as_printed"])
            if checked.computed is not None
            else 0.0,
            formula="restated",
            inputs=[figure["figure_id"], *checked.inputs],
            computed=checked.computed,
            **as_of,
        )

    if series_id is None:
        note = figure["official_note"] or "No official series is recorded for this figure."
        return row(_Checked("unverifiable", note), note)
    now = _check(figure, observations)
    days = published.vintage_days(series_id) if published else ()
    if published_on is None:
        why = "the article gives no date"
    elif not days or days[0] > published_on:
        first_words = f" (the first is of {days[0]})" if days else ""
        why = f"no vintage of {series_id} was published by {published_on}{first_words}"
    else:
        assert published is not None
        then, read_on = _as_published(figure, published, published_on, days)
        if then is None:
            why = f"no vintage of {series_id} published since {published_on} covers the period"
        else:
            late = (
                ""
                if read_on == published_on
                else f" (the vintage in force then did not reach the period; read from the "
                f"first that does, of {then.vintage})"
            )
            return row(
                then,
                f"As published on {published_on}{late}: {then.explanation} "
                f"{_as_of_words(then, now)}",
                checked_as_of=published_on,
                vintage_as_of=then.vintage,
                status_now=now.status,
                computed_now=now.computed,
                vintage_now=now.vintage,
                revised_since=now.status != then.status,
            )
    return row(
        now,
        f"{now.explanation} Checked against the newest numbers only: {why}.",
        status_now=now.status,
        computed_now=now.computed,
        vintage_now=now.vintage,
    )


def _as_published(
    figure: Mapping[str, Any],
    published: PublishedNumbers,
    published_on: date,
    days: Sequence[date],
) -> tuple[_Checked | None, date]:
    """The figure read from the numbers in force on `published_on`; where they do not reach
    the figure's period (a writer with the publisher's own, newer data), from the first later
    vintage that does. None when none does."""
    series_id = figure["official_series_id"]
    then = _check(figure, published.observations_on(published_on, series_id))
    if then.computed is not None:
        return then, published_on
    for day in (d for d in days if d > published_on):
        later = _check(figure, published.observations_on(day, series_id))
        if later.computed is not None:
            return later, day
    return None, published_on


def counterpart_checks(
    figures: pl.DataFrame,
    observations: pl.DataFrame,
    published_on: Mapping[str, date | None] | None = None,
    published: PublishedNumbers | None = None,
) -> pl.DataFrame:
    """One claim_checks row per published figure: its value against its official series, as
    published on its article's day (`published_on`: figure id -> the day) where `published`
    holds the numbers of that day, and as now."""
    return claim_check_frame(
        _counterpart(figure, observations, (published_on or {}).get(figure["figure_id"]), published)
        for figure in figures.sort("figure_id").iter_rows(named=True)
        if figure["source_kind"] == "article" or figure["official_series_id"] is not None
    )


def _value_at(series: pl.DataFrame, day: date) -> dict | None:
    """The last non-empty observation on or before `day`, within a week."""
    rows = series.filter(
        (pl.col("period_start") <= day) & (pl.col("period_start") >= day - pl.duration(days=7))
    ).drop_nulls("value")
    return rows.sort("period_start").row(-1, named=True) if rows.height else None


def _series(observations: pl.DataFrame, series_id: str) -> pl.DataFrame:
    return (
        observations.filter(pl.col("series_id") == series_id)
        .drop_nulls("value")
        .sort("period_start")
    )


def _crossed(series: pl.DataFrame, start: date, end: date, revisions: Revisions) -> list[date]:
    datasets = series["dataset"].unique().to_list()
    return sorted({r for d in datasets for r in revisions.get(d, ()) if start < r <= end})


def _window_rows(
    observations: pl.DataFrame, window: PostingsWindow, revisions: Revisions
) -> tuple[dict | None, str]:
    """The divergence row of one window, or None and why it cannot be computed."""
    series, baseline = (
        _series(observations, s) for s in (window.series_id, window.baseline_series_id)
    )
    for name, frame in ((window.series_id, series), (window.baseline_series_id, baseline)):
        if not frame.height:
            return None, f"{window.window_id}: {name} has no observations in core/observations"
    end = min(series["period_start"].max(), baseline["period_start"].max())
    start = window.start
    points = [_value_at(s, d) for s in (series, baseline) for d in (start, end)]
    if start >= end or any(p is None for p in points):
        return None, f"{window.window_id}: the series do not both cover {start} and {end}"
    a_start, a_end, b_start, b_end = points
    inside = pl.col("period_start").is_between(start, end)
    crossed = _crossed(pl.concat([series, baseline]), start, end, revisions)
    spliced = [f.filter(inside)["payload_sha256"].n_unique() > 1 for f in (series, baseline)]
    if crossed and any(spliced):
        return None, (
            f"{window.window_id}: {start}..{end} crosses the revision of {crossed[0]} and would "
            "splice two vintages"
        )
    a_growth = growth_pct(a_end["value"], a_start["value"])
    b_growth = growth_pct(b_end["value"], b_start["value"])
    flags = ["each series from a single vintage"] + [
        f"window crosses the source's revision of {r}" for r in crossed
    ]
    row = metric_row(
        metric_id=f"spread_pp:{window.series_id}:{window.baseline_series_id}:{start}..{end}",
        value=spread_pp(a_growth, b_growth),
        unit="percentage_points",
        period=f"{start}/{end}",
        inputs=[
            observation_reference(window.series_id, a_end["period_start"]),
            observation_reference(window.series_id, a_start["period_start"]),
            observation_reference(window.baseline_series_id, b_end["period_start"]),
            observation_reference(window.baseline_series_id, b_start["period_start"]),
        ],
        formula="spread_pp",
        formula_text=f"({a_end['value']:g} / {a_start['value']:g} - 1) x 100 - "
        f"({b_end['value']:g} / {b_start['value']:g} - 1) x 100",
        measure="postings_growth",
        subjects=[series["subject"][0], baseline["subject"][0]],
        flags=flags,
    )
    return row, ""


def postings_divergence(
    observations: pl.DataFrame, windows: Sequence[PostingsWindow], revisions: Revisions
) -> tuple[pl.DataFrame, list[str]]:
    """Spread between the growth of each window's series and of its baseline, in percentage
    points, from the window's start to the last day both cover; and, for each window that cannot
    be computed, why."""
    rows, gaps = [], []
    for window in windows:
        row, why = _window_rows(observations, window, revisions)
        if row is None:
            gaps.append(why)
        else:
            rows.append(row)
    return metric_frame(rows), gaps


def postings_growth_series(
    observations: pl.DataFrame, windows: Sequence[PostingsWindow], revisions: Revisions
) -> pl.DataFrame:
    """Day-by-day growth since each window start of every series the windows compare: the
    divergence drawn over time. A series whose window would splice vintages across a revision
    is left out."""
    rows = []
    starts = dict.fromkeys(
        (series_id, w.start) for w in windows for series_id in (w.series_id, w.baseline_series_id)
    )
    for series_id, start in starts:
        series = _series(observations, series_id)
        base = _value_at(series, start)
        if base is None:
            continue
        window = series.filter(pl.col("period_start") >= base["period_start"])
        crossed = _crossed(window, start, window["period_start"].max(), revisions)
        if crossed and window["payload_sha256"].n_unique() > 1:
            continue
        base_ref = observation_reference(series_id, base["period_start"])
        for day, value, subject, measure in window.select(
            "period_start", "value", "subject", "measure"
        ).iter_rows():
            reference = observation_reference(series_id, day)
            rows.append(
                metric_row(
                    metric_id=f"growth_pct:{reference}:{base_ref}",
                    value=growth_pct(value, base["value"]),
                    unit="percent_change",
                    period=f"{base['period_start']}/{day}",
                    inputs=[reference, base_ref],
                    formula="growth_pct",
                    formula_text=f"({value:g} / {base['value']:g} - 1) x 100",
                    measure=measure,
                    subjects=[subject, subject],
                    flags=[f"growth since window start {start}"],
                )
            )
    return metric_frame(rows)
