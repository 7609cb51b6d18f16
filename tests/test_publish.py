"""For consumers: releases that never change once made, a DuckDB catalog, a small reader, and the
same rows from every Parquet reader."""

from __future__ import annotations

import hashlib
import json

import dagster as dg
import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from labor_lake.lake.duckdb_views import VIEWS_FILE
from labor_lake.lake.reader import read_table
from schemas.tables import ALL_TABLES

from .conftest import Workspace, serve_sources
from .lake_checks import package_part, released_files, table_files
from .test_registry_errors import set_cell

PUBLISHED = [t for t in ALL_TABLES if t.published]


def run_job(name: str) -> dg.ExecuteInProcessResult:
    from pipelines.definitions import build_definitions

    return (
        build_definitions()
        .resolve_job_def(name)
        .execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    )


def _digest(folder) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def published(workspace: Workspace, httpserver, monkeypatch) -> Workspace:
    serve_sources(httpserver, monkeypatch)
    assert run_job("publish").success
    return workspace


def _latest(workspace: Workspace) -> str:
    return json.loads((workspace.lake_root / "releases" / "latest.json").read_text())["release"]


def test_a_release_is_immutable_and_not_repeated(published: Workspace) -> None:
    releases = published.lake_root / "releases"
    first = _latest(published)
    first_files = _digest(releases / first)
    package = json.loads((releases / first / "datapackage.json").read_text())
    for path in released_files(package):
        data = (releases / first / path).read_bytes()
        assert package_part(package, path)["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    # every published table, the partitioned OEWS table as its yearly files
    assert {r["name"] for r in package["resources"]} == {t.flat_name for t in PUBLISHED}
    assert released_files(package) == table_files(published.lake_root)
    (oews,) = [r for r in package["resources"] if "parts" in r]
    assert oews["rows"] == read_table("core/oews_estimates", root=str(published.lake_root)).height

    assert run_job("publish").success  # same content: no new release
    assert sorted(p.name for p in releases.iterdir() if p.is_dir()) == [first]

    published.edit_claims(set_cell("dice_taxonomy_expansion_150pct", "tolerance", "0.5"))
    assert run_job("publish").success
    second = _latest(published)
    assert second == f"{first}.1"
    assert _digest(releases / first) == first_files  # the pinned release did not change


def test_no_release_when_a_blocking_check_fails(published: Workspace) -> None:
    before = _latest(published)
    published.edit_figures(set_cell("infosec_analysts_unemployment_rate_2025", "value", "210"))
    result = run_job("publish")
    assert not result.success
    assert "release" not in {
        m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
    }
    assert _latest(published) == before


def test_reader_reads_current_and_released_tables(published_lake) -> None:
    root = str(published_lake)
    latest = json.loads((published_lake / "releases" / "latest.json").read_text())["release"]
    current = read_table("metrics/claim_checks", root=root)
    assert current.height > 0
    assert read_table("metrics/claim_checks", release="latest", root=root).equals(current)
    assert read_table("metrics/claim_checks", release=latest, root=root).equals(current)
    with pytest.raises(KeyError, match="unknown table 'metrics/nope'"):
        read_table("metrics/nope", root=root)
    with pytest.raises(FileNotFoundError, match="1999-01-01"):
        read_table("metrics/claim_checks", release="1999-01-01", root=root)


def test_duckdb_views_open_every_table(published: Workspace) -> None:
    connection = duckdb.connect()
    connection.execute(f"SET file_search_path = '{published.lake_root}'")
    connection.execute((published.lake_root / VIEWS_FILE).read_text())
    for table in ALL_TABLES:
        rows = connection.execute(f"select count(*) from {table.flat_name}").fetchall()
        assert rows == [(read_table(table.id, root=str(published.lake_root)).height,)], table.id


@pytest.mark.parametrize("table", PUBLISHED, ids=lambda t: t.id)
def test_every_reader_gets_the_same_rows(published_lake, table) -> None:
    path = published_lake / table.relative_path
    # a partitioned table is read file by file, as any reader can
    files = sorted(map(str, path.glob("*/*.parquet"))) if table.partition_by else [str(path)]
    frames = {
        "polars": pl.concat(pl.read_parquet(f) for f in files),
        "pyarrow": pl.concat(pl.from_arrow(pq.read_table(f)) for f in files),
        "pandas": pl.concat(
            (pl.from_pandas(pd.read_parquet(f)) for f in files), how="vertical_relaxed"
        ),
        "duckdb": pl.from_arrow(
            duckdb.sql(f"select * from read_parquet({files})").to_arrow_table()
        ),
    }
    reference = frames["polars"]
    key = table.primary_key or table.columns[2].name
    numbers = [c.name for c in table.columns if c.dtype == pl.Float64]
    for reader, frame in frames.items():
        assert frame.height == reference.height, reader
        assert frame.columns == reference.columns, reader
        assert sorted(frame[key].cast(pl.String).to_list()) == sorted(
            reference[key].cast(pl.String).to_list()
        ), reader
        for column in numbers:
            assert frame[column].cast(pl.Float64).sum() == pytest.approx(reference[column].sum()), (
                reader,
                column,
            )
