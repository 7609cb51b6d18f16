"""Immutable, dated releases of the published tables.

A release copies every published table into `releases/<YYYY-MM-DD>[.<n>]/` with its own
`datapackage.json` (sha256 per file), then points `releases/latest.json` at it. Files in a
release are never overwritten, so a consumer pinned to a release never sees it change; a release
whose content equals the latest one is not made.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from labor_lake.duckdb_views import VIEWS_FILE, views_sql
from labor_lake.lake import Lake, parquet_facts
from schemas.model import Table

RELEASES = "releases"
LATEST_POINTER = f"{RELEASES}/latest.json"


@dataclass(frozen=True)
class Release:
    name: str
    created: bool
    files: int


def latest_release(lake: Lake) -> dict | None:
    """The pointer to the newest release, or None when nothing was published yet."""
    if not lake.exists(LATEST_POINTER):
        return None
    return json.loads(lake.read_bytes(LATEST_POINTER))


def _release_name(lake: Lake, day: date) -> str:
    name, number = day.isoformat(), 0
    while lake.exists(f"{RELEASES}/{name}/datapackage.json"):
        number += 1
        name = f"{day.isoformat()}.{number}"
    return name


def publish(lake: Lake, tables: list[Table], day: date) -> Release:
    """Release the current files of `tables` unless they equal the latest release."""
    files = {
        t.relative_path: lake.read_bytes(t.relative_path)
        for t in tables
        if lake.exists(t.relative_path)
    }
    hashes = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    content = hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()
    latest = latest_release(lake)
    if latest is not None and latest["content_sha256"] == content:
        return Release(latest["release"], created=False, files=len(files))

    name = _release_name(lake, day)
    by_path = {t.relative_path: t for t in tables}
    resources = []
    for path, data in sorted(files.items()):
        target = f"{RELEASES}/{name}/{path}"
        if lake.exists(target):  # a release is immutable; a half-made one is never reused
            raise FileExistsError(f"{target} already exists")
        lake.write_bytes(target, data)
        table = by_path[path]
        resources.append(
            {
                "name": f"{table.zone}_{table.name}",
                "path": path,
                "description": table.description,
                "schema_version": table.schema_version,
                "rows": parquet_facts(data).rows,
                "bytes": len(data),
                "hash": f"sha256:{hashes[path]}",
            }
        )
    package = {
        "name": "labor-lake",
        "version": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "content_sha256": content,
        "resources": resources,
    }
    released = [by_path[path] for path in sorted(files)]
    lake.write_bytes(f"{RELEASES}/{name}/{VIEWS_FILE}", views_sql(released).encode())
    # The package file marks the release complete; the pointer moves last.
    lake.write_bytes(
        f"{RELEASES}/{name}/datapackage.json", json.dumps(package, indent=2).encode() + b"\n"
    )
    pointer = {"release": name, "content_sha256": content, "published_at": package["created"]}
    lake.write_bytes(LATEST_POINTER, json.dumps(pointer, indent=2).encode() + b"\n")
    return Release(name, created=True, files=len(files))
