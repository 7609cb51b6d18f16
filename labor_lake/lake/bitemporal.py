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
  rows of its dataset are joined with the new rows once; the rows it closes get their end in
  place and the rows it opens are appended, the rest of the table is not copied. An
  incremental vintage (`complete=False`, a BLS answer for the latest years) leaves the open rows
  it does not mention open.

A source that keeps its own vintages gives the spans directly: `from_alfred` turns FRED's ALFRED
spans (inclusive days) into rows of the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from schemas.tables import CORE_OBSERVATION_VINTAGES, CORE_OBSERVATIONS

KEY = ["series_id", "period_start", "period_end"]
TIMESTAMP = pl.Datetime("us", "UTC")
VINTAGE_SCHEMA = CORE_OBSERVATION_VINTAGES.polars_schema
# The widest sort key packed into one number (fold_versions); wider keys sort column by column.
PACKED_KEY_BITS = 64
_PROVENANCE = ("vintage_fetched_at", "vintage_origin", "payload_sha256", "vintage_id")
# The observation columns other than the key, the value and the vintage columns: constant per
# series in every source we read, so a version's rows carry them once per series.
_SERIES_COLUMNS = [
    c
    for c in CORE_OBSERVATIONS.polars_schema.names()
    if c not in (*KEY, "value", "footnote_codes", "release", *_PROVENANCE)
]
_OBSERVATION_COLUMNS = [c for c in CORE_OBSERVATIONS.polars_schema.names() if c not in _PROVENANCE]


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


@dataclass(frozen=True)
class CompactVersion:
    """One version's observations in the form a fold keeps them: what is constant per series,
    per footnote list and per release once, in small tables, and per row only numbers.

    `series` has series_id and the series' descriptive columns (_SERIES_COLUMNS), one row per
    series; `footnotes` one footnote_codes list per row; `releases` one release per row; `rows`
    has `series`, `footnotes` and `release` (UInt32: a row of those tables), period_start,
    period_end and value. A reader that knows a file's layout builds it without building the
    observation columns row by row (labor_lake.sources.history); `compact` builds it from any
    version's observations."""

    series: pl.DataFrame
    footnotes: pl.Series
    releases: pl.Series
    rows: pl.DataFrame

    def observations(self) -> pl.DataFrame:
        """The version's observations (core/observations columns without the vintage ones)."""
        series = self.series.with_row_index("series", offset=0).with_columns(
            pl.col("series").cast(pl.UInt32)
        )
        return (
            self.rows.with_columns(
                footnote_codes=pl.lit(self.footnotes).gather(pl.col("footnotes")),
                release=pl.lit(self.releases).gather(pl.col("release")),
            )
            .join(series, on="series", how="left", maintain_order="left")
            .select(_OBSERVATION_COLUMNS)
        )


def _local_index(frame: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.Series]:
    """`frame` with `column` replaced by the UInt32 row of its value among the distinct values
    (in order of first appearance), and those values."""
    distinct = frame.select(pl.col(column).unique(maintain_order=True))
    index = distinct.with_row_index("index").with_columns(pl.col("index").cast(pl.UInt32))
    joined = frame.join(index, on=column, how="left", maintain_order="left", nulls_equal=True)
    return joined.drop(column).rename({"index": column}), distinct[column]


def compact(observations: pl.DataFrame) -> CompactVersion:
    """Any version's observations (core/observations columns without the vintage ones) in
    compact form."""
    frame = observations.with_columns(footnotes=_footnotes_key(pl.col("footnote_codes")))
    lists = frame.select("footnotes", "footnote_codes").unique("footnotes", maintain_order=True)
    frame, _ = _local_index(frame, "series_id")
    frame, _ = _local_index(frame, "footnotes")
    frame, releases = _local_index(frame, "release")
    footnotes = lists["footnote_codes"]  # in the order of `keys`: both by first appearance
    series = observations.select("series_id", *_SERIES_COLUMNS).unique(
        "series_id", keep="first", maintain_order=True
    )
    rows = frame.select(
        pl.col("series_id").alias("series"),
        "period_start",
        "period_end",
        "value",
        "footnotes",
        "release",
    )
    return CompactVersion(series, footnotes, releases, rows)


