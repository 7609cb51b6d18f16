"""Indeed Hiring Lab: fetch the public CSVs into raw payload vintages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.lake_table import table_asset, validated_outputs
from labor_lake.http import SourceError, SourceUnreachable
from labor_lake.payloads import append_vintage, newest_vintages
from labor_lake.sources import indeed
from pipelines import settings
from pipelines.resources import IndeedHiringLab, LakeResource
from schemas.tables import RAW_INDEED_PAYLOADS

SOURCES_CHECK = "sources_reachable"


def previous_manifest(lake: LakeResource) -> pl.DataFrame:
    """The manifest already in the lake: vintages are appended to it, never rewritten."""
    if lake.lake.exists(RAW_INDEED_PAYLOADS.relative_path):
        return lake.lake.read_table(RAW_INDEED_PAYLOADS)
    return RAW_INDEED_PAYLOADS.empty_frame()


def _since(manifest: pl.DataFrame, dataset: str) -> str:
    newest = newest_vintages(manifest).filter(pl.col("dataset") == dataset)
    if not newest.height:
        return "no payload yet"
    return f"using the payload fetched {newest['fetched_at'][0].isoformat()}"


@dg.asset(
    **table_asset(
        RAW_INDEED_PAYLOADS,
        logic=(append_vintage, indeed.to_observations, indeed.read_csv),
        extra_checks=(
            dg.AssetCheckSpec(
                SOURCES_CHECK,
                asset=RAW_INDEED_PAYLOADS.asset_key,
                description="Warns when a dataset could not be fetched, saying since when its data is stale.",
            ),
        ),
    )
)
def raw_indeed_hiring_lab_payloads(
    indeed_hiring_lab: IndeedHiringLab, lake: LakeResource
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Fetch Indeed Hiring Lab's public CSVs (AI share of postings, postings by sector,
    aggregate postings) and keep each new response as a vintage. A response is parsed before it
    is kept, so a page that is not the expected CSV fails the run and is not stored. In `auto`
    mode an unreachable source falls back to its last good payload, with a warning; `live` fails
    instead; `offline` never fetches."""
    mode = settings.source_mode()
    manifest = previous_manifest(lake)
    missing: dict[str, str] = {}
    for dataset in indeed.DATASETS:
        if mode == "offline":
            missing[dataset.name] = f"offline mode; {_since(manifest, dataset.name)}"
            continue
        if missing and mode == "auto":
            # The host was unreachable for an earlier dataset: don't wait on it again.
            missing[dataset.name] = f"source unreachable; {_since(manifest, dataset.name)}"
            continue
        try:
            fetched = indeed_hiring_lab.fetch(dataset)
            indeed.to_observations(
                dataset, fetched.content, fetched.url, indeed_hiring_lab.selection
            )
        except SourceUnreachable as error:
            if mode == "live":
                raise dg.Failure(description=f"{error} (LABOR_LAKE_SOURCES=live)") from None
            missing[dataset.name] = f"{error}; {_since(manifest, dataset.name)}"
            continue
        except SourceError as error:
            raise dg.Failure(
                description=f"{error}\nNothing was stored: the lake keeps its last good payloads and tables."
            ) from None
        manifest = append_vintage(
            lake.lake,
            manifest,
            RAW_INDEED_PAYLOADS,
            source=indeed.SOURCE,
            dataset=dataset.name,
            fetched=fetched,
            fetched_at=datetime.now(UTC),
            extension="csv",
        )

    yield from validated_outputs((RAW_INDEED_PAYLOADS,), lambda: manifest)
    yield dg.AssetCheckResult(
        check_name=SOURCES_CHECK,
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"mode": mode, **{f"missing: {name}": reason for name, reason in missing.items()}},
    )
