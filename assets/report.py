"""The report: charts (PNG and SVG) and one self-contained HTML page under `reports/`."""

from __future__ import annotations

import base64

import dagster as dg
import polars as pl

from assets.lake_table import source_version
from labor_lake import report as charts_module
from pipelines.resources import LakeResource
from schemas.tables import ALL_TABLES

METRICS = [t for t in ALL_TABLES if t.zone == "metrics"]
REPORTS = "reports"


@dg.asset(
    key=dg.AssetKey(["report"]),
    group_name="publish",
    kinds={"html", "svg", "png"},
    ins={t.name: dg.AssetIn(key=t.asset_key) for t in METRICS},
    code_version=source_version(
        charts_module.charts,
        charts_module.html_report,
        charts_module.pay_premium_chart,
        charts_module.postings_chart,
        charts_module.unemployment_chart,
        charts_module.ledger_chart,
    ),
)
def report(lake: LakeResource, **metrics: pl.DataFrame) -> dg.MaterializeResult:
    """Charts from the metrics tables only: pay premiums (claimed ranges beside recomputed and
    official proxy values), the AI share of postings against software-development postings over
    time (windows shaded), unemployment rates against their group, and the claim ledger by
    status. Written as PNG and SVG per chart plus `reports/index.html`, which needs no network."""
    rendered = charts_module.charts(metrics)
    for chart in rendered:
        lake.lake.write_bytes(f"{REPORTS}/{chart.name}.png", chart.png)
        lake.lake.write_bytes(f"{REPORTS}/{chart.name}.svg", chart.svg.encode())
    page = charts_module.html_report(rendered, metrics["claim_checks"])
    written = lake.lake.write_bytes(f"{REPORTS}/index.html", page.encode())
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(written.path),
            **{
                f"chart: {chart.title}": dg.MetadataValue.md(
                    f"![{chart.title}](data:image/png;base64,{base64.b64encode(chart.png).decode()})"
                )
                for chart in rendered
            },
        }
    )
