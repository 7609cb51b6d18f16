"""core/observations: every official series in one long, validated table."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import polars as pl

from assets.lake_table import table_asset, validated_outputs
from labor_lake.lake import Lake
from labor_lake.payloads import newest_vintages
from labor_lake.sources import indeed
from pipelines.resources import IndeedHiringLab, LakeResource
from schemas.tables import CORE_OBSERVATIONS, RAW_INDEED_PAYLOADS

_INDEED_DATASETS = {dataset.name: dataset for dataset in indeed.DATASETS}


def indeed_observations(
    manifest: pl.DataFrame, lake: Lake, selection: indeed.IndeedSelection
) -> pl.DataFrame:
    """Observations from the newest vintage of each Indeed dataset, tagged with that vintage."""
    frames = [CORE_OBSERVATIONS.empty_frame()]
    for vintage in newest_vintages(manifest).iter_rows(named=True):
        rows = indeed.to_observations(
            _INDEED_DATASETS[vintage["dataset"]],
            lake.read_bytes(vintage["path"]),
            vintage["url"],
            selection,
        )
        frames.append(
            rows.with_columns(
                vintage_fetched_at=pl.lit(vintage["fetched_at"], dtype=pl.Datetime("us", "UTC")),
                payload_sha256=pl.lit(vintage["sha256"]),
            ).select(CORE_OBSERVATIONS.polars_schema.names())
        )
    return pl.concat(frames).sort("series_id", "period_start")


@dg.asset(
    **table_asset(
        CORE_OBSERVATIONS,
        logic=(indeed_observations, indeed.to_observations, newest_vintages),
        inputs={"raw_indeed_hiring_lab_payloads": RAW_INDEED_PAYLOADS},
    )
)
def core_observations(
    raw_indeed_hiring_lab_payloads: pl.DataFrame,
    indeed_hiring_lab: IndeedHiringLab,
    lake: LakeResource,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """One row per official series and period, from the newest vintage of each dataset: values
    as published (empty where the source publishes none), units, frequency and footnote codes,
    with the vintage each row came from. Empty when no payload has been fetched yet."""
    yield from validated_outputs(
        (CORE_OBSERVATIONS,),
        lambda: indeed_observations(
            raw_indeed_hiring_lab_payloads, lake.lake, indeed_hiring_lab.selection
        ),
    )