def fold_versions(
    versions: Iterable[tuple[Vintage, pl.DataFrame | CompactVersion]],
) -> pl.DataFrame:
    """The bitemporal rows of one dataset from all its complete versions; each holds a
    version's observations (core/observations columns without the vintage ones, or their
    CompactVersion). `versions` may be a generator in any order: each version is kept only in
    compact form (numbers per row; each series, footnote list and release once), so the strings
    of 8 million rows are never held at once, and the one sort is over numbers."""
    vintages: list[Vintage] = []
    descriptions: list[pl.DataFrame] = []
    parts: list[pl.DataFrame] = []
    # Every series, footnote list and release seen, numbered in order of first appearance.
    series_ids: dict[str, int] = {}
    footnote_ids: dict[tuple[str | None, ...] | None, int] = {}
    footnote_lists: list[list[str | None] | None] = []
    release_ids: dict[str | None, int] = {}
    for arrival, (vintage, version) in enumerate(versions):
        if isinstance(version, pl.DataFrame):
            version = compact(version)
        vintages.append(vintage)
        series = [series_ids.setdefault(s, len(series_ids)) for s in version.series["series_id"]]
        notes = []
        for codes in version.footnotes.to_list():
            exact = None if codes is None else tuple(codes)
            if exact not in footnote_ids:
                footnote_ids[exact] = len(footnote_ids)
                footnote_lists.append(codes)
            notes.append(footnote_ids[exact])
        releases = [release_ids.setdefault(r, len(release_ids)) for r in version.releases]
        descriptions.append(version.series.select("series_id", *_SERIES_COLUMNS))

        def number(ids: list[int], column: str) -> pl.Expr:
            if ids == list(range(len(ids))):  # numbered as the first versions were: as is
                return pl.col(column).cast(pl.UInt32)
            return pl.lit(pl.Series(ids, dtype=pl.UInt32)).gather(pl.col(column))

        parts.append(
            version.rows.select(
                series=number(series, "series"),
                period_start="period_start",
                period_end="period_end",
                value="value",
                footnotes=number(notes, "footnotes"),
                release=number(releases, "release"),
                version=pl.lit(arrival, pl.UInt32),
            )
        )
    if not vintages:
        return empty_vintages()
    # Versions in time order (a stable sort, as `sorted` by date): `version` is the rank.
    order = sorted(range(len(vintages)), key=lambda i: vintages[i].at)
    rank = [0] * len(order)
    for position, arrival in enumerate(order):
        rank[arrival] = position
    vintages = [vintages[i] for i in order]
    ats = pl.Series([v.at.astimezone(UTC) for v in vintages], dtype=TIMESTAMP)
    # The series' descriptive columns from the newest version that has the series.
    series = pl.concat([descriptions[i] for i in order]).unique(
        "series_id", keep="last", maintain_order=True
    )
    long = pl.concat(parts)
    del parts
    # Series as numbers in their ids' order (1 for the first), so sorting by them sorts by id.
    names = sorted(series_ids)
    lexical = [0] * len(series_ids)
    for position, name in enumerate(names, start=1):
        lexical[series_ids[name]] = position
    # A footnote list or release the same in every row (one each in a CSV file's versions) is
    # not carried through the sort: it is put back on the runs.
    constant = [
        c for c, ids in (("footnotes", footnote_ids), ("release", release_ids)) if len(ids) == 1
    ]
    runs = _runs(
        long.select(
            pl.lit(pl.Series(lexical, dtype=pl.UInt32)).gather(pl.col("series")).alias("series"),
            "period_start",
            "period_end",
            pl.lit(pl.Series(rank, dtype=pl.UInt32)).gather(pl.col("version")).alias("version"),
            "value",
            *(c for c in ("footnotes", "release") if c not in constant),
        )
    ).with_columns(pl.lit(0, pl.UInt32).alias(c) for c in constant)
    del long
    by_version = pl.DataFrame(
        {
            "vintage_fetched_at": ats,
            "vintage_origin": [v.origin for v in vintages],
            "payload_sha256": [v.sha256 for v in vintages],
            "vintage_id": [v.vintage_id for v in vintages],
        }
    )
    ends = ats.shift(-1)
    footnote_codes = pl.Series(footnote_lists, dtype=pl.List(pl.String))
    # Each series' columns in the order of `names`, taken for each run by its series' number
    # (a gather, not a join on the id's text).
    described = pl.DataFrame({"series_id": names}, schema={"series_id": pl.String}).join(
        series, on="series_id", how="left", maintain_order="left"
    )
    rows = pl.concat(
        [
            runs.select(
                *(pl.lit(described[c]).gather(pl.col("series") - 1) for c in described.columns),
                "period_start",
                "period_end",
                "value",
                pl.lit(footnote_codes).gather(pl.col("footnotes")).alias("footnote_codes"),
                pl.lit(pl.Series(list(release_ids), dtype=pl.String))
                .gather(pl.col("release"))
                .alias("release"),
                realtime_end=pl.lit(ends).gather(pl.col("last_version")),
            ),
            by_version[runs["version"]],
        ],
        how="horizontal",
    )
    return rows.with_columns(realtime_start=pl.col("vintage_fetched_at")).select(
        VINTAGE_SCHEMA.names()
    )


