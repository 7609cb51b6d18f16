"""`data_lake/datapackage.json`: what each file in the lake is, for consumers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import dagster as dg

from assets.lake_table import source_version
from labor_lake.lake import Lake, parquet_facts, partition_files
from pipelines.resources import LakeResource
from schemas.model import ZONES, Table, to_arrow
from schemas.tables import ALL_TABLES

DATAPACKAGE_PATH = "datapackage.json"

# Frictionless Table Schema field types for the Arrow types we write.
_FRICTIONLESS_TYPES = {
    "large_string": "string",
    "string": "string",
    "double": "number",
    "int64": "integer",
    "int32": "integer",
    "date32[day]": "date",
    "bool": "boolean",
}


def _frictionless_type(arrow_type: str) -> str:
    if arrow_type.startswith(("large_list", "list")):
        return "array"
    if arrow_type.startswith("timestamp"):
        return "datetime"
    return _FRICTIONLESS_TYPES.get(arrow_type, "any")


def _field(arrow_field: Any, table: Table) -> dict[str, Any]:
    column = table.column_lookup[arrow_field.name]
    arrow_type = str(arrow_field.type)
    field: dict[str, Any] = {
        "name": column.name,
        "type": _frictionless_type(arrow_type),
        "description": column.description,
        "constraints": {"required": not column.nullable, "unique": column.unique},
    }
    if column.allowed is not None:
        field["constraints"]["enum"] = sorted(column.allowed)
    if column.pattern is not None:
        field["constraints"]["pattern"] = column.pattern
    if column.unit:
        field["unit"] = column.unit
    return field


def build_datapackage(lake: Lake) -> dict[str, Any]:
    """Describe every table file present in the lake: path, schema, rows, bytes, sha256, and the
    produced_at and code version recorded in the file itself."""
    resources = []
    for table in ALL_TABLES:
        if not lake.exists(table.relative_path):
            continue
        # A partitioned table is one resource whose `path` lists its files (Frictionless
        # multipart), each with its own rows, bytes and hash under `parts`.
        paths = partition_files(lake, table) if table.partition_by else [table.relative_path]
        parts = []
        for path in paths:
            data = lake.read_bytes(path)
            facts = parquet_facts(data)
            parts.append(
                {
                    "path": path,
                    "rows": facts.rows,
                    "bytes": len(data),
                    "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
                    "produced_at": facts.provenance.get("produced_at"),
                    "code_version": facts.provenance.get("code_version"),
                }
            )
        if not parts:
            continue
        whole = (
            parts[0]
            if not table.partition_by
            else {
                "path": paths,
                "rows": sum(p["rows"] for p in parts),
                "bytes": sum(p["bytes"] for p in parts),
                "parts": parts,
                "produced_at": max(p["produced_at"] or "" for p in parts) or None,
                "code_version": parts[-1]["code_version"],
            }
        )
        resources.append(
            {
                "name": f"{table.zone}_{table.name}",
                "path": whole["path"],
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "description": table.description,
                "zone": table.zone,
                **({"schema_version": table.schema_version} if table.published else {}),
                **{key: value for key, value in whole.items() if key != "path"},
                "schema": {
                    "fields": [_field(f, table) for f in to_arrow(table)],
                    **({"primaryKey": [table.primary_key]} if table.primary_key else {}),
                },
            }
        )
    return {
        "name": "labor-lake",
        "title": "labor-lake: checked numbers behind claims about the tech labor market",
        "profile": "data-package",
        # The newest table's production time, not the clock: an unchanged lake gets an
        # unchanged datapackage.json.
        "created": max((r["produced_at"] or "" for r in resources), default=None),
        "zones": ZONES,
        "resources": resources,
    }


@dg.asset(
    key=dg.AssetKey(["datapackage"]),
    group_name="publish",
    kinds={"json"},
    deps=[table.asset_key for table in ALL_TABLES],
    code_version=source_version(
        build_datapackage, _field, _frictionless_type, extra=json.dumps(_FRICTIONLESS_TYPES)
    ),
)
def datapackage(lake: LakeResource) -> dg.MaterializeResult:
    """A Frictionless-style `datapackage.json` at the lake root listing every table file: its
    path, description, schema with units and constraints, rows, bytes, sha256, when it was
    produced and by which code version."""
    package = build_datapackage(lake.lake)
    written = lake.lake.write_bytes(
        DATAPACKAGE_PATH, json.dumps(package, indent=2).encode() + b"\n"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(written.path),
            "tables": len(package["resources"]),
            "sha256": written.sha256,
        }
    )
