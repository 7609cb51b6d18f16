"""`datapackage.json` at the lake root: what each table file in the lake is, for consumers.

It is kept true at every instant a run can be killed: the lake rewrites a table's entry right
after the table file itself (`Lake.write_table`), and the `datapackage` asset rebuilds the whole
file from the files present at the end of a build.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from labor_lake.lake.files import Lake, parquet_facts, partition_files
from schemas.model import ZONES, Table, to_arrow
from schemas.tables import ALL_TABLES

DATAPACKAGE_PATH = "datapackage.json"

# Frictionless Table Schema field types for the Arrow types we write.
FRICTIONLESS_TYPES = {
    "large_string": "string",
    "string": "string",
    "double": "number",
    "int64": "integer",
    "int32": "integer",
    "date32[day]": "date",
    "bool": "boolean",
}


def frictionless_type(arrow_type: str) -> str:
    if arrow_type.startswith(("large_list", "list")):
        return "array"
    if arrow_type.startswith("timestamp"):
        return "datetime"
    return FRICTIONLESS_TYPES.get(arrow_type, "any")


def field_schema(arrow_field: Any, table: Table) -> dict[str, Any]:
    column = table.column_lookup[arrow_field.name]
    arrow_type = str(arrow_field.type)
    field: dict[str, Any] = {
        "name": column.name,
        "type": frictionless_type(arrow_type),
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


def table_resource(table: Table, data: bytes) -> dict[str, Any]:
    """The datapackage entry for one table file with content `data`."""
    facts = parquet_facts(data)
    return {
        "name": table.flat_name,
        "path": table.relative_path,
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        "description": table.description,
        "zone": table.zone,
        **({"schema_version": table.schema_version} if table.published else {}),
        "rows": facts.rows,
        "bytes": len(data),
        "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
        "produced_at": facts.provenance.get("produced_at"),
        "code_version": facts.provenance.get("code_version"),
        "schema": {
            "fields": [field_schema(f, table) for f in to_arrow(table)],
            **({"primaryKey": [table.primary_key]} if table.primary_key else {}),
        },
    }


def partitioned_resource(lake: Lake, table: Table) -> dict[str, Any] | None:
    """The entry of a partitioned table: one resource whose `path` lists its files (Frictionless
    multipart), each with its own rows, bytes and hash under `parts`."""
    parts = []
    for path in partition_files(lake, table):
        part = table_resource(table, lake.read_bytes(path))
        parts.append(
            {key: part[key] for key in ("rows", "bytes", "hash", "produced_at", "code_version")}
            | {"path": path}
        )
    if not parts:
        return None
    whole = table_resource(table, lake.read_bytes(parts[0]["path"]))
    del whole["hash"]  # each part has its own
    return whole | {
        "path": [p["path"] for p in parts],
        "rows": sum(p["rows"] for p in parts),
        "bytes": sum(p["bytes"] for p in parts),
        "parts": parts,
        "produced_at": max(p["produced_at"] or "" for p in parts) or None,
        "code_version": parts[-1]["code_version"],
    }


def _package(resources: list[dict[str, Any]]) -> dict[str, Any]:
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


def build_datapackage(lake: Lake) -> dict[str, Any]:
    """Describe every table file present in the lake: path, schema, rows, bytes, sha256, and the
    produced_at and code version recorded in the file itself."""
    resources = []
    for table in ALL_TABLES:
        if table.partition_by:
            resource = partitioned_resource(lake, table)
        elif lake.exists(table.relative_path):
            resource = table_resource(table, lake.read_bytes(table.relative_path))
        else:
            resource = None
        if resource is not None:
            resources.append(resource)
    return _package(resources)


def encode_datapackage(package: dict[str, Any]) -> bytes:
    return json.dumps(package, indent=2).encode() + b"\n"


def updated_datapackage(lake: Lake, table: Table, data: bytes) -> dict[str, Any]:
    """The lake's datapackage with `table`'s entry describing `data` (the file just written).

    Starts from the datapackage.json in the lake; when it is missing or unreadable (a lake from
    before this rule), rebuilds every entry from the files present."""
    try:
        existing = json.loads(lake.read_bytes(DATAPACKAGE_PATH))
        by_name = {r["name"]: r for r in existing["resources"]}
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return build_datapackage(lake)
    entry = table_resource(table, data)
    by_name[entry["name"]] = entry
    names = [t.flat_name for t in ALL_TABLES]
    return _package([by_name[n] for n in names if n in by_name])
