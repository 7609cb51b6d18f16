"""One writer at a time: a second build stops with a message naming the first; a lock whose
holder died (kill -9) is broken by the next writer, which cleans up after it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from assets.settings import LOCK_WAIT_ENV
from labor_lake.lake.files import Lake
from labor_lake.lake.lock import LOCK_PATH, Holder, LakeBusy, WriterLock

from .conftest import Workspace, run_pipeline


def _run_errors(result) -> str:
    return "\n".join(
        event.event_specific_data.error.to_string()
        for event in result.all_events
        if getattr(event.event_specific_data, "error", None) is not None
    )


def test_a_second_build_stops_naming_the_build_that_holds_the_lake(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOCK_WAIT_ENV, "0")
    with WriterLock(workspace.lake, "first-build"):
        result = run_pipeline("raw/published_figures")
        assert not result.success
        errors = _run_errors(result)
        assert "being written by run first-build" in errors
        assert f"pid {os.getpid()}" in errors
        assert not (workspace.lake_root / "raw" / "published_figures.parquet").exists()
    assert run_pipeline("raw/published_figures").success  # released: the next build runs


def test_a_waiting_build_runs_once_the_holder_is_done(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = WriterLock(workspace.lake, "first-build")
    lock.acquire()
    monkeypatch.setenv(LOCK_WAIT_ENV, "30")
    holder_finishes = threading.Timer(1.0, lock.release)  # while the second build waits
    holder_finishes.start()
    started = time.monotonic()
    assert run_pipeline("raw/published_figures").success
    assert time.monotonic() - started >= 1.0
    holder_finishes.join()


_HOLD_AND_DIE = """
import os, signal, sys
from labor_lake.lake.files import Lake
from labor_lake.lake.lock import WriterLock
lake = Lake(sys.argv[1])
WriterLock(lake, sys.argv[2]).acquire()
lake.write_bytes("core/claims.parquet", b"complete")  # a finished write
leftover = lake.path("core/.claims.parquet.0123.tmp")  # a write cut short
open(leftover, "wb").close()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_lock_held_by_a_killed_process_is_broken_and_its_leftovers_removed(
    tmp_path,
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    killed = subprocess.run([sys.executable, "-c", _HOLD_AND_DIE, lake.root, "killed-run"])
    assert killed.returncode == -signal.SIGKILL
    assert (tmp_path / "lake" / "core" / ".claims.parquet.0123.tmp").exists()

    with WriterLock(lake, "next-run") as lock:
        assert lock.dead_holder is not None and lock.dead_holder.run_id == "killed-run"
        assert lake.remove_temporary_files() == ["core/.claims.parquet.0123.tmp"]
    with WriterLock(lake, "after-a-clean-release") as lock:
        assert lock.dead_holder is None  # a clean release leaves nothing to clean up


def test_object_store_lock_stops_a_second_writer_and_breaks_a_dead_one() -> None:
    lake = Lake(f"memory://lock-{uuid.uuid4().hex}")
    with WriterLock(lake, "first"):
        started = time.monotonic()
        with pytest.raises(LakeBusy, match="being written by run first"):
            WriterLock(lake, "second", wait_seconds=1.0).acquire()
        assert time.monotonic() - started >= 1.0
        with WriterLock(lake, "first"):  # another step of the same run shares it
            pass
    assert not lake.exists(LOCK_PATH)

    dead_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    holder = WriterLock(lake, "killed").holder
    lake.write_bytes(LOCK_PATH, json.dumps({**holder.__dict__, "pid": int(dead_pid)}).encode())
    with WriterLock(lake, "next") as lock:
        assert lock.dead_holder == Holder(**{**holder.__dict__, "pid": int(dead_pid)})
