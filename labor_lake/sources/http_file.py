"""Files fetched whole over HTTP. A CSV (Indeed Hiring Lab's) is mapped to observations by its
catalog entry: the expected header, the period and geography columns, the rows to keep, the
value columns, and templates for series ids and subjects. An OEWS estimates file (BLS) is read by
labor_lake.sources.oews, and the national rows of the occupations the entry observes become observations
under their BLS API series ids.

A file whose header changed is refused with both headers. A value to keep that the file does not
have is refused listing the values it does have (`KeptValuesMissing`): an implausible answer when
the lake has held the value before, else a configuration error (a misspelt sector or country); a
kept value that leaves no rows after the other filters is a warning.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import polars as pl

from labor_lake.registry.numbers import number_regex
from labor_lake.registry.validation import ValidationFailed
from labor_lake.sources.catalog import CatalogError, Dataset, ValueColumn
from labor_lake.sources.connector import OBSERVATION_COLUMNS, DatasetRequest, Parsed
from labor_lake.sources.http import SourceError
from labor_lake.sources.oews import OewsFileDamaged, national_observations, read_oews

# Indeed writes full-precision floats, with an exponent for the smallest shares.
NUMBER = number_regex(exponent=True)
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
_PERIOD_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m"}


class HttpFileConnector:
    """GET the file at the dataset's address; every answer holds the whole dataset."""

    def plan(self, dataset: Dataset, held: pl.DataFrame, today: date) -> list[DatasetRequest]:
        return [DatasetRequest(dataset.id, dataset.url, extension=dataset.format)]

    def with_secrets(self, request: DatasetRequest) -> DatasetRequest:
        return request

    def parse(self, dataset: Dataset, content: bytes, url: str, extension: str) -> Parsed:
        if dataset.format == "oews":
            return Parsed(oews_observations(dataset, read_oews_payload(dataset, content, url)))
        return parse_csv(dataset, content, url)


def _looks_like_html(content: bytes) -> bool:
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml"))


def read_oews_payload(dataset: Dataset, content: bytes, url: str) -> pl.DataFrame:
    """Every row of an OEWS file (core/oews_estimates rows); a damaged file is a SourceError
    naming file, sheet, row, column and value, or saying in one line what the answer is instead
    (empty, an HTML page, a damaged zip or workbook)."""
    where = f"{dataset.id} ({url})"
    if not content.strip():
        raise SourceError(f"{where}: the answer is empty, not the zip workbook")
    if _looks_like_html(content):
        # An error or landing page served with status 200 (bls.gov sends one to clients it
        # refuses): one line, not one failed column per word of its markup.
        raise SourceError(f"{where}: the answer is an HTML page, not the zip workbook")
    try:
        return read_oews(content, PurePosixPath(urlsplit(url).path).name)
    except ValidationFailed as error:
        first, more = error.problems[0].describe(), len(error.problems) - 1
        raise SourceError(
            f"{where}: {first}" + (f" (and {more} more problem(s))" if more else "")
        ) from None
    except OewsFileDamaged as error:
        raise SourceError(f"{where}: {error}") from None


def oews_observations(dataset: Dataset, estimates: pl.DataFrame) -> pl.DataFrame:
    """The national rows of the occupations `dataset` observes, as observations."""
    codes = estimates["occ_code"].unique().to_list()
    observed = [c for c in codes if any(c.startswith(prefix) for prefix in dataset.observe)]
    return national_observations(estimates, observed).with_columns(
        dataset=pl.lit(dataset.id),
        release=pl.lit(dataset.release, dtype=pl.String),
    )


def _template(template: str, value_name: str) -> pl.Expr:
    """`'indeed:sector:{display_name}'` as a polars expression over the row's columns."""
    pieces = _TEMPLATE_FIELD.split(template)  # text, field, text, field, ..., text
    parts = [
        (pl.lit(value_name) if piece == "value" else pl.col(piece)) if odd else pl.lit(piece)
        for odd, piece in ((i % 2 == 1, piece) for i, piece in enumerate(pieces))
        if odd or piece
    ]
    return pl.concat_str(parts) if parts else pl.lit("")


def _read(dataset: Dataset, content: bytes, url: str) -> pl.DataFrame:
    try:
        frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise SourceError(f"{dataset.id} ({url}): not a CSV: {type(error).__name__}") from None
    if tuple(frame.columns) != dataset.columns:
        raise SourceError(
            f"{dataset.id} ({url}): columns changed: expected {list(dataset.columns)}, "
            f"got {frame.columns[:10]}"
        )
    if frame.height == 0:
        raise SourceError(f"{dataset.id} ({url}): the file has a header and no rows")
    return frame.with_row_index("line", offset=2)


class KeptValuesMissing(SourceError):
    """An answer without a value the catalog keeps (`keep.<column>`). Whether that is a damaged
    answer or a misspelt catalog entry depends on the lake's history, which the refresh knows: a
    value some stored vintage has is an implausible answer (labor_lake.sources.refresh); one that
    no vintage ever had is a configuration error."""

    def __init__(
        self, dataset: Dataset, url: str, column: str, missing: list[str], present: list[str]
    ) -> None:
        self.dataset, self.column, self.missing = dataset, column, missing
        self.present = present
        super().__init__(
            f"{dataset.id} ({url}): keep.{column} lists {missing}, which the answer does not "
            f"have; it has: {self.present}"
        )

    def held_in(self, content: bytes) -> list[str]:
        """The missing values that an earlier payload of the dataset (`content`) has."""
        try:
            frame = pl.read_csv(io.BytesIO(content), columns=[self.column], infer_schema=False)
        except pl.exceptions.PolarsError:
            return []
        present = set(frame[self.column].unique().to_list())
        return [value for value in self.missing if value in present]

    def configuration_error(self) -> CatalogError:
        return CatalogError(
            f"{self.dataset.id}: keep.{self.column} lists {self.missing}, which neither this "
            f"answer nor any vintage in the lake has; the answer has: {self.present}"
        )


