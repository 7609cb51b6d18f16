"""Read lake tables from a notebook: `read_table("metrics/pay_premiums")`.

    from labor_lake.reader import read_table
    read_table("metrics/claim_checks")                      # current tables
    read_table("metrics/claim_checks", release="latest")    # the latest release
    read_table("core/observations", release="2026-11-25")   # a pinned release

The lake root is `root`, else `$LABOR_LAKE_ROOT`, else `data_lake` in the working directory; it
may be a local path or an fsspec URL.
"""

from __future__ import annotations

import io
import os

import polars as pl

from labor_lake.lake import Lake, read_partitioned_table
from labor_lake.releases import RELEASES, latest_release
from schemas.tables import TABLES_BY_ID


def read_table(
    table_id: str, *, release: str | None = None, root: str | None = None
) -> pl.DataFrame:
    """One lake table as a polars DataFrame, current or from a release."""
    if table_id not in TABLES_BY_ID:
        raise KeyError(f"unknown table {table_id!r}; tables: {', '.join(sorted(TABLES_BY_ID))}")
    lake = Lake(root or os.environ.get("LABOR_LAKE_ROOT") or "data_lake")
    table = TABLES_BY_ID[table_id]
    if table.partition_by and release is None:
        if not lake.exists(table.relative_path):
            raise FileNotFoundError(f"{lake.url(table.relative_path)} does not exist")
        return read_partitioned_table(lake, table)
    path = table.relative_path
    if release is not None:
        if release == "latest":
            pointer = latest_release(lake)
            if pointer is None:
                raise FileNotFoundError(f"no release in {lake.root} yet (run the publish job)")
            release = pointer["release"]
        path = f"{RELEASES}/{release}/{path}"
    if not lake.exists(path):
        raise FileNotFoundError(f"{lake.url(path)} does not exist")
    return pl.read_parquet(io.BytesIO(lake.read_bytes(path)))
