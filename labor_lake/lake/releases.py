"""Immutable, dated releases of the published tables.

A release copies every published table (every partition file of a partitioned one) into
`releases/<YYYY-MM-DD>[.<n>]/` with its own `datapackage.json` (sha256 per file), then points
`releases/latest.json` at it. Files in a release are never overwritten, so a consumer pinned to a
release never sees it change; a release whose content equals the latest one is not made.

A kill at any instant leaves either the previous state or the new one:

- on a local disk the release is assembled in a hidden staging folder
  (`releases/.staging-<name>-<id>/`) and appears under its name by one directory rename;
- on object stores, which have no rename, every file is written first and the release's
  `datapackage.json` last: it is the completion marker, and a folder without it is never pointed
  at nor reused (its name is skipped);
- `latest.json` moves last, by an atomic write, so it only ever names a complete release.

Staging folders left by a killed run are removed by the next publish (which holds the lake's
writer lock, so no other publisher can be using them).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from labor_lake.lake.duckdb_views import VIEWS_FILE, views_sql
from labor_lake.lake.files import DamagedFile, Lake, damage, parquet_facts, partition_files
from schemas.model import Table

RELEASES = "releases"
LATEST_POINTER = f"{RELEASES}/latest.json"
RELEASE_PACKAGE = "datapackage.json"  # written last: its presence marks a release complete
STAGING_PREFIX = ".staging-"


@dataclass(frozen=True)
class Release:
    name: str
    created: bool
    files: int
    healed: str | None = None  # what was wrong with a damaged latest.json this publish rebuilt


POINTER_FIELDS = ("release", "content_sha256", "published_at")


def latest_release(lake: Lake) -> dict | None:
    """The pointer to the newest release, or None when nothing was published yet; a pointer
    that is not what `_write_pointer` writes is a DamagedFile naming it."""
    if not lake.exists(LATEST_POINTER):
        return None
    try:
        pointer = json.loads(lake.read_bytes(LATEST_POINTER))
        if not isinstance(pointer, dict) or not all(
            isinstance(pointer.get(key), str) for key in POINTER_FIELDS
        ):
            raise ValueError(f"not an object with {', '.join(POINTER_FIELDS)}")
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DamagedFile(
            lake.url(LATEST_POINTER),
            f"not the release pointer ({damage(error)})",
            "the next publish rebuilds it from the complete releases "
            "(uv run dg launch --job publish)",
        ) from None
    return pointer


def _newest_complete_release(lake: Lake) -> dict | None:
    """A pointer rebuilt from the releases themselves: the complete one created last."""
    newest = None
    for name in _release_names(lake):
        if release_is_complete(lake, name):
            package = json.loads(lake.read_bytes(f"{RELEASES}/{name}/{RELEASE_PACKAGE}"))
            if newest is None or package["created"] >= newest["published_at"]:
                newest = {
                    "release": name,
                    "content_sha256": package["content_sha256"],
                    "published_at": package["created"],
                }
    return newest


def _release_names(lake: Lake) -> list[str]:
    """Names of every folder under releases/, complete or not (staging folders excluded)."""
    if not lake.exists(RELEASES):
        return []
    names = []
    for entry in lake.fs.ls(lake.path(RELEASES), detail=True):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        if entry["type"] == "directory" and not name.startswith("."):
            names.append(name)
    return sorted(names)


def release_is_complete(lake: Lake, name: str) -> bool:
    return lake.exists(f"{RELEASES}/{name}/{RELEASE_PACKAGE}")


def _new_release_name(lake: Lake, day: date) -> str:
    """The first free name for `day`: a folder that exists in any state (even half-made by a
    killed run on an object store) is never reused."""
    taken = set(_release_names(lake))
    name, number = day.isoformat(), 0
    while name in taken:
        number += 1
        name = f"{day.isoformat()}.{number}"
    return name


def _complete_release_with(lake: Lake, content_sha256: str) -> str | None:
    """The newest complete release holding exactly this content (e.g. one whose pointer move was
    cut short by a kill), so that it is pointed at instead of being made twice."""
    for name in reversed(_release_names(lake)):
        if release_is_complete(lake, name):
            package = json.loads(lake.read_bytes(f"{RELEASES}/{name}/{RELEASE_PACKAGE}"))
            if package.get("content_sha256") == content_sha256:
                return name
    return None


def remove_staging_leftovers(lake: Lake) -> list[str]:
    """Delete staging folders left by killed publishes (local disks only; call with the lake's
    writer lock held). Returns what was removed."""
    if not lake.is_local or not lake.exists(RELEASES):
        return []
    removed = []
    for entry in Path(lake.path(RELEASES)).iterdir():
        if entry.is_dir() and entry.name.startswith(STAGING_PREFIX):
            lake.fs.rm(str(entry), recursive=True)
            removed.append(f"{RELEASES}/{entry.name}")
    return removed


def _write_pointer(lake: Lake, name: str, content_sha256: str, published_at: str) -> None:
    pointer = {"release": name, "content_sha256": content_sha256, "published_at": published_at}
    lake.write_bytes(LATEST_POINTER, json.dumps(pointer, indent=2).encode() + b"\n")


def _table_files(lake: Lake, table: Table) -> list[str]:
    """The lake-relative files of `table`: its file, or its partition files."""
    if table.partition_by:
        return partition_files(lake, table)
    return [table.relative_path] if lake.exists(table.relative_path) else []


def _file_sha256(lake: Lake, path: str) -> str:
    # Streamed: a partition of a bulk table can be hundreds of megabytes.
    with lake.fs.open(lake.path(path), "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _resource(table: Table, parts: list[dict]) -> dict:
    """The release's entry for `table`: one file (path, rows, bytes, hash), or for a partitioned
    table one resource listing its files (Frictionless multipart), each described under `parts`."""
    described = {"description": table.description, "schema_version": table.schema_version}
    if not table.partition_by:
        (part,) = parts
        return {"name": table.flat_name, "path": part["path"], **described, **part}
    return {
        "name": table.flat_name,
        "path": [part["path"] for part in parts],
        **described,
        "rows": sum(part["rows"] for part in parts),
        "bytes": sum(part["bytes"] for part in parts),
        "parts": parts,
    }


def publish(lake: Lake, tables: list[Table], day: date, documents: Sequence[str] = ()) -> Release:
    """Release the current files of `tables` (a partitioned table: every partition file), and
    the lake's `documents` (lake-relative paths, e.g. the ClaimReview files), unless they equal
    the latest release."""
    remove_staging_leftovers(lake)
    files = {table: found for table in tables if (found := _table_files(lake, table))}
    hashes = {path: _file_sha256(lake, path) for paths in files.values() for path in paths}
    hashes |= {path: _file_sha256(lake, path) for path in documents}
    content = hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()
    healed = None
    try:
        latest = latest_release(lake)
    except DamagedFile as damaged:
        # A damaged pointer never blocks a publish: rebuilt from the complete releases.
        latest = _newest_complete_release(lake)
        healed = f"{damaged.url}: {damaged.problem}; rebuilt from the complete releases"
        if latest is not None:
            _write_pointer(
                lake, latest["release"], latest["content_sha256"], latest["published_at"]
            )
        else:
            lake.fs.rm(lake.path(LATEST_POINTER))
    if latest is not None and latest["content_sha256"] == content:
        return Release(latest["release"], created=False, files=len(hashes), healed=healed)
    already_made = _complete_release_with(lake, content)
    if already_made is not None:
        _write_pointer(lake, already_made, content, datetime.now(UTC).isoformat(timespec="seconds"))
        return Release(already_made, created=False, files=len(hashes), healed=healed)

    name = _new_release_name(lake, day)
    folder = f"{RELEASES}/{STAGING_PREFIX}{name}-{uuid.uuid4().hex}" if lake.is_local else None
    build_in = folder or f"{RELEASES}/{name}"
    resources = []
    for table, paths in sorted(files.items(), key=lambda item: item[0].relative_path):
        parts = []
        for path in paths:  # one file in memory at a time
            data = lake.read_bytes(path)
            lake.write_bytes(f"{build_in}/{path}", data)
            parts.append(
                {
                    "path": path,
                    "rows": parquet_facts(data).rows,
                    "bytes": len(data),
                    "hash": f"sha256:{hashes[path]}",
                }
            )
        resources.append(_resource(table, parts))
    for path in documents:
        lake.write_bytes(f"{build_in}/{path}", lake.read_bytes(path))
    package = {
        "name": "labor-lake",
        "version": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "content_sha256": content,
        "resources": resources,
    }
    released = sorted(files, key=lambda table: table.relative_path)
    lake.write_bytes(f"{build_in}/{VIEWS_FILE}", views_sql(released).encode())
    lake.write_bytes(
        f"{build_in}/{RELEASE_PACKAGE}", json.dumps(package, indent=2).encode() + b"\n"
    )
    if folder is not None:
        # One rename makes the whole release appear. The name was free when chosen and the
        # writer lock keeps other publishers out, so nothing is replaced.
        Path(lake.path(folder)).rename(lake.path(f"{RELEASES}/{name}"))
        lake.fsync_folder(RELEASES)
    _write_pointer(lake, name, content, package["created"])
    return Release(name, created=True, files=len(hashes), healed=healed)
