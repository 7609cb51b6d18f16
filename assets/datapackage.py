"""`data_lake/datapackage.json`: what each file in the lake is, for consumers."""

from __future__ import annotations

import json

import dagster as dg

from assets.lake_table import asset_key, source_version
from assets.resources import LakeResource
from labor_lake.lake.datapackage import (
    DATAPACKAGE_PATH,
    FRICTIONLESS_TYPES,
    build_datapackage,
    encode_datapackage,
    field_schema,
    frictionless_type,
    table_resource,
)
from schemas.tables import ALL_TABLES


@dg.asset(
    key=dg.AssetKey(["datapackage"]),
    group_name="publish",
    kinds={"json"},
    deps=[asset_key(table) for table in ALL_TABLES],
    code_version=source_version(
        build_datapackage,
        table_resource,
        field_schema,
        frictionless_type,
        extra=json.dumps(FRICTIONLESS_TYPES),
    ),
)
def datapackage(lake: LakeResource) -> dg.MaterializeResult:
    """A Frictionless-style `datapackage.json` at the lake root listing every table file: its
    path, description, schema with units and constraints, rows, bytes, sha256, when it was
    produced and by which code version."""
    package = build_datapackage(lake.lake)
    written = lake.lake.write_bytes(DATAPACKAGE_PATH, encode_datapackage(package))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(written.path),
            "tables": len(package["resources"]),
            "sha256": written.sha256,
        }
    )
