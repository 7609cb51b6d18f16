"""Every metrics row traces back to core rows, and the UI gets column lineage."""

from __future__ import annotations

from datetime import date

import polars as pl

from assets.lake_table import asset_key
from labor_lake.checks.lineage import observation_reference, unresolved_inputs
from labor_lake.lake.reader import read_table
from schemas.tables import (
    ALL_TABLES,
    CORE_OBSERVATIONS,
    CORE_OEWS_ESTIMATES,
    METRICS_CLAIM_CHECKS,
    METRICS_PAY_PREMIUMS,
)

from .conftest import Workspace, run_pipeline, serve_sources, synthetic_metric_row


def test_inputs_must_name_a_figure_or_an_observation() -> None:
    figures = pl.DataFrame({"figure_id": ["a", "b"]})
    observations = pl.DataFrame(
        {"series_id": ["bls:X"], "period_start": [date(2024, 1, 1)]},
        schema={"series_id": pl.String, "period_start": pl.Date},
    )
    frame = pl.DataFrame(
        [
            synthetic_metric_row(
                metric_id="ok", inputs=["a", observation_reference("bls:X", date(2024, 1, 1))]
            ),
            synthetic_metric_row(metric_id="bad", inputs=["a", "c", "bls:X@2023-01-01"]),
        ],
        schema=METRICS_PAY_PREMIUMS.polars_schema,
    )
    problems = unresolved_inputs(frame, "metric_id", figures, observations)
    assert [(p.record, p.value) for p in problems] == [("bad", "c"), ("bad", "bls:X@2023-01-01")]


def test_built_metrics_resolve_and_carry_column_lineage(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline()
    assert result.success
    lake = workspace.lake_root
    figures = pl.read_parquet(lake / "core/published_figures.parquet")
    observations = pl.read_parquet(lake / CORE_OBSERVATIONS.relative_path)
    estimates = read_table(CORE_OEWS_ESTIMATES.id, root=str(lake))
    for table in (t for t in ALL_TABLES if t.zone == "metrics"):
        frame = pl.read_parquet(lake / table.relative_path)
        assert unresolved_inputs(frame, table.primary_key, figures, observations, estimates) == []
        # without the OEWS table, the OEWS premiums' inputs name nothing
        if table is METRICS_PAY_PREMIUMS:
            assert unresolved_inputs(frame, table.primary_key, figures, observations)
    events = {
        m.asset_key: m.materialization.metadata for m in result.get_asset_materialization_events()
    }
    lineage = events[asset_key(METRICS_PAY_PREMIUMS)]["dagster/column_lineage"].value
    assert {d.asset_key.to_user_string() for d in lineage.deps_by_column["value"]} == {
        "core/published_figures",
        "core/observations",
        "core/oews_estimates",
    }
    assert (
        "computed_value"
        in events[asset_key(METRICS_CLAIM_CHECKS)]["dagster/column_lineage"].value.deps_by_column
    )
