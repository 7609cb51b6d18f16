"""Official sources: fetch payload vintages into raw/, and build core/observations from them.

One raw asset per source (BLS, FRED, Indeed Hiring Lab), all running the same refresh: plan the
requests, fetch each, parse it before keeping it (a payload that is not what we expect fails the
run and is not stored), and append it as a vintage. `LABOR_LAKE_SOURCES` decides what happens
when a source cannot be reached: `auto` keeps the last good payloads and warns, `live` fails,
`offline` never fetches.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl

from assets.lake_table import table_asset, validated_outputs
from labor_lake.http import SourceError, SourceUnreachable
from labor_lake.lake import Lake
from labor_lake.payloads import append_vintage, newest_vintages, vintages_to_read
from pipelines import settings
from pipelines.resources import Bls, Fred, IndeedHiringLab, LakeResource
from schemas.model import Table
from schemas.tables import (
    CORE_OBSERVATIONS,
    RAW_BLS_PAYLOADS,
    RAW_FRED_PAYLOADS,
    RAW_INDEED_PAYLOADS,
)

SOURCES_CHECK = "sources_reachable"
Connector = Bls | Fred | IndeedHiringLab


@dataclass
class Refresh:
    manifest: pl.DataFrame
    missing: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _since(manifest: pl.DataFrame, dataset: str) -> str:
    newest = newest_vintages(manifest).filter(pl.col("dataset") == dataset)
    if not newest.height:
        return "no payload yet"
    return f"using the payload fetched {newest['fetched_at'][0].isoformat()}"


def refresh(connector: Connector, table: Table, lake: Lake, mode: str) -> Refresh:
    """Fetch every planned request of `connector` and append new vintages to its manifest."""
    previous = lake.read_table(table) if lake.exists(table.relative_path) else table.empty_frame()
    result = Refresh(previous)
    for request in connector.plan(previous, datetime.now(UTC).date()):
        if mode == "offline":
            result.missing[request.dataset] = f"offline mode; {_since(previous, request.dataset)}"
            continue
        if result.missing:  # the host failed for an earlier request: don't wait on it again
            result.missing[request.dataset] = (
                f"source unreachable; {_since(previous, request.dataset)}"
            )
            continue
        try:
            fetched = connector.fetch(request)
            _, warnings = connector.parse(
                request.dataset, request.extension, fetched.content, fetched.url
            )
        except SourceUnreachable as error:
            if mode == "live":
                raise dg.Failure(description=f"{error} (LABOR_LAKE_SOURCES=live)") from None
            result.missing[request.dataset] = f"{error}; {_since(previous, request.dataset)}"
            continue
        except SourceError as error:
            raise dg.Failure(
                description=f"{error}\nNothing was stored: the lake keeps its last good payloads and tables."
            ) from None
        result.warnings += warnings
        result.manifest = append_vintage(
            lake,
            result.manifest,
            table,
            source=connector.source,
            dataset=request.dataset,
            fetched=fetched,
            fetched_at=datetime.now(UTC),
            extension=request.extension,
            complete=request.complete,
        )
    return result


def _payload_asset(
    table: Table, resource_key: str, description: str, **asset_kwargs: Any
) -> dg.AssetsDefinition:
    @dg.asset(
        **table_asset(
            table,
            logic=(refresh, append_vintage),
            extra_checks=(
                dg.AssetCheckSpec(
                    SOURCES_CHECK,
                    asset=table.asset_key,
                    description="Warns when a dataset could not be fetched or the source sent "
                    "warnings, saying since when its data is stale.",
                ),
            ),
        ),
        description=description,
        required_resource_keys={resource_key, "lake"},
        **asset_kwargs,
    )
    # (No `from __future__ import annotations` here: dagster inspects this annotation.)
    def payloads(context: dg.AssetExecutionContext) -> Iterator[dg.Output | dg.AssetCheckResult]:
        connector = getattr(context.resources, resource_key)
        mode = settings.source_mode()
        result = refresh(connector, table, context.resources.lake.lake, mode)
        yield from validated_outputs((table,), lambda: result.manifest)
        yield dg.AssetCheckResult(
            check_name=SOURCES_CHECK,
            passed=not result.missing and not result.warnings,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "mode": mode,
                **{f"missing: {dataset}": reason for dataset, reason in result.missing.items()},
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


raw_bls_payloads = _payload_asset(
    RAW_BLS_PAYLOADS,
    "bls",
    "BLS Public Data API v2: OEWS national employment and wages for the computer and "
    "mathematical occupations, and configured CPS unemployment-rate series. One request at a "
    "time (pool `bls_api`); refreshes ask only for years from the newest vintage on.",
    pool="bls_api",
    # CPS is monthly, OEWS yearly: stale after a missed monthly release.
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=timedelta(days=62), warn_window=timedelta(days=35)
    ),
)
raw_fred_payloads = _payload_asset(
    RAW_FRED_PAYLOADS,
    "fred",
    "FRED: Indeed job postings indexes (all postings and selected sectors), by the JSON API "
    "when FRED_API_KEY is set (incremental from the newest vintage), else the keyless CSV.",
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=timedelta(days=7), warn_window=timedelta(days=2)
    ),
)
raw_indeed_hiring_lab_payloads = _payload_asset(
    RAW_INDEED_PAYLOADS,
    "indeed_hiring_lab",
    "Indeed Hiring Lab public CSVs: AI share of postings, postings by sector, aggregate postings.",
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=timedelta(days=7), warn_window=timedelta(days=2)
    ),
)


def observations_from(manifest: pl.DataFrame, connector: Connector, lake: Lake) -> pl.DataFrame:
    """The current rows of every dataset in `manifest`: newest vintage first, each period taken
    from the newest vintage that has it."""
    frames = [CORE_OBSERVATIONS.empty_frame()]
    for vintage in vintages_to_read(manifest).iter_rows(named=True):
        extension = vintage["path"].rsplit(".", 1)[-1]
        rows, _ = connector.parse(
            vintage["dataset"], extension, lake.read_bytes(vintage["path"]), vintage["url"]
        )
        frames.append(
            rows.with_columns(
                vintage_fetched_at=pl.lit(vintage["fetched_at"], dtype=pl.Datetime("us", "UTC")),
                payload_sha256=pl.lit(vintage["sha256"]),
            ).select(CORE_OBSERVATIONS.polars_schema.names())
        )
    return (
        pl.concat(frames)
        .sort("vintage_fetched_at", descending=True, maintain_order=True)
        .unique(
            subset=["series_id", "period_start", "period_end"], keep="first", maintain_order=True
        )
        .sort("series_id", "period_start")
    )


@dg.asset(
    **table_asset(
        CORE_OBSERVATIONS,
        logic=(observations_from, vintages_to_read),
        inputs={
            "raw_bls_payloads": RAW_BLS_PAYLOADS,
            "raw_fred_payloads": RAW_FRED_PAYLOADS,
            "raw_indeed_hiring_lab_payloads": RAW_INDEED_PAYLOADS,
        },
    )
)
def core_observations(
    raw_bls_payloads: pl.DataFrame,
    raw_fred_payloads: pl.DataFrame,
    raw_indeed_hiring_lab_payloads: pl.DataFrame,
    bls: Bls,
    fred: Fred,
    indeed_hiring_lab: IndeedHiringLab,
    lake: LakeResource,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Every official series in one long table: one row per series and period, values as
    published (empty where the source publishes none, with its footnote codes), unit and
    frequency, and the vintage each row came from. Empty for a source never fetched."""
    pairs = (
        (raw_bls_payloads, bls),
        (raw_fred_payloads, fred),
        (raw_indeed_hiring_lab_payloads, indeed_hiring_lab),
    )
    yield from validated_outputs(
        (CORE_OBSERVATIONS,),
        lambda: pl.concat([observations_from(m, c, lake.lake) for m, c in pairs]).sort(
            "series_id", "period_start"
        ),
    )
