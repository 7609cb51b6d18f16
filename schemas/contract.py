"""The published-schema contract: what a consumer can rely on, and which changes need which
version bump.

Published tables (zones `core` and `metrics`) carry `schema_version` (semantic versioning) in
their Parquet metadata and in `datapackage.json`. Removing or renaming a column, or changing its
type, unit, nullability or meaning (description), is a major change; adding a nullable column is
a minor one. `tests/test_contract.py` compares every published table with the snapshot in
`tests/snapshots/published_schemas.json` and fails when a change is not matched by a bump (and a
`docs/CHANGELOG.md` entry).
"""

from __future__ import annotations

from typing import Any

from schemas.model import Table


def published_schema(table: Table) -> dict[str, Any]:
    return {
        "version": table.schema_version,
        "columns": [
            {
                "name": c.name,
                "type": str(c.dtype),
                "unit": c.unit,
                "nullable": c.nullable,
                "description": c.description,
            }
            for c in table.columns
        ],
    }


def required_bump(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The smallest version bump that the change from `old` to `new` needs."""
    old_columns = {c["name"]: c for c in old["columns"]}
    new_columns = {c["name"]: c for c in new["columns"]}
    if any(
        name not in new_columns or new_columns[name] != column
        for name, column in old_columns.items()
    ):
        return "major"
    added = [column for name, column in new_columns.items() if name not in old_columns]
    if any(not column["nullable"] for column in added):
        return "major"
    return "minor" if added else "none"


def actual_bump(old_version: str, new_version: str) -> str:
    old, new = (tuple(int(part) for part in v.split(".")) for v in (old_version, new_version))
    if new[0] > old[0]:
        return "major"
    if new[:1] == old[:1] and new[1] > old[1]:
        return "minor"
    if new[:2] == old[:2] and new[2] > old[2]:
        return "patch"
    return "none"
