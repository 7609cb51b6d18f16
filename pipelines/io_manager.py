"""The IO manager that stores every table asset as one Parquet file in the lake.

Written here rather than taken from dagster-polars: its 0.27 reads break on polars 2.x
(`scan_parquet` lost `rechunk`), it writes without column statistics by default, and it does not
write atomically. This one is small, atomic, and derives the Parquet schema from `schemas/`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from labor_lake.lake import read_partitioned_table, write_partitioned_table
from pipelines.resources import LakeResource
from schemas.model import Table
from schemas.tables import TABLES_BY_ID


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
            context.add_output_metadata(
                {
                    "path": dg.MetadataValue.path(lake.url(table.relative_path)),
                    "partitions": len(parts),
                    "bytes": sum(part.bytes for part in parts),
                    "partitions_rewritten": sum(part.changed for part in parts),
                }
            )
            return
        written = lake.write_table(obj, table, provenance=provenance)
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
