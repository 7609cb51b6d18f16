"""The Dagster definitions: graph snapshot, automation, instance config and the CLI front door."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from assets import settings
from assets.resources import OfficialSources
from pipelines.definitions import build_definitions
from schemas.tables import ALL_TABLES

from .conftest import REPO_ROOT, Workspace

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def asset_graph_summary(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    summary = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        summary[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "checks": sorted(
                (c.name, defs.resolve_asset_graph().get_check_spec(c).blocking)
                for c in node.check_keys
            ),
            "has_description": bool(node.description),
            "has_code_version": bool(node.code_version),
        }
    return json.loads(json.dumps(summary))


def test_asset_graph_matches_snapshot() -> None:
    """Any change to assets, deps, groups, kinds, owners or checks shows up in review here.
    Accept an intended change with `UPDATE_SNAPSHOTS=1 uv run pytest tests/test_definitions.py`."""
    summary = asset_graph_summary(build_definitions())
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(summary, indent=2) + "\n")
    assert summary == json.loads(SNAPSHOT.read_text())


def test_every_table_is_an_asset_with_a_blocking_schema_check() -> None:
    summary = asset_graph_summary(build_definitions())
    for table in ALL_TABLES:
        node = summary[table.id]
        assert node["group"] == table.zone
        assert ["schema", True] in node["checks"]
        assert node["has_description"] and node["has_code_version"]


def test_sensor_requests_a_run_only_when_the_registry_changes(workspace: Workspace) -> None:
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("registry_changed_sensor")
    registry = defs.resources["registry"]

    first = sensor(dg.build_sensor_context(cursor=None), registry=registry)
    assert len(first.run_requests) == 1
    unchanged = sensor(dg.build_sensor_context(cursor=first.cursor), registry=registry)
    assert not unchanged.run_requests and unchanged.skip_reason

    workspace.edit_claims(lambda text: text.replace(",0.5,", ",0.4,", 1))
    changed = sensor(dg.build_sensor_context(cursor=first.cursor), registry=registry)
    assert len(changed.run_requests) == 1 and changed.cursor != first.cursor


def test_weekly_schedule_refreshes_every_source_and_build_lake_is_the_whole_build() -> None:
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("weekly_build")
    weekly = defs.resolve_job_def(schedule.job_name)
    assert {k.to_user_string() for k in weekly.asset_layer.selected_asset_keys} == {
        "raw/bls_payloads",
        "raw/fred_payloads",
        "raw/indeed_hiring_lab_payloads",
    }  # the rebuild_on_new_data sensor rebuilds what their new data changes
    job = defs.resolve_job_def("build_lake")
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == {
        *(t.id for t in ALL_TABLES),
        "datapackage",
        "duckdb_views",
        "report",
        "claim_reviews",
    }  # everything but `release`, which only the publish job runs
    publish = defs.resolve_job_def("publish")
    assert "release" in {k.to_user_string() for k in publish.asset_layer.selected_asset_keys}


def test_each_source_has_a_schedule_for_its_cadence_and_a_freshness_policy() -> None:
    defs = build_definitions()
    schedules = {s.name: s.job_name for s in defs.schedules}
    assert schedules["daily_postings"] == "refresh_postings"
    assert schedules["monthly_bls"] == "refresh_bls"
    graph = defs.resolve_asset_graph()
    metrics = [t.id for t in ALL_TABLES if t.zone == "metrics"]
    for key in (
        "raw/bls_payloads",
        "raw/fred_payloads",
        "raw/indeed_hiring_lab_payloads",
        *metrics,
    ):
        assert graph.get(dg.AssetKey.from_user_string(key)).freshness_policy is not None, key
    refresh_postings = defs.resolve_job_def("refresh_postings")
    assert {k.to_user_string() for k in refresh_postings.asset_layer.selected_asset_keys} == {
        "raw/fred_payloads",
        "raw/indeed_hiring_lab_payloads",
    }
    # What the refresh changes is rebuilt by declarative automation, whose sensor is on.
    sensor = defs.resolve_sensor_def("rebuild_on_new_data")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    divergence = graph.get(dg.AssetKey(["metrics", "postings_divergence"]))
    assert divergence.automation_condition is not None
    assert divergence.automation_condition.get_label() == "on_new_data"


def test_settings_reach_the_resources_through_dagster_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A set variable is handed to Dagster by name (resolved when a run starts; the UI shows the
    name, never the value); an unset one leaves the default."""
    monkeypatch.setenv(settings.SOURCES_ENV, "offline")
    monkeypatch.setenv(settings.LOCK_WAIT_ENV, "7")
    monkeypatch.setenv("FRED_API_KEY", "synthetic-key-not-a-real-one")
    monkeypatch.delenv("BLS_API_KEY", raising=False)
    monkeypatch.delenv(settings.USER_AGENT_ENV, raising=False)
    resources = build_definitions().resources
    sources = resources["official_sources"]
    assert isinstance(sources.mode, dg.EnvVar)
    assert sources.mode.env_var_name == settings.SOURCES_ENV
    assert [(name, key.env_var_name) for name, key in sources.api_keys.items()] == [
        ("FRED_API_KEY", "FRED_API_KEY")
    ]
    assert "synthetic-key" not in repr(resources)
    assert sources.http.user_agent == settings.DEFAULT_USER_AGENT
    assert resources["io_manager"].lock_wait_seconds.name == settings.LOCK_WAIT_ENV

    @dg.asset
    def resolved(official_sources: OfficialSources) -> None:
        assert official_sources.mode == "offline"
        assert official_sources.api_keys == {"FRED_API_KEY": "synthetic-key-not-a-real-one"}

    assert dg.materialize([resolved], resources={"official_sources": sources}).success


def test_repository_dagster_yaml_configures_the_instance(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home)
    previous = Path.cwd()
    os.chdir(home)  # relative storage paths resolve against the start folder, as with `dg`
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            # The file is read (not Dagster's defaults): storage lands under the start folder.
            assert "sqlite" in type(instance.run_storage).__name__.lower()
            assert instance.run_monitoring_enabled
    finally:
        os.chdir(previous)
    assert (home / ".dagster" / "storage").is_dir()
