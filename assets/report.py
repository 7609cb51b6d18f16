"""The report: charts (PNG and SVG) and one self-contained HTML page under `reports/`."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.resources import LakeResource
from schemas.tables import ALL_TABLES

METRICS = [t for t in ALL_TABLES if t.zone == "metrics"]
_REPORT_SPEC = importlib.util.find_spec("labor_lake.report")
assert _REPORT_SPEC is not None
REPORTS = "reports"


@dg.asset(
    key=dg.AssetKey(["report"]),
    group_name="publish",
    kinds={"html", "svg", "png"},
    ins={t.name: dg.AssetIn(key=t.asset_key) for t in METRICS},
    # matplotlib is imported only when the report runs, not by every `dg` command that loads the
    # definitions; the code version hashes the module's source without importing it.
    code_version=hashlib.sha256(Path(_REPORT_SPEC.origin or "").read_bytes()).hexdigest()[:16],
)
def report(lake: LakeResource, **metrics: pl.DataFrame) -> dg.MaterializeResult:
    """Charts from the metrics tables only: pay premiums (claimed ranges beside recomputed and
    official proxy values), the AI share of postings against software-development postings over
    time (windows shaded), unemployment rates against their group, and the claim ledger by
    status. Written as PNG and SVG per chart plus `reports/index.html`, which needs no network."""
    from labor_lake import report as charts_module

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
