"""Pay over time from the recorded OEWS national files: premiums by year and percentile, their
ledger rows and trend verdicts, growth never across a SOC break, and OEWS as observations."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from assets.oews import read_oews_files
from labor_lake.checks.lineage import unresolved_inputs
from labor_lake.pay.premiums import (
    ANNUAL_WAGE_MEASURES,
    concordance_mismatches,
    growth_rates,
    load_concordance,
    load_pairs,
    premium_checks,
    premium_frame,
    premiums,
    trend_checks,
)
from labor_lake.registry.files import parse_registry, read_registry_csv
from labor_lake.registry.validation import ValidationFailed, schema_problems
from labor_lake.sources.oews import national_observations
from schemas.tables import (
    CORE_CLAIMS,
    CORE_OBSERVATIONS,
    CORE_PUBLISHED_FIGURES,
    METRICS_CLAIM_CHECKS,
    METRICS_GROWTH_RATES,
    METRICS_PAY_PREMIUMS,
    RAW_CLAIMS,
    RAW_PUBLISHED_FIGURES,
)

from .conftest import REGISTRY, recorded_oews_files

DATA_SCIENTISTS = "data_scientists_over_software_developers"
RESEARCH_SCIENTISTS = "research_scientists_over_software_developers"


@pytest.fixture(scope="module")
def estimates() -> pl.DataFrame:
    return read_oews_files(recorded_oews_files())


@pytest.fixture(scope="module")
def codes():
    return load_concordance(REGISTRY / "oews_concordance.csv")


@pytest.fixture(scope="module")
def claims() -> pl.DataFrame:
    return parse_registry(read_registry_csv(REGISTRY / "claims.csv", RAW_CLAIMS), CORE_CLAIMS)


@pytest.fixture(scope="module")
def found(estimates, codes, claims):
    pairs = load_pairs(
        REGISTRY / "occupation_pairs.csv", {c.concept for c in codes}, set(claims["claim_id"])
    )
    return premiums(estimates, codes, pairs)


def _premium(frame: pl.DataFrame, period: str, measure: str, subject_code: str) -> dict:
    rows = frame.filter(
        (pl.col("period") == period)
        & (pl.col("measure") == measure)
        & pl.col("subjects").list.first().str.contains(subject_code, literal=True)
    )
    assert rows.height == 1
    return rows.row(0, named=True)


def test_may_2024_median_premiums_match_the_published_medians(found) -> None:
    frame = premium_frame(found)
    assert schema_problems(frame, METRICS_PAY_PREMIUMS) == []
    data = _premium(frame, "2024-05", "median_annual_wage", "15-2051")
    research = _premium(frame, "2024-05", "median_annual_wage", "15-1221")
    assert data["value"] == pytest.approx((112_590 / 133_080 - 1) * 100)
    assert round(data["value"], 1) == -15.4
    assert round(research["value"], 1) == 5.9
    assert data["formula_text"] == "(112590 / 133080 - 1) x 100"
    assert data["inputs"] == [
        "oews:2024:99:000000:1235:15-2051:detailed",
        "oews:2024:99:000000:1235:15-1252:detailed",
    ]


def test_every_year_and_published_percentile_of_2021_to_2024(found) -> None:
    frame = premium_frame(found)
    for period in ("2021-05", "2022-05", "2023-05", "2024-05"):
        for subject in ("15-2051", "15-1221"):
            measures = set(
                frame.filter(
                    (pl.col("period") == period)
                    & pl.col("subjects").list.first().str.contains(subject, literal=True)
                )["measure"]
            )
            assert measures == set(ANNUAL_WAGE_MEASURES.values()), (period, subject)


def test_the_break_before_2021_is_shown_not_bridged(found) -> None:
    frame = premium_frame(found)
    hybrid = _premium(frame, "2020-05", "median_annual_wage", "15-2098")
    assert "15-1256" in hybrid["subjects"][1]  # hybrid against hybrid, never against 15-1252
    assert any("QA analysts and testers" in flag for flag in hybrid["flags"])
    # every row of a series that has a break says where the break is
    for row in frame.filter(
        pl.col("subjects").list.first().str.contains("Data Scientists")
    ).iter_rows(named=True):
        assert any(f.startswith("series break in 2021") for f in row["flags"]), row["metric_id"]
    # no premium pairs codes from different SOC versions
    assert not frame.filter(
        pl.col("subjects").list.first().str.contains("SOC 2010")
        & ~pl.col("subjects").list.last().str.contains("SOC 2010")
    ).height
    # SOC 2010 has two software developer codes: one row each, never pooled
    assert (
        frame.filter(
            (pl.col("period") == "2017-05") & (pl.col("measure") == "median_annual_wage")
        ).height
        == 2
    )


def test_ledger_row_for_each_year_and_percentile_and_a_trend_per_pair(found, claims) -> None:
    checks = premium_checks(found, claims)
    assert schema_problems(checks, METRICS_CLAIM_CHECKS) == []
    assert checks.height == len(found)
    row = checks.filter(pl.col("claim_id") == f"{DATA_SCIENTISTS}_2024_median_annual_wage").row(
        0, named=True
    )
    assert row["status"] == "inconsistent"  # -15.4% is not 30-38%
    assert (row["stated_low"], row["stated_high"]) == (30.0, 38.0)
    assert "series break in 2021" in row["explanation"]

    trends = {r["claim_id"]: r for r in trend_checks(found).iter_rows(named=True)}
    data = trends[f"{DATA_SCIENTISTS}_trend_median_annual_wage"]
    research = trends[f"{RESEARCH_SCIENTISTS}_trend_median_annual_wage"]
    # over 2021-2024 (SOC 2018 codes), least-squares slope of the median premium
    assert "May 2021-May 2024" in data["explanation"]
    assert "not joined" in data["explanation"] and "15-2098 over 15-1256" in data["explanation"]
    assert research["computed_value"] < 0
    # Four noisy years: each slope's 95% interval holds zero, so no direction is claimed.
    for trend in (data, research):
        assert trend["computed_low"] < 0 < trend["computed_high"]
        assert trend["explanation"].startswith(
            "The article states no trend. Too few points to tell"
        )
        assert "standard error" in trend["explanation"] and "from 4 years" in trend["explanation"]
        assert "Gap narrowing" not in trend["explanation"]
    assert len(data["inputs"]) == 8  # two rows a year, four years
    assert schema_problems(trend_checks(found), METRICS_CLAIM_CHECKS) == []


def test_top_coded_wage_gives_a_bound_not_an_estimate(found, claims) -> None:
    bounded = [p for p in found if p.bound]
    assert bounded, "the recorded files have top-coded 90th percentiles for these occupations"
    checks = premium_checks(bounded, claims)
    assert set(checks["status"]) <= {"unverifiable", "inconsistent"}
    assert all("bound" in e for e in checks["explanation"])


def test_growth_is_between_years_of_one_code_only(estimates, codes) -> None:
    growth = growth_rates(estimates, codes)
    assert schema_problems(growth, METRICS_GROWTH_RATES) == []
    for inputs in growth["inputs"]:
        assert len({ref.split(":")[5] for ref in inputs if ":00-0000:" not in ref}) == 1
    software = growth.filter(
        (pl.col("period") == "2023-05/2024-05")
        & (pl.col("measure") == "median_annual_wage")
        & pl.col("subjects").list.first().str.contains("15-1252")
    ).row(0, named=True)
    assert software["value"] == pytest.approx((133_080 / 132_270 - 1) * 100)
    assert {"employment", "employment_share"} <= set(growth["measure"])
    across_2021 = growth.filter(pl.col("period") == "2020-05/2021-05")
    # the hybrid codes end in 2020: only research scientists (15-1221 in both years) continue
    assert set(across_2021["subjects"].list.first()) == {
        "Computer and Information Research Scientists (SOC 15-1221, SOC 2018)"
    }


def test_metric_inputs_resolve_to_rows_of_the_oews_table(estimates, found, codes) -> None:
    figures = parse_registry(
        read_registry_csv(REGISTRY / "published_figures.csv", RAW_PUBLISHED_FIGURES),
        CORE_PUBLISHED_FIGURES,
    )
    frames = [premium_frame(found), growth_rates(estimates, codes)]
    empty = CORE_OBSERVATIONS.empty_frame()
    for frame in frames:
        assert unresolved_inputs(frame, "metric_id", figures, empty, estimates) == []
    broken = frames[0].with_columns(
        pl.lit(["oews:2016:99:000000:1235:15-1252:detailed"]).alias("inputs")
    )
    assert unresolved_inputs(broken, "metric_id", figures, empty, estimates)


def test_national_observations_use_bls_series_ids_and_footnote_top_coding(estimates) -> None:
    rows = national_observations(estimates, ["15-1252", "11-1011"])
    assert rows.schema == pl.Schema({c: CORE_OBSERVATIONS.polars_schema[c] for c in rows.columns})
    median = rows.filter(
        (pl.col("series_id") == "bls:OEUN000000000000015125213")
        & (pl.col("period_start") == date(2024, 5, 1))
    ).row(0, named=True)
    assert (median["value"], median["period_end"], median["frequency"]) == (
        133_080.0,
        date(2024, 5, 31),
        "annual",
    )
    top = rows.filter(
        (pl.col("series_id") == "bls:OEUN000000000000011101115")
        & (pl.col("period_start") == date(2024, 5, 1))
    ).row(0, named=True)
    assert top["value"] is None and top["footnote_codes"] == ["5"]
    # 13-1020 is published as broad and again as detailed: one series, from the detailed row
    buyers = national_observations(estimates, ["13-1020"])
    assert buyers.filter(pl.col("measure") == "employment").height == len(set(estimates["year"]))
    employment = rows.filter(pl.col("series_id") == "bls:OEUN000000000000015125201")
    assert employment["unit"].unique().to_list() == ["count"]


def test_concordance_titles_and_years_agree_with_the_real_files(estimates, codes) -> None:
    assert concordance_mismatches(estimates, codes) == []


def test_a_concordance_that_disagrees_with_the_files_is_named_code_by_code(
    estimates, codes
) -> None:
    # Synthetic edits of the real concordance: 15-1252 said to end in 2022 (it is in the 2023
    # and 2024 files), 15-2051 retitled.
    edited = [
        dataclasses.replace(c, last_year=2022) if c.occ_code == "15-1252"
        else dataclasses.replace(c, occ_title="Data Wranglers") if c.occ_code == "15-2051"
        else c
        for c in codes
    ]  # fmt: skip
    assert concordance_mismatches(estimates, edited) == [
        "15-1252 (software_developers): in the national files of May 2023, May 2024, outside "
        "its years in the concordance",
        "15-2051 (data_scientists): titled 'Data Scientists' in the files, 'Data Wranglers' in "
        "the concordance",
    ]


def test_a_pair_naming_an_unknown_concept_or_claim_is_an_error(tmp_path: Path, codes) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "pair_id,subject_concept,base_concept,claim_id,notes\n"
        "synthetic_pair,ml_engineers,software_developers,no_such_claim,synthetic\n"
    )
    with pytest.raises(ValidationFailed) as error:
        load_pairs(pairs, {c.concept for c in codes}, {"ml_premium_oews_data_scientists_proxy"})
    described = str(error.value)
    assert "pairs.csv:2" in described and "'ml_engineers'" in described
    assert "'no_such_claim'" in described


def test_the_premium_of_a_pair_by_year_and_statistic_is_one_filter(published_lake: Path) -> None:
    """The README's query: one filter on `pair_id`, in polars and in DuckDB, gives the pair's
    premium for every year and statistic, with the occupations it compares."""
    import duckdb

    from labor_lake import read_table

    pair = "data_scientists_over_software_developers"
    premiums = read_table("metrics/pay_premiums", root=str(published_lake))
    rows = premiums.filter(pl.col("pair_id") == pair)
    years = sorted({period[:4] for period in rows["period"]})
    assert years == ["2019", "2020", "2021", "2022", "2023", "2024"]
    assert set(rows["measure"]) >= {"median_annual_wage", "annual_wage_p90", "mean_annual_wage"}
    # one row per year, statistic and pair of codes (SOC 2010 years would have two bases)
    assert not rows.select("period", "measure", "denominator_occ_code").is_duplicated().any()
    may_2024 = rows.filter(
        (pl.col("period") == "2024-05") & (pl.col("measure") == "median_annual_wage")
    )
    assert may_2024.select(
        "numerator_occ_code", "numerator_occ_title", "denominator_occ_code", "denominator_occ_title"
    ).row(0) == ("15-2051", "Data Scientists", "15-1252", "Software Developers")
    assert may_2024["value"].item() == pytest.approx((112_590 / 133_080 - 1) * 100)
    # premiums between published figures belong to no pair
    assert premiums.filter(pl.col("pair_id").is_null())["numerator_occ_code"].is_null().all()

    with duckdb.connect() as con:
        con.execute(f"SET file_search_path = '{published_lake}'")
        con.execute((published_lake / "views.sql").read_text())
        sql = con.sql(
            "select period, measure, value from metrics_pay_premiums where pair_id = ? "
            "order by period, measure",
            params=[pair],
        ).pl()
    assert sql.equals(rows.select("period", "measure", "value").sort("period", "measure"))
