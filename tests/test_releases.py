"""Release rules that a kill depends on, on a local disk and on an object store (memory://)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

from labor_lake.lake import Lake
from labor_lake.releases import LATEST_POINTER, RELEASES, latest_release, publish
from schemas.tables import ALL_TABLES

# Releases copy one file per table; the partitioned OEWS table is not released yet (README).
PUBLISHED = [t for t in ALL_TABLES if t.published and not t.partition_by]
DAY = date(2026, 11, 29)


def _copy_tables(source: Path, lake: Lake) -> None:
    for table in PUBLISHED:
        lake.write_bytes(table.relative_path, (source / table.relative_path).read_bytes())


def test_object_store_never_points_at_nor_reuses_a_release_without_its_marker(
    published_lake: Path,
) -> None:
    lake = Lake(f"memory://releases-{uuid.uuid4().hex}")
    _copy_tables(published_lake, lake)
    # A publish killed on an object store: some files written, no datapackage.json marker.
    half_made = f"{RELEASES}/{DAY.isoformat()}"
    lake.write_bytes(f"{half_made}/core/claims.parquet", b"partial")
    made = publish(lake, PUBLISHED, DAY)
    assert made.created and made.name == f"{DAY.isoformat()}.1"
    assert latest_release(lake)["release"] == made.name
    assert lake.read_bytes(f"{half_made}/core/claims.parquet") == b"partial"  # left, ignored
    package = json.loads(lake.read_bytes(f"{RELEASES}/{made.name}/datapackage.json"))
    assert len(package["resources"]) == len(PUBLISHED)


def test_a_release_whose_pointer_move_was_cut_short_is_pointed_at_not_made_twice(
    published_lake: Path, tmp_path: Path
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    _copy_tables(published_lake, lake)
    first = publish(lake, PUBLISHED, DAY)
    (tmp_path / "lake" / LATEST_POINTER).unlink()  # as if killed just before the pointer moved
    (tmp_path / "lake" / RELEASES / ".staging-x-0").mkdir()  # and a staging leftover
    again = publish(lake, PUBLISHED, DAY)
    assert (again.name, again.created) == (first.name, False)
    assert latest_release(lake)["release"] == first.name
    assert sorted(p.name for p in (tmp_path / "lake" / RELEASES).iterdir()) == [
        first.name,
        "latest.json",
    ]
