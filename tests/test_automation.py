"""Scheduled runs do only new work: the schedules fetch the sources, and the automation sensor
(declarative automation on every derived asset) rebuilds only what has an input with a new data
version. Run against a replay of the real hosts on 127.0.0.1."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from assets.lake_table import asset_key
from pipelines.definitions import build_definitions
from schemas.tables import CORE_OBSERVATIONS, PAYLOAD_MANIFESTS

from .conftest import Workspace, serve_sources
from .test_sources import serve_revised_ai_share

SOURCE_KEYS = {asset_key(table) for table in PAYLOAD_MANIFESTS.values()}
POSTINGS_SOURCES = {
    asset_key(PAYLOAD_MANIFESTS["fred"]),
    asset_key(PAYLOAD_MANIFESTS["indeed_hiring_lab"]),
}


class Automation:
    """The schedules' jobs and the automation sensor's ticks, against one instance."""

    def __init__(self) -> None:
        self.defs = build_definitions()
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor = None

    def run_scheduled(self, schedule_name: str) -> set[dg.AssetKey]:
        """Run the job a schedule launches; return the assets it materialized."""
        schedule = self.defs.resolve_schedule_def(schedule_name)
        result = self.defs.resolve_job_def(schedule.job_name).execute_in_process(
            instance=self.instance
        )
        assert result.success
        return _materialized(result)

    def tick(self) -> set[dg.AssetKey]:
        """One tick of the automation sensor: run what it requests; return those assets."""
        evaluation = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = evaluation.cursor
        graph = self.defs.resolve_asset_graph()
        requested = {k for k in graph.get_all_asset_keys() if evaluation.get_num_requested(k)}
        if requested:
            result = self.defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=self.instance, asset_selection=list(requested)
            )
            assert result.success
            assert _materialized(result) == requested
        return requested

    def settle(self) -> set[dg.AssetKey]:
        """Tick until a tick requests nothing; return everything the ticks rebuilt."""
        rebuilt: set[dg.AssetKey] = set()
        for _ in range(5):
            requested = self.tick()
            if not requested:
                return rebuilt
            rebuilt |= requested
        pytest.fail(f"automation never settled; still requesting {requested}")


def _materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def _data_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    event = instance.get_latest_materialization_event(key)
    assert event is not None and event.asset_materialization is not None
    return event.asset_materialization.tags.get("dagster/data_version")


def test_an_unchanged_scheduled_refresh_materializes_only_the_sources(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    automation = Automation()

    # Day 1 on a fresh lake: the schedule fetches, the sensor builds everything else once.
    assert automation.run_scheduled("daily_postings") == POSTINGS_SOURCES
    first_build = automation.settle()
    assert asset_key(CORE_OBSERVATIONS) in first_build
    assert dg.AssetKey(["report"]) in first_build
    assert dg.AssetKey(["release"]) not in first_build  # only the publish job releases
    versions = {key: _data_version(automation.instance, key) for key in POSTINGS_SOURCES}

    # Day 2, the replay unchanged: the second run materializes only the source assets, with the
    # same data versions, and the sensor rebuilds nothing.
    assert automation.run_scheduled("daily_postings") == POSTINGS_SOURCES
    assert {key: _data_version(automation.instance, key) for key in POSTINGS_SOURCES} == versions
    assert automation.settle() == set()

    # The weekly refresh asks every source; still nothing new, still nothing rebuilt.
    assert automation.run_scheduled("weekly_build") == SOURCE_KEYS
    assert automation.settle() == set()


def test_a_revised_source_rebuilds_what_depends_on_it_and_nothing_else(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    automation = Automation()
    automation.run_scheduled("daily_postings")
    automation.settle()

    serve_revised_ai_share(httpserver, monkeypatch)

    indeed = asset_key(PAYLOAD_MANIFESTS["indeed_hiring_lab"])
    before = _data_version(automation.instance, indeed)
    automation.run_scheduled("daily_postings")
    assert _data_version(automation.instance, indeed) != before

    rebuilt = automation.settle()
    assert asset_key(CORE_OBSERVATIONS) in rebuilt
    assert dg.AssetKey(["metrics", "postings_divergence"]) in rebuilt
    # The registry did not change: its tables are not rebuilt.
    assert not {k for k in rebuilt if k.path[0] == "raw"}
    assert dg.AssetKey(["core", "published_figures"]) not in rebuilt
    ai_share = pl.read_parquet(workspace.lake_root / CORE_OBSERVATIONS.relative_path).filter(
        pl.col("series_id") == "indeed:ai_share:US"
    )
    assert ai_share.sort("period_start")["value"][-1] == 5.91
