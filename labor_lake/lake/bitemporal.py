"""The bitemporal table of observations (core/observation_vintages) and its filters.

Each value of a series and period is one row per span of vintages in which it did not change:
`realtime_start` is the date of the first vintage holding it, `realtime_end` that of the first
later vintage that changed it or no longer held it (null while current), as ALFRED keeps FRED's
vintages. "The series as published on day D" is then a filter, `observations_as_of`, and the
current state the rows whose `realtime_end` is null.

Two ways to build it, with the same result:

- `fold_versions`: every version of a file at once (a publisher's git history): all versions'
  rows in one frame, sorted by series, period and version, and a new row wherever the value
  differs from the previous version's or the previous version lacked it. One vectorised pass,
  no join per version.
- `add_vintage`: one more vintage on a table that holds the others (the daily refresh): the open
  rows of its dataset are joined with the new rows once. An incremental vintage (`complete=False`,
  a BLS answer for the latest years) leaves the open rows it does not mention open.

A source that keeps its own vintages gives the spans directly: `from_alfred` turns FRED's ALFRED
spans (inclusive days) into rows of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from schemas.tables import CORE_OBSERVATION_VINTAGES, CORE_OBSERVATIONS

KEY = ["series_id", "period_start", "period_end"]
TIMESTAMP = pl.Datetime("us", "UTC")
VINTAGE_SCHEMA = CORE_OBSERVATION_VINTAGES.polars_schema
_PROVENANCE = ("vintage_fetched_at", "vintage_origin", "payload_sha256", "vintage_id")
# The observation columns other than the key, the value and the vintage columns: constant per
# series in every source we read, so a version's rows carry them once per series.
_SERIES_COLUMNS = [
    c
    for c in CORE_OBSERVATIONS.polars_schema.names()
    if c not in (*KEY, "value", "footnote_codes", "release", *_PROVENANCE)
]


@dataclass(frozen=True)
class Vintage:
    """One vintage of a dataset: its id (a commit sha or a payload id), its date, the sha256 of
    its bytes and where it came from (a VINTAGE_ORIGINS key)."""

    vintage_id: str
    at: datetime  # timezone-aware
    sha256: str
    origin: str


def empty_vintages() -> pl.DataFrame:
    return pl.DataFrame(schema=VINTAGE_SCHEMA)


def _with_provenance(rows: pl.DataFrame, vintage: Vintage) -> pl.DataFrame:
    at = pl.lit(vintage.at.astimezone(UTC)).cast(TIMESTAMP)
    return rows.with_columns(
        vintage_fetched_at=at,
        vintage_origin=pl.lit(vintage.origin),
        payload_sha256=pl.lit(vintage.sha256),
        vintage_id=pl.lit(vintage.vintage_id),
        realtime_start=at,
        realtime_end=pl.lit(None, TIMESTAMP),
    ).select(VINTAGE_SCHEMA.names())


def fold_versions(versions: list[tuple[Vintage, pl.DataFrame]]) -> pl.DataFrame:
    """The bitemporal rows of one dataset from all its complete versions, in time order; each
    frame holds a version's observations (core/observations columns without the vintage ones)."""
    if not versions:
        return empty_vintages()
    versions = sorted(versions, key=lambda pair: pair[0].at)
    ats = pl.Series("at", [v.at.astimezone(UTC) for v, _ in versions], dtype=TIMESTAMP)
    provenance = pl.DataFrame(
        {
            "version": pl.Series(range(len(versions)), dtype=pl.UInt32),
            "vintage_fetched_at": ats,
            "vintage_origin": [v.origin for v, _ in versions],
            "payload_sha256": [v.sha256 for v, _ in versions],
            "vintage_id": [v.vintage_id for v, _ in versions],
        }
    )
    # The series' descriptive columns from the newest version that has the series.
    series = pl.concat(
        [frame.select("series_id", *_SERIES_COLUMNS).unique("series_id") for _, frame in versions]
    ).unique("series_id", keep="last", maintain_order=True)
    long = pl.concat(
        [
            frame.select(*KEY, "value", "footnote_codes", "release").with_columns(
                version=pl.lit(number, pl.UInt32)
            )
            for number, (_, frame) in enumerate(versions)
        ]
    ).sort([*KEY, "version"])
    same_key = pl.all_horizontal(pl.col(k) == pl.col(k).shift(1) for k in KEY).fill_null(False)
    continues = (
        same_key
        & (pl.col("version") == pl.col("version").shift(1) + 1)
        & pl.col("value").eq_missing(pl.col("value").shift(1))
        & pl.col("footnote_codes").eq_missing(pl.col("footnote_codes").shift(1))
    )
    runs = (
        long.with_columns(run=(~continues).cum_sum())
        .with_columns(last_version=pl.col("version").max().over("run"))
        .filter(~continues)
        .drop("run")
    )
    ends = provenance.select(
        last_version=pl.col("version"), realtime_end=pl.col("vintage_fetched_at").shift(-1)
    )
    return (
        runs.join(provenance, on="version")
        .join(ends, on="last_version")
        .join(series, on="series_id")
        .with_columns(realtime_start=pl.col("vintage_fetched_at"))
        .select(VINTAGE_SCHEMA.names())
        .sort([*KEY, "realtime_start"])
    )