def _footnotes_key(codes: pl.Expr) -> pl.Expr:
    """A text that is equal for two lists of footnote codes exactly when the lists are (null
    for a null list): each code as its length, a colon and itself ("n" for a null code)."""
    code = pl.element()
    encoded = pl.when(code.is_null()).then(pl.lit("n"))
    encoded = encoded.otherwise(code.str.len_bytes().cast(pl.String) + ":" + code)
    return codes.list.eval(encoded).list.join("")


def _runs(long: pl.DataFrame) -> pl.DataFrame:
    """The first row of each run of `long` (series as its lexical rank, periods, version and
    the value columns): a run is a key's value through consecutive versions, and
    `last_version` is the version of its last row. `footnotes` and `release` are optional (a
    run is a value and, where given, a footnote list that do not change).

    Rows are sorted by series, period and version. Where these fit in 64 bits (always so far:
    tens of series, a few thousand days, hundreds of versions), they are packed into one
    number, most significant first, sorted as one column (several times faster than a sort on
    four) and decoded only for the runs' first rows; the sort then moves one number and the
    values, not the key columns. The version field has room for one more than the newest
    version, so adding 1 to a row's number never carries into its period: the same key's next
    version is exactly the number plus one."""
    periods = ("period_start", "period_end")
    days = {c: pl.col(c).to_physical().cast(pl.Int64) for c in periods}
    stats = long.select(
        series=pl.col("series").max(),
        version=pl.col("version").max() + 1,
        nulls=pl.sum_horizontal(pl.col(*periods).null_count()),
        **{f"{c}_min": d.min() for c, d in days.items()},
        **{f"{c}_span": d.max() - d.min() for c, d in days.items()},
    ).row(0, named=True)
    fields = [
        ("series", pl.col("series").cast(pl.Int64), stats["series"], 0),
        *((c, days[c] - stats[f"{c}_min"], stats[f"{c}_span"], stats[f"{c}_min"]) for c in periods),
        ("version", pl.col("version").cast(pl.Int64), stats["version"], 0),
    ]
    carried = [c for c in ("value", "footnotes", "release") if c in long.columns]
    same_value = pl.all_horizontal(
        pl.col(c).eq_missing(pl.col(c).shift(1)) for c in carried if c != "release"
    )
    if stats["nulls"] or sum(int(top).bit_length() for _, _, top, _ in fields) > PACKED_KEY_BITS:
        key = ["series", *periods]
        same_key = pl.all_horizontal(pl.col(k) == pl.col(k).shift(1) for k in key)
        follows = same_key & (pl.col("version") == pl.col("version").shift(1) + 1)
        long = long.sort([*key, "version"])
        final = long["version"][-1]
        # A run ends on the row before the next run's first row: its version is that row's
        # `previous` (the last run ends on the table's last row).
        return (
            long.with_columns(starts=~(follows.fill_null(False) & same_value))
            .with_columns(previous=pl.col("version").shift(1))
            .filter("starts")
            .with_columns(last_version=pl.col("previous").shift(-1).fill_null(final))
            .drop("starts", "previous")
        )
    packed = pl.lit(0, pl.UInt64)
    for _, field, top, _ in fields:
        packed = packed * pl.lit(2 ** int(top).bit_length(), pl.UInt64) + field.cast(pl.UInt64)
    long = long.select(packed.alias("order"), *carried).sort("order")
    follows = (pl.col("order") == pl.col("order").shift(1) + 1).fill_null(False)
    final = long["order"][-1]
    runs = (
        long.with_columns(starts=~(follows & same_value), previous=pl.col("order").shift(1))
        .filter("starts")
        .with_columns(last=pl.col("previous").shift(-1).fill_null(final))
    )
    del long
    version_size = 2 ** int(stats["version"]).bit_length()
    decoded = {"last_version": (pl.col("last") % version_size).cast(pl.UInt32)}
    rest = pl.col("order")
    for name, _, top, low in reversed(fields):
        size = 2 ** int(top).bit_length()
        field = (rest % size).cast(pl.Int64) + low
        decoded[name] = field.cast(pl.Int32).cast(pl.Date) if name in periods else field
        rest = rest // size
    return runs.select(
        decoded["series"].cast(pl.UInt32).alias("series"),
        decoded["period_start"].alias("period_start"),
        decoded["period_end"].alias("period_end"),
        decoded["version"].cast(pl.UInt32).alias("version"),
        *carried,
        decoded["last_version"].alias("last_version"),
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
    # Only the open rows' keys and values are read, with their row numbers: the rest of the
    # table is neither copied nor moved, and a closed row is closed where it stands.
    open_rows = table.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        *KEY,
        "value",
        "footnote_codes",
        is_open=is_open,
    ).filter("is_open")
    new = rows.select(*KEY, new_value="value", new_footnotes="footnote_codes", present=pl.lit(True))
    joined = open_rows.join(new, on=KEY, how="left")
    unchanged = (
        pl.col("present").is_not_null()
        & pl.col("value").eq_missing(pl.col("new_value"))
        & pl.col("footnote_codes").eq_missing(pl.col("new_footnotes"))
    )
    keeps = unchanged | (pl.col("present").is_null() & pl.lit(not complete))
    closing = pl.repeat(False, table.height, dtype=pl.Boolean, eager=True).scatter(
        joined.filter(~keeps)["row"], True
    )
    opened = _with_provenance(
        rows.join(joined.filter(keeps).select(KEY), on=KEY, how="anti"), vintage
    )
    # Not re-sorted: the writer keeps the rows' order, and sorting the whole table for one
    # vintage would cost more than the vintage itself.
    return pl.concat(
        [
            table.with_columns(
                realtime_end=pl.when(pl.lit(closing)).then(at).otherwise("realtime_end")
            ),
            opened,
        ]
    )


