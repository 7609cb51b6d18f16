"""BLS and FRED over HTTP against a local server: recorded and synthetic payloads, the BLS API's
refusals and messages, FRED's two modes, incremental refreshes, and secrets kept out of
everything the pipeline writes."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from werkzeug import Response

from assets import settings
from labor_lake.sources import bls, fred
from labor_lake.sources.catalog import SeriesSpec, load_catalog
from labor_lake.sources.http import SourceError
from schemas.tables import CORE_OBSERVATIONS, RAW_BLS_PAYLOADS, RAW_FRED_PAYLOADS

from .conftest import (
    SOURCES_TO_OBSERVATIONS,
    SYNTHETIC,
    SYNTHETIC_FRED,
    Workspace,
    failure_text,
    recorded_snapshot,
    run_pipeline,
    serve_sources,
)
from .replay import BLS_API_PATH as BLS_PATH
from .replay import Replay

SYNTHETIC_BLS = SYNTHETIC / "bls"
CATALOG = load_catalog(settings.catalog_path())
OEWS = CATALOG.get("bls_oews_api")
CPS = CATALOG.get("bls_cps_unemployment")
SOFTWARE_FRED = CATALOG.get("fred_ihlidxustpsoftdeve")


def _with_series(dataset, *series: SeriesSpec):
    from dataclasses import replace

    return replace(dataset, series=series)


def _observations(workspace: Workspace) -> pl.DataFrame:
    return pl.read_parquet(workspace.lake_root / CORE_OBSERVATIONS.relative_path)


def _bls_requests(httpserver) -> list[dict]:
    return [json.loads(request.data) for request, _ in httpserver.log if request.path == BLS_PATH]


# --- BLS: parsing the API's answers -------------------------------------------------------


def test_recorded_cps_answer_parses_to_monthly_rates() -> None:
    content = recorded_snapshot("bls_cps_unemployment")
    parsed = bls.parse(CPS, content, "u")
    rows = parsed.observations
    assert rows.height == 27 and parsed.warnings == ()
    assert set(rows["frequency"]) == {"monthly"} and set(rows["unit"]) == {"percent"}
    newest = rows.sort("period_start")[-1]
    assert newest["period_start"].item().isoformat() == "2023-03-01"
    assert newest["period_end"].item().isoformat() == "2023-03-31"


def test_top_coded_wage_is_empty_with_its_footnote_in_may(recorded_copies: Path) -> None:
    content = (
        recorded_copies / "bls" / "quoted" / "oews_topcoded_OEUN000000000000029102313.json"
    ).read_bytes()
    spec = SeriesSpec(
        "OEUN000000000000029102313", "Test occupation", "median_annual_wage", "usd_per_year"
    )
    parsed = bls.parse(_with_series(OEWS, spec), content, "u")
    rows = parsed.observations
    assert rows["value"].to_list() == [None]
    assert rows["footnote_codes"].to_list() == [["5"]]
    assert rows["frequency"].to_list() == ["annual"]
    # OEWS estimates refer to May of the year, and name their release.
    assert rows["period_start"][0].isoformat() == "2018-05-01"
    assert rows["period_end"][0].isoformat() == "2018-05-31"
    assert rows["release"].to_list() == ["OEWS May 2018 estimates"]
    # "No Data Available ... Year: 2016" only says a year is empty: not a warning.
    assert parsed.warnings == ()


def test_unknown_series_is_a_source_error(recorded_copies: Path) -> None:
    # The real answer for an obsolete SOC code (snapshots/copies, with its provenance).
    content = (
        recorded_copies
        / "bls"
        / "quoted"
        / "oews_series_does_not_exist_OEUN000000000000015113201.json"
    ).read_bytes()
    spec = SeriesSpec("OEUN000000000000015113201", "Obsolete code", "employment", "count")
    with pytest.raises(SourceError) as error:
        bls.parse(_with_series(OEWS, spec), content, "u")
    assert str(error.value) == (
        "bls_oews_api (u): BLS answered 'Series does not exist for Series "
        "OEUN000000000000015113201' with no data; check the series id in the catalog"
    )


def test_quota_refusal_is_an_error(recorded_copies: Path) -> None:
    content = (
        recorded_copies / "bls" / "quoted" / "request_not_processed_daily_threshold.json"
    ).read_bytes()
    with pytest.raises(SourceError, match=r"refused the request, not retrying: .*daily threshold"):
        bls.parse(OEWS, content, "u")


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
        (b'{"status":"REQUEST_SUCCEEDED","message":[],"Results":{}}', "field 'series' is missing"),
        (
            b'{"status":"REQUEST_SUCCEEDED","message":[],"Results":{"series":[{"seriesID":"OEUN000000000000015125213","data":[{"period":"A01","value":"1"}]}]}}',
            "field 'year' is missing",
        ),
    ],
    ids=[
        "truncated_json",
        "html_page",
        "non_numeric_value",
        "unexpected_series",
        "no_series",
        "no_year",
    ],
)
def test_malformed_bls_answers_are_refused(content: bytes, match: str) -> None:
    with pytest.raises(SourceError, match=match):
        bls.parse(OEWS, content, "u")


def test_requests_respect_the_api_limits(monkeypatch) -> None:
    from datetime import date

    specs = tuple(SeriesSpec(f"S{i}", "s", "employment", "count") for i in range(60))
    dataset = _with_series(OEWS, *specs)
    held = CORE_OBSERVATIONS.empty_frame()
    without_key = bls.BlsApiConnector(lambda _name: None).plan(dataset, held, date(2026, 3, 1))
    with_key = bls.BlsApiConnector(lambda _name: "k").plan(dataset, held, date(2026, 3, 1))
    assert [len(r.body["seriesid"]) for r in with_key] == [50, 10]
    assert [len(r.body["seriesid"]) for r in without_key] == [25, 25, 10]
    assert (with_key[0].body["startyear"], with_key[0].body["endyear"]) == ("2007", "2026")
    assert (without_key[0].body["startyear"], without_key[0].body["endyear"]) == ("2017", "2026")
    assert bls.year_span(2026, 2024, with_key=False) == (2024, 2026)


# --- BLS through the pipeline --------------------------------------------------------------


def test_oews_lands_in_may_and_refreshes_from_the_last_year_of_data_held(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    # Only the API answers (synthetic); the OEWS files fall back to their recorded snapshots,
    # dated before this fetch, so the API's newer vintage holds the overlapping series.
    files = tuple(d.id for d in CATALOG.datasets if d.format == "oews")
    replay = Replay(httpserver).serve_recorded(except_datasets=files).serve_synthetic()
    replay.point(monkeypatch, mode="auto")
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
    observations = _observations(workspace).filter(pl.col("dataset") == "bls_oews_api")
    assert observations.height == 7 * 3 * 2  # occupations x datatypes x years (synthetic)
    median = observations.filter(pl.col("series_id") == "bls:OEUN000000000000015122113").sort(
        "period_start"
    )
    assert median["value"].to_list() == [53007.0, None]  # 2024 is top-coded: empty, footnote 5
    assert median["footnote_codes"].to_list()[-1] == ["5"]
    assert median["period_start"][-1].isoformat() == "2024-05-01"
    first_request = _bls_requests(httpserver)[0]
    assert len(first_request["seriesid"]) == 21 and "registrationkey" not in first_request
    assert int(first_request["endyear"]) - int(first_request["startyear"]) == 9  # 10 years, no key

    # The same estimates in a new envelope (another responseTime): not a new vintage.
    synthetic = json.loads((SYNTHETIC_BLS / "oews_synthetic.json").read_text())
    synthetic["responseTime"] = 1234
    replay.serve_bls(
        tuple(s.id for s in OEWS.series),
        lambda: Response(json.dumps(synthetic), content_type="application/json"),
    )
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
    second_request = [r for r in _bls_requests(httpserver) if len(r["seriesid"]) == 21][-1]
    assert second_request["startyear"] == "2024"  # the last year of data held, not of the fetch
    manifest = pl.read_parquet(workspace.lake_root / RAW_BLS_PAYLOADS.relative_path)
    assert manifest.filter(pl.col("dataset") == "bls_oews_api").height == 1


def test_quota_refusal_fails_live_runs_without_retrying(
    workspace: Workspace, httpserver, monkeypatch, recorded_copies: Path
) -> None:
    refusal = (
        recorded_copies / "bls" / "quoted" / "request_not_processed_daily_threshold.json"
    ).read_bytes()
    replay = Replay(httpserver).serve_recorded().serve_synthetic().point(monkeypatch)
    replay.serve_bls(
        tuple(s.id for s in OEWS.series),
        lambda: Response(refusal, content_type="application/json"),
    )
    result = run_pipeline(SOURCES_TO_OBSERVATIONS)
    assert not result.success
    assert "refused the request, not retrying" in failure_text(result)
    assert len([r for r in _bls_requests(httpserver) if len(r["seriesid"]) == 21]) == 1


# --- FRED ------------------------------------------------------------------------------------


def test_keyless_csv_lands_with_dots_as_empty_values(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    serve_sources(httpserver, monkeypatch)
    assert run_pipeline(SOURCES_TO_OBSERVATIONS).success
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
        fred.parse_csv(SOFTWARE_FRED, b"date,value\n2024-01-01,1\n", "u")


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
    import datetime as dt

    last_day = max(
        pl.read_csv(path, infer_schema=False)[:, 0].max() for path in SYNTHETIC_FRED.glob("*.csv")
    )
    assert dt.date.fromisoformat(last_day)

    with dg.instance_for_test() as instance:
        first = run_pipeline(instance=instance)
        second = run_pipeline(instance=instance)
        assert first.success and second.success
        fred_requests = [r for r, _ in httpserver.log if r.path == "/fred/series/observations"]
        assert fred_requests and all(r.args["api_key"] == fred_key for r in fred_requests)
        assert "observation_start" not in fred_requests[0].args
        # Incremental from the last day of data held, not from the day of the fetch.
        assert fred_requests[-1].args["observation_start"] == last_day
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
    from assets.resources import HttpClient

    assert HttpClient().session() is HttpClient().session()