def from_alfred(spans: pl.DataFrame, sha256: str, origin: str) -> pl.DataFrame:
    """Rows of the table from FRED's own record of its vintages: `spans` holds the observation
    columns plus FRED's `realtime_start` and `realtime_end` (dates; the end inclusive, null while
    current). ALFRED dates a vintage by day, so a span starts at midnight UTC of its first day and
    ends at midnight after its last (as `observations_as_of` reads a vintage dated on a day as in
    force on it). The vintage that first published a value is named `<series_id>@<first day>`
    (e.g. `fred:IHLIDXUS@2024-01-05`); `sha256` is that of the answer that told us."""
    start = pl.col("realtime_start").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    end = pl.col("realtime_end").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return (
        spans.with_columns(
            vintage_fetched_at=start,
            vintage_origin=pl.lit(origin),
            payload_sha256=pl.lit(sha256),
            vintage_id=pl.format("{}@{}", "series_id", pl.col("realtime_start").dt.to_string()),
            realtime_start=start,
            realtime_end=end.dt.offset_by("1d"),
        )
        .select(VINTAGE_SCHEMA.names())
        .cast(dict(VINTAGE_SCHEMA))
        .sort([*KEY, "realtime_start"])
    )


def add_vintage(
    table: pl.DataFrame, dataset: str, rows: pl.DataFrame, vintage: Vintage, complete: bool
) -> pl.DataFrame:
    """`table` with one more vintage of `dataset` (`rows`: its observations without vintage
    columns), dated after every vintage the table holds for it. Unchanged values keep their row;
    changed ones close theirs and open a new one; for a complete vintage, values it no longer
    holds are closed."""
    at = pl.lit(vintage.at.astimezone(UTC)).cast(TIMESTAMP)
    is_open = (pl.col("dataset") == dataset) & pl.col("realtime_end").is_null()
    open_rows = table.filter(is_open)
    others = table.filter(~is_open)
    new = rows.select(*KEY, new_value="value", new_footnotes="footnote_codes", present=pl.lit(True))
    joined = open_rows.join(new, on=KEY, how="left")
    unchanged = (
        pl.col("present").is_not_null()
        & pl.col("value").eq_missing(pl.col("new_value"))
        & pl.col("footnote_codes").eq_missing(pl.col("new_footnotes"))
    )
    keeps = unchanged | (pl.col("present").is_null() & pl.lit(not complete))
    kept = joined.filter(keeps).select(VINTAGE_SCHEMA.names())
    closed = joined.filter(~keeps).select(VINTAGE_SCHEMA.names()).with_columns(realtime_end=at)
    opened = _with_provenance(
        rows.join(kept.select(KEY), on=KEY, how="anti"),
        vintage,
    )
    # Not re-sorted: the writer keeps the rows' order, and sorting the whole table for one
    # vintage would cost more than the vintage itself.
    return pl.concat([others, kept, closed, opened])


def _end_of(day: date) -> pl.Expr:
    """The first instant after `day` (UTC): a vintage dated on `day` is in force on it."""
    return pl.lit(datetime.combine(day + timedelta(days=1), time(), UTC)).cast(TIMESTAMP)


def observations_as_of(vintages: pl.DataFrame, day: date) -> pl.DataFrame:
    """The observations as published on `day`: per dataset, the newest vintage dated on or before
    it (none: the dataset has no rows). Rows have the core/observations columns, whose vintage
    columns name that vintage (its date in vintage_fetched_at, its payload's sha256), plus
    `vintage_id` (its commit sha or payload id) and `value_since` (when the value was first
    published, the row's realtime_start).

    The vintage in force is the newest one that published a change on or before `day`: a
    vintage that repeated its predecessor exactly has no rows of its own, and the same values
    are named by the vintage that first published them."""
    end = _end_of(day)
    published = vintages.filter(pl.col("realtime_start") < end)
    in_force = (
        published.select("dataset", "realtime_start", *_PROVENANCE)
        .sort("realtime_start")
        .group_by("dataset")
        .last()
        .select(
            "dataset",
            in_force_at="vintage_fetched_at",
            in_force_origin="vintage_origin",
            in_force_sha256="payload_sha256",
            in_force_id="vintage_id",
        )
    )
    current = published.filter(pl.col("realtime_end").is_null() | (pl.col("realtime_end") >= end))
    return (
        current.join(in_force, on="dataset")
        .with_columns(
            vintage_fetched_at="in_force_at",
            vintage_origin="in_force_origin",
            payload_sha256="in_force_sha256",
            vintage_id="in_force_id",
            value_since="realtime_start",
        )
        .select(*CORE_OBSERVATIONS.polars_schema.names(), "vintage_id", "value_since")
        .sort("series_id", "period_start")
    )
