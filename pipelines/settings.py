"""Settings read from the environment, with defaults that work in a fresh clone."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

LAKE_ROOT_ENV = "LABOR_LAKE_ROOT"
FIGURES_ENV = "LABOR_LAKE_FIGURES"
CLAIMS_ENV = "LABOR_LAKE_CLAIMS"
SOURCES_ENV = "LABOR_LAKE_SOURCES"
INDEED_URL_ENV = "LABOR_LAKE_INDEED_URL"
FRED_URL_ENV = "LABOR_LAKE_FRED_URL"
BLS_URL_ENV = "LABOR_LAKE_BLS_URL"
BLS_CPS_SERIES_ENV = "LABOR_LAKE_BLS_CPS_SERIES"

SOURCE_MODES = {
    "auto": "fetch; if a source is unreachable, use its last good payload (or none) and warn",
    "live": "fetch; fail the run if a source is unreachable",
    "offline": "never touch the network; use the payloads already in the lake",
}
DEFAULT_INDEED_URL = "https://raw.githubusercontent.com/hiring-lab"
DEFAULT_FRED_API_URL = "https://api.stlouisfed.org"
DEFAULT_FRED_CSV_URL = "https://fred.stlouisfed.org"
DEFAULT_BLS_URL = "https://api.bls.gov"


def lake_root() -> str:
    """`$LABOR_LAKE_ROOT` (a path or fsspec URL), else `data_lake/` in the repository."""
    return os.environ.get(LAKE_ROOT_ENV) or str(REPO_ROOT / "data_lake")


def source_mode() -> str:
    """`$LABOR_LAKE_SOURCES`: auto (default), live or offline."""
    mode = os.environ.get(SOURCES_ENV) or "auto"
    if mode not in SOURCE_MODES:
        raise ValueError(f"{SOURCES_ENV}={mode!r}: expected one of {', '.join(SOURCE_MODES)}")
    return mode


def indeed_url() -> str:
    return os.environ.get(INDEED_URL_ENV) or DEFAULT_INDEED_URL


def fred_api_url() -> str:
    """`$LABOR_LAKE_FRED_URL` (a mirror serving both the API and the CSV paths), else FRED's API."""
    return os.environ.get(FRED_URL_ENV) or DEFAULT_FRED_API_URL


def fred_csv_url() -> str:
    return os.environ.get(FRED_URL_ENV) or DEFAULT_FRED_CSV_URL


def bls_url() -> str:
    return os.environ.get(BLS_URL_ENV) or DEFAULT_BLS_URL


def bls_cps_series() -> dict[str, str]:
    """CPS series to fetch, as `SERIES_ID=subject` pairs separated by `;` in
    `$LABOR_LAKE_BLS_CPS_SERIES`. None by default: see docs/SOURCES.md."""
    pairs = [p for p in (os.environ.get(BLS_CPS_SERIES_ENV) or "").split(";") if p.strip()]
    series = {}
    for pair in pairs:
        series_id, separator, subject = pair.partition("=")
        if not separator or not series_id.strip() or not subject.strip():
            raise ValueError(f"{BLS_CPS_SERIES_ENV}: {pair!r} is not SERIES_ID=subject")
        series[series_id.strip()] = subject.strip()
    return series


def secret(name: str) -> str | None:
    """An API key from the environment, the only place secrets come from."""
    return os.environ.get(name) or None


def figures_path() -> str:
    return os.environ.get(FIGURES_ENV) or str(REPO_ROOT / "registry" / "published_figures.csv")


def claims_path() -> str:
    return os.environ.get(CLAIMS_ENV) or str(REPO_ROOT / "registry" / "claims.csv")


def display_path(path: str) -> str:
    """`path` relative to the repository when inside it, so that lake files do not depend on
    where the repository was cloned."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else path
