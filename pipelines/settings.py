"""Settings read from the environment, with defaults that work in a fresh clone."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

LAKE_ROOT_ENV = "LABOR_LAKE_ROOT"
FIGURES_ENV = "LABOR_LAKE_FIGURES"
CLAIMS_ENV = "LABOR_LAKE_CLAIMS"


def lake_root() -> str:
    """`$LABOR_LAKE_ROOT` (a path or fsspec URL), else `data_lake/` in the repository."""
    return os.environ.get(LAKE_ROOT_ENV) or str(REPO_ROOT / "data_lake")


def figures_path() -> str:
    return os.environ.get(FIGURES_ENV) or str(REPO_ROOT / "registry" / "published_figures.csv")


def claims_path() -> str:
    return os.environ.get(CLAIMS_ENV) or str(REPO_ROOT / "registry" / "claims.csv")


def display_path(path: str) -> str:
    """`path` relative to the repository when inside it, so that lake files do not depend on
    where the repository was cloned."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else path
