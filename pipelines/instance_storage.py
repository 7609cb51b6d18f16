"""Dagster's local storage classes, with relative `base_dir`s read from the instance's folder.

Dagster resolves a relative `base_dir` in `dagster.yaml` against the folder a command starts in,
so a build started in `tests/` would record its runs in `tests/.dagster/`, where `dg dev` (at the
root) never looks. These subclasses resolve it against DAGSTER_HOME, the folder of the
`dagster.yaml` in use (the folder a command starts in when DAGSTER_HOME is unset).

The event log and run storage also keep one SQLAlchemy engine each and wait less for the disk
(see `_SqliteEngine`): Dagster's own classes build a new engine for every connection and wait for
the disk several times for every event.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager
from dagster._core.storage.root import LocalArtifactStorage
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.schedules import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import NullPool


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


class _SqliteEngine:
    """One engine per storage, where Dagster creates one for each connection it opens (about 600
    per build, one or two per event); connections still open and close per use (NullPool), as
    Dagster's do: closing the last one checkpoints the write-ahead log into the database file,
    which is what `dg dev` watches to show a run's new events live.

    Each connection sets `synchronous` (the databases are in WAL mode) to the storage's
    `_synchronous`. Dagster leaves it at FULL: every event then waits for the disk two or three
    times (the commit, the write-ahead log's header, the checkpoint on close), 5-20 ms each on
    our shared machine, most of a step's fixed cost. A killed process (kill -9) loses nothing
    at any setting: what is committed is in the operating system's hands."""

    _conn_string: str
    _synchronous = "NORMAL"

    @cached_property
    def _engine(self) -> db.engine.Engine:
        engine = db.create_engine(
            self._conn_string,
            poolclass=NullPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        pragma = f"PRAGMA synchronous={self._synchronous}"
        db.event.listen(engine, "connect", lambda connection, _: connection.execute(pragma))
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
    """ConsolidatedSqliteEventLogStorage, its `base_dir` from the instance's folder, one engine,
    and no waiting for the disk (`synchronous=OFF`): about 600 connections per build. The price:
    an operating-system crash or power cut during a run can damage this database of run events
    (the lake is written and synced by our own code, never through it); then delete
    `.dagster/storage` and the next build starts a new history."""

    _synchronous = "OFF"


class ScheduleStorage(_UnderInstanceFolder, SqliteScheduleStorage):
    """SqliteScheduleStorage, its `base_dir` from the instance's folder."""


class ArtifactStorage(_UnderInstanceFolder, LocalArtifactStorage):
    """LocalArtifactStorage, its `base_dir` from the instance's folder."""


class ComputeLogManager(_UnderInstanceFolder, LocalComputeLogManager):
    """LocalComputeLogManager, its `base_dir` from the instance's folder."""
