"""The report: charts (PNG and SVG) and one self-contained HTML page under `reports/`."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake_table import asset_key
from assets.resources import LakeResource, OfficialSources
from labor_lake.lake.files import parquet_facts
from labor_lake.lake.releases import latest_release
from labor_lake.sources.publishers import Publishers
from schemas.tables import (
    ALL_TABLES,
    CORE_PUBLISHED_FIGURES,
    RAW_BLS_PAYLOADS,
    RAW_FRED_PAYLOADS,
    RAW_INDEED_PAYLOADS,
)

METRICS = [t for t in ALL_TABLES if t.zone == "metrics"]
# The payload manifests say, per source, when its newest data was fetched (the status box).
MANIFESTS = {"bls": RAW_BLS_PAYLOADS, "fred": RAW_FRED_PAYLOADS,
             "indeed_hiring_lab": RAW_INDEED_PAYLOADS}  # fmt: skip
_REPORT_SPEC = importlib.util.find_spec("labor_lake.present.report")
assert _REPORT_SPEC is not None
REPORTS = "reports"


@dg.asset(
    key=dg.AssetKey(["report"]),
    group_name="publish",
    kinds={"html", "svg", "png"},
    ins={
        **{t.name: dg.AssetIn(key=asset_key(t)) for t in [*METRICS, CORE_PUBLISHED_FIGURES]},
        **{f"{source}_manifest": dg.AssetIn(key=asset_key(t)) for source, t in MANIFESTS.items()},
    },
    # After the release when both run (the publish job, `--assets '*'`), so that the status box
    # names the release this run made, and the next unchanged run writes the same bytes.
    deps=[dg.AssetKey(["release"])],
    # matplotlib is imported only when the report runs, not by every `dg` command that loads the
    # definitions; the code version hashes the module's source without importing it.
    code_version=hashlib.sha256(Path(_REPORT_SPEC.origin or "").read_bytes()).hexdigest()[:16],
)
def report(
    lake: LakeResource, official_sources: OfficialSources, **tables: pl.DataFrame
) -> dg.MaterializeResult:
    """A page that explains itself: a status box (when the tables were built, the latest release,
    each source with the date of its newest payload, the ledger's counts by kind and status), then charts
    in words with a source line and an "as of" date each: pay premiums (stated ranges beside
    recomputed and official proxy values), premiums over time by wage percentile, the AI share
    of postings against software-development postings (windows shaded), unemployment rates
    beside their group's, and the ledger by kind and status; then every check with its reason,
    each OEWS proxy claim's premiums as a table by year and statistic. Written as PNG and SVG per
    chart plus `reports/index.html`, which needs no network."""
    from labor_lake.present import report as charts_module

    publishers = Publishers.of(official_sources.catalog)

    # Built time is when the metrics were last produced (from their Parquet provenance), not the
    # clock: an unchanged lake leaves the report byte-identical.
    produced = [
        parquet_facts(lake.lake.read_bytes(t.relative_path)).provenance.get("produced_at", "")
        for t in METRICS
    ]
    pointer = latest_release(lake.lake)
    status = charts_module.Status(
        built_at=max(produced).replace("T", " ").replace("+00:00", " UTC"),
        release=pointer["release"] if pointer else None,
        sources=charts_module.source_statuses(
            {source: tables[f"{source}_manifest"] for source in MANIFESTS}, publishers
        ),
        counts=charts_module.status_counts(tables["claim_checks"]),
    )
    rendered = charts_module.charts(tables, publishers)
    for chart in rendered:
        if chart.png is not None and chart.svg is not None:
            lake.lake.write_bytes(f"{REPORTS}/{chart.name}.png", chart.png)
            lake.lake.write_bytes(f"{REPORTS}/{chart.name}.svg", chart.svg.encode())
    page = charts_module.html_report(
        rendered, tables["claim_checks"], tables["pay_premiums"], status
    )
    written = lake.lake.write_bytes(f"{REPORTS}/index.html", page.encode())
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(written.path),
            # One Markdown entry holds every chart, so the asset page shows them together.
            "charts": dg.MetadataValue.md(
                "\n\n".join(
                    f"**{chart.title}**\n\n"
                    + (
                        f"![{chart.title}](data:image/png;base64,{_base64(chart.png)})\n\n"
                        f"_{chart.source}. As of {chart.as_of}._"
                        if chart.png is not None
                        else f"_{chart.empty_reason}_"
                    )
                    for chart in rendered
                )
            ),
        }
    )


def _base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
