"""labor-lake's domain: from the human-edited registry and the official sources to checked numbers,
with no Dagster in it (the wiring lives in `assets/` and `pipelines/`).

One sub-package per stage of the data's way through the pipeline, each importing only the ones
below it (`uv run lint-imports` checks this; docs/architecture.md draws it):

    present              the report and the run summary
    pay                  pay over time from the OEWS files
    checks               formulas, comparisons with official series, the ledger
    sources              the catalog, fetching, connectors, vintages, snapshots
    lake | registry      the Parquet lake and its readers | the human-edited files
    (schemas, outside)   table and column metadata, vocabularies

`from labor_lake import read_table` is the notebook reader (`labor_lake.lake.reader`), loaded on
first use so that importing any other module of the domain does not pay for it.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "read_table":
        from labor_lake.lake.reader import read_table

        return read_table
    raise AttributeError(f"module 'labor_lake' has no attribute {name!r}")
