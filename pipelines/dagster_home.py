"""Finds the Dagster instance from any folder of the project, for `dg` and `dagster` commands.

Dagster reads `.env` (which points DAGSTER_HOME at the project) only from the folder a command
starts in, so `cd tests && dg launch --assets '*'` used to get a throwaway instance: every DEBUG
event on the console and no closing summary. Python runs this module at start-up (the
`labor_lake_dagster_home.pth` that the project's install puts beside the packages): when a
Dagster command starts with no DAGSTER_HOME, inside a project whose root (the nearest folder
with a `pyproject.toml`) has a `dagster.yaml`, DAGSTER_HOME becomes that root. An exported
DAGSTER_HOME always wins, and nothing else is touched: other programs, and folders outside a
project, are as before.

It runs in every Python process of the environment, so it imports nothing heavy.
An editable install copies this file once (pyproject.toml, force-include): `uv sync
--reinstall-package labor-lake` after changing it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

DAGSTER_COMMANDS = frozenset({"dg", "dagster", "dagster-webserver", "dagster-daemon"})


def project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` with a `pyproject.toml`, if it has a `dagster.yaml`."""
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file():
            return folder if (folder / "dagster.yaml").is_file() else None
    return None


def dagster_home(argv: list[str], environ: Mapping[str, str], cwd: Path) -> str | None:
    """The DAGSTER_HOME to set for a process started as `argv` in `cwd`, or None to leave it."""
    if environ.get("DAGSTER_HOME") or not argv:
        return None
    if Path(argv[0]).name not in DAGSTER_COMMANDS:
        return None
    root = project_root(cwd)
    return str(root) if root else None


def _set_from_project_root() -> None:
    try:
        home = dagster_home(sys.argv, os.environ, Path.cwd())
    except OSError:  # a deleted working folder: leave Dagster to report it
        return
    if home:
        os.environ["DAGSTER_HOME"] = home


# Only as the start-up copy: importing `pipelines.dagster_home` (tests) changes nothing.
if __name__ == "_labor_lake_dagster_home":
    _set_from_project_root()
