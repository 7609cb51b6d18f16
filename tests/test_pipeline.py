"""End to end: materialize the whole graph into a temporary lake and read it back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from assets.lake_table import asset_key
from labor_lake.lake.files import PARQUET_METADATA_KEY
from schemas.tables import (
    ALL_TABLES,
    CORE_ARTICLES,
    CORE_PUBLISHED_FIGURES,
    RAW_ARTICLES,
    RAW_PUBLISHED_FIGURES,
)

from .conftest import Workspace, run_pipeline, serve_sources


@pytest.fixture
def built(workspace: Workspace, httpserver, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline(without=())  # the whole graph, report included
    assert result.success
    return workspace


def test_every_table_reads_back_with_polars_and_duckdb(published_lake: Path) -> None:
    for table in ALL_TABLES:
        path = published_lake / table.relative_path
        if table.partition_by:  # a folder of `<column>=<value>/part-0.parquet` files
            path = published_lake / table.relative_path / "*" / "*.parquet"
            frame = pl.read_parquet(path, hive_partitioning=False)
        else:
            frame = pl.read_parquet(path)
        assert frame.schema == table.polars_schema, table.id
        assert frame.height > 0, table.id
        duck_rows = duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()
        assert duck_rows == [(frame.height,)], table.id


def test_parquet_files_are_zstd_with_statistics_and_descriptions(published_lake: Path) -> None:
    parquet = pq.ParquetFile(published_lake / CORE_PUBLISHED_FIGURES.relative_path)
    column = parquet.metadata.row_group(0).column(parquet.schema_arrow.get_field_index("value"))
    assert column.compression == "ZSTD"
    assert column.statistics is not None and column.statistics.has_min_max
    field = parquet.schema_arrow.field("value")
    assert field.metadata[b"description"].startswith(b"Point value")
    provenance = json.loads(parquet.metadata.metadata[PARQUET_METADATA_KEY.encode()])
    assert provenance["table"] == "core/published_figures"
    assert provenance["rows"] == str(parquet.metadata.num_rows)
    assert len(provenance["code_version"]) == 16
    assert provenance["schema_version"] == CORE_PUBLISHED_FIGURES.schema_version


def test_datapackage_describes_every_file_exactly(published_lake: Path) -> None:
    package = json.loads((published_lake / "datapackage.json").read_text())
    # A partitioned table is one resource listing its files, each described under `parts`.
    resources = {
        r["path"] if isinstance(r["path"], str) else "/".join(r["path"][0].split("/")[:2]): r
        for r in package["resources"]
    }
    assert set(resources) == {t.relative_path for t in ALL_TABLES}
    for resource in resources.values():
        for part in resource.get("parts", [resource]):
            data = (published_lake / part["path"]).read_bytes()
            assert part["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert part["bytes"] == len(data)
            assert part["rows"] == pl.read_parquet(published_lake / part["path"]).height
        assert resource["rows"] == sum(p["rows"] for p in resource.get("parts", [resource]))
        assert resource["schema"]["fields"]
    for table in ALL_TABLES:
        assert resources[table.relative_path].get("schema_version") == (
            table.schema_version if table.published else None
        )
    figures = resources[CORE_PUBLISHED_FIGURES.relative_path]
    assert figures["schema"]["primaryKey"] == ["figure_id"]
    every_type = {f["type"] for r in resources.values() for f in r["schema"]["fields"]}
    assert "any" not in every_type, "a column type has no Frictionless equivalent"
    unit_field = next(f for f in figures["schema"]["fields"] if f["name"] == "unit")
    assert "percent" in unit_field["constraints"]["enum"]


def test_unchanged_rerun_leaves_the_lake_byte_identical(built: Workspace) -> None:
    def digest() -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in sorted(built.lake_root.rglob("*")) if p.is_file()}

    before = digest()
    result = run_pipeline(without=())
    assert result.success
    assert digest() == before
    rewritten = [
        m.materialization.metadata["rewritten"].value
        for m in result.get_asset_materialization_events()
        if "rewritten" in m.materialization.metadata
    ]
    assert rewritten and not any(rewritten)


def test_downstream_asset_loads_its_upstream_from_the_lake(built: Workspace) -> None:
    # Only core/published_figures runs: its input must come from raw/published_figures.parquet
    # through the IO manager, written by the earlier run.
    raw = pl.read_parquet(built.lake_root / RAW_PUBLISHED_FIGURES.relative_path)
    core_path = built.lake_root / CORE_PUBLISHED_FIGURES.relative_path
    core_path.unlink()
    result = run_pipeline("core/published_figures")
    assert result.success
    assert pl.read_parquet(core_path)["figure_id"].to_list() == raw["figure_id"].to_list()


def test_checks_pass_and_metadata_reaches_the_ui(
    workspace: Workspace, httpserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline()
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_key for e in evaluations} == {asset_key(t) for t in ALL_TABLES}
    assert all(e.passed for e in evaluations)
    materialization = next(
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key == asset_key(CORE_PUBLISHED_FIGURES)
    ).materialization
    metadata = materialization.metadata
    assert (
        metadata["dagster/row_count"].value
        == pl.read_parquet(workspace.lake_root / CORE_PUBLISHED_FIGURES.relative_path).height
    )
    assert "figure_id" in metadata["preview"].value
    assert metadata["sha256"].value


def build_lake_job() -> dg.JobDefinition:
    from pipelines.definitions import build_definitions

    return build_definitions().resolve_job_def("build_lake")


def test_in_process_is_the_default_executor(workspace: Workspace) -> None:
    job = build_lake_job()
    assert job.executor_def.name == "in_process_or_multiprocess"
    with dg.instance_for_test() as instance:
        result = dg.execute_job(dg.reconstructable(build_lake_job), instance=instance)
        assert result.success
        messages = [e.message or "" for e in instance.all_logs(result.run_id)]
        assert any("Executing steps in process" in m for m in messages)


def test_multiprocess_executor_is_selectable_by_config(workspace: Workspace) -> None:
    config = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}
    with dg.instance_for_test() as instance:
        result = dg.execute_job(
            dg.reconstructable(build_lake_job),
            instance=instance,
            run_config=config,
            asset_selection=[
                asset_key(RAW_ARTICLES),
                asset_key(CORE_ARTICLES),
                asset_key(RAW_PUBLISHED_FIGURES),
                asset_key(CORE_PUBLISHED_FIGURES),
            ],
        )
        assert result.success
        messages = [e.message or "" for e in instance.all_logs(result.run_id)]
        assert any("multiprocess executor" in m for m in messages)
    assert (workspace.lake_root / CORE_PUBLISHED_FIGURES.relative_path).is_file()


def test_whole_pipeline_runs_against_an_object_store_url(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assets import settings
    from labor_lake.lake.files import Lake

    root = "memory://labor-lake-e2e/lake"
    monkeypatch.setenv(settings.LAKE_ROOT_ENV, root)
    assert run_pipeline().success
    lake = Lake(root)
    package = json.loads(lake.read_bytes("datapackage.json"))
    assert len(package["resources"]) == len(ALL_TABLES)
    assert lake.read_table(ALL_TABLES[-1]).height > 0
