"""The metrics zone: derived metric tables and the claim ledger, computed together."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import polars as pl

from assets.lake_table import asset_out, schema_check_spec, validated_outputs
from labor_lake.comparability import input_flags, refusal_reasons
from labor_lake.formulas import evaluate
from labor_lake.ledger import build_ledger
from labor_lake.official import counterpart_checks, postings_divergence, proxy_premiums
from schemas.tables import (
    CORE_CLAIMS,
    CORE_OBSERVATIONS,
    CORE_PUBLISHED_FIGURES,
    METRIC_TABLE_BY_FORMULA,
    METRICS_CLAIM_CHECKS,
    METRICS_PAY_PREMIUMS,
    METRICS_POSTINGS_DIVERGENCE,
)

METRIC_TABLES = (*dict.fromkeys(METRIC_TABLE_BY_FORMULA.values()), METRICS_CLAIM_CHECKS)
_LOGIC = (
    build_ledger,
    evaluate,
    refusal_reasons,
    input_flags,
    counterpart_checks,
    proxy_premiums,
    postings_divergence,
)


@dg.multi_asset(
    name="metrics_ledger",
    outs={
        table.asset_key.to_python_identifier(): asset_out(table, _LOGIC) for table in METRIC_TABLES
    },
    check_specs=[schema_check_spec(table) for table in METRIC_TABLES],
    ins={
        "core_published_figures": dg.AssetIn(key=CORE_PUBLISHED_FIGURES.asset_key),
        "core_claims": dg.AssetIn(key=CORE_CLAIMS.asset_key),
        "core_observations": dg.AssetIn(key=CORE_OBSERVATIONS.asset_key),
    },
)
def metrics_ledger(
    core_published_figures: pl.DataFrame, core_claims: pl.DataFrame, core_observations: pl.DataFrame
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Recompute every claim from its input figures. Like-for-like computations become rows of
    pay_premiums, postings_divergence, unemployment_gaps and growth_rates; every claim gets a row
    in claim_checks with its status and the reason for it. Comparisons that are not like-for-like
    (different measures, units or periods) are refused and the refusal is explained. From
    official data: OEWS proxy premiums, the AI-share vs software-postings divergence over
    matched windows, and a check of every published figure against its official series."""

    def build() -> dict:
        ledger = build_ledger(core_published_figures, core_claims)
        frames = {table: ledger.metrics[table.name] for table in METRIC_TABLES[:-1]}
        official = {
            METRICS_PAY_PREMIUMS: proxy_premiums(core_observations),
            METRICS_POSTINGS_DIVERGENCE: postings_divergence(core_observations),
        }
        for table, rows in official.items():
            frames[table] = pl.concat([frames[table], rows]).sort("metric_id")
        frames[METRICS_CLAIM_CHECKS] = pl.concat(
            [ledger.claim_checks, counterpart_checks(core_published_figures, core_observations)]
        )
        return frames

    yield from validated_outputs(METRIC_TABLES, build)
