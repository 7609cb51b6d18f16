"""The report: one self-contained HTML page under `reports/`, its charts drawn by the reader's
browser from Vega-Lite specifications."""

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
    CORE_ARTICLES,
    CORE_OBSERVATION_VINTAGES,
    CORE_OBSERVATIONS,
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
_VERSIONS = Path(_REPORT_SPEC.origin or "").parent / "vendor" / "VERSIONS"
REPORTS = "reports"


@dg.asset(
    key=dg.AssetKey(["report"]),
    group_name="publish",
    kinds={"html", "vega"},
    ins={
        **{
            t.name: dg.AssetIn(key=asset_key(t))
            for t in [
                *METRICS,
                CORE_ARTICLES,
                CORE_PUBLISHED_FIGURES,
                CORE_OBSERVATIONS,
                CORE_OBSERVATION_VINTAGES,
            ]
        },
        **{f"{source}_manifest": dg.AssetIn(key=asset_key(t)) for source, t in MANIFESTS.items()},
    },
    # After the release when both run (the publish job, `--assets '*'`), so that the status box
    # names the release this run made, and the next unchanged run writes the same bytes.
    deps=[dg.AssetKey(["release"])],
    # The report module is imported only when the report runs, not by every `dg` command that
    # loads the definitions; the code version hashes its source and the vendored libraries'
    # versions without importing it.
    code_version=hashlib.sha256(
        Path(_REPORT_SPEC.origin or "").read_bytes() + _VERSIONS.read_bytes()
    ).hexdigest()[:16],
)
def report(
    lake: LakeResource, official_sources: OfficialSources, **tables: pl.DataFrame
) -> dg.MaterializeResult:
    """A page that leads with its finding: for each article, what it says, what its own figures
    give and what official data give, in a sentence or two with the numbers; then a status box
    (when the tables were built, the latest release, each source with the date of its newest
    data, the ledger's counts); then charts in words, each with its finding in one line, a source
    line and an "as of" date: pay premiums (stated ranges beside recomputed and official proxy
    values), premiums over time by wage percentile on one scale, published figures on the
    official series they were checked against, the AI share of postings against
    software-development postings (zoomable), unemployment rates beside their group's, and the
    ledger by kind and status; then every check with its reason. The page draws its charts in
    the reader's browser (a tooltip on every point, a menu to download PNG or SVG) with the
    libraries inlined: it opens from a file with no network."""
    from labor_lake.present import report as report_module
    from labor_lake.present.words import Reader

    publishers = Publishers.of(official_sources.catalog)

    # Built time is when the metrics were last produced (from their Parquet provenance), not the
    # clock: an unchanged lake leaves the report byte-identical.
    produced = [
        parquet_facts(lake.lake.read_bytes(t.relative_path)).provenance.get("produced_at", "")
        for t in METRICS
    ]
    pointer = latest_release(lake.lake)
    status = report_module.Status(
        built_at=max(produced).replace("T", " ").replace("+00:00", " UTC"),
        release=pointer["release"] if pointer else None,
        sources=report_module.source_statuses(
            {source: tables[f"{source}_manifest"] for source in MANIFESTS}, publishers
        ),
        counts=report_module.status_counts(tables["claim_checks"]),
    )
    titles = dict(tables["articles"].select("article_id", "title").iter_rows())
    rendered = report_module.charts(tables, publishers, titles)
    claim_checks = tables["claim_checks"]
    reader = Reader.of(
        claim_checks.select("claim_id", "statement").iter_rows(),
        tables["published_figures"],
        tables["observations"],
        {d.id: d.title for d in official_sources.catalog.datasets},
    )
    page = report_module.html_report(
        rendered, claim_checks, tables["pay_premiums"], status, tables["published_figures"],
        reader, titles, tables["articles"],
    )  # fmt: skip
    written = lake.lake.write_bytes(f"{REPORTS}/index.html", page.encode())
    link = Path(written.path).resolve().as_uri() if "://" not in written.path else written.path
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(written.path),
            "open the report": dg.MetadataValue.url(link),
            # One Markdown entry holds every chart's title and finding, so the asset page reads
            # like the page's contents.
            "charts": dg.MetadataValue.md(
                f"[Open the report]({link}) (one page; charts drawn in the browser)\n\n"
                + "\n".join(
                    f"- **{chart.title}**: "
                    + (chart.finding if chart.spec is not None else f"_{chart.empty_reason}_")
                    for chart in rendered
                )
            ),
        }
    )
