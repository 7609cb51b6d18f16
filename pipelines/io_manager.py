"""The IO manager that stores every table asset as one Parquet file in the lake.

Written here rather than taken from dagster-polars: its 0.27 reads break on polars 2.x
(`scan_parquet` lost `rechunk`), it writes without column statistics by default, and it does not
write atomically. This one is small, atomic, and derives the Parquet schema from `schemas/`.

It also holds the lake's writer lock (`labor_lake/lake/lock.py`) for as long as Dagster keeps it
initialized: the whole run with the in-process executor, each step with the multiprocess one. A
second build meets the lock and stops (or waits `LABOR_LAKE_LOCK_WAIT_SECONDS`) with a message
naming the run that holds it. When the previous holder died mid-build (kill -9, power cut), its
run is marked failed in the instance and the temporary files it left are removed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Self

import dagster as dg
import polars as pl
from pydantic import Field

from assets.resources import LakeResource
from labor_lake.lake.files import Lake
from labor_lake.lake.lock import Holder, WriterLock
from labor_lake.lake.releases import remove_staging_leftovers
from labor_lake.lake.tables import read_partitioned_table, write_partitioned_table, write_table
from schemas.model import Table
from schemas.tables import TABLES_BY_ID


def _clean_up_after(dead: Holder, lake: Lake, context: dg.InitResourceContext) -> None:
    """The previous writer died holding the lock: mark its run failed (in-process runs have no
    run monitoring, so it would stay STARTED forever) and remove the partial files it left."""
    instance = context.instance
    run = instance.get_run_by_id(dead.run_id) if instance is not None else None
    if instance is not None and run is not None and run.status == dg.DagsterRunStatus.STARTED:
        instance.report_run_failed(
            run, f"its process died holding the lake's writer lock: {dead.describe()}"
        )
    removed = lake.remove_temporary_files() + remove_staging_leftovers(lake)
    if context.log is not None:
        context.log.warning(
            f"the previous writer, {dead.describe()}, died mid-build; "
            f"removed {len(removed)} partial file(s): {', '.join(removed) or 'none'}"
        )


def table_for(asset_key: dg.AssetKey) -> Table:
    table_id = "/".join(asset_key.path)
    try:
        return TABLES_BY_ID[table_id]
    except KeyError:
        raise dg.DagsterInvariantViolationError(
            f"asset {asset_key.to_user_string()} has no table definition in schemas/tables.py"
        ) from None


class ParquetLakeIOManager(dg.ConfigurableIOManager):
    """Stores asset `[zone, table]` at `<lake root>/<zone>/<table>.parquet`."""

    lake_resource: LakeResource
    lock_wait_seconds: int = Field(
        default=0,
        description="How long a run waits for another run holding the lake's writer lock "
        "(0: stop at once, naming that run).",
    )

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Self]:
        lake = self.lake_resource.lake
        run_id = context.run.run_id if context.run is not None else "no-run"
        with WriterLock(lake, run_id, wait_seconds=self.lock_wait_seconds) as lock:
            if lock.dead_holder is not None:
                _clean_up_after(lock.dead_holder, lake, context)
            yield self

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        table = table_for(context.asset_key)
        code_version = context.asset_spec.code_version
        provenance = {
            "produced_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "code_version": code_version or "unversioned",
            "run_id": context.run_id,
        }
        lake = self.lake_resource.lake
        if table.partition_by:
            parts = write_partitioned_table(lake, obj, table, provenance)
            for part in parts:
                if part.healed:
                    context.log.warning(part.healed)
            context.add_output_metadata(
                {
                    "path": dg.MetadataValue.path(lake.url(table.relative_path)),
                    "partitions": len(parts),
                    "bytes": sum(part.bytes for part in parts),
                    "partitions_rewritten": sum(part.changed for part in parts),
                }
            )
            return
        written = write_table(lake, obj, table, provenance=provenance)
        if written.healed:
            context.log.warning(written.healed)
        context.add_output_metadata(
            {
                "path": dg.MetadataValue.path(written.path),
                "bytes": written.bytes,
                "sha256": written.sha256,
                "rewritten": written.changed,
            }
        )

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        assert context.upstream_output is not None
        table = table_for(context.upstream_output.asset_key)
        if table.partition_by:
            return read_partitioned_table(self.lake_resource.lake, table)
        return self.lake_resource.lake.read_table(table)
