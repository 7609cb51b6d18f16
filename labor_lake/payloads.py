"""Raw payload vintages: every fetched response kept as received, never overwritten.

Each new response is stored at `raw/payloads/<source>/<dataset>/<fetched_at>-<sha256[:12]>.<ext>`
and described by one manifest row. A response whose bytes equal the newest vintage of its
dataset adds nothing, so a re-run against unchanged upstream data writes nothing new, while
revisions stay visible as new vintages (as ALFRED does for FRED).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

from labor_lake.http import Fetched
from labor_lake.lake import Lake
from schemas.model import Table


def newest_vintages(manifest: pl.DataFrame) -> pl.DataFrame:
    """The newest manifest row of each dataset."""
    return (
        manifest.sort("fetched_at").group_by("dataset", maintain_order=True).last().sort("dataset")
    )


def append_vintage(
    lake: Lake,
    manifest: pl.DataFrame,
    table: Table,
    *,
    source: str,
    dataset: str,
    fetched: Fetched,
    fetched_at: datetime,
    extension: str,
    complete: bool,
    origin: str,
    rows: int,
) -> pl.DataFrame:
    """Store `fetched` as a new vintage of `dataset` unless it repeats the newest one."""
    sha256 = hashlib.sha256(fetched.content).hexdigest()
    newest = newest_vintages(manifest).filter(pl.col("dataset") == dataset)
    if newest.height and newest["sha256"][0] == sha256:
        return manifest
    stamp = fetched_at.strftime("%Y%m%dT%H%M%S%fZ")
    path = f"raw/payloads/{source}/{dataset}/{stamp}-{sha256[:12]}.{extension}"
    lake.write_bytes(path, fetched.content)
    row = pl.DataFrame(
        [
            {
                "payload_id": f"{dataset}/{stamp}-{sha256[:12]}",
                "source": source,
                "dataset": dataset,
                "url": fetched.url,
                "http_status": fetched.status,
                "fetched_at": fetched_at,
                "bytes": len(fetched.content),
                "sha256": sha256,
                "path": path,
                "content_type": fetched.content_type or None,
                "origin": origin,
                "rows": rows,
                "complete": complete,
            }
        ],
        schema=table.polars_schema,
    )
    return pl.concat([manifest, row])


def vintages_to_read(manifest: pl.DataFrame) -> pl.DataFrame:
    """Per dataset, the vintages whose rows make up its current state: newest first, down to and
    including the newest complete one (older ones are superseded by it)."""
    ordered = manifest.sort("fetched_at", descending=True)
    newer_complete = (
        pl.col("complete").cast(pl.Int32).cum_sum().shift(1, fill_value=0).over("dataset")
    )
    return ordered.filter(newer_complete == 0)
