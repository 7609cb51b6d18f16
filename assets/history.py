"""Every published vintage: core/observation_vintages (bitemporal) and core/vintages.

Runs after the source refreshes: starts from what the lake holds (else the recorded history in
snapshots/history/), adds the commits of the publishers' files that GitHub lists and the lake
does not hold yet (not offline), then the lake's own fetched vintages. What cannot be listed or
read is a warning naming the commit (a failure in `live` mode); what is held stays.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake_table import asset_key, asset_out, schema_check_spec, validated_outputs
from assets.resources import LakeResource, OfficialSources
from labor_lake.lake import bitemporal
from labor_lake.sources import github, history
from labor_lake.sources.catalog import Dataset
from labor_lake.sources.connector import Parsed
from labor_lake.sources.payloads import read_vintage, vintage_format
from schemas.tables import CORE_OBSERVATION_VINTAGES, CORE_VINTAGES, PAYLOAD_MANIFESTS

HISTORY_CHECK = "history_complete"
_TABLES = (CORE_OBSERVATION_VINTAGES, CORE_VINTAGES)
_LOGIC = (history, github, bitemporal, read_vintage)


@dg.multi_asset(
    outs={asset_key(t).to_python_identifier(): asset_out(t, _LOGIC) for t in _TABLES},
    deps=[asset_key(table) for table in PAYLOAD_MANIFESTS.values()],
    check_specs=[
        *(schema_check_spec(t) for t in _TABLES),
        dg.AssetCheckSpec(
            HISTORY_CHECK,
            asset=asset_key(CORE_OBSERVATION_VINTAGES),
            description="Warns, naming the commit or payload, for every vintage that could "
            "not be listed, fetched or read; the vintages held stay.",
        ),
    ],
    can_subset=False,
)
def observation_vintages(
    context: dg.AssetExecutionContext, official_sources: OfficialSources, lake: LakeResource
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Every vintage of every official series, each value once per span in which it did not
    change, with the vintage (commit or fetch) that first published it."""
    store = lake.lake
    catalog = official_sources.catalog
    connectors = official_sources.connectors
    previous = None
    if all(store.exists(t.relative_path) for t in _TABLES):
        previous = (
            store.read_table(CORE_OBSERVATION_VINTAGES),
            store.read_table(CORE_VINTAGES),
        )
    payloads = pl.concat(
        [
            store.read_table(t) if store.exists(t.relative_path) else t.empty_frame()
            for t in PAYLOAD_MANIFESTS.values()
        ]
    )

    def read_payload(dataset: Dataset, row: dict) -> Parsed:
        content = read_vintage(store, row["path"], row["sha256"])
        return connectors[dataset.protocol].parse(
            dataset, content, row["url"], vintage_format(row["path"])
        )

    def versions(dataset: Dataset) -> list[history.Version]:
        return github.versions_from_github(
            dataset,
            official_sources.http.session(),
            lambda url: catalog.address(dataset, official_sources.host_overrides, url),
            official_sources.api_keys.get(github.TOKEN_VARIABLE) or None,
            timeout=official_sources.http.timeout_seconds,
        )

    result = history.refresh_vintages(
        catalog,
        Path(official_sources.snapshot_manifest).parent,
        previous,
        payloads,
        read_payload,
        None if official_sources.mode == "offline" else versions,
    )
    for line in result.errors:
        context.log.warning(line)
    if result.errors and official_sources.mode == "live":
        raise dg.Failure(
            description=f"{result.errors[0]} (LABOR_LAKE_SOURCES=live)\nNothing was written: "
            "the lake keeps its vintages."
        )
    yield from validated_outputs(
        _TABLES,
        lambda: {CORE_OBSERVATION_VINTAGES: result.rows, CORE_VINTAGES: result.manifest},
    )
    yield dg.AssetCheckResult(
        asset_key=asset_key(CORE_OBSERVATION_VINTAGES),
        check_name=HISTORY_CHECK,
        passed=not result.errors,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "vintages": result.manifest.height,
            **{f"problem {n}": line for n, line in enumerate(result.errors[:20], start=1)},
        },
    )
