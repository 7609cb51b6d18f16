"""The published data dictionary (`docs/data_dictionary.md`), generated from the table metadata.

Regenerate after changing any table: `uv run python -m schemas.dictionary`. A test fails when the
committed file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from schemas.formulas import FORMULAS
from schemas.model import ZONES, Column
from schemas.tables import ALL_TABLES
from schemas.vocabulary import (
    CHECK_KINDS,
    CLAIM_STATUSES,
    MEASURES,
    QUALIFIERS,
    SOURCE_KINDS,
    UNITS,
)

DICTIONARY_PATH = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _column_row(column: Column) -> str:
    cells = [
        f"`{column.name}`",
        str(column.dtype),
        column.unit or "",
        "yes" if column.nullable else "no",
        _escape(column.description),
        _escape("; ".join(column.constraint_notes() + (["unique"] if column.unique else []))),
    ]
    return "| " + " | ".join(cells) + " |"


def render() -> str:
    lines = [
        "# labor-lake data dictionary",
        "",
        "Generated from `schemas/tables.py` by `uv run python -m schemas.dictionary`; do not edit.",
        "Each table is one Parquet file at `data_lake/<zone>/<table>.parquet`.",
        "",
    ]
    for zone, zone_description in ZONES.items():
        lines += [f"## Zone `{zone}`", "", zone_description, ""]
        for table in (t for t in ALL_TABLES if t.zone == zone):
            lines += [f"### `{table.id}`", "", table.description, ""]
            lines += [f"- File: `data_lake/{table.relative_path}`"]
            if table.primary_key:
                lines += [f"- Primary key: `{table.primary_key}`"]
            lines += [
                "",
                "| column | type | unit | nullable | description | constraints |",
                "| --- | --- | --- | --- | --- | --- |",
                *(_column_row(column) for column in table.columns),
                "",
            ]
    lines += ["## Vocabularies", ""]
    vocabularies = {
        "unit": {name: unit.description for name, unit in UNITS.items()},
        "measure": MEASURES,
        "qualifier": QUALIFIERS,
        "source_kind": SOURCE_KINDS,
        "formula": {name: formula.description for name, formula in FORMULAS.items()},
        "status (claim_checks)": CLAIM_STATUSES,
        "kind (claim_checks)": {name: kind.description for name, kind in CHECK_KINDS.items()},
    }
    for name, terms in vocabularies.items():
        lines += [f"### {name}", "", "| term | meaning |", "| --- | --- |"]
        lines += [f"| `{term}` | {_escape(meaning)} |" for term, meaning in terms.items()]
        lines += [""]
    return "\n".join(lines)


def main() -> int:
    DICTIONARY_PATH.parent.mkdir(exist_ok=True)
    DICTIONARY_PATH.write_text(render())
    print(f"wrote {DICTIONARY_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
