"""Dagster's local storage classes, with relative `base_dir`s read from the instance's folder.

Dagster resolves a relative `base_dir` in `dagster.yaml` against the folder a command starts in,
so a build started in `tests/` would record its runs in `tests/.dagster/`, where `dg dev` (at the
root) never looks. These subclasses resolve it against DAGSTER_HOME, the folder of the
`dagster.yaml` in use (the folder a command starts in when DAGSTER_HOME is unset).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


class RunStorage(_UnderInstanceFolder, SqliteRunStorage):
    """SqliteRunStorage, its `base_dir` from the instance's folder."""


class EventLogStorage(_UnderInstanceFolder, ConsolidatedSqliteEventLogStorage):
    """ConsolidatedSqliteEventLogStorage, its `base_dir` from the instance's folder."""


class ScheduleStorage(_UnderInstanceFolder, SqliteScheduleStorage):
    """SqliteScheduleStorage, its `base_dir` from the instance's folder."""


class ArtifactStorage(_UnderInstanceFolder, LocalArtifactStorage):
    """LocalArtifactStorage, its `base_dir` from the instance's folder."""


class ComputeLogManager(_UnderInstanceFolder, LocalComputeLogManager):
    """LocalComputeLogManager, its `base_dir` from the instance's folder."""
