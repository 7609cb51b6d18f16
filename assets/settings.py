"""Settings read from the environment, with defaults that work in a fresh clone."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

LAKE_ROOT_ENV = "LABOR_LAKE_ROOT"
FIGURES_ENV = "LABOR_LAKE_FIGURES"
CLAIMS_ENV = "LABOR_LAKE_CLAIMS"
WINDOWS_ENV = "LABOR_LAKE_POSTINGS_WINDOWS"
SOURCES_ENV = "LABOR_LAKE_SOURCES"
INDEED_URL_ENV = "LABOR_LAKE_INDEED_URL"
FRED_URL_ENV = "LABOR_LAKE_FRED_URL"
BLS_URL_ENV = "LABOR_LAKE_BLS_URL"
CATALOG_ENV = "LABOR_LAKE_CATALOG"
USER_AGENT_ENV = "LABOR_LAKE_USER_AGENT"

# bls.gov refuses clients without a descriptive User-Agent; set one that names you.
DEFAULT_USER_AGENT = (
    "labor-lake/0.2 (open data pipeline checking published labor-market figures; "
    "set LABOR_LAKE_USER_AGENT to name a contact)"
)
SNAPSHOT_MANIFEST = REPO_ROOT / "snapshots" / "manifest.csv"


def lake_root() -> str:
    """`$LABOR_LAKE_ROOT` (a path or fsspec URL), else `data_lake/` in the repository."""
    return os.environ.get(LAKE_ROOT_ENV) or str(REPO_ROOT / "data_lake")


def source_mode() -> str:
    """`$LABOR_LAKE_SOURCES`: auto (default), live or offline (see labor_lake.refresh.MODES)."""
    return os.environ.get(SOURCES_ENV) or "auto"


def catalog_path() -> str:
    """`$LABOR_LAKE_CATALOG`, else the repository's catalog/datasets.toml."""
    return os.environ.get(CATALOG_ENV) or str(REPO_ROOT / "catalog" / "datasets.toml")


def host_overrides() -> dict[str, str]:
    """Base URLs that replace the real hosts (mirrors, tests), by environment variable."""
    names = (INDEED_URL_ENV, FRED_URL_ENV, BLS_URL_ENV)
    return {name: os.environ[name] for name in names if os.environ.get(name)}


def user_agent() -> str:
    return os.environ.get(USER_AGENT_ENV) or DEFAULT_USER_AGENT


def secret(name: str) -> str | None:
    """An API key from the environment, the only place secrets come from."""
    return os.environ.get(name) or None


def figures_path() -> str:
    return os.environ.get(FIGURES_ENV) or str(REPO_ROOT / "registry" / "published_figures.csv")


def claims_path() -> str:
    return os.environ.get(CLAIMS_ENV) or str(REPO_ROOT / "registry" / "claims.csv")


def registry_file(name: str) -> str:
    """A registry file that users edit in place: registry/<name>."""
    return str(REPO_ROOT / "registry" / name)


def windows_path() -> str:
    return os.environ.get(WINDOWS_ENV) or str(REPO_ROOT / "registry" / "postings_windows.csv")


def display_path(path: str) -> str:
    """`path` relative to the repository when inside it, so that lake files do not depend on
    where the repository was cloned."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else path
