"""Official sources against a replay of the real hosts (recorded snapshots at the real paths, 404
elsewhere): the catalog's addresses, seeding from snapshots, per-dataset fallback, implausible
answers, unchanged and revised upstream data, and catalog-only additions."""

from __future__ import annotations

import gzip
import hashlib
import io
import time
from pathlib import Path

import polars as pl
import pytest
import requests

from assets import settings
from assets.lake_table import asset_key
from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.snapshots import load_manifest
from schemas.tables import CORE_OBSERVATIONS, METRICS_CLAIM_CHECKS, PAYLOAD_MANIFESTS

from .conftest import (
    REPO_ROOT,
    SOURCES_TO_OBSERVATIONS,
    Workspace,
    failure_text,
    recorded_snapshot,
    run_pipeline,
    serve_sources,
)
from .replay import Replay

CHECK = "sources_reachable"
AI_SHARE_URL = "https://raw.githubusercontent.com/hiring-lab/ai-tracker/main/AI_posting.csv"
AGGREGATE_URL = (
    "https://raw.githubusercontent.com/hiring-lab/job_postings_tracker/master/US/"
    "aggregate_job_postings_US.csv"
)
SECTOR_URL = (
    "https://raw.githubusercontent.com/hiring-lab/job_postings_tracker/master/US/"
    "job_postings_by_sector_US.csv"
)
SOFTWARE = "indeed:sector:Software Development:total postings"


def _observations(workspace: Workspace) -> pl.DataFrame:
    return pl.read_parquet(workspace.lake_root / CORE_OBSERVATIONS.relative_path)


def _manifest(workspace: Workspace, source: str) -> pl.DataFrame:
    return pl.read_parquet(workspace.lake_root / PAYLOAD_MANIFESTS[source].relative_path)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _check(result, source: str = "indeed_hiring_lab"):
    return next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == CHECK and e.asset_key == asset_key(PAYLOAD_MANIFESTS[source])
    )


def serve_revised_ai_share(httpserver, monkeypatch) -> None:
    """Replay every source as recorded except the AI tracker, whose last US value is revised
    (a synthetic revision: 5.88061424953879 becomes 5.91)."""
    revised = recorded_snapshot("indeed_ai_share").replace(
        b"2026-06-30,US,5.88061424953879", b"2026-06-30,US,5.91"
    )
    httpserver.clear()
    replay = Replay(httpserver)
    replay.serve_url(AI_SHARE_URL, revised)
    replay.serve_recorded(except_datasets=("indeed_ai_share",)).serve_synthetic().point(monkeypatch)


# --- The catalog and its snapshots ------------------------------------------------------------


def test_every_catalog_address_has_a_recorded_counterpart_or_says_why_not() -> None:
    catalog = load_catalog(settings.catalog_path())
    snapshots = load_manifest(settings.SNAPSHOT_MANIFEST)
    recorded = {s.dataset: s for s in snapshots}
    for dataset in catalog.datasets:
        if dataset.id in recorded:
            assert recorded[dataset.id].url == dataset.url, dataset.id
        else:
            assert dataset.no_snapshot, f"{dataset.id}: no recorded snapshot and no reason given"
    for snapshot in snapshots:
        assert catalog.get(snapshot.dataset) is not None, snapshot.dataset
        snapshot.read()  # bytes match the manifest's sha256 and size


def test_the_replay_answers_404_where_the_real_host_would(httpserver) -> None:
    replay = Replay(httpserver).serve_recorded()
    # The AI tracker's only branch is `main`: the `master` address is a 404 on the real host.
    old = replay.base_url + "/hiring-lab/ai-tracker/master/AI_posting.csv"
    assert requests.get(old, timeout=5).status_code == 404
    current = replay.base_url + "/hiring-lab/ai-tracker/main/AI_posting.csv"
    assert requests.get(current, timeout=5).content == recorded_snapshot("indeed_ai_share")


# --- Real layouts through the pipeline ------------------------------------------------------


