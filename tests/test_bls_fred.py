"""BLS and FRED over HTTP against a local server: recorded and synthetic payloads, the BLS API's
refusals and messages, FRED's two modes, incremental refreshes, and secrets kept out of
everything the pipeline writes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from werkzeug import Response

from assets import settings
from labor_lake.checks.official import vintage_label
from labor_lake.lake import bitemporal
from labor_lake.lake.reader import read_table
from labor_lake.sources import bls, fred
from labor_lake.sources.catalog import SeriesSpec, load_catalog
from labor_lake.sources.http import SourceError
from schemas.tables import (
    CORE_OBSERVATION_VINTAGES,
    CORE_OBSERVATIONS,
    RAW_BLS_PAYLOADS,
    RAW_FRED_PAYLOADS,
)
from schemas.vocabulary import ALFRED

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
VINTAGES = "+core/observation_vintages,core/vintages"


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


# No real FRED answer is recorded (no key here): the ALFRED answers served below are SYNTHETIC
# (tests/data/fred/alfred/), in the shape FRED documents for fred/series/observations with
# realtime_start=1776-07-04&realtime_end=9999-12-31. Their current values are those of the
# synthetic keyless CSVs; three vintages (2024-01-05, 2024-01-08, 2024-01-11) revise 01-01 to
# 01-03 and 01-05.
ALFRED_IHLIDXUS = SYNTHETIC_FRED / "alfred" / "IHLIDXUS.json"
US = CATALOG.get("fred_ihlidxus")


def _values(frame: pl.DataFrame, series_id: str) -> dict[str, float | None]:
    own = frame.filter(pl.col("series_id") == series_id).sort("period_start")
    return {f"{d:%m-%d}": v for d, v in zip(own["period_start"], own["value"], strict=True)}


def _csv_values(series: str) -> dict[str, float | None]:
    frame = pl.read_csv(SYNTHETIC_FRED / f"{series}.csv", infer_schema=False)
    return {d[5:]: None if v == "." else float(v) for d, v in frame.iter_rows()}


def test_an_alfred_answer_gives_todays_values_and_every_span() -> None:
    content = ALFRED_IHLIDXUS.read_bytes()
    parsed = fred.FredConnector(lambda _: "key").parse(US, content, "u", "json")
    assert _values(parsed.observations, "fred:IHLIDXUS") == _csv_values("IHLIDXUS")
    spans = parsed.spans
    assert spans is not None and spans.height == 14
    first = spans.filter(pl.col("period_start") == pl.date(2024, 1, 1)).sort("realtime_start")
    assert first["value"].to_list() == [89.0, 90.0]
    assert first["realtime_start"].to_list() == [date(2024, 1, 5), date(2024, 1, 8)]
    assert first["realtime_end"].to_list() == [date(2024, 1, 7), None]  # 9999-12-31: current
    # An answer of today's values only (no real-time range) records no vintages.
    today_only = json.dumps(
        {"realtime_start": "2026-12-06", "realtime_end": "2026-12-06",
         "observations": [{"realtime_start": "2026-12-06", "realtime_end": "2026-12-06",
                           "date": "2024-01-01", "value": "90.00"}]}
    ).encode()  # fmt: skip
    assert fred.parse_alfred(US, today_only, "u") is None


def _alfred(observations: list[dict], **fields) -> bytes:
    answer = {"realtime_start": fred.EARLIEST, "realtime_end": fred.LATEST}
    return json.dumps({**answer, **fields, "observations": observations}).encode()


def _span(day: str, value: str, start: str, end: str = fred.LATEST) -> dict:
    return {"realtime_start": start, "realtime_end": end, "date": day, "value": value}


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (
            _alfred([_span("2024-01-01", "1", "2024-01-05")], count=3, offset=0),
            r"holds observations 1 to 1 of 3: FRED paged it",
        ),
        (
            _alfred(
                [
                    _span("2024-01-01", "1", "2024-01-05", "2024-01-09"),
                    _span("2024-01-01", "2", "2024-01-08"),
                ]
            ),
            r"date 2024-01-01: two values are in force on 2024-01-08",
        ),
        (
            _alfred(
                [_span("2024-01-01", "1", "2024-01-05"), _span("2024-01-01", "2", "2024-01-08")]
            ),
            r"date 2024-01-01: two values are in force on 2024-01-08",
        ),
        (
            _alfred([_span("2024-01-01", "1", "2024-01-05", "2024-01-04")]),
            r"date 2024-01-01: realtime_end 2024-01-04 is before realtime_start 2024-01-05",
        ),
        (
            _alfred([{"date": "2024-01-01", "value": "1", "realtime_start": "2024-01-05"}]),
            r"lacks realtime_start or realtime_end",
        ),
        (
            _alfred([_span("2024-01-01", "1", "5 Jan 2024")]),
            r"IHLIDXUS: realtime_start values are not YYYY-MM-DD",
        ),
    ],
)
def test_a_damaged_alfred_answer_is_one_line(content: bytes, match: str) -> None:
    with pytest.raises(SourceError, match=match) as raised:
        fred.FredConnector(lambda _: "key").parse(US, content, "u", "json")
    assert "\n" not in str(raised.value) and str(raised.value).startswith("fred_ihlidxus (u)")


def test_alfred_spans_fold_into_the_days_each_vintage_was_in_force(tmp_path: Path) -> None:
    parsed = fred.FredConnector(lambda _: "key").parse(
        US, ALFRED_IHLIDXUS.read_bytes(), "u", "json"
    )
    assert parsed.spans is not None
    rows = bitemporal.from_alfred(parsed.spans, "ab" * 32, ALFRED)
    rows.write_parquet(tmp_path / "v.parquet")
    assert pl.read_parquet(tmp_path / "v.parquet").schema == CORE_OBSERVATION_VINTAGES.polars_schema
    csv = _csv_values("IHLIDXUS")
    # Before FRED first published the series: nothing.
    assert bitemporal.observations_as_of(rows, date(2024, 1, 4)).height == 0
    # ALFRED's realtime_end is inclusive: 2024-01-07 is the first vintage's last day.
    for day in (date(2024, 1, 5), date(2024, 1, 7)):
        first = bitemporal.observations_as_of(rows, day)
        assert _values(first, "fred:IHLIDXUS") == {
            "01-01": 89.0, "01-02": 89.5, "01-03": 90.0, "01-04": None
        }  # fmt: skip
        assert set(first["vintage_id"]) == {"fred:IHLIDXUS@2024-01-05"}
    second = bitemporal.observations_as_of(rows, date(2024, 1, 8))
    assert _values(second, "fred:IHLIDXUS") == {
        **{k: v for k, v in csv.items() if k <= "01-07"}, "01-05": 91.5
    }  # fmt: skip
    assert set(second["vintage_id"]) == {"fred:IHLIDXUS@2024-01-08"}
    now = bitemporal.observations_as_of(rows, date(2026, 12, 6))
    assert _values(now, "fred:IHLIDXUS") == csv
    assert set(now["vintage_origin"]) == {ALFRED}
    assert now["vintage_fetched_at"][0] == datetime(2024, 1, 11, tzinfo=UTC)
    # How the ledger names the vintage a figure was checked against.
    assert vintage_label(now.row(0, named=True)) == "FRED's vintage of 2024-01-11 (ALFRED)"
    # value_since: when FRED first published the value in force (2024-01-04's empty value: V1).
    assert now.filter(pl.col("period_start") == date(2024, 1, 4))["value_since"][0] == datetime(
        2024, 1, 5, tzinfo=UTC
    )


def _fred_requests(httpserver) -> list:
    return [r for r, _ in httpserver.log if r.path == "/fred/series/observations"]


def test_with_a_key_every_vintage_is_asked_for_and_kept_and_secrets_stay_out(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    fred_key, bls_key = "fredsecret0123456789abcdef", "blssecret0123456789abcdef"
    monkeypatch.setenv("FRED_API_KEY", fred_key)
    monkeypatch.setenv("BLS_API_KEY", bls_key)
    serve_sources(httpserver, monkeypatch).serve_alfred(fred_key)

    with dg.instance_for_test() as instance:
        first = run_pipeline(instance=instance)
        second = run_pipeline(instance=instance)
        assert first.success and second.success
        fred_requests = _fred_requests(httpserver)
        assert len(fred_requests) == 2 * len(CATALOG.by_source("fred"))
        for request in fred_requests:
            assert request.args["api_key"] == fred_key
            assert request.args["realtime_start"] == "1776-07-04"
            assert request.args["realtime_end"] == "9999-12-31"
            # The whole record every time: a revision can touch any past day.
            assert "observation_start" not in request.args
        assert _bls_requests(httpserver)[0]["registrationkey"] == bls_key

        manifest = pl.read_parquet(workspace.lake_root / RAW_FRED_PAYLOADS.relative_path)
        assert all("api_key=REDACTED" in url for url in manifest["url"])
        assert manifest.height == len(CATALOG.by_source("fred"))  # the second run: unchanged
        assert _values(_observations(workspace), "fred:IHLIDXUS") == _csv_values("IHLIDXUS")

        root = str(workspace.lake_root)
        early = read_table("core/observations", as_of="2024-01-06", root=root)
        assert _values(early, "fred:IHLIDXUS") == {
            "01-01": 89.0, "01-02": 89.5, "01-03": 90.0, "01-04": None
        }  # fmt: skip
        assert set(early.filter(pl.col("dataset") == US.id)["vintage_id"]) == {
            "fred:IHLIDXUS@2024-01-05"
        }
        now = read_table("core/observations", as_of=date.today(), root=root)
        assert _values(now, "fred:IHLIDXUS") == _csv_values("IHLIDXUS")
        vintages = read_table("core/vintages", root=root).filter(pl.col("dataset") == US.id)
        assert vintages["status"].to_list() == ["folded"]

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


def test_without_a_key_each_fetch_is_one_vintage_and_a_key_later_brings_fred_s_record(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    replay = serve_sources(httpserver, monkeypatch)
    assert run_pipeline(VINTAGES).success
    root = str(workspace.lake_root)
    rows = read_table("core/observation_vintages", root=root).filter(pl.col("dataset") == US.id)
    # Keyless: the CSV of today's values, one vintage of the lake's own, dated by the fetch.
    assert set(rows["vintage_origin"]) == {"fetched"}
    (payload_id,) = set(rows["vintage_id"])
    assert payload_id.startswith(f"{US.id}/")
    assert (
        read_table("core/observations", as_of="2024-01-06", root=root)
        .filter(pl.col("dataset") == US.id)
        .is_empty()
    )

    # The same current values, now with their history: stored although nothing current changed.
    key = "fredsecret0123456789abcdef"
    monkeypatch.setenv("FRED_API_KEY", key)
    replay.serve_alfred(key)
    assert run_pipeline(VINTAGES).success
    manifest = pl.read_parquet(workspace.lake_root / RAW_FRED_PAYLOADS.relative_path)
    assert manifest.filter(pl.col("dataset") == US.id).height == 2
    rows = read_table("core/observation_vintages", root=root).filter(pl.col("dataset") == US.id)
    assert set(rows["vintage_origin"]) == {ALFRED}
    assert set(rows["vintage_id"]) == {f"fred:IHLIDXUS@2024-01-{d}" for d in ("05", "08", "11")}
    early = read_table("core/observations", as_of="2024-01-09", root=root)
    assert _values(early, "fred:IHLIDXUS")["01-05"] == 91.5
    vintages = read_table("core/vintages", root=root).filter(pl.col("dataset") == US.id)
    assert vintages["status"].to_list() == ["folded", "folded"]


def test_connectors_share_one_http_session() -> None:
    from assets.resources import HttpClient

    assert HttpClient().session() is HttpClient().session()


FRED_KEY = "fredsecret0123456789abcdef"


def _serve_pages(httpserver, monkeypatch, offsets: list[int], limit: int = 5) -> None:
    """The synthetic ALFRED answer for IHLIDXUS in pages of 5 as FRED pages a record longer than
    `limit` (synthetic): the first at the query the connector sends, each later one at that query
    with `limit=100000&offset=N`, saying it starts at the given offset and holds at most
    `limit`; then every other source as usual."""
    monkeypatch.setenv("FRED_API_KEY", FRED_KEY)
    query = {
        "series_id": "IHLIDXUS",
        "file_type": "json",
        "realtime_start": fred.EARLIEST,
        "realtime_end": fred.LATEST,
        "api_key": FRED_KEY,
    }
    answer = json.loads(ALFRED_IHLIDXUS.read_bytes())
    observations = answer["observations"]
    for page, said_offset in enumerate(offsets):
        asked = {**query, "limit": str(fred.PAGE_LIMIT), "offset": str(page * 5)} if page else query
        body = {**answer, "limit": limit, "offset": said_offset,
                "observations": observations[page * 5 : (page + 1) * 5]}  # fmt: skip
        httpserver.expect_request(
            "/fred/series/observations", query_string=asked
        ).respond_with_json(body)
    serve_sources(httpserver, monkeypatch).serve_alfred(FRED_KEY)


def test_a_paged_alfred_answer_is_asked_page_by_page_and_folds_as_the_whole_record(
    workspace: Workspace, httpserver, monkeypatch
) -> None:
    _serve_pages(httpserver, monkeypatch, offsets=[0, 5, 10])
    assert run_pipeline(VINTAGES).success
    asked = [r for r in _fred_requests(httpserver) if r.args["series_id"] == "IHLIDXUS"]
    assert [r.args.get("offset") for r in asked] == [None, "5", "10"]
    # One payload, the record whole, as FRED would answer it unpaged; its spans as the unpaged
    # answer's (the days each value was in force).
    manifest = pl.read_parquet(workspace.lake_root / RAW_FRED_PAYLOADS.relative_path)
    assert manifest.filter(pl.col("dataset") == US.id).height == 1
    assert "offset" not in manifest.filter(pl.col("dataset") == US.id)["url"][0]
    root = str(workspace.lake_root)
    early = read_table("core/observations", as_of="2024-01-06", root=root)
    assert _values(early, "fred:IHLIDXUS") == {
        "01-01": 89.0, "01-02": 89.5, "01-03": 90.0, "01-04": None
    }  # fmt: skip
    now = read_table("core/observations", as_of=date.today(), root=root)
    assert _values(now, "fred:IHLIDXUS") == _csv_values("IHLIDXUS")


@pytest.mark.parametrize(
    ("offsets", "limit", "words"),
    [
        # A page that says it starts elsewhere than asked (the record moved between pages), and
        # a server that ignores `offset` and answers the first page again: refused at once.
        ([0, 7, 10], 5, "a page from offset 7 where offset 5 was asked for"),
        ([0, 0, 0], 5, "a page from offset 0 where offset 5 was asked for"),
        # A short page before the end: asking on would go on without end.
        ([0, 5, 10], 100000, "a page of 5 observations where 100000 were due"),
    ],
)
def test_pages_that_do_not_follow_fail_a_live_run_in_one_line_without_the_key(
    workspace: Workspace, httpserver, monkeypatch, offsets, limit, words
) -> None:
    _serve_pages(httpserver, monkeypatch, offsets, limit)
    result = run_pipeline(VINTAGES)
    assert not result.success
    text = failure_text(result)
    assert "fred_ihlidxus" in text and words in text
    assert "api_key=REDACTED" in text and FRED_KEY not in text
    assert not (workspace.lake_root / RAW_FRED_PAYLOADS.relative_path).exists()
    assert len([r for r in _fred_requests(httpserver) if r.args["series_id"] == "IHLIDXUS"]) <= 2