def _end_of(day: date) -> pl.Expr:
    """The first instant after `day` (UTC): a vintage dated on `day` is in force on it."""
    return pl.lit(datetime.combine(day + timedelta(days=1), time(), UTC)).cast(TIMESTAMP)


def in_force(day: date) -> pl.Expr:
    """The rows whose value was the one published on `day`: dated on or before it, not yet
    replaced by its end. A filter of each row alone: the values of `observations_as_of`, which
    adds the name of each dataset's vintage in force (that needs the whole dataset)."""
    end = _end_of(day)
    return (pl.col("realtime_start") < end) & (
        pl.col("realtime_end").is_null() | (pl.col("realtime_end") >= end)
    )


def dataset_vintages(vintages: pl.DataFrame) -> pl.DataFrame:
    """Each dataset's vintages, one row per (dataset, realtime_start) with its provenance columns:
    the first row of the table with that key, the one `observations_as_of` would take. A few
    hundred rows that give the vintage in force on any day without the observations."""
    return vintages.select("dataset", "realtime_start", *_PROVENANCE).unique(
        subset=["dataset", "realtime_start"], keep="first", maintain_order=True
    )


def observations_as_of(
    vintages: pl.DataFrame, day: date, of_record: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The observations as published on `day`: per dataset, the newest vintage dated on or before
    it (none: the dataset has no rows). Rows have the core/observations columns, whose vintage
    columns name that vintage (its date in vintage_fetched_at, its payload's sha256), plus
    `vintage_id` (its commit sha or payload id) and `value_since` (when the value was first
    published, the row's realtime_start).

    The vintage in force is the newest one that published a change on or before `day`: a
    vintage that repeated its predecessor exactly has no rows of its own, and the same values
    are named by the vintage that first published them.

    `of_record` (`dataset_vintages` of the whole table) names the vintage in force when
    `vintages` holds only some series of their datasets: a series' view is then its own rows'
    filter, and its vintage the whole dataset's, as in the view of the whole table."""
    end = _end_of(day)
    # Lazy: each part reads only the columns it needs, and the rows in force are found in one
    # filter, not copied twice (the table holds every vintage; a day's view is a few percent).
    published = pl.col("realtime_start") < end
    newest = pl.col("realtime_start").arg_max()
    vintage_in_force = (
        (vintages if of_record is None else of_record)
        .lazy()
        .select("dataset", "realtime_start", *_PROVENANCE)
        .filter(published)
        .group_by("dataset")
        .agg(
            in_force_at=pl.col("vintage_fetched_at").get(newest),
            in_force_origin=pl.col("vintage_origin").get(newest),
            in_force_sha256=pl.col("payload_sha256").get(newest),
            in_force_id=pl.col("vintage_id").get(newest),
        )
    )
    current = vintages.lazy().filter(in_force(day))
    return (
        current.join(vintage_in_force, on="dataset")
        .with_columns(
            vintage_fetched_at="in_force_at",
            vintage_origin="in_force_origin",
            payload_sha256="in_force_sha256",
            vintage_id="in_force_id",
            value_since="realtime_start",
        )
        .select(*CORE_OBSERVATIONS.polars_schema.names(), "vintage_id", "value_since")
        .sort("series_id", "period_start")
        .collect()
    )
