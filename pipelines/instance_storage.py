"""Dagster's local storage classes, with relative `base_dir`s read from the instance's folder.

Dagster resolves a relative `base_dir` in `dagster.yaml` against the folder a command starts in,
so a build started in `tests/` would record its runs in `tests/.dagster/`, where `dg dev` (at the
root) never looks. These subclasses resolve it against DAGSTER_HOME, the folder of the
`dagster.yaml` in use (the folder a command starts in when DAGSTER_HOME is unset).

The event log and run storage also keep one SQLAlchemy engine each and open their SQLite
connections with `synchronous=NORMAL` (see `_SqliteEngine`): Dagster's own classes build a new
engine for every event and wait for the disk on every commit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as db
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import NullPool

from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager
from dagster._core.storage.root import LocalArtifactStorage
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.schedules import SqliteScheduleStorage


def under_instance_folder(base_dir: str) -> str:
    """`base_dir` as an absolute path, a relative one taken from DAGSTER_HOME's folder."""
    path = Path(base_dir).expanduser()
    if path.is_absolute():
        return str(path)
    home = os.environ.get("DAGSTER_HOME")
    return str((Path(home).expanduser() if home else Path.cwd()) / path)


class _UnderInstanceFolder:
    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> Any:
        resolved = {**config_value, "base_dir": under_instance_folder(config_value["base_dir"])}
        return super().from_config_value(inst_data, resolved)  # type: ignore[misc]


def _synchronous_normal(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


class _SqliteEngine:
    """One engine per storage, where Dagster creates one for each connection it opens (about 500
    per build, one or two per event); connections still open and close per use (NullPool), as
    Dagster's do: closing the last one checkpoints the write-ahead log into the database file,
    which is what `dg dev` watches to show a run's new events live.

    `synchronous=NORMAL` (the database is in WAL mode): a commit no longer waits for the disk. A
    crashed or killed process loses nothing committed; only a power cut can undo the last
    commits, never corrupting the file. Measured on a fresh-clone build: docs/benchmarks.md."""

    _conn_string: str

    @cached_property
    def _engine(self) -> db.engine.Engine:
        engine = db.create_engine(
            self._conn_string,
            poolclass=NullPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        db.event.listen(engine, "connect", _synchronous_normal)
        return engine

    @contextmanager
    def _connect(self) -> Iterator[db.engine.Connection]:
        with self._engine.connect() as connection, connection.begin():
            yield connection


class RunStorage(_UnderInstanceFolder, _SqliteEngine, SqliteRunStorage):
    """SqliteRunStorage, its `base_dir` from the instance's folder, one engine."""

    def connect(self) -> Any:  # Dagster's name for it here
        return self._connect()


class EventLogStorage(_UnderInstanceFolder, _SqliteEngine, ConsolidatedSqliteEventLogStorage):
    """ConsolidatedSqliteEventLogStorage, its `base_dir` from the instance's folder, one engine."""


class ScheduleStorage(_UnderInstanceFolder, SqliteScheduleStorage):
    """SqliteScheduleStorage, its `base_dir` from the instance's folder."""


class ArtifactStorage(_UnderInstanceFolder, LocalArtifactStorage):
    """LocalArtifactStorage, its `base_dir` from the instance's folder."""


class ComputeLogManager(_UnderInstanceFolder, LocalComputeLogManager):
    """LocalComputeLogManager, its `base_dir` from the instance's folder."""
