"""Official sources: fetch payload vintages into raw/, and build core/observations from them.

One raw asset per source of the catalog (BLS, FRED, Indeed Hiring Lab), all running the same
refresh (labor_lake.sources.refresh): plan the requests of each catalog dataset, fetch, parse before
keeping, refuse what is implausible, and append new vintages. The `official_sources` resource's
`mode` (`LABOR_LAKE_SOURCES`) decides what a failure does: `auto` falls back dataset by dataset (last good vintage, else the recorded snapshot)
and warns, `live` fails, `offline` never fetches.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from assets.lake_table import asset_key, table_asset_arguments, validated_outputs
from assets.resources import LakeResource, OfficialSources
from labor_lake.sources import bls, fred, http_file
from labor_lake.sources import refresh as refresh_logic
from labor_lake.sources.catalog import CatalogError
from labor_lake.sources.http import SourceError
from labor_lake.sources.payloads import append_vintage, vintages_to_read
from schemas.tables import CORE_OBSERVATIONS, PAYLOAD_MANIFESTS

SOURCES_CHECK = "sources_reachable"
# What each source publishes and how often; the freshness policy warns when a source goes stale.
_SOURCE_ASSETS = {
    "bls": (
        "BLS: OEWS employment and wages, CPS unemployment rates (Public Data API v2). One request "
        "at a time (pool `bls_api`); refreshes ask only from the last year of data held.",
        # CPS is monthly, OEWS yearly: stale after a missed monthly release.
        dg.FreshnessPolicy.time_window(
            fail_window=timedelta(days=62), warn_window=timedelta(days=35)
        ),
        "bls_api",
    ),
    "fred": (
        "FRED: Indeed job postings indexes, by the JSON API when FRED_API_KEY is set (incremental "
        "from the last day held), else the keyless CSV.",
        dg.FreshnessPolicy.time_window(
            fail_window=timedelta(days=7), warn_window=timedelta(days=2)
        ),
        None,
    ),
    "indeed_hiring_lab": (
        "Indeed Hiring Lab public files: AI share of postings, postings by sector, aggregate "
        "postings.",
        dg.FreshnessPolicy.time_window(
            fail_window=timedelta(days=7), warn_window=timedelta(days=2)
        ),
        None,
    ),
}
_LOGIC = (refresh_logic, append_vintage, bls, fred, http_file)


def _payload_asset(source: str) -> dg.AssetsDefinition:
    table = PAYLOAD_MANIFESTS[source]
    description, freshness, pool = _SOURCE_ASSETS[source]

    @dg.asset(
        **table_asset_arguments(
            table,
            logic=_LOGIC,
            extra_checks=(
                dg.AssetCheckSpec(
                    SOURCES_CHECK,
                    asset=asset_key(table),
                    description="Warns when a dataset could not be fetched (naming it, its "
                    "address and what went wrong) or the source sent warnings, and says how "
                    "stale the data in use is.",
                ),
            ),
        ),
        description=description,
        freshness_policy=freshness,
        pool=pool,
    )
    # (No `from __future__ import annotations` here: dagster inspects this annotation.)
    def payloads(
        context: dg.AssetExecutionContext, official_sources: OfficialSources, lake: LakeResource
    ) -> Iterator[dg.Output | dg.AssetCheckResult]:
        try:
            result = official_sources.refresh(source, table, lake.lake)
        except SourceError as error:
            raise dg.Failure(
                description=f"{error}; nothing was stored, the lake keeps its last good payloads "
                "and tables: run again once the source answers, or set LABOR_LAKE_SOURCES=auto "
                "to fall back to them"
            ) from None
        except CatalogError as error:
            raise dg.Failure(
                description=f"{error}; nothing was stored, the lake keeps its last good payloads "
                "and tables: correct the catalog and run again"
            ) from None
        now = datetime.now(UTC)
        for outcome in result.outcomes:
            log = context.log.info if outcome.status in refresh_logic.FRESH else context.log.warning
            log(outcome.line(now))
        for warning in result.warnings:
            context.log.warning(warning)
        yield from validated_outputs((table,), lambda: result.manifest)
        yield dg.AssetCheckResult(
            check_name=SOURCES_CHECK,
            passed=not result.stale and not result.warnings,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "mode": official_sources.mode,
                **{o.dataset: o.line(now) for o in result.outcomes},
                **(
                    {
                        "source warnings": dg.MetadataValue.md(
                            "\n".join(f"- {w}" for w in result.warnings)
                        )
                    }
                    if result.warnings
                    else {}
                ),
            },
        )

    return payloads


PAYLOAD_ASSETS = [_payload_asset(source) for source in PAYLOAD_MANIFESTS]


@dg.asset(
    **table_asset_arguments(
        CORE_OBSERVATIONS,
        logic=(refresh_logic, vintages_to_read, bls, fred, http_file),
    ),
    # Read through the lake, not as inputs: a job that refreshes one source (or a fresh lake)
    # has no manifest yet for the others, which then simply have no vintages.
    deps=[asset_key(table) for table in PAYLOAD_MANIFESTS.values()],
)
def core_observations(
    official_sources: OfficialSources, lake: LakeResource
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Every official series in one long table: one row per series and period, values as
    published (empty where the source publishes none, with its footnote codes), unit and
    frequency, and the vintage each row came from (fetched, or a recorded snapshot)."""
    manifests = [
        lake.lake.read_table(table)
        if lake.lake.exists(table.relative_path)
        else table.empty_frame()
        for table in PAYLOAD_MANIFESTS.values()
    ]
    yield from validated_outputs(
        (CORE_OBSERVATIONS,),
        lambda: official_sources.observations(pl.concat(manifests), lake.lake),
    )
