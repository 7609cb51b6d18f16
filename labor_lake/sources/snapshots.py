"""Recorded real snapshots: copies of what the real hosts served, kept in the repository.

`snapshots/manifest.csv` has one row per recorded file: the dataset, the real address, the part of
that address's answer it is (`member`: a zip member, or the series of a POSTed query), the file in
the repository, when it was retrieved, the sha256 and size of the recorded bytes, how they are
stored (`identity`, or `gzip` to keep the repository lean), licence, citation and origin.

With no network (`offline`) or when a source fails in `auto` and the lake holds no vintage of its
own, a dataset is seeded from its snapshot; the tests' replay server serves the same files at the
real hosts' paths.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

MANIFEST_COLUMNS = (
    "dataset",
    "url",
    "member",
    "path",
    "retrieved",
    "sha256",
    "bytes",
    "stored_as",
    "licence",
    "citation",
    "origin",
)
STORAGE = ("identity", "gzip")


class SnapshotError(ValueError):
    """The manifest and the recorded files disagree."""


# How a refresh names a recorded snapshot in its outcome lines (the run summary reads it back).
SNAPSHOT_LABEL = "recorded snapshot of {date}"


@dataclass(frozen=True)
class Snapshot:
    dataset: str
    url: str
    member: str
    path: str  # relative to the repository (the manifest's folder's parent)
    retrieved: date
    sha256: str
    bytes: int
    stored_as: str
    licence: str
    citation: str
    origin: str
    root: Path

    def read(self) -> bytes:
        """The recorded bytes, as the host served them; checked against the manifest."""
        stored = (self.root / self.path).read_bytes()
        content = gzip.decompress(stored) if self.stored_as == "gzip" else stored
        digest = hashlib.sha256(content).hexdigest()
        if digest != self.sha256 or len(content) != self.bytes:
            raise SnapshotError(
                f"{self.path}: sha256 {digest} ({len(content)} bytes) does not match the manifest "
                f"({self.sha256}, {self.bytes} bytes)"
            )
        return content

    @property
    def label(self) -> str:
        return SNAPSHOT_LABEL.format(date=self.retrieved.isoformat())


def load_manifest(manifest: Path) -> tuple[Snapshot, ...]:
    """Every row of the snapshot manifest at `manifest`, checked for shape."""
    root = manifest.parent.parent
    snapshots = []
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != MANIFEST_COLUMNS:
            raise SnapshotError(
                f"{manifest}: header {reader.fieldnames} is not {list(MANIFEST_COLUMNS)}"
            )
        for line, row in enumerate(reader, start=2):
            try:
                snapshot = Snapshot(
                    **{
                        **row,
                        "retrieved": date.fromisoformat(row["retrieved"]),
                        "bytes": int(row["bytes"]),
                    },
                    root=root,
                )
            except (TypeError, ValueError) as error:
                raise SnapshotError(f"{manifest}:{line}: {error}") from None
            if snapshot.stored_as not in STORAGE:
                raise SnapshotError(
                    f"{manifest}:{line}: stored_as {snapshot.stored_as!r} is not one of {STORAGE}"
                )
            snapshots.append(snapshot)
    return tuple(snapshots)


def for_dataset(snapshots: tuple[Snapshot, ...], dataset: str) -> tuple[Snapshot, ...]:
    return tuple(s for s in snapshots if s.dataset == dataset)


def write_manifest(manifest: Path, snapshots: tuple[Snapshot, ...]) -> None:
    """Write `snapshots` as the manifest at `manifest`, in a stable order."""
    rows = sorted(snapshots, key=lambda s: (s.dataset, s.member))
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        for s in rows:
            writer.writerow(
                [s.dataset, s.url, s.member, s.path, s.retrieved.isoformat(), s.sha256, s.bytes,
                 s.stored_as, s.licence, s.citation, s.origin]
            )  # fmt: skip


def recorded(snapshot: Snapshot, content: bytes, retrieved: date, origin: str) -> Snapshot:
    """`snapshot` re-recorded with `content`: written beside the old file (gzip-compressed when
    it was), with the manifest fields that describe the new bytes."""
    target = snapshot.root / snapshot.path
    stored = gzip.compress(content, mtime=0) if snapshot.stored_as == "gzip" else content
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(stored)
    temporary.replace(target)
    return replace(
        snapshot,
        retrieved=retrieved,
        sha256=hashlib.sha256(content).hexdigest(),
        bytes=len(content),
        origin=origin,
    )
