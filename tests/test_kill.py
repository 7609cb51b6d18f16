"""kill -9 at several moments of a build and of the release step, then a normal build: it
succeeds, no temporary file is visible, `latest.json` points at a complete release whose hashes
match, `datapackage.json` matches its files, and the killed runs are marked failed."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from labor_lake.lake.files import Lake, parquet_facts
from labor_lake.lake.lock import WriterLock
from labor_lake.lake.releases import RELEASES, publish
from schemas.tables import ALL_TABLES, CORE_CLAIMS, CORE_OEWS_ESTIMATES

from .conftest import BIN, cli_env, copy_repository
from .lake_checks import (
    assert_datapackage_matches_files,
    assert_latest_release_is_complete,
    partial_files,
    released_files,
    table_files,
)

PUBLISHED = [t for t in ALL_TABLES if t.published]


def _kill_when(
    process: subprocess.Popen, moment: Callable[[], bool], timeout: float, poll: float = 0.0005
) -> bool:
    """kill -9 `process` as soon as `moment()` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if moment():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(poll)
    process.kill()
    process.wait()
    return False


def _staging(lake_root: Path) -> list[Path]:
    releases = lake_root / RELEASES
    return list(releases.glob(".staging-*")) if releases.is_dir() else []


_PUBLISH = """
import sys
from datetime import date
from labor_lake.lake.files import Lake, parquet_facts
from labor_lake.lake.lock import WriterLock
from labor_lake.lake.releases import publish
from schemas.tables import ALL_TABLES
lake = Lake(sys.argv[1])
WriterLock(lake, sys.argv[2]).acquire()
publish(lake, [t for t in ALL_TABLES if t.published], date(2026, 11, 29))
"""


_WRITE_PARTITIONS = """
import sys
import polars as pl
from labor_lake.lake.files import Lake
from labor_lake.lake.tables import read_partitioned_table, write_partitioned_table
from schemas.tables import CORE_OEWS_ESTIMATES
lake = Lake(sys.argv[1])
rows = read_partitioned_table(lake, CORE_OEWS_ESTIMATES)
# Every year changes, and is made larger, so that the write takes a while.
rows = pl.concat([rows] * 40).with_columns(pl.col("occ_title") + " (synthetic)")
write_partitioned_table(lake, rows, CORE_OEWS_ESTIMATES, {"run_id": "killed"})
"""


def test_a_partitioned_write_killed_leaves_every_yearly_file_whole(
    published_lake: Path, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(published_lake, root)
    folder = root / CORE_OEWS_ESTIMATES.relative_path
    before = {p: p.read_bytes() for p in folder.rglob("part-0.parquet")}
    process = subprocess.Popen([sys.executable, "-c", _WRITE_PARTITIONS, str(root)])
    landed = _kill_when(process, lambda: any(folder.rglob(".*.tmp")), timeout=120)
    assert landed, "the write finished before its kill"
    after = {p: p.read_bytes() for p in folder.rglob("part-0.parquet")}
    assert set(after) == set(before)
    # Changed years are staged first and renamed only once all are written: whatever the
    # moment, every file is whole (readable, its rows as its metadata says), old or new.
    for path, data in after.items():
        facts = parquet_facts(data)
        assert facts.rows == pq.ParquetFile(io.BytesIO(data)).read().num_rows
        assert data == before[path] or facts.provenance["run_id"] == "killed"
    lake = Lake(str(root))
    assert lake.remove_temporary_files()  # what the next writer does under the lock
    assert partial_files(root) == []


def _change_a_published_table(lake: Lake, mark: int) -> None:
    """Give the release step new content: the same rows with one more metadata entry."""
    table = pq.read_table(io.BytesIO(lake.read_bytes(CORE_CLAIMS.relative_path)))
    metadata = {**(table.schema.metadata or {}), b"kill_test_mark": str(mark).encode()}
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), buffer)
    lake.write_bytes(CORE_CLAIMS.relative_path, buffer.getvalue())


def _release_folders(root: Path) -> set[str]:
    """Release folders a reader can see (hidden staging folders excluded)."""
    return {p.name for p in (root / RELEASES).iterdir() if p.is_dir() and p.name[0] != "."}


def test_kills_during_the_release_step_never_jam_publishing(
    published_lake: Path, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(published_lake, root)
    lake = Lake(str(root))
    moments: dict[str, Callable[[], bool]] = {
        "staging folder created": lambda: bool(_staging(root)),
        "staging half written": lambda: any(
            sum(1 for _ in s.rglob("*.parquet")) >= 3 for s in _staging(root)
        ),
        "release renamed, pointer not yet moved": lambda: bool(
            _release_folders(root) - known_releases
        ),
    }
    hit = []
    for attempt, (moment_name, moment) in enumerate(moments.items()):
        _change_a_published_table(lake, attempt)
        known_releases = _release_folders(root)
        pointer_before = (root / RELEASES / "latest.json").read_bytes()
        process = subprocess.Popen([sys.executable, "-c", _PUBLISH, str(root), f"kill-{attempt}"])
        if _kill_when(process, moment, timeout=60):
            pointer_after = (root / RELEASES / "latest.json").read_bytes()
            hit.append((moment_name, pointer_after == pointer_before))
        # Whatever the moment, a reader sees a complete latest release and no partial file
        # outside the hidden staging folder, which only the next writer may remove.
        assert_latest_release_is_complete(root)
        assert all(
            Path(root / RELEASES / n / "datapackage.json").is_file() for n in _release_folders(root)
        )
        with WriterLock(lake, f"after-kill-{attempt}") as lock:
            assert lock.dead_holder is not None  # the killed publisher's lock was broken
            lake.remove_temporary_files()
            made = publish(lake, PUBLISHED, date(2026, 11, 29))  # a normal publish succeeds
        assert partial_files(root) == []
        assert assert_latest_release_is_complete(root) == made.name
    assert len(hit) >= 2, f"too few kills landed inside the release step: {hit}"
    print(f"\nrelease-step kills landed: {hit}")


def test_dg_launch_killed_while_writing_tables_and_releasing_then_a_normal_build(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Real `dg launch --job publish` runs in subprocesses, as a user starts them."""
    project = copy_repository(tmp_path_factory.mktemp("kill"))
    root = tmp_path / "lake"
    env = cli_env(project, root)

    def launch() -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN / "dg"), "launch", "--job", "publish"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    killed = [
        # The first build, killed while it writes tables (its first metrics table).
        _kill_when(launch(), (root / "metrics").is_dir, timeout=300, poll=0.005),
        # The next, killed in the release step, the whole build written.
        _kill_when(launch(), lambda: bool(_staging(root)), timeout=300),
    ]
    assert killed == [True, True], "a build finished before its kill"

    finished = subprocess.run(
        [str(BIN / "dg"), "launch", "--job", "publish"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert partial_files(root) == []
    assert_datapackage_matches_files(root)
    released = assert_latest_release_is_complete(root)
    package = json.loads((root / RELEASES / released / "datapackage.json").read_text())
    # Every published table, the partitioned OEWS table's yearly files included, as in the lake.
    assert {r["name"] for r in package["resources"]} == {t.flat_name for t in PUBLISHED}
    assert released_files(package) == table_files(root)
    # The killed runs do not stay STARTED: the next writer marked them failed.
    previous = Path.cwd()
    os.chdir(project)
    try:
        with dg.DagsterInstance.from_config(str(project)) as instance:
            statuses = [run.status for run in reversed(instance.get_runs())]
    finally:
        os.chdir(previous)
    assert statuses == [dg.DagsterRunStatus.FAILURE] * 2 + [dg.DagsterRunStatus.SUCCESS]
