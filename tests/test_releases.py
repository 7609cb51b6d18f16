"""Release rules that a kill depends on, on a local disk and on an object store (memory://)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from labor_lake.lake.files import Lake, partition_files
from labor_lake.lake.reader import read_table
from labor_lake.lake.releases import LATEST_POINTER, RELEASES, latest_release, publish
from labor_lake.lake.tables import write_partitioned_table
from schemas.tables import ALL_TABLES, CORE_OEWS_ESTIMATES

from .lake_checks import table_files

PUBLISHED = [t for t in ALL_TABLES if t.published]
DAY = date(2026, 11, 29)


def _copy_tables(source: Path, lake: Lake) -> None:
    for path in table_files(source):  # a partitioned table's yearly files included
        lake.write_bytes(path, (source / path).read_bytes())


@pytest.mark.parametrize("where", ["local", "object store"])
def test_a_partitioned_table_is_released_file_by_file_and_reads_back(
    published_lake: Path, tmp_path: Path, where: str
) -> None:
    root = str(tmp_path / "lake") if where == "local" else f"memory://parts-{uuid.uuid4().hex}"
    lake = Lake(root)
    _copy_tables(published_lake, lake)
    first = publish(lake, PUBLISHED, DAY)
    folder = f"{RELEASES}/{first.name}"
    package = json.loads(lake.read_bytes(f"{folder}/datapackage.json"))
    (oews,) = [r for r in package["resources"] if "parts" in r]
    years = partition_files(lake, CORE_OEWS_ESTIMATES)
    assert oews["name"] == CORE_OEWS_ESTIMATES.flat_name and oews["path"] == years
    assert len(years) == 9  # the recorded national files, one per year
    for part in oews["parts"]:
        data = lake.read_bytes(f"{folder}/{part['path']}")
        assert part["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
        assert part["bytes"] == len(data)
    current = read_table(CORE_OEWS_ESTIMATES.id, root=root)
    assert oews["rows"] == current.height
    assert read_table(CORE_OEWS_ESTIMATES.id, release=first.name, root=root).equals(current)
    assert read_table(CORE_OEWS_ESTIMATES.id, release="latest", root=root).equals(current)
    released_bytes = {p: lake.read_bytes(f"{folder}/{p}") for p in years}

    # One year changes: a new release; the first keeps every byte.
    changed = current.filter(pl.col("year") != 2014)
    write_partitioned_table(lake, changed, CORE_OEWS_ESTIMATES, {"run_id": "changed"})
    second = publish(lake, PUBLISHED, DAY)
    assert second.created and second.name == f"{DAY.isoformat()}.1"
    assert read_table(CORE_OEWS_ESTIMATES.id, release="latest", root=root).equals(changed)
    assert {p: lake.read_bytes(f"{folder}/{p}") for p in years} == released_bytes
    assert read_table(CORE_OEWS_ESTIMATES.id, release=first.name, root=root).equals(current)
    assert not publish(lake, PUBLISHED, DAY).created  # unchanged: no third release


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
