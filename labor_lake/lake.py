"""The Parquet lake on a local path or any fsspec URL (s3://, gs://, memory://, ...).

Every write is atomic: a reader sees the previous file or the new one, never a partial one. On a
local disk the bytes go to a temporary file in the same folder, are fsynced, then renamed over the
target; on object stores a single PUT publishes the whole object at once.

After a table file changes, its entry in the lake's `datapackage.json` is rewritten at once, so
that the package describes the files beside it even when the run is killed before its
`datapackage` step. Temporary files left by a process killed mid-write are hidden (`.<name>.<id>.tmp`)
and removed by `remove_temporary_files`, which the next writer runs under the lake's lock.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import fsspec
import polars as pl
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from labor_lake.datapackage import DATAPACKAGE_PATH, encode_datapackage, updated_datapackage
from schemas.model import Table, to_arrow

PARQUET_METADATA_KEY = "labor_lake"
TEMPORARY_SUFFIX = ".tmp"


def _fsync_directory(folder: Path) -> None:
    # A rename is durable only once its folder is synced; otherwise a power cut may undo it.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _stage(target: Path, data: bytes) -> tuple[Path, Path]:
    """`data` in a hidden, fsynced temporary file beside `target`: (temporary, target)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}{TEMPORARY_SUFFIX}")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, target


@dataclass(frozen=True)
class WrittenFile:
    path: str
    bytes: int
    sha256: str
    changed: bool = True


