"""Tables in the lake: one Parquet file per table, or one per partition value, each written
atomically (through `labor_lake.lake.files`), with its entry in `datapackage.json` rewritten right
after a table file changes, so that the package describes the files beside it even when the run is
killed before its `datapackage` step."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from labor_lake.lake.datapackage import DATAPACKAGE_PATH, encode_datapackage, updated_datapackage
from labor_lake.lake.files import (
    PARQUET_DAMAGE,
    PARQUET_METADATA_KEY,
    DamagedFile,
    Lake,
    WrittenFile,
    damage,
    fsync_directory,
    parquet_bytes,
    parquet_bytes_with_content_hash,
    parquet_facts,
    partition_files,
    rebuild_hint,
    stage,
)
from schemas.model import Table


def write_table(
    lake: Lake, frame: pl.DataFrame, table: Table, provenance: Mapping[str, str]
) -> WrittenFile:
    """Write `frame` as `table`: zstd, column statistics, descriptions and provenance.

    The file records a `content_sha256` of its data and schema (provenance aside,
    `labor_lake.lake.files.content_sha256`). When the file already in the lake has the same
    content hash, nothing is written and the existing file is returned, so an unchanged re-run
    leaves the lake byte-identical. The frame is encoded once, with its provenance: the hash is
    taken of that encoding's data region, which the provenance does not touch.
    """
    stable = {
        "table": table.id,
        "description": table.description,
        "rows": str(frame.height),
        **({"schema_version": table.schema_version} if table.published else {}),
    }
    data, content = parquet_bytes_with_content_hash(frame, table, stable, provenance)
    healed = None
    if lake.exists(table.relative_path):
        existing = lake.read_bytes(table.relative_path)
        try:
            existing_sha256 = parquet_facts(existing).provenance.get("content_sha256")
        except PARQUET_DAMAGE as error:
            # A damaged file (its footer gone, cut short) never blocks a build: it is treated
            # as absent and rewritten from this run's inputs.
            existing_sha256 = None
            healed = f"{lake.url(table.relative_path)}: not readable Parquet ({damage(error)}); rewritten from its inputs"
        if existing_sha256 == content:
            return WrittenFile(
                lake.url(table.relative_path),
                len(existing),
                hashlib.sha256(existing).hexdigest(),
                changed=False,
            )
    written = lake.write_bytes(table.relative_path, data)
    lake.write_bytes(DATAPACKAGE_PATH, encode_datapackage(updated_datapackage(lake, table, data)))
    return replace(written, healed=healed)


# Partitioned tables (`Table.partition_by`): one Parquet file per partition value, Hive-style
# (`<zone>/<table>/<column>=<value>/part-0.parquet`), each written atomically like a table file.
# The content hash is the SHA-256 of polars' row hashes (with the schema), so an unchanged
# partition is recognised without encoding it twice: bulk tables hold millions of rows, and
# hashing an Arrow IPC copy of a partition cost several times its Parquet write. Row hashes are
# stable within a polars version only: after an upgrade, unchanged partitions are rewritten once.


def _rows_sha256(frame: pl.DataFrame) -> str:
    digest = hashlib.sha256(repr(frame.schema).encode())
    digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def _existing_content_sha256(lake: Lake, relative: str) -> tuple[str | None, str | None]:
    """The content hash recorded in a partition file's footer (only the footer is read), and
    what is wrong with a file too damaged to read (then rewritten, as if absent)."""
    if not lake.exists(relative):
        return None, None
    try:
        with lake.fs.open(lake.path(relative), "rb") as handle:
            key_values = pq.ParquetFile(handle).metadata.metadata or {}
        provenance = json.loads(key_values.get(PARQUET_METADATA_KEY.encode(), b"{}"))
    except PARQUET_DAMAGE as error:
        return (
            None,
            f"{lake.url(relative)}: not readable Parquet ({damage(error)}); rewritten from its inputs",
        )
    return provenance.get("content_sha256"), None


def _unchanged_file(lake: Lake, relative: str) -> WrittenFile:
    with lake.fs.open(lake.path(relative), "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    return WrittenFile(
        lake.url(relative), lake.fs.size(lake.path(relative)), digest.hexdigest(), False
    )


def write_partitioned_table(
    lake: Lake, frame: pl.DataFrame, table: Table, provenance: Mapping[str, str]
) -> list[WrittenFile]:
    """Write `frame` as one file per value of `table.partition_by`, then remove partitions the
    frame no longer has. Each file carries the table's metadata and provenance plus its partition
    value; a partition whose content is unchanged is not rewritten.

    On a local disk every changed partition is first written to a hidden temporary file beside
    its target (fsynced), and only when all are written are they renamed into place: a kill
    before then leaves the previous files untouched (the next writer removes the temporaries), a
    kill during the renames leaves each file whole, old or new. On object stores each file is
    one PUT."""
    assert table.partition_by is not None, f"{table.id} is not partitioned"
    written: list[WrittenFile] = []
    staged: list[tuple[Path, Path]] = []
    keep = set()
    try:
        # One partition at a time (a filter, not `partition_by`): never two copies of the table.
        for value in frame[table.partition_by].unique().sort():
            relative = table.partition_path(value)
            keep.add(relative)
            part = frame.filter(pl.col(table.partition_by) == value).select(
                table.polars_schema.names()
            )
            content_sha256 = _rows_sha256(part)
            existing_sha256, healed = _existing_content_sha256(lake, relative)
            if existing_sha256 == content_sha256:
                written.append(_unchanged_file(lake, relative))
                continue
            metadata = {
                "table": table.id,
                "description": table.description,
                "rows": str(part.height),
                "partition": f"{table.partition_by}={value}",
                **({"schema_version": table.schema_version} if table.published else {}),
                **provenance,
                "content_sha256": content_sha256,
            }
            data = parquet_bytes(part, table, metadata)
            del part  # freed before the next partition is filtered out of the frame
            if lake.is_local:
                staged.append(stage(Path(lake.path(relative)), data))
                written.append(
                    WrittenFile(
                        lake.url(relative),
                        len(data),
                        hashlib.sha256(data).hexdigest(),
                        True,
                        healed,
                    )
                )
            else:
                written.append(replace(lake.write_bytes(relative, data), healed=healed))
        for temporary, target in staged:
            temporary.replace(target)
        for folder in {target.parent for _, target in staged}:
            fsync_directory(folder)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    for stale in set(partition_files(lake, table)) - keep:
        lake.fs.rm(lake.path(stale))
    return written


def read_partitioned_table(lake: Lake, table: Table) -> pl.DataFrame:
    """All partitions of `table` in partition order (the partition column is stored in each file)."""
    frames = []
    for path in partition_files(lake, table):
        try:
            frames.append(pl.read_parquet(io.BytesIO(lake.read_bytes(path))))
        except PARQUET_DAMAGE as error:
            raise DamagedFile(
                lake.url(path), f"not readable Parquet ({damage(error)})", rebuild_hint(table)
            ) from None
    return pl.concat(frames) if frames else table.empty_frame()
