"""Read lake tables from a notebook: `read_table("metrics/pay_premiums")`.

    from labor_lake.lake.reader import read_table
    read_table("metrics/claim_checks")                      # current tables
    read_table("metrics/claim_checks", release="latest")    # the latest release
    read_table("core/observations", release="2026-11-25")   # a pinned release
    read_table("core/observations", as_of="2026-04-01")     # the series as published that day

The lake root is `root`, else `$LABOR_LAKE_ROOT`, else the `data_lake` folder of the repository
this module belongs to, wherever the notebook runs; it may be a local path or an fsspec URL.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl

from labor_lake.lake.bitemporal import observations_as_of
from labor_lake.lake.files import DamagedFile, Lake
from labor_lake.lake.releases import RELEASES, latest_release
from labor_lake.lake.tables import read_partitioned_table
from schemas.tables import CORE_OBSERVATION_VINTAGES, CORE_OBSERVATIONS, TABLES_BY_ID

# The repository's lake: this file is <repository>/labor_lake/lake/reader.py.
REPOSITORY_LAKE = Path(__file__).resolve().parents[2] / "data_lake"


def lake_root(root: str | None = None) -> str:
    """`root`, else `$LABOR_LAKE_ROOT`, else the repository's `data_lake` (never the current
    folder)."""
    return root or os.environ.get("LABOR_LAKE_ROOT") or str(REPOSITORY_LAKE)


def releases(lake: Lake) -> list[str]:
    """Names of the releases in the lake, oldest first."""
    if not lake.exists(RELEASES):
        return []
    folder = lake.path(RELEASES)
    return sorted(
        Path(entry).name for entry in lake.fs.ls(folder, detail=False) if lake.fs.isdir(entry)
    )


def read_table(
    table_id: str,
    *,
    release: str | None = None,
    root: str | None = None,
    as_of: str | date | None = None,
) -> pl.DataFrame:
    """One lake table as a polars DataFrame, current or from a release. `as_of` (YYYY-MM-DD,
    core/observations only): the series as published that day, from core/observation_vintages
    (per dataset the newest vintage dated on or before it; labor_lake.lake.bitemporal)."""
    if as_of is not None:
        if table_id != CORE_OBSERVATIONS.id:
            raise ValueError(f"as_of is for {CORE_OBSERVATIONS.id} only, not {table_id!r}")
        day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        vintages = read_table(CORE_OBSERVATION_VINTAGES.id, release=release, root=root)
        return observations_as_of(vintages, day)
    if table_id not in TABLES_BY_ID:
        raise KeyError(f"unknown table {table_id!r}; tables: {', '.join(sorted(TABLES_BY_ID))}")
    lake = Lake(lake_root(root))
    table = TABLES_BY_ID[table_id]
    path = table.relative_path
    if release is not None:
        if release == "latest":
            try:
                pointer = latest_release(lake)
            except DamagedFile as damaged:
                named = releases(lake)
                raise DamagedFile(
                    damaged.url,
                    damaged.problem,
                    "the next publish rebuilds it (uv run dg launch --job publish); meanwhile "
                    + (
                        f"name a release, e.g. release={named[-1]!r} (releases: {', '.join(named)})"
                        if named
                        else "no release folder is there to read"
                    ),
                ) from None
            if pointer is None:
                raise FileNotFoundError(f"no release in {lake.root} yet (run the publish job)")
            release = pointer["release"]
        elif release not in (existing := releases(lake)):
            raise FileNotFoundError(
                f"no release {release!r} in {lake.root}; releases: "
                + (", ".join(existing) or "none yet (run the publish job)")
            )
        lake = Lake(lake.url(f"{RELEASES}/{release}"))  # a release is laid out like the lake
    if not lake.exists(path):
        raise FileNotFoundError(f"{lake.url(path)} does not exist")
    try:
        if table.partition_by:
            return read_partitioned_table(lake, table)
        return lake.read_table(table)
    except DamagedFile as damaged:
        if release is None:
            raise
        # A release is never rewritten: its datapackage.json says what each file should be.
        raise DamagedFile(
            damaged.url,
            damaged.problem,
            f"release {release} is damaged (compare its files with the hashes in its "
            "datapackage.json); read another release, or restore the file from a copy",
        ) from None
