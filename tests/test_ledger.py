"""The claim ledger on the committed registry: the numbers a reader of the article would check."""

from pathlib import Path

import polars as pl
import pytest

from labor_lake.checks.ledger import build_ledger
from labor_lake.registry.files import parse_registry, read_registry_csv
from schemas.tables import CORE_CLAIMS, CORE_PUBLISHED_FIGURES, RAW_CLAIMS, RAW_PUBLISHED_FIGURES

from .conftest import REGISTRY


@pytest.fixture(scope="module")
def figures() -> pl.DataFrame:
    raw = read_registry_csv(REGISTRY / "published_figures.csv", RAW_PUBLISHED_FIGURES)
    return parse_registry(raw, CORE_PUBLISHED_FIGURES)


@pytest.fixture(scope="module")
def claims() -> pl.DataFrame:
    return parse_registry(read_registry_csv(REGISTRY / "claims.csv", RAW_CLAIMS), CORE_CLAIMS)


@pytest.fixture(scope="module")
def checks(figures: pl.DataFrame, claims: pl.DataFrame) -> dict[str, dict]:
    ledger = build_ledger(figures, claims)
    return {row["claim_id"]: row for row in ledger.claim_checks.iter_rows(named=True)}


def test_article_premium_recomputes_inside_its_range(checks: dict[str, dict]) -> None:
    check = checks["ml_swe_total_comp_premium"]
    assert check["status"] == "consistent"
    assert check["computed_value"] == pytest.approx((261_875 / 190_000 - 1) * 100)
    # Consistent arithmetic on unattributed survey figures: the row says the inputs are unattributed.
    assert check["explanation"].endswith(
        "Caveats: ml_engineer_median_total_comp_2026 has no named publisher; "
        "swe_median_total_comp_2026 has no named publisher."
    )


def test_total_comp_against_bls_wage_is_refused_not_computed(checks: dict[str, dict]) -> None:
    check = checks["ml_premium_over_bls_swe_wage"]
    assert check["status"] == "unverifiable"
    assert check["computed_value"] is None and check["metric_id"] is None
    assert (
        "median_total_comp" in check["explanation"] and "median_annual_wage" in check["explanation"]
    )


def test_official_proxies_do_not_support_the_premium(checks: dict[str, dict]) -> None:
    research = checks["ml_premium_oews_research_scientists_proxy"]
    assert research["status"] == "inconsistent"
    assert research["computed_value"] == pytest.approx((140_910 / 133_080 - 1) * 100)
    assert checks["ml_premium_oews_data_scientists_proxy"]["computed_value"] < 0


def test_two_publishers_for_one_figure_is_a_conflict(checks: dict[str, dict]) -> None:
    check = checks["ai_skill_requirements_yoy_111"]
    assert check["status"] == "conflict"
    assert "CompTIA" in check["explanation"] and "LinkedIn" in check["explanation"]


def test_claims_without_stated_value_are_unverifiable_but_computed(checks: dict[str, dict]) -> None:
    check = checks["linkedin_ai_vs_swe_divergence"]
    assert check["status"] == "unverifiable"
    assert check["computed_value"] == 355


def test_metric_tables_hold_each_computation_once(
    figures: pl.DataFrame, claims: pl.DataFrame
) -> None:
    ledger = build_ledger(figures, claims)
    pay = ledger.metrics["pay_premiums"]
    assert pay["metric_id"].is_unique().all()
    # Two claims share the ML-vs-SWE total-comp inputs but use different formulas.
    assert set(pay["formula"]) == {"premium_pct", "difference"}
    assert ledger.metrics["unemployment_gaps"]["unit"].unique().to_list() == ["percentage_points"]
    assert ledger.metrics["growth_rates"]["period"].to_list() == ["2024/2026"]


def test_stated_value_outside_tolerance_is_inconsistent(
    figures: pl.DataFrame, claims: pl.DataFrame
) -> None:
    narrowed = claims.with_columns(
        pl.when(pl.col("claim_id") == "dice_taxonomy_expansion_150pct")
        .then(0.5)
        .otherwise(pl.col("tolerance"))
        .alias("tolerance")
    )
    ledger = build_ledger(figures, narrowed)
    status = ledger.claim_checks.filter(pl.col("claim_id") == "dice_taxonomy_expansion_150pct")[
        "status"
    ]
    assert status.to_list() == ["inconsistent"]  # 150.83 is 0.83 points from the stated 150


def test_article_figures_appear_in_their_article_as_printed(
    figures: pl.DataFrame, recorded_copies: Path
) -> None:
    """Each article figure's `as_printed` text occurs in the article its `source_document` names
    (`article:<id>` is snapshots/copies/articles/<id>.txt, the article's lines that hold figures);
    articles not recorded there are not checked."""
    seeds = recorded_copies / "articles"
    checked, missing = 0, []
    for row in figures.filter(pl.col("source_kind") == "article").iter_rows(named=True):
        document = seeds / f"{row['source_document'].removeprefix('article:')}.txt"
        if not document.is_file():
            continue
        checked += 1
        if row["as_printed"] not in document.read_text():
            missing.append((row["figure_id"], row["as_printed"]))
    assert checked and missing == []


def test_the_occupation_pairs_claims_are_counted_as_oews_proxy_claims(
    figures: pl.DataFrame, claims: pl.DataFrame
) -> None:
    proxy = "ml_premium_oews_data_scientists_proxy"
    kinds = dict(
        build_ledger(figures, claims, {proxy}).claim_checks.select("claim_id", "kind").iter_rows()
    )
    assert kinds[proxy] == "oews_proxy_claim"
    assert {k for c, k in kinds.items() if c != proxy} == {"article_claim"}