def test_replayed_real_files_land_in_core_observations(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline(SOURCES_TO_OBSERVATIONS)
    assert result.success

    manifest = _manifest(workspace, "indeed_hiring_lab")
    assert set(manifest["origin"]) == {"fetched"}
    for row in manifest.iter_rows(named=True):
        # Stored gzip-compressed; gunzip gives back the bytes as received.
        assert row["path"].endswith(".gz")
        stored = (workspace.lake_root / row["path"]).read_bytes()
        assert gzip.decompress(stored) == recorded_snapshot(row["dataset"])
        assert len(stored) < row["bytes"]
    observations = _observations(workspace)
    ai_share = observations.filter(pl.col("series_id") == "indeed:ai_share:US").sort("period_start")
    assert ai_share.height == 2738  # one row a day, 2019-01-01 .. 2026-06-30
    assert ai_share["period_start"][-1].isoformat() == "2026-06-30"
    assert ai_share["value"][-1] == pytest.approx(5.88061424953879)
    software = observations.filter(pl.col("series_id") == SOFTWARE).sort("period_start")
    assert software["period_start"][-1].isoformat() == "2024-09-27"
    assert software["value"][-1] == pytest.approx(69.65)
    # Measured twice: the same numbers straight from the recorded CSV.
    raw = pl.read_csv(io.BytesIO(recorded_snapshot("indeed_ai_share"))).filter(
        pl.col("jobcountry") == "US"
    )
    assert ai_share["value"].to_list() == raw["AI_share_postings"].to_list()
    assert _check(result).passed


def test_offline_fresh_lake_is_seeded_from_the_recorded_snapshots(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    Replay(httpserver).point(monkeypatch, mode="offline")
    result = run_pipeline()
    assert result.success
    assert len(httpserver.log) == 0  # offline never touches the network
    observations = _observations(workspace)
    ai_share = observations.filter(pl.col("series_id") == "indeed:ai_share:US")
    assert set(ai_share["vintage_origin"]) == {"recorded_snapshot"}
    assert ai_share["vintage_fetched_at"].max().date().isoformat() == "2026-07-21"
    check = _check(result)
    assert not check.passed and check.severity.value == "WARN"
    assert "recorded snapshot of 2026-07-21" in check.metadata["indeed_ai_share"].value
    ledger = pl.read_parquet(workspace.lake_root / METRICS_CLAIM_CHECKS.relative_path)
    assert ledger.height > 0


def test_auto_mode_falls_back_dataset_by_dataset_on_404_and_500(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    replay = Replay(httpserver)
    replay.serve_url(AGGREGATE_URL, "upstream broke", status=500)
    replay.serve_recorded(except_datasets=("indeed_ai_share", "indeed_aggregate_postings_us"))
    replay.serve_synthetic().point(monkeypatch, mode="auto")
    # The AI tracker is not served at all: the replay answers 404, as a wrong branch would.

    result = run_pipeline(SOURCES_TO_OBSERVATIONS)

    assert result.success
    check = _check(result)
    assert not check.passed and check.severity.value == "WARN"
    ai_line = check.metadata["indeed_ai_share"].value
    assert "HTTP 404" in ai_line and "/hiring-lab/ai-tracker/main/AI_posting.csv" in ai_line
    assert "recorded snapshot of 2026-07-21" in ai_line and "days old" in ai_line
    assert "HTTP 500" in check.metadata["indeed_aggregate_postings_us"].value
    assert check.metadata["indeed_postings_by_sector_us"].value.startswith(
        "indeed_postings_by_sector_us: fetched"
    )
    observations = _observations(workspace)
    origins = dict(
        observations.group_by("dataset").agg(pl.col("vintage_origin").first()).iter_rows()
    )
    assert origins["indeed_ai_share"] == "recorded_snapshot"
    assert origins["indeed_postings_by_sector_us"] == "fetched"


def test_live_mode_fails_with_the_same_message(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    replay = Replay(httpserver)
    replay.serve_recorded(except_datasets=("indeed_ai_share",)).serve_synthetic()
    replay.point(monkeypatch, mode="live")
    result = run_pipeline()
    assert not result.success
    message = failure_text(result)
    assert "indeed_ai_share" in message and "HTTP 404" in message
    assert "LABOR_LAKE_SOURCES=live" in message


def test_refresh_postings_runs_on_a_fresh_lake(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    import dagster as dg

    from pipelines.definitions import build_definitions

    serve_sources(httpserver, monkeypatch)
    job = build_definitions().resolve_job_def("refresh_postings")
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    assert not (workspace.lake_root / PAYLOAD_MANIFESTS["bls"].relative_path).exists()
    assert (workspace.lake_root / PAYLOAD_MANIFESTS["indeed_hiring_lab"].relative_path).exists()


# --- What a new answer may replace --------------------------------------------------------


def test_unchanged_upstream_adds_no_vintage_and_changes_nothing(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
    before = _digest(workspace.lake_root)
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
    assert _digest(workspace.lake_root) == before


def test_revised_upstream_adds_a_vintage_and_core_uses_it(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
    serve_revised_ai_share(httpserver, monkeypatch)
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success

    manifest = _manifest(workspace, "indeed_hiring_lab")
    assert manifest.filter(pl.col("dataset") == "indeed_ai_share").height == 2  # both kept
    ai_share = _observations(workspace).filter(pl.col("series_id") == "indeed:ai_share:US")
    assert ai_share.sort("period_start")["value"][-1] == 5.91


def _half(content: bytes) -> bytes:
    lines = content.splitlines(keepends=True)
    return b"".join(lines[: len(lines) // 2])


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_half, "lacks 1370 of the 2738 rows"),
        (lambda c: c.splitlines(keepends=True)[0], "header and no rows"),
        (lambda c: b"", "not a CSV"),
        (lambda c: b"<html><body>Rate limited</body></html>", "columns changed"),
    ],
    ids=["truncated", "header_only", "empty", "html_page_with_status_200"],
)
def test_damaged_answers_never_replace_good_data(
    workspace: Workspace, httpserver, monkeypatch, damage, expected: str
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
    before = _observations(workspace)
    httpserver.clear()
    replay = Replay(httpserver)
    replay.serve_url(AI_SHARE_URL, damage(recorded_snapshot("indeed_ai_share")))
    replay.serve_recorded(except_datasets=("indeed_ai_share",)).serve_synthetic()

    replay.point(monkeypatch, mode="auto")
    result = run_pipeline(SOURCES_TO_OBSERVATIONS)
    assert result.success
    line = _check(result).metadata["indeed_ai_share"].value
    assert "fallback" in line and expected in line and "last good vintage" in line
    assert _observations(workspace).equals(before)  # every row kept

    replay.point(monkeypatch, mode="live")
    failed = run_pipeline(SOURCES_TO_OBSERVATIONS)
    assert not failed.success and expected in failure_text(failed)
    assert _observations(workspace).equals(before)


def test_429_then_success_is_retried_honouring_retry_after(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    httpserver.expect_oneshot_request(
        "/hiring-lab/ai-tracker/main/AI_posting.csv"
    ).respond_with_data("slow down", status=429, headers={"Retry-After": "1"})
    replay = serve_sources(httpserver, monkeypatch)
    started = time.monotonic()
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
    assert time.monotonic() - started >= 1.0
    assert len(replay.requests_to("/hiring-lab/ai-tracker/main/AI_posting.csv")) == 2


# --- The catalog is the only place a dataset is declared ------------------------------------


def _catalog_with(workspace: Workspace, monkeypatch, extra: str) -> Path:
    catalog = workspace.lake_root.parent / "datasets.toml"
    catalog.write_text((REPO_ROOT / "catalog" / "datasets.toml").read_text() + extra)
    monkeypatch.setenv(settings.CATALOG_ENV, str(catalog))
    return catalog


def test_a_series_is_added_by_one_catalog_entry(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    _catalog_with(
        workspace,
        monkeypatch,
        f'''
[[dataset]]
id = "indeed_ai_share_gb"
source = "indeed_hiring_lab"
protocol = "http_file"
url = "{AI_SHARE_URL}"
format = "csv"
title = "AI tracker, United Kingdom"
columns = ["date", "jobcountry", "AI_share_postings"]
frequency = "daily"
reference_period = "day"
period_column = "date"
geography_column = "jobcountry"
keep = {{ jobcountry = ["GB"] }}
series_id = "indeed:ai_share:{{jobcountry}}"
subject = "Job postings mentioning AI or GenAI"
measure = "ai_share_of_postings"
unit = "percent"
values = [{{ column = "AI_share_postings" }}]

[[dataset]]
id = "indeed_new_postings_us_nsa"
source = "indeed_hiring_lab"
protocol = "http_file"
url = "{AGGREGATE_URL}"
format = "csv"
title = "New postings, not seasonally adjusted"
columns = ["date", "jobcountry", "indeed_job_postings_index_SA", "indeed_job_postings_index_NSA", "variable"]
frequency = "daily"
reference_period = "day"
period_column = "date"
keep = {{ variable = ["new postings"] }}
series_id = "indeed:aggregate:{{variable}}:NSA"
subject = "New job postings"
measure = "postings_index"
unit = "index"
values = [{{ column = "indeed_job_postings_index_NSA" }}]
''',
    )
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success

    observations = _observations(workspace)
    britain = observations.filter(pl.col("series_id") == "indeed:ai_share:GB")
    recorded = pl.read_csv(io.BytesIO(recorded_snapshot("indeed_ai_share"))).filter(
        pl.col("jobcountry") == "GB"
    )
    assert britain.height == recorded.height == 2738
    assert (
        britain.sort("period_start")["value"].to_list() == recorded["AI_share_postings"].to_list()
    )
    new_nsa = observations.filter(pl.col("series_id") == "indeed:aggregate:new postings:NSA")
    aggregate = pl.read_csv(io.BytesIO(recorded_snapshot("indeed_aggregate_postings_us")))
    expected = aggregate.filter(pl.col("variable") == "new postings")
    assert new_nsa.height == expected.height
    assert new_nsa["value"].sum() == pytest.approx(expected["indeed_job_postings_index_NSA"].sum())


def test_a_misspelt_sector_is_an_error_listing_the_valid_ones(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    catalog = _catalog_with(workspace, monkeypatch, "")
    catalog.write_text(
        catalog.read_text().replace(
            '"Software Development", "Mathematics"', '"Software development"'
        )
    )
    serve_sources(httpserver, monkeypatch, mode="auto")
    result = run_pipeline()
    assert not result.success
    message = failure_text(result)
    assert "keep.display_name lists ['Software development']" in message
    assert "'Software Development'" in message and "'Mathematics'" in message


def test_a_catalog_error_names_the_file_the_dataset_and_the_field(
    workspace: Workspace, monkeypatch
) -> None:
    catalog = _catalog_with(workspace, monkeypatch, "")
    catalog.write_text(catalog.read_text().replace('unit = "percent"', 'unit = "percnt"', 1))
    with pytest.raises(ValueError, match=r"datasets.toml: dataset 'indeed_ai_share', field 'unit'"):
        load_catalog(catalog)


def test_recording_from_the_real_addresses_reproduces_the_snapshots(
    tmp_path: Path, httpserver, monkeypatch
) -> None:
    import shutil

    from labor_lake.sources.record import record

    copy = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "snapshots", copy / "snapshots")
    Replay(httpserver).serve_recorded().point(monkeypatch)
    lines = record(
        REPO_ROOT / "catalog" / "datasets.toml", copy / "snapshots" / "manifest.csv", None
    )
    recorded_now = {s.dataset: s for s in load_manifest(copy / "snapshots" / "manifest.csv")}
    assert len(lines) == len(recorded_now) and all(": unchanged," in line for line in lines)
    for snapshot in load_manifest(settings.SNAPSHOT_MANIFEST):
        again = recorded_now[snapshot.dataset]
        assert again.read() == snapshot.read()
        assert (copy / snapshot.path).read_bytes() == (REPO_ROOT / snapshot.path).read_bytes()
