"""Indeed Hiring Lab over HTTP, against a real local server: success on the recorded files,
vintages, source modes, and every fault giving a clear error or a documented fallback."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import polars as pl
import pytest
from werkzeug import Response

from labor_lake.http import SourceError, SourceUnreachable, build_session, fetch, redact
from labor_lake.sources import indeed
from pipelines import settings
from pipelines.resources import HttpClient
from schemas.tables import CORE_OBSERVATIONS, RAW_INDEED_PAYLOADS

from .conftest import (
    INDEED_FILE_NAMES,
    SYNTHETIC_INDEED,
    Workspace,
    failure_text,
    run_pipeline,
    serve_sources,
)

CHECK = "sources_reachable"


def _manifest(workspace: Workspace) -> pl.DataFrame:
    return pl.read_parquet(workspace.lake_root / RAW_INDEED_PAYLOADS.relative_path)


def _observations(workspace: Workspace) -> pl.DataFrame:
    return pl.read_parquet(workspace.lake_root / CORE_OBSERVATIONS.relative_path)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _check(result, name: str = CHECK):
    return next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == name and e.asset_key == RAW_INDEED_PAYLOADS.asset_key
    )


def _point_every_source_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for variable in (settings.INDEED_URL_ENV, settings.FRED_URL_ENV, settings.BLS_URL_ENV):
        monkeypatch.setenv(variable, url)


def test_recorded_indeed_files_land_in_core_observations(
    workspace: Workspace, httpserver, monkeypatch: pytest.MonkeyPatch, recorded_indeed_files: dict
) -> None:
    files = recorded_indeed_files
    serve_sources(httpserver, monkeypatch, indeed_files=files)
    result = run_pipeline()
    assert result.success

    manifest = _manifest(workspace)
    assert sorted(manifest["dataset"]) == sorted(d.name for d in indeed.DATASETS)
    for row in manifest.iter_rows(named=True):
        stored = (workspace.lake_root / row["path"]).read_bytes()
        source = next(p for d, p in files.items() if d.name == row["dataset"]).read_bytes()
        assert stored == source  # kept as received, byte for byte
        assert row["sha256"] == hashlib.sha256(source).hexdigest()

    observations = _observations(workspace)
    ai_share = observations.filter(pl.col("series_id") == "indeed:ai_share:US")
    assert ai_share.height == 2738  # one row per day 2019-01-01 .. 2026-06-30
    real = pl.read_csv(files[indeed.AI_SHARE]).filter(pl.col("jobcountry") == "US")
    assert ai_share["value"][-1] == pytest.approx(real["AI_share_postings"][-1])
    software = observations.filter(
        pl.col("series_id") == "indeed:sector:Software Development:total postings"
    )
    assert software["period_start"].min().isoformat() == "2020-02-01"
    assert software["value"][0] == 100  # the index base date
    assert _check(result).passed


def test_unchanged_upstream_adds_no_vintage_and_changes_nothing(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success
    before = _digest(workspace.lake_root)
    assert run_pipeline().success
    assert _digest(workspace.lake_root) == before


def test_revised_upstream_adds_a_vintage_and_core_uses_it(
    workspace: Workspace, httpserver, monkeypatch, tmp_path: Path
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success
    revised = tmp_path / "AI_posting.csv"
    revised.write_text(
        (SYNTHETIC_INDEED / "AI_posting.csv")
        .read_text()
        .replace("2024-01-10,US,2.90", "2024-01-10,US,3.15")
    )
    httpserver.clear()
    serve_sources(
        httpserver,
        monkeypatch,
        {
            **{d: SYNTHETIC_INDEED / n for d, n in INDEED_FILE_NAMES.items()},
            indeed.AI_SHARE: revised,
        },
    )
    assert run_pipeline().success

    manifest = _manifest(workspace)
    assert (
        manifest.filter(pl.col("dataset") == "ai_share_postings").height == 2
    )  # both vintages kept
    for path in manifest["path"]:
        assert (workspace.lake_root / path).is_file()
    last = (
        _observations(workspace)
        .filter(pl.col("series_id") == "indeed:ai_share:US")
        .sort("period_start")
    )
    assert last["value"][-1] == 3.15


def test_429_then_success_is_retried(workspace: Workspace, httpserver, monkeypatch) -> None:
    httpserver.expect_oneshot_request(f"/{indeed.AI_SHARE.path}").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    serve_sources(httpserver, monkeypatch)
    started = time.monotonic()
    assert run_pipeline().success
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    requests_for_ai_share = [r for r, _ in httpserver.log if r.path == f"/{indeed.AI_SHARE.path}"]
    assert len(requests_for_ai_share) == 2
    assert _manifest(workspace).height == 3


def test_server_errors_until_retries_run_out_fail_clearly_and_keep_the_lake(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success
    before = _digest(workspace.lake_root)
    httpserver.clear()
    httpserver.expect_request(f"/{indeed.AI_SHARE.path}").respond_with_data("oops", status=500)

    result = run_pipeline()

    assert not result.success
    message = failure_text(result)
    assert f"{indeed.AI_SHARE.path}" in message and "after retries" in message
    assert (
        len([r for r, _ in httpserver.log if r.path.endswith("AI_posting.csv")]) == 4
    )  # 1 + 3 retries
    assert _digest(workspace.lake_root) == before


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<html><body><h1>Service temporarily unavailable</h1></body></html>", "columns changed"),
        (
            "date,country,share\n2024-01-01,US,2.0\n",
            "columns changed: expected ['date', 'jobcountry', 'AI_share_postings']",
        ),
        ("date,jobcountry,AI_share_postings\n2024-01-01,US,-\n", "unreadable values"),
    ],
    ids=["html_page_with_status_200", "renamed_columns", "unparseable_value"],
)
def test_a_payload_that_is_not_the_expected_csv_is_refused(
    workspace: Workspace, httpserver, monkeypatch, body: str, expected: str
) -> None:
    httpserver.expect_request(f"/{indeed.AI_SHARE.path}").respond_with_data(
        body, content_type="text/html"
    )
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline()
    assert not result.success
    message = failure_text(result)
    assert "ai_share_postings" in message and expected in message
    assert not (workspace.lake_root / "raw" / "payloads" / indeed.SOURCE).exists()  # nothing stored


def test_auto_mode_falls_back_to_the_last_good_payload_with_a_warning(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success
    observations = _observations(workspace)
    monkeypatch.setenv(settings.SOURCES_ENV, "auto")
    _point_every_source_at(monkeypatch, "http://127.0.0.1:9")  # nothing listens there

    result = run_pipeline()

    assert result.success
    check = _check(result)
    assert not check.passed and check.severity.value == "WARN"
    reasons = [v.value for k, v in check.metadata.items() if k.startswith("missing:")]
    assert len(reasons) == 3 and all("using the payload fetched" in r for r in reasons)
    assert _observations(workspace).equals(observations)  # every source kept its last vintages


def test_auto_mode_without_any_payload_gives_empty_tables_and_says_so(
    workspace: Workspace, monkeypatch
) -> None:
    monkeypatch.setenv(settings.SOURCES_ENV, "auto")
    _point_every_source_at(monkeypatch, "http://127.0.0.1:9")
    result = run_pipeline()
    assert result.success
    assert _observations(workspace).height == 0
    reasons = [v.value for k, v in _check(result).metadata.items() if k.startswith("missing:")]
    assert reasons and all("no payload yet" in r for r in reasons)


def test_live_mode_fails_loudly_when_unreachable(workspace: Workspace, monkeypatch) -> None:
    monkeypatch.setenv(settings.SOURCES_ENV, "live")
    _point_every_source_at(monkeypatch, "http://127.0.0.1:9")
    result = run_pipeline()
    assert not result.success
    assert "unreachable" in failure_text(result) and "LABOR_LAKE_SOURCES=live" in failure_text(
        result
    )


def test_offline_mode_never_touches_the_network(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    monkeypatch.setenv(settings.SOURCES_ENV, "offline")
    assert run_pipeline().success
    assert len(httpserver.log) == 0


def test_read_timeout_is_reported_as_unreachable(httpserver) -> None:
    def slow(_request):
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    client = HttpClient(timeout_seconds=0.2, retries=1, backoff_factor=0.0)
    with pytest.raises(SourceUnreachable, match="/slow: unreachable"):
        client.get(httpserver.url_for("/slow"))


def test_secrets_never_reach_error_messages(httpserver) -> None:
    secret = "s3cr3t-key-value"
    httpserver.expect_request("/data").respond_with_data("nope", status=503)
    with pytest.raises(SourceError) as caught:
        fetch(
            build_session(retries=1, backoff_factor=0.0),
            httpserver.url_for(f"/data?api_key={secret}&x=1"),
            timeout=5,
        )
    assert secret not in str(caught.value)
    assert "api_key=REDACTED&x=1" in str(caught.value)
    assert (
        redact("https://h/p?registrationkey=abc&api_key=def")
        == "https://h/p?registrationkey=REDACTED&api_key=REDACTED"
    )
