"""What a user may change, by environment variable, with defaults that work in a fresh clone.

The definitions (pipelines/definitions.py) set each resource field with `from_env`: Dagster then
resolves the variable when a run starts, and the UI shows the variable's name, never its value.
The functions below that return plain values are for code outside a run's resources (the run
summary, benchmarks, tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import dagster as dg

REPO_ROOT = Path(__file__).resolve().parents[1]

LAKE_ROOT_ENV = "LABOR_LAKE_ROOT"
ARTICLES_ENV = "LABOR_LAKE_ARTICLES"
FIGURES_ENV = "LABOR_LAKE_FIGURES"
CLAIMS_ENV = "LABOR_LAKE_CLAIMS"
WINDOWS_ENV = "LABOR_LAKE_POSTINGS_WINDOWS"
SOURCES_ENV = "LABOR_LAKE_SOURCES"
INDEED_URL_ENV = "LABOR_LAKE_INDEED_URL"
FRED_URL_ENV = "LABOR_LAKE_FRED_URL"
BLS_URL_ENV = "LABOR_LAKE_BLS_URL"
GITHUB_API_URL_ENV = "LABOR_LAKE_GITHUB_API_URL"
CATALOG_ENV = "LABOR_LAKE_CATALOG"
USER_AGENT_ENV = "LABOR_LAKE_USER_AGENT"
LOCK_WAIT_ENV = "LABOR_LAKE_LOCK_WAIT_SECONDS"
# The variables the catalog's [hosts] names: base URLs replacing the real hosts (mirrors, tests).
HOST_URL_ENVS = (INDEED_URL_ENV, FRED_URL_ENV, BLS_URL_ENV, GITHUB_API_URL_ENV)

DEFAULT_LAKE_ROOT = str(REPO_ROOT / "data_lake")
DEFAULT_ARTICLES = str(REPO_ROOT / "registry" / "articles.csv")
DEFAULT_FIGURES = str(REPO_ROOT / "registry" / "published_figures.csv")
DEFAULT_CLAIMS = str(REPO_ROOT / "registry" / "claims.csv")
DEFAULT_WINDOWS = str(REPO_ROOT / "registry" / "postings_windows.csv")
DEFAULT_CATALOG = str(REPO_ROOT / "catalog" / "datasets.toml")
# auto, live or offline (see labor_lake.sources.refresh.MODES).
DEFAULT_SOURCES = "auto"
# bls.gov refuses clients without a descriptive User-Agent; set one that names you.
DEFAULT_USER_AGENT = (
    "labor-lake/0.2 (open data pipeline checking published labor-market figures; "
    "set LABOR_LAKE_USER_AGENT to name a contact)"
)
SNAPSHOT_MANIFEST = REPO_ROOT / "snapshots" / "manifest.csv"


def from_env(name: str, default: str) -> str:
    """`dg.EnvVar(name)` where the variable is set, else `default`. (An unset `dg.EnvVar` fails
    the run, so a variable with a default is only handed to Dagster when it is set.)"""
    return dg.EnvVar(name) if os.environ.get(name) else default


def int_from_env(name: str, default: int) -> int:
    """`from_env` for a whole number (Dagster checks that the variable holds one)."""
    return dg.EnvVar.int(name) if os.environ.get(name) else default


def present_in_env(names: Iterable[str]) -> dict[str, str]:
    """`{name: dg.EnvVar(name)}` for each of `names` that is set: optional values with no
    default, such as API keys, which must never be written into configuration as values."""
    return {name: dg.EnvVar(name) for name in names if os.environ.get(name)}


def lake_root() -> str:
    """`$LABOR_LAKE_ROOT` (a path or fsspec URL), else `data_lake/` in the repository."""
    return os.environ.get(LAKE_ROOT_ENV) or DEFAULT_LAKE_ROOT


def catalog_path() -> str:
    """`$LABOR_LAKE_CATALOG`, else the repository's catalog/datasets.toml."""
    return os.environ.get(CATALOG_ENV) or DEFAULT_CATALOG


def registry_file(name: str) -> str:
    """A registry file that users edit in place: registry/<name>."""
    return str(REPO_ROOT / "registry" / name)


def display_path(path: str) -> str:
    """`path` relative to the repository when inside it, so that lake files do not depend on
    where the repository was cloned."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else path
