"""Each statement checked as of the day it was written (the vintage in force on its article's
`published_on`) and against the newest vintage, on the lake built from the committed registry
and the recorded real history of the publishers' files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from labor_lake.checks.official import counterpart_checks
from labor_lake.registry.files import parse_registry, read_registry_csv
from schemas.tables import CORE_OBSERVATIONS, CORE_PUBLISHED_FIGURES, RAW_PUBLISHED_FIGURES

from .conftest import REGISTRY


@pytest.fixture(scope="module")
def ledger(published_lake: Path) -> pl.DataFrame:
    return pl.read_parquet(published_lake / "metrics" / "claim_checks.parquet")


def _row(ledger: pl.DataFrame, figure_id: str) -> dict:
    return ledger.filter(pl.col("claim_id") == f"official_{figure_id}").row(0, named=True)


def test_a_revised_statement_shows_both_verdicts(ledger) -> None:
    # "The Indeed Job Postings Index stood at 127" on July 7, 2023 (Indeed Hiring Lab,
    # 2023-07-19): 127.44 in the version in force that day; the index re-based in November 2024
    # puts that day at 129.34.
    row = _row(ledger, "hl2307_jpi_level")
    assert row["checked_as_of"] == date(2023, 7, 19)
    assert row["vintage_as_of"] <= date(2023, 7, 19)
    assert (row["status"], row["status_now"], row["revised_since"]) == (
        "consistent",
        "inconsistent",
        True,
    )
    assert row["computed_value"] == pytest.approx(127.44)
    assert row["computed_value_now"] == pytest.approx(129.34)
    assert row["vintage_now"] > row["vintage_as_of"]
    assert row["explanation"].startswith("As published on 2023-07-19: ")
    assert "now inconsistent" in row["explanation"]


def test_a_statement_that_revisions_left_alone_says_still(ledger) -> None:
    row = _row(ledger, "hl2403_jpi")  # "18% above its pre-pandemic baseline as of March 8"
    assert row["checked_as_of"] == date(2024, 3, 14)
    assert (row["status"], row["status_now"], row["revised_since"]) == (
        "consistent",
        "consistent",
        False,
    )
    assert "still consistent" in row["explanation"]


def test_an_undated_article_is_checked_as_now_and_says_so(ledger) -> None:
    row = _row(ledger, "rw_jpi")  # Reworked gives no date
    assert row["checked_as_of"] is None and row["revised_since"] is None
    assert row["explanation"].endswith(
        "Checked against the newest numbers only: the article gives no date."
    )


def test_a_series_with_no_vintage_that_early_is_checked_as_now(ledger) -> None:
    # Indeed's GenAI file starts in October 2024; the article is of March 2024.
    row = _row(ledger, "hl2403_genai_feb24")
    assert row["checked_as_of"] is None
    assert (
        "no vintage of indeed:genai_share:US was published by 2024-03-14 (the first is of "
        "2024-10-15)" in row["explanation"]
    )


def test_a_writer_ahead_of_the_public_file_is_read_from_the_first_vintage_reaching_it(
    ledger,
) -> None:
    # Indeed Hiring Lab wrote of October 21, 2022 on October 27; the public file's version in
    # force then ended on October 14: the first version with the 21st is named.
    row = _row(ledger, "hl2210_jpi_base")
    assert row["status"] == "consistent" and row["checked_as_of"] == date(2022, 10, 27)
    assert row["vintage_as_of"] > date(2022, 10, 27)
    assert "did not reach the period; read from the first that does" in row["explanation"]


# Statements publishers make about their own series (Indeed Hiring Lab on Indeed's files, BLS on
# BLS series): consistent as published, or explained in the figure's notes. The explanations
# below are findings (docs/adding_an_article.md, section 5), each written in the registry.
OWN_STATEMENTS_NOT_CONSISTENT = {
    "hl2403_genai_jan23": "revision",  # GenAI definition revised; no vintage before 2024-10
    "hl2403_genai_30fold": "revisions",
    "hl2407_jpi_yoy": "rounding",  # -12.50 exactly, printed -12.4
    "hl2407_sd_yoy": "weekday",  # year-ago date taken as the same weekday
    "hl2410_range_high": "end of May",  # the body says since the end of May
    "hl2310_retail_yoy": "Rounding",  # -10.553, printed -10.5
    "hl2410_phys": "offline",  # the sector file's later versions are not recorded
    "hl2410_therapy": "offline",
    "hl2410_sd": "offline",
}


def test_publishers_own_statements_hold_as_published_or_are_explained(published_lake) -> None:
    checks = pl.read_parquet(published_lake / "metrics" / "claim_checks.parquet")
    articles = pl.read_parquet(published_lake / "core" / "articles.parquet")
    figures = pl.read_parquet(published_lake / "core" / "published_figures.parquet")
    own = (
        checks.filter(pl.col("kind") == "figure_vs_official")
        .join(articles.select("article_id", "publisher"), on="article_id")
        .with_columns(figure_id=pl.col("claim_id").str.strip_prefix("official_"))
        .join(figures.select("figure_id", "official_series_id", "notes"), on="figure_id")
        .filter(
            (
                pl.col("publisher").str.starts_with("Indeed")
                & pl.col("official_series_id").str.starts_with("indeed:")
            )
            | (
                pl.col("publisher").str.starts_with("U.S. Bureau of Labor Statistics")
                & pl.col("official_series_id").str.starts_with("bls:")
            )
        )
    )
    assert own.height >= 40
    not_consistent = own.filter(pl.col("status") != "consistent")
    assert set(not_consistent["figure_id"]) == set(OWN_STATEMENTS_NOT_CONSISTENT)
    for row in not_consistent.iter_rows(named=True):
        assert OWN_STATEMENTS_NOT_CONSISTENT[row["figure_id"]] in row["notes"], row["figure_id"]


def test_about_a_negative_value_is_within_five_percent_of_it() -> None:
    """ "Declined by about 9%" holds for -9.28: 5% of a negative value spans both ways."""
    raw = read_registry_csv(REGISTRY / "published_figures.csv", RAW_PUBLISHED_FIGURES)
    figures = parse_registry(raw, CORE_PUBLISHED_FIGURES).filter(
        pl.col("figure_id") == "hl2210_jpi_decl"
    )

    def index(day: date, value: float) -> dict:
        return {
            "source": "indeed_hiring_lab",
            "dataset": "synthetic",
            "series_id": "indeed:aggregate:total postings:SA",
            "subject": "SYNTHETIC",
            "measure": "postings_index",
            "geography": "US",
            "frequency": "daily",
            "period_start": day,
            "period_end": day,
            "value": value,
            "unit": "index",
            "footnote_codes": [],
            "vintage_fetched_at": None,
        }

    # SYNTHETIC observations: 100 -> 90.72 is -9.28%, -> 89 is -11%.
    for end, status in ((90.72, "consistent"), (89.0, "inconsistent")):
        observations = pl.DataFrame(
            [index(date(2021, 12, 31), 100.0), index(date(2022, 10, 21), end)],
            schema=CORE_OBSERVATIONS.polars_schema,
        ).with_columns(vintage_fetched_at=pl.datetime(2026, 1, 1, time_zone="UTC"))
        assert counterpart_checks(figures, observations)["status"].to_list() == [status]
