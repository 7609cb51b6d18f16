"""The Parquet lake on a local path or any fsspec URL (s3://, gs://, memory://, ...).

Every write is atomic: a reader sees the previous file or the new one, never a partial one. On a
local disk the bytes go to a temporary file in the same folder, are fsynced, then renamed over the
target; on object stores a single PUT publishes the whole object at once.

Writing tables (and keeping `datapackage.json` beside them) is `labor_lake.lake.tables`: this
module knows files, not the package that describes them. Temporary files left by a process killed mid-write are hidden (`.<name>.<id>.tmp`)
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

from schemas.model import Table, to_arrow

PARQUET_METADATA_KEY = "labor_lake"
TEMPORARY_SUFFIX = ".tmp"
# What reading a damaged Parquet file raises (pyarrow's ArrowInvalid is a ValueError; polars has
# its own errors; a file cut to nothing is an OSError on some filesystems).
PARQUET_DAMAGE = (ValueError, OSError, pl.exceptions.PolarsError)


class DamagedFile(ValueError):
    """A file in the lake that cannot be read: named, with what went wrong and how to heal it."""

    def __init__(self, url: str, problem: str, heal: str) -> None:
        self.url, self.problem = url, problem
        super().__init__(f"{url}: {problem}; {heal}")


def damage(error: BaseException) -> str:
    """The first line of what a reader said about a damaged file."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {(lines[0] if lines else 'no detail')[:200]}"


def rebuild_hint(table: Table) -> str:
    """How to heal a damaged current table: a build rewrites it from its inputs."""
    return (
        f"the next build treats it as absent and rewrites it from its inputs "
        f"(uv run dg launch --assets '{table.id}')"
    )


def fsync_directory(folder: Path) -> None:
    # A rename is durable only once its folder is synced; otherwise a power cut may undo it.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def stage(target: Path, data: bytes) -> tuple[Path, Path]:
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
    healed: str | None = None  # what was wrong with the damaged file this write replaced


def parquet_bytes(frame: pl.DataFrame, table: Table, metadata: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    frame.select(table.polars_schema.names()).write_parquet(
        buffer,
        compression="zstd",
        statistics=True,
        metadata={PARQUET_METADATA_KEY: json.dumps(dict(metadata), sort_keys=True)},
        arrow_schema=to_arrow(table),
    )
    return buffer.getvalue()


# A Parquet file ends with its footer (the Thrift-encoded FileMetaData: schema, row groups,
# key-value metadata), then the footer's length (4 bytes, little-endian), then the magic "PAR1".
_PARQUET_TRAILER = 8
_PARQUET_MAGIC = b"PAR1"


def parquet_data_region(data: bytes) -> memoryview:
    """Everything before the footer: the leading magic, the column chunks (pages, with their
    statistics) and the page indexes. It depends on the values and the encoding only, never on
    the key-value metadata (tests/test_lake.py checks it), which the footer alone holds."""
    if len(data) < 2 * len(_PARQUET_MAGIC) + 4 or data[-4:] != _PARQUET_MAGIC:
        raise ValueError("not a Parquet file (no PAR1 at its end)")
    footer_length = int.from_bytes(data[-_PARQUET_TRAILER:-4], "little")
    return memoryview(data)[: len(data) - _PARQUET_TRAILER - footer_length]


def content_sha256(data: bytes, table: Table, stable: Mapping[str, str]) -> str:
    """The hash of a table file's content, whatever run wrote it: its data region, the table's
    Arrow schema with its field metadata (names, types, descriptions, units), and the stable
    key-values (table, description, rows, schema_version), never the run's provenance. The same
    values with the same schema give the same hash; a different value, type, column, description
    or unit gives a different one. Each part is length-prefixed so that no two splits collide."""
    digest = hashlib.sha256()
    for part in (
        json.dumps(dict(stable), sort_keys=True).encode(),
        to_arrow(table).serialize().to_pybytes(),
        parquet_data_region(data),
    ):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def parquet_bytes_with_content_hash(
    frame: pl.DataFrame, table: Table, stable: Mapping[str, str], provenance: Mapping[str, str]
) -> tuple[bytes, str]:
    """The table file, encoded once, with its `content_sha256` recorded in the footer, and that
    hash. The file is encoded with a placeholder of the hash's length (random, so it occurs
    nowhere else), the hash is taken of the content, and the placeholder's bytes in the footer
    are overwritten with it: the footer stores the metadata as length-prefixed strings and
    carries no checksum, so an equal-length value leaves every offset and length valid. This
    replaces encoding the table a second time, without provenance, to hash it (about 0.4 CPU s
    for core/observation_vintages)."""
    placeholder = uuid.uuid4().hex * 2  # 64 hex digits, like a SHA-256
    data = parquet_bytes(frame, table, {**stable, **provenance, "content_sha256": placeholder})
    content = content_sha256(data, table, stable)
    footer_start = len(parquet_data_region(data))
    footer = data[footer_start:]
    if footer.count(placeholder.encode()) != 1:
        raise AssertionError(f"{table.id}: the content hash placeholder is not once in the footer")
    return data[:footer_start] + footer.replace(placeholder.encode(), content.encode()), content


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
            temporary, target_path = stage(Path(target), data)
            try:
                temporary.replace(target_path)
                fsync_directory(target_path.parent)
            finally:
                temporary.unlink(missing_ok=True)
        else:
            self.fs.pipe_file(target, data)
        return WrittenFile(self.url(relative_path), len(data), hashlib.sha256(data).hexdigest())

    def fsync_folder(self, relative_path: str) -> None:
        """Make a rename inside `relative_path` durable (local disks; no-op elsewhere)."""
        if self.is_local:
            fsync_directory(Path(self.path(relative_path)))

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

    def read_table(self, table: Table) -> pl.DataFrame:
        """The table's file; a file that is not readable Parquet is a DamagedFile naming it."""
        try:
            with self.fs.open(self.path(table.relative_path), "rb") as handle:
                return pl.read_parquet(handle)
        except FileNotFoundError:
            raise
        except PARQUET_DAMAGE as error:
            raise DamagedFile(
                self.url(table.relative_path),
                f"not readable Parquet ({damage(error)})",
                rebuild_hint(table),
            ) from None

    def set_aside(self, relative_path: str) -> str:
        """Move a damaged file out of the way (`<name>.damaged`), keeping its bytes for whoever
        wants to recover something from it; returns where it went."""
        aside = f"{relative_path}.damaged"
        self.fs.mv(self.path(relative_path), self.path(aside))
        return self.url(aside)


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


def partition_files(lake: Lake, table: Table) -> list[str]:
    """Lake-relative paths of the partition files of `table`, in partition order."""
    folder = lake.path(table.relative_path)
    if not lake.fs.exists(folder):
        return []
    prefix = lake.path("")
    found = lake.fs.glob(f"{folder}/{table.partition_by}=*/part-0.parquet")
    return sorted(str(path)[len(prefix) :] for path in found)