def _parquet_bytes(frame: pl.DataFrame, table: Table, metadata: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    frame.select(table.polars_schema.names()).write_parquet(
        buffer,
        compression="zstd",
        statistics=True,
        metadata={PARQUET_METADATA_KEY: json.dumps(dict(metadata), sort_keys=True)},
        arrow_schema=to_arrow(table),
    )
    return buffer.getvalue()


@dataclass(frozen=True)
class Lake:
    """A lake rooted at `root`; table files live at `<root>/<zone>/<table>.parquet`."""

    root: str

    @cached_property
    def _fs_and_root(self) -> tuple[fsspec.AbstractFileSystem, str]:
        fs, path = fsspec.core.url_to_fs(self.root)
        return fs, path.rstrip("/")

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        return self._fs_and_root[0]

    def path(self, relative_path: str) -> str:
        return f"{self._fs_and_root[1]}/{relative_path}"

    def url(self, relative_path: str) -> str:
        """The address a consumer would open (keeps the protocol for remote lakes)."""
        return f"{self.root.rstrip('/')}/{relative_path}"

    @property
    def is_local(self) -> bool:
        """True on a local disk (atomic renames), False on object stores (atomic PUTs only)."""
        return isinstance(self.fs, LocalFileSystem)

    def exists(self, relative_path: str) -> bool:
        return bool(self.fs.exists(self.path(relative_path)))

    def read_bytes(self, relative_path: str) -> bytes:
        return bytes(self.fs.cat_file(self.path(relative_path)))

    def write_bytes(self, relative_path: str, data: bytes) -> WrittenFile:
        target = self.path(relative_path)
        if self.is_local:
            temporary, target_path = _stage(Path(target), data)
            try:
                temporary.replace(target_path)
                _fsync_directory(target_path.parent)
            finally:
                temporary.unlink(missing_ok=True)
        else:
            self.fs.pipe_file(target, data)
        return WrittenFile(self.url(relative_path), len(data), hashlib.sha256(data).hexdigest())

    def fsync_folder(self, relative_path: str) -> None:
        """Make a rename inside `relative_path` durable (local disks; no-op elsewhere)."""
        if self.is_local:
            _fsync_directory(Path(self.path(relative_path)))

    def remove_temporary_files(self) -> list[str]:
        """Delete the hidden temporary files of writes cut short by a kill (local disks only;
        object stores never hold partial objects). Call only with the lake's writer lock held:
        another writer's temporary file would otherwise be removed under it."""
        root = Path(self.path(""))
        if not self.is_local or not root.is_dir():
            return []
        removed = []
        for leftover in root.rglob(f".*{TEMPORARY_SUFFIX}"):
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
                removed.append(str(leftover.relative_to(root)))
        return sorted(removed)

    def write_table(
        self, frame: pl.DataFrame, table: Table, provenance: Mapping[str, str]
    ) -> WrittenFile:
        """Write `frame` as `table`: zstd, column statistics, descriptions and provenance.

        The file records a `content_sha256` of its data and schema (provenance aside). When the
        file already in the lake has the same content hash, nothing is written and the existing
        file is returned, so an unchanged re-run leaves the lake byte-identical.
        """
        stable = {
            "table": table.id,
            "description": table.description,
            "rows": str(frame.height),
            **({"schema_version": table.schema_version} if table.published else {}),
        }
        content_sha256 = hashlib.sha256(_parquet_bytes(frame, table, stable)).hexdigest()
        if self.exists(table.relative_path):
            existing = self.read_bytes(table.relative_path)
            if parquet_facts(existing).provenance.get("content_sha256") == content_sha256:
                return WrittenFile(
                    self.url(table.relative_path),
                    len(existing),
                    hashlib.sha256(existing).hexdigest(),
                    changed=False,
                )
        data = _parquet_bytes(
            frame, table, {**stable, **provenance, "content_sha256": content_sha256}
        )
        written = self.write_bytes(table.relative_path, data)
        self.write_bytes(
            DATAPACKAGE_PATH, encode_datapackage(updated_datapackage(self, table, data))
        )
        return written

    def read_table(self, table: Table) -> pl.DataFrame:
        with self.fs.open(self.path(table.relative_path), "rb") as handle:
            return pl.read_parquet(handle)


@dataclass(frozen=True)
class ParquetFacts:
    rows: int
    provenance: dict[str, str]


def parquet_facts(data: bytes) -> ParquetFacts:
    """Row count and the provenance written into a table file's key-value metadata."""
    metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    key_values = metadata.metadata or {}
    return ParquetFacts(
        rows=metadata.num_rows,
        provenance=json.loads(key_values.get(PARQUET_METADATA_KEY.encode(), b"{}")),
    )


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


def partition_files(lake: Lake, table: Table) -> list[str]:
    """Lake-relative paths of the partition files of `table`, in partition order."""
    folder = lake.path(table.relative_path)
    if not lake.fs.exists(folder):
        return []
    prefix = lake.path("")
    found = lake.fs.glob(f"{folder}/{table.partition_by}=*/part-0.parquet")
    return sorted(str(path)[len(prefix) :] for path in found)


def _existing_content_sha256(lake: Lake, relative: str) -> str | None:
    """The content hash recorded in a partition file's footer (only the footer is read)."""
    if not lake.exists(relative):
        return None
    with lake.fs.open(lake.path(relative), "rb") as handle:
        key_values = pq.ParquetFile(handle).metadata.metadata or {}
    provenance = json.loads(key_values.get(PARQUET_METADATA_KEY.encode(), b"{}"))
    return provenance.get("content_sha256")


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
            if _existing_content_sha256(lake, relative) == content_sha256:
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
            data = _parquet_bytes(part, table, metadata)
            del part  # freed before the next partition is filtered out of the frame
            if lake.is_local:
                staged.append(_stage(Path(lake.path(relative)), data))
                written.append(
                    WrittenFile(lake.url(relative), len(data), hashlib.sha256(data).hexdigest())
                )
            else:
                written.append(lake.write_bytes(relative, data))
        for temporary, target in staged:
            temporary.replace(target)
        for folder in {target.parent for _, target in staged}:
            _fsync_directory(folder)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    for stale in set(partition_files(lake, table)) - keep:
        lake.fs.rm(lake.path(stale))
    return written


def read_partitioned_table(lake: Lake, table: Table) -> pl.DataFrame:
    """All partitions of `table` in partition order (the partition column is stored in each file)."""
    frames = [pl.read_parquet(io.BytesIO(lake.read_bytes(p))) for p in partition_files(lake, table)]
    return pl.concat(frames) if frames else table.empty_frame()