def _kept(dataset: Dataset, frame: pl.DataFrame, url: str) -> tuple[pl.DataFrame, list[str]]:
    warnings = []
    for column, wanted in dataset.keep.items():
        present = set(frame[column].unique().to_list())
        missing = [value for value in wanted if value not in present]
        if missing:
            raise KeptValuesMissing(
                dataset, url, column, missing, sorted(v for v in present if v is not None)
            )
    kept = frame
    for column, wanted in dataset.keep.items():
        kept = kept.filter(pl.col(column).is_in(wanted))
    for column, wanted in dataset.keep.items():
        left = set(kept[column].unique().to_list())
        warnings += [
            f"{dataset.id}: {column} {value!r} has no rows once the other filters apply"
            for value in wanted
            if value not in left
        ]
    return kept, warnings


def _check_values(
    dataset: Dataset, frame: pl.DataFrame, url: str, values: tuple[ValueColumn, ...]
) -> None:
    for value in values:
        bad = frame.filter(
            pl.col(value.column).is_not_null() & ~pl.col(value.column).str.contains(NUMBER)
        )
        if bad.height:
            line, text = bad.row(0, named=True)["line"], bad[value.column][0]
            raise SourceError(
                f"{dataset.id} ({url}): line {line}, column {value.column!r}, value {text!r} "
                "is not a number"
            )


def parse_csv(dataset: Dataset, content: bytes, url: str) -> Parsed:
    """Observations (without vintage columns) from one CSV payload of `dataset`."""
    frame, warnings = _kept(dataset, _read(dataset, content, url), url)
    period_format = _PERIOD_FORMATS.get(dataset.reference_period)
    if period_format is None:
        raise CatalogError(
            f"{dataset.id}: reference_period {dataset.reference_period!r} is not "
            f"one of {sorted(_PERIOD_FORMATS)} for a CSV file"
        )
    return Parsed(csv_observations(dataset, frame, url, period_format), tuple(warnings))


def series_columns(dataset: Dataset, value_name: str) -> dict[str, pl.Expr]:
    """The columns that describe the series of a row of the file and one of its value columns
    (named `value_name`): constant per series, so a reader may build them once per series."""
    geography = (
        pl.col(dataset.geography_column) if dataset.geography_column else pl.lit(dataset.geography)
    )
    return {
        "source": pl.lit(dataset.source),
        "dataset": pl.lit(dataset.id),
        "series_id": _template(dataset.series_id or "", value_name),
        "subject": _template(dataset.subject or "", value_name),
        "measure": pl.lit(dataset.measure),
        "geography": geography,
        "frequency": pl.lit(dataset.frequency),
        "unit": pl.lit(dataset.unit),
    }


def period_end(dataset: Dataset, start: pl.Expr) -> pl.Expr:
    return start if dataset.reference_period == "day" else start.dt.month_end()


def value_of(column: str, add: dict[str, float]) -> pl.Expr:
    """A value column as numbers, plus what an older header's values need added (`add`)."""
    number = pl.col(column).cast(pl.Float64)
    # Rounded so that 48.82 + 100 is the 148.82 the later header writes, not 148.82000000000002.
    return (number + add[column]).round(10) if add.get(column) else number


def csv_observations(
    dataset: Dataset,
    frame: pl.DataFrame,
    url: str,
    period_format: str,
    values: tuple[ValueColumn, ...] | None = None,
    add: dict[str, float] | None = None,
) -> pl.DataFrame:
    """Observations from a CSV file's kept rows (text columns and a `line` column), mapped by
    the dataset's entry. `values` (default: the entry's) are the value columns the file has, and
    `add` what to add to a column's values to give them the entry's meaning (an older header of
    the file, labor_lake.sources.history)."""
    values = dataset.values if values is None else values
    add = add or {}
    _check_values(dataset, frame, url, values)
    try:
        start = pl.col(dataset.period_column).str.to_date(period_format, strict=True)
        frame = frame.with_columns(period_start=start)
    except pl.exceptions.PolarsError:
        bad = frame.filter(
            pl.col(dataset.period_column).str.to_date(period_format, strict=False).is_null()
        )
        line, text = bad["line"][0], bad[dataset.period_column][0]
        raise SourceError(
            f"{dataset.id} ({url}): line {line}, column {dataset.period_column!r}, value {text!r} "
            f"is not a date ({period_format})"
        ) from None
    frames = [
        frame.select(
            **series_columns(dataset, value.name),
            period_start=pl.col("period_start"),
            period_end=period_end(dataset, pl.col("period_start")),
            value=value_of(value.column, add),
            footnote_codes=pl.lit([], dtype=pl.List(pl.String)),
            release=pl.lit(dataset.release, dtype=pl.String),
        )
        for value in values
    ]
    return pl.concat(frames).select(OBSERVATION_COLUMNS)
