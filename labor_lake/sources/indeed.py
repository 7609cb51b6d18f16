"""Indeed Hiring Lab public CSVs (CC BY 4.0, cite "Indeed Hiring Lab").

Which countries, sectors and series are kept is configuration (`IndeedSelection`); the files and
their columns are the contract checked here. A file whose columns changed is refused with the
expected and received columns, never half-read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl

from labor_lake.http import SourceError
from labor_lake.sources import OBSERVATION_COLUMNS

SOURCE = "indeed_hiring_lab"


@dataclass(frozen=True)
class IndeedDataset:
    name: str
    path: str  # relative to the base URL
    columns: tuple[str, ...]


AI_SHARE = IndeedDataset(
    "ai_share_postings",
    "ai-tracker/master/AI_posting.csv",
    ("date", "jobcountry", "AI_share_postings"),
)
POSTINGS_BY_SECTOR = IndeedDataset(
    "postings_by_sector_us",
    "job_postings_tracker/master/US/job_postings_by_sector_US.csv",
    ("date", "jobcountry", "indeed_job_postings_index", "variable", "display_name"),
)
AGGREGATE_POSTINGS = IndeedDataset(
    "aggregate_postings_us",
    "job_postings_tracker/master/US/aggregate_job_postings_US.csv",
    (
        "date",
        "jobcountry",
        "indeed_job_postings_index_SA",
        "indeed_job_postings_index_NSA",
        "variable",
    ),
)
DATASETS = (AI_SHARE, POSTINGS_BY_SECTOR, AGGREGATE_POSTINGS)


@dataclass(frozen=True)
class IndeedSelection:
    """Which rows of the Indeed files to keep."""

    countries: tuple[str, ...] = ("US",)
    sectors: tuple[str, ...] = ("Software Development", "Mathematics")
    variables: tuple[str, ...] = ("total postings",)


def read_csv(dataset: IndeedDataset, content: bytes, url: str) -> pl.DataFrame:
    """Parse an Indeed CSV, refusing it when its columns are not the expected ones."""
    try:
        frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise SourceError(f"{dataset.name} ({url}): not a CSV: {type(error).__name__}") from None
    if tuple(frame.columns) != dataset.columns:
        raise SourceError(
            f"{dataset.name} ({url}): columns changed: expected {list(dataset.columns)}, "
            f"got {frame.columns[:10]}"
        )
    return frame


def _observations(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    day = pl.col("date").str.to_date("%Y-%m-%d", strict=True)
    return frame.select(
        source=pl.lit(SOURCE),
        geography=pl.col("jobcountry"),
        frequency=pl.lit("daily"),
        period_start=day,
        period_end=day,
        footnote_codes=pl.lit([], dtype=pl.List(pl.String)),
        **columns,
    )


def to_observations(
    dataset: IndeedDataset, content: bytes, url: str, selection: IndeedSelection
) -> pl.DataFrame:
    """Rows of core/observations (without vintage columns) from one Indeed payload."""
    frame = read_csv(dataset, content, url).filter(pl.col("jobcountry").is_in(selection.countries))
    try:
        if dataset is AI_SHARE:
            result = _observations(
                frame,
                dataset=pl.lit(dataset.name),
                series_id=pl.format("indeed:ai_share:{}", pl.col("jobcountry")),
                subject=pl.lit("Job postings mentioning AI or GenAI"),
                measure=pl.lit("ai_share_of_postings"),
                value=pl.col("AI_share_postings").cast(pl.Float64),
                unit=pl.lit("percent"),
            )
        elif dataset is POSTINGS_BY_SECTOR:
            kept = frame.filter(
                pl.col("display_name").is_in(selection.sectors)
                & pl.col("variable").is_in(selection.variables)
            )
            result = _observations(
                kept,
                dataset=pl.lit(dataset.name),
                series_id=pl.format(
                    "indeed:sector:{}:{}", pl.col("display_name"), pl.col("variable")
                ),
                subject=pl.col("display_name"),
                measure=pl.lit("postings_index"),
                value=pl.col("indeed_job_postings_index").cast(pl.Float64),
                unit=pl.lit("index"),
            )
        else:
            kept = frame.filter(pl.col("variable").is_in(selection.variables)).unpivot(
                index=["date", "jobcountry", "variable"],
                variable_name="adjustment",
                value_name="index_value",
            )
            result = _observations(
                kept,
                dataset=pl.lit(dataset.name),
                series_id=pl.format(
                    "indeed:aggregate:{}:{}",
                    pl.col("variable"),
                    pl.col("adjustment").str.replace("indeed_job_postings_index_", ""),
                ),
                subject=pl.lit("All job postings"),
                measure=pl.lit("postings_index"),
                value=pl.col("index_value").cast(pl.Float64),
                unit=pl.lit("index"),
            )
    except pl.exceptions.PolarsError as error:
        raise SourceError(f"{dataset.name} ({url}): unreadable values: {error}") from None
    return result.select(OBSERVATION_COLUMNS)
