"""BLS and FRED over HTTP against a local server: recorded and synthetic payloads, the BLS API's
refusals and messages, FRED's two modes, incremental refreshes, and secrets kept out of
everything the pipeline writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from werkzeug import Response

from labor_lake.http import SourceError
from labor_lake.sources import bls, fred
from schemas.tables import CORE_OBSERVATIONS, RAW_BLS_PAYLOADS, RAW_FRED_PAYLOADS

from .conftest import SYNTHETIC_FRED, Workspace, failure_text, run_pipeline, serve_sources

BLS_PATH = "/publicAPI/v2/timeseries/data/"


def _observations(workspace: Workspace) -> pl.DataFrame:
    return pl.read_parquet(workspace.lake_root / CORE_OBSERVATIONS.relative_path)


def _bls_requests(httpserver) -> list[dict]:
    return [json.loads(request.data) for request, _ in httpserver.log if request.path == BLS_PATH]


# --- BLS: parsing the API's answers -------------------------------------------------------


def test_recorded_cps_answer_parses_to_monthly_rates(shared_realdata: Path) -> None:
    content = (shared_realdata / "bls" / "results.json").read_bytes()
    catalog = bls.series_catalog({"LNS14000000": "All civilian workers (CPS, seasonally adjusted)"})
    rows, warnings = bls.parse("cps_1", content, "u", catalog)
    assert rows.height == 27 and warnings == []
    assert set(rows["frequency"]) == {"monthly"} and set(rows["unit"]) == {"percent"}
    newest = rows.sort("period_start")[-1]
    assert newest["period_start"].item().isoformat() == "2023-03-01"
    assert newest["period_end"].item().isoformat() == "2023-03-31"


def test_top_coded_wage_is_empty_with_its_footnote(shared_realdata: Path) -> None:
    content = (
        shared_realdata / "bls" / "quoted" / "oews_topcoded_OEUN000000000000029102313.json"
    ).read_bytes()
    catalog = {
        "OEUN000000000000029102313": bls.SeriesInfo(
            "Test occupation", "median_annual_wage", "usd_per_year"
        )
    }
    rows, warnings = bls.parse("oews_1", content, "u", catalog)
    assert rows["value"].to_list() == [None]
    assert rows["footnote_codes"].to_list() == [["5"]]
    assert rows["frequency"].to_list() == ["annual"]
    assert len(warnings) == 2 and "No Data Available" in warnings[0]


def test_unknown_series_gives_no_rows_and_a_warning(shared_realdata: Path) -> None:
    content = (
        shared_realdata
        / "bls"
        / "quoted"
        / "oews_series_does_not_exist_OEUN000000000000015113201.json"
    ).read_bytes()
    catalog = {"OEUN000000000000015113201": bls.SeriesInfo("Obsolete code", "employment", "count")}
    rows, warnings = bls.parse("oews_1", content, "u", catalog)
    assert rows.height == 0
    assert warnings == ["Series does not exist for Series OEUN000000000000015113201"]


def test_quota_refusal_is_an_error(shared_realdata: Path) -> None:
    content = (
        shared_realdata / "bls" / "quoted" / "request_not_processed_daily_threshold.json"
    ).read_bytes()
    with pytest.raises(SourceError, match=r"refused the request, not retrying: .*daily threshold"):
        bls.parse("oews_1", content, "u", bls.series_catalog({}))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b'{"status":"REQUEST_SUCCEEDED","Results":{"series":[{"seriesID":', "not JSON"),
        (b"<html><body>Access Denied</body></html>", "not JSON"),
        (
            b'{"status":"REQUEST_SUCCEEDED","message":[],"Results":{"series":[{"seriesID":"OEUN000000000000015125213","data":[{"year":"2024","period":"A01","value":"n/a","footnotes":[]}]}]}}',
            "value 'n/a' is not a number",
        ),
        (
            b'{"status":"REQUEST_SUCCEEDED","message":[],"Results":{"series":[{"seriesID":"LAUCN040010000000005","data":[]}]}}',
            "not asked for",
        ),
    ],
    ids=["truncated_json", "html_page", "non_numeric_value", "unexpected_series"],
)
def test_malformed_bls_answers_are_refused(content: bytes, match: str) -> None:
    with pytest.raises(SourceError, match=match):
        bls.parse("oews_1", content, "u", bls.series_catalog({}))


def test_requests_respect_the_api_limits() -> None:
    series = [f"S{i}" for i in range(60)]
    assert [len(b) for b in bls.batches(series, with_key=True)] == [50, 10]
    assert [len(b) for b in bls.batches(series, with_key=False)] == [25, 25, 10]
    assert bls.year_span(2026, None, with_key=True) == (2007, 2026)
    assert bls.year_span(2026, None, with_key=False) == (2017, 2026)
    assert bls.year_span(2026, 2025, with_key=False) == (2025, 2026)
    assert bls.request_body(["A"], 2025, 2026, None) == {
        "seriesid": ["A"],
        "startyear": "2025",
        "endyear": "2026",
    }


# --- BLS through the pipeline --------------------------------------------------------------


def test_oews_lands_in_core_observations_and_refreshes_incrementally(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success
    observations = _observations(workspace).filter(pl.col("source") == "bls")
    assert (
        observations.height == 7 * 3 * 2
    )  # occupations x datatypes x years in the synthetic answer
    median = observations.filter(
        pl.col("series_id") == "bls:" + bls.oews_series_id("151221", "13")
    ).sort("period_start")
    assert median["value"].to_list() == [53007.0, None]  # 2024 is top-coded: empty, footnote 5
    assert median["footnote_codes"].to_list()[-1] == ["5"]
    first_request = _bls_requests(httpserver)[0]
    assert len(first_request["seriesid"]) == 21 and "registrationkey" not in first_request
    assert (
        int(first_request["endyear"]) - int(first_request["startyear"]) == 9
    )  # 10 years without a key

    assert run_pipeline().success
    second_request = _bls_requests(httpserver)[-1]
    this_year = datetime.now(UTC).year
    assert second_request["startyear"] == str(this_year)  # only from the newest vintage's year
    manifest = pl.read_parquet(workspace.lake_root / RAW_BLS_PAYLOADS.relative_path)
    assert manifest.height == 1  # same answer: no new vintage
    assert manifest["complete"].to_list() == [False]


def test_quota_refusal_fails_the_run_without_retrying(
    workspace: Workspace, httpserver, monkeypatch, shared_realdata: Path
) -> None:
    refusal = (
        shared_realdata / "bls" / "quoted" / "request_not_processed_daily_threshold.json"
    ).read_bytes()
    serve_sources(
        httpserver,
        monkeypatch,
        bls_answer=lambda _request: Response(refusal, content_type="application/json"),
    )
    result = run_pipeline()
    assert not result.success
    assert "refused the request, not retrying" in failure_text(result)
    assert len(_bls_requests(httpserver)) == 1


# --- FRED ------------------------------------------------------------------------------------


def test_keyless_csv_lands_with_dots_as_empty_values(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline().success
    software = (
        _observations(workspace)
        .filter(pl.col("series_id") == "fred:IHLIDXUSTPSOFTDEVE")
        .sort("period_start")
    )
    expected = pl.read_csv(SYNTHETIC_FRED / "IHLIDXUSTPSOFTDEVE.csv", infer_schema=False)[
        "IHLIDXUSTPSOFTDEVE"
    ]
    assert software["value"].to_list() == [None if v == "." else float(v) for v in expected]
    assert software["value"].null_count() == 1


def test_changed_fred_columns_are_refused() -> None:
    with pytest.raises(SourceError, match="columns changed"):
        fred.parse_csv("ihlidxus", "IHLIDXUS", b"date,value\n2024-01-01,1\n", "u")


def _fred_json_handler(request) -> Response:
    series = request.args["series_id"]
    frame = pl.read_csv(SYNTHETIC_FRED / f"{series}.csv", infer_schema=False)
    start = request.args.get("observation_start", "0000")
    observations = [
        {"realtime_start": "2026-01-01", "realtime_end": "2026-01-01", "date": d, "value": v}
        for d, v in frame.iter_rows()
        if d >= start
    ]
    return Response(json.dumps({"observations": observations}), content_type="application/json")


def test_api_key_mode_is_incremental_and_keeps_secrets_out_of_everything(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    fred_key, bls_key = "fredsecret0123456789abcdef", "blssecret0123456789abcdef"
    monkeypatch.setenv("FRED_API_KEY", fred_key)
    monkeypatch.setenv("BLS_API_KEY", bls_key)
    httpserver.expect_request("/fred/series/observations").respond_with_handler(_fred_json_handler)
    serve_sources(httpserver, monkeypatch)

    with dg.instance_for_test() as instance:
        first = run_pipeline(instance=instance)
        second = run_pipeline(instance=instance)
        assert first.success and second.success
        fred_requests = [r for r, _ in httpserver.log if r.path == "/fred/series/observations"]
        assert fred_requests and all(r.args["api_key"] == fred_key for r in fred_requests)
        assert "observation_start" not in fred_requests[0].args
        assert fred_requests[-1].args["observation_start"] == datetime.now(UTC).date().isoformat()
        assert _bls_requests(httpserver)[0]["registrationkey"] == bls_key

        manifest = pl.read_parquet(workspace.lake_root / RAW_FRED_PAYLOADS.relative_path)
        assert all("api_key=REDACTED" in url for url in manifest["url"])

        logs = "\n".join(
            (entry.message or "")
            + repr(entry.dagster_event.event_specific_data if entry.dagster_event else "")
            for run in (first, second)
            for entry in instance.all_logs(run.run_id)
        )
        written = [p for p in workspace.lake_root.rglob("*") if p.is_file()]
        assert written
        from pipelines.definitions import build_definitions

        resource_config = repr({key: r for key, r in build_definitions().resources.items()})
        for secret in (fred_key, bls_key):
            assert secret not in logs
            assert secret not in resource_config  # config is shown in the UI
            for path in written:
                assert secret.encode() not in path.read_bytes(), path


def test_connectors_share_one_http_session() -> None:
    from pipelines.definitions import build_definitions

    defs = build_definitions()
    connectors = {key: defs.resources[key] for key in ("bls", "fred", "indeed_hiring_lab")}
    with dg.build_resources(connectors) as resources:
        sessions = {id(getattr(resources, key).http.session()) for key in connectors}
    assert len(sessions) == 1
