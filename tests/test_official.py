"""Published figures against official data (synthetic observations unless stated)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from assets import settings
from labor_lake.checks.comparisons import read_postings_windows
from labor_lake.checks.official import (
    counterpart_checks,
    postings_divergence,
    rounding_tolerance,
)
from labor_lake.registry.files import parse_registry, read_registry_csv
from labor_lake.sources.snapshots import load_manifest
from schemas.tables import (
    CORE_OBSERVATIONS,
    CORE_PUBLISHED_FIGURES,
    METRICS_POSTINGS_DIVERGENCE,
    RAW_PUBLISHED_FIGURES,
)

from .conftest import REGISTRY, Workspace, run_pipeline, serve_sources

AI_SHARE = "indeed:ai_share:US"
SOFTWARE_DEVELOPERS_MEDIAN = "bls:OEUN000000000000015125213"
SOFTWARE_INDEX = "indeed:sector:Software Development:total postings"
VINTAGE = datetime(2026, 1, 1, tzinfo=UTC)
WINDOWS = read_postings_windows(REGISTRY / "postings_windows.csv")
REVISIONS = {"synthetic_indeed": (date(2024, 11, 1),)}


def _obs(
    series_id: str, start: date, end: date, value: float | None, footnotes=(), sha: str = "a" * 64
) -> dict:
    return {
        "source": series_id.split(":")[0].replace("indeed", "indeed_hiring_lab"),
        "dataset": "synthetic_" + series_id.split(":")[0],
        "series_id": series_id,
        "subject": "synthetic",
        "measure": "median_annual_wage",
        "geography": "US",
        "frequency": "annual",
        "period_start": start,
        "period_end": end,
        "value": value,
        "unit": "usd_per_year",
        "footnote_codes": list(footnotes),
        "release": None,
        "vintage_fetched_at": VINTAGE,
        "vintage_origin": "fetched",
        "payload_sha256": sha,
    }


def _frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CORE_OBSERVATIONS.polars_schema)


@pytest.fixture(scope="module")
def figures() -> pl.DataFrame:
    raw = read_registry_csv(REGISTRY / "published_figures.csv", RAW_PUBLISHED_FIGURES)
    return parse_registry(raw, CORE_PUBLISHED_FIGURES)


def _status(checks: pl.DataFrame, figure_id: str) -> dict:
    return checks.filter(pl.col("claim_id") == f"official_{figure_id}").row(0, named=True)


YEAR_2024 = (date(2024, 1, 1), date(2024, 12, 31))


@pytest.mark.parametrize(
    ("official", "footnotes", "status", "phrase"),
    [
        (133_080.0, (), "consistent", "Official bls:OEUN000000000000015125213"),
        (135_000.0, (), "inconsistent", "Official"),
        (None, ("5",), "unverifiable", "publishes no value for 2024 (footnotes: 5)"),
    ],
)
def test_article_wage_against_its_oews_series(figures, official, footnotes, status, phrase) -> None:
    observations = _frame(_obs(SOFTWARE_DEVELOPERS_MEDIAN, *YEAR_2024, official, footnotes))
    check = _status(counterpart_checks(figures, observations), "swdev_median_wage_may2024")
    assert check["status"] == status and phrase in check["explanation"]


def test_missing_official_value_and_missing_series_are_unverifiable_with_reasons(figures) -> None:
    checks = counterpart_checks(figures, CORE_OBSERVATIONS.empty_frame())
    assert (
        "bls:OEUN000000000000015125213 has no observations at all in core/observations"
        in _status(checks, "swdev_median_wage_may2024")["explanation"]
    )
    unemployment = _status(checks, "swdev_unemployment_rate_2025")
    assert unemployment["status"] == "unverifiable"
    assert "does not publish CPS unemployment rates" in unemployment["explanation"]
    # every article figure gets a row
    assert checks.height >= figures.filter(pl.col("source_kind") == "article").height


def test_rounding_tolerance_follows_printed_precision() -> None:
    assert rounding_tolerance(3.3) == pytest.approx(0.05)
    assert rounding_tolerance(133_080.0) == 0.5


def _daily(series_id: str, start: date, values: list[float], sha: str = "a" * 64) -> list[dict]:
    return [
        {
            **_obs(series_id, start + timedelta(days=i), start + timedelta(days=i), v, sha=sha),
            "frequency": "daily",
            "unit": "index",
        }
        for i, v in enumerate(values)
    ]


def test_divergence_spread_over_the_common_window() -> None:
    start = date(2024, 1, 1)
    observations = _frame(
        *_daily(AI_SHARE, start, [2.0, 2.5, 3.0]),
        *_daily(SOFTWARE_INDEX, start, [100.0, 95.0, 90.0, 80.0]),
    )
    divergence, gaps = postings_divergence(observations, WINDOWS, REVISIONS)
    row = divergence.row(0, named=True)
    assert gaps == [
        f"{WINDOWS[1].window_id}: fred:IHLIDXUSTPSOFTDEVE has no observations in core/observations"
    ]
    # AI share 2.0 -> 3.0 (+50%), software 100 -> 90 (-10%) over 2024-01-01 -> 2024-01-03
    assert row["value"] == pytest.approx(60.0)
    assert row["period"] == "2024-01-01/2024-01-03"
    assert row["unit"] == "percentage_points"


def test_divergence_refuses_to_splice_across_the_2024_revision() -> None:
    start = date(2024, 10, 30)
    ai = _daily(AI_SHARE, date(2024, 1, 1), [2.0] * 320)
    before = _daily(SOFTWARE_INDEX, date(2024, 1, 1), [100.0] * 305, sha="b" * 64)
    after = _daily(SOFTWARE_INDEX, start + timedelta(days=2), [90.0] * 13, sha="c" * 64)
    spliced, gaps = postings_divergence(_frame(*ai, *before, *after), WINDOWS[:1], REVISIONS)
    assert spliced.height == 0
    assert "crosses the revision of 2024-11-01 and would splice two vintages" in gaps[0]
    single_vintage, _ = postings_divergence(
        _frame(*ai, *before, *[{**r, "payload_sha256": "b" * 64} for r in after]),
        WINDOWS[:1],
        REVISIONS,
    )
    assert "window crosses the source's revision of 2024-11-01" in single_vintage["flags"][0]


def test_recorded_indeed_divergence_is_measured_twice(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success
    divergence = pl.read_parquet(workspace.lake_root / METRICS_POSTINGS_DIVERGENCE.relative_path)
    row = divergence.filter(pl.col("metric_id").str.contains(SOFTWARE_INDEX)).row(0, named=True)
    assert row["period"] == "2024-01-01/2024-09-27"  # the sector file ends 2024-09-27

    # Second measurement, straight from the recorded CSVs with polars.
    snapshots = {s.dataset: s for s in load_manifest(settings.SNAPSHOT_MANIFEST)}
    ai = pl.read_csv(io.BytesIO(snapshots["indeed_ai_share"].read())).filter(
        pl.col("jobcountry") == "US"
    )
    sector = pl.read_csv(io.BytesIO(snapshots["indeed_postings_by_sector_us"].read())).filter(
        pl.col("display_name") == "Software Development"
    )

    def at(frame: pl.DataFrame, column: str, day: str) -> float:
        return frame.filter(pl.col("date") == day)[column].item()

    ai_growth = (
        at(ai, "AI_share_postings", "2024-09-27") / at(ai, "AI_share_postings", "2024-01-01") - 1
    ) * 100
    sw_growth = (
        at(sector, "indeed_job_postings_index", "2024-09-27")
        / at(sector, "indeed_job_postings_index", "2024-01-01")
        - 1
    ) * 100
    assert row["value"] == pytest.approx(ai_growth - sw_growth)
    assert row["value"] == pytest.approx(29.43, abs=0.01)
