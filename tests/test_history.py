"""Every published vintage (issue 20): the recorded history of the publishers' files, the
bitemporal table, the series as of a day, and the history fetched through GitHub.

The recorded history (snapshots/history/) was folded from the real git history of
hiring-lab/ai-tracker and hiring-lab/job_postings_tracker. GitHub's commits listing is served
by the replay in the documented shape, with field values taken from that git history (commit
sha and committer date, from snapshots/history/manifest.csv), not from a recorded API answer;
the raw files served are real versions' bytes (the recorded snapshots).
"""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from pytest_httpserver import HTTPServer

from assets import settings
from labor_lake.lake import bitemporal
from labor_lake.lake.duckdb_views import views_sql
from labor_lake.lake.reader import read_table
from labor_lake.sources import github, history
from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.http import build_session
from labor_lake.sources.snapshots import load_manifest
from schemas.tables import CORE_OBSERVATION_VINTAGES, CORE_OBSERVATIONS, RAW_INDEED_PAYLOADS
from tests.replay import Replay

SNAPSHOTS = Path(settings.SNAPSHOT_MANIFEST).parent
CATALOG = load_catalog(settings.catalog_path())
WITH_HISTORY = [d for d in CATALOG.datasets if d.history]


@pytest.fixture(scope="module")
def recorded() -> tuple[pl.DataFrame, pl.DataFrame]:
    return history.read_recorded(SNAPSHOTS, [d.id for d in WITH_HISTORY])


def _value(frame: pl.DataFrame, series: str, day: date) -> float:
    row = frame.filter(pl.col("series_id") == series, pl.col("period_start") == day)
    assert row.height == 1, (series, day, row)
    return row["value"][0]


def test_the_recorded_history_holds_every_version_and_rebuilds_the_recorded_files(recorded):
    rows, manifest = recorded
    counts = dict(manifest.group_by("dataset").len().iter_rows())
    # Every commit of each path (GitHub's listing, git log <branch> -- <path>), dated by its commit.
    assert counts == {
        "indeed_ai_share": 23,
        "indeed_genai_share": 12,
        "indeed_aggregate_postings_us": 290,
        "indeed_postings_by_sector_us": 258,
    }
    folded = manifest.filter(pl.col("status") == "folded")
    assert folded["sha256"].null_count() == 0 and folded["blob"].null_count() == 0
    assert set(rows["vintage_id"]) <= set(folded["vintage_id"])
    # Each recorded real file (snapshots/) is one of the versions: the table as of that commit's
    # date gives exactly its observations back.
    for snapshot in load_manifest(settings.SNAPSHOT_MANIFEST):
        dataset = CATALOG.get(snapshot.dataset)
        if dataset is None or dataset.history is None:
            continue
        commit = snapshot.origin.split("@")[1].split(":")[0]
        own = manifest.filter(pl.col("dataset") == dataset.id)
        version = own.filter(pl.col("vintage_id") == commit)
        if not version.height:  # a merge commit (8049a926) landing the blob of a listed one
            version = own.filter(pl.col("sha256") == snapshot.sha256).tail(1)
            commit = version["vintage_id"][0]
        assert version["sha256"][0] == snapshot.sha256
        want = history.read_version(dataset, snapshot.read(), commit).sort(
            "series_id", "period_start"
        )
        day = version["vintage_at"][0].date()
        got = bitemporal.observations_as_of(rows.filter(pl.col("dataset") == dataset.id), day)
        assert got.select(want.columns).equals(want), dataset.id


def test_read_table_as_of_gives_each_days_vintage(recorded, tmp_path):
    rows, _ = recorded
    (tmp_path / "core").mkdir()
    rows.write_parquet(tmp_path / CORE_OBSERVATION_VINTAGES.relative_path)
    before = read_table("core/observations", as_of="2026-04-01", root=str(tmp_path))
    now = read_table("core/observations", as_of=date.today(), root=str(tmp_path))
    assert before.columns == [*CORE_OBSERVATIONS.polars_schema.names(), "vintage_id", "value_since"]
    # The US AI share on 2025-09-30, as published in March 2026 and as re-estimated in July 2026.
    assert round(_value(before, "indeed:ai_share:US", date(2025, 9, 30)), 2) == 3.62
    assert round(_value(now, "indeed:ai_share:US", date(2025, 9, 30)), 2) == 3.68
    ai_before = before.filter(pl.col("dataset") == "indeed_ai_share")
    assert set(ai_before["vintage_id"]) == {"b1bf146683980a802db2dbcc16bea6dd38d03621"}
    assert ai_before["vintage_fetched_at"][0] == datetime(2026, 3, 10, 19, 58, 48, tzinfo=UTC)
    # Older headers read in today's meaning: until 2022-05-04 one column, the seasonally adjusted
    # percent change since 2020-02-01 (54.57 for 2022-04-20), then SA and NSA percent changes
    # (54.56), each plus 100 to give the index.
    sa = "indeed:aggregate:total postings:SA"
    may = read_table("core/observations", as_of="2022-05-10", root=str(tmp_path))
    june = read_table("core/observations", as_of="2022-06-01", root=str(tmp_path))
    assert _value(may, sa, date(2022, 4, 20)) == 154.57
    assert _value(june, sa, date(2022, 4, 20)) == 154.56
    assert _value(june, "indeed:aggregate:total postings:NSA", date(2022, 4, 20)) == 165.33
    assert may.filter(pl.col("series_id").str.ends_with(":NSA")).height == 0
    # Before the file existed, a dataset has no rows (the AI tracker's first commit: 2024-10-15).
    early = read_table("core/observations", as_of="2024-10-01", root=str(tmp_path))
    assert "indeed_ai_share" not in set(early["dataset"])
    # The GenAI file, removed from the repository in 2025-08, stays readable as of today.
    assert now.filter(pl.col("dataset") == "indeed_genai_share").height > 0
    # The DuckDB macro gives the same rows.
    (tmp_path / "views.sql").write_text(views_sql([CORE_OBSERVATION_VINTAGES]))
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{tmp_path}'")
    con.execute((tmp_path / "views.sql").read_text())
    macro = con.execute(
        "SELECT value FROM observations_as_of('2026-04-01') WHERE series_id = "
        "'indeed:ai_share:US' AND period_start = DATE '2025-09-30'"
    ).fetchall()
    assert macro == [(_value(before, "indeed:ai_share:US", date(2025, 9, 30)),)]
    count = con.execute("SELECT count(*) FROM observations_as_of('2026-04-01')").fetchone()
    assert count == (before.height,)


def test_a_version_that_does_not_parse_names_its_commit():
    dataset = CATALOG.get("indeed_aggregate_postings_us")
    with pytest.raises(history.HistoryError) as caught:
        history.read_version(
            dataset, b"date,jobcountry,index,variable\n2024-01-01,US,1,x\n", "ab" * 20
        )
    message = str(caught.value)
    assert "\n" not in message and "abababababab" in message and "header" in message
    with pytest.raises(
        history.HistoryError, match=r"line 3, column 'indeed_job_postings_index_SA'"
    ):
        history.read_version(
            dataset,
            b"date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n"
            b"2024-01-01,US,1,2,total postings\n2024-01-02,US,n/a,2,total postings\n",
            "cd" * 20,
        )


# --- GitHub: the listing and the raw files, at the real addresses ---------------------------


def _github(replay: Replay):
    overrides = {
        "LABOR_LAKE_GITHUB_API_URL": replay.base_url,
        "LABOR_LAKE_INDEED_URL": replay.base_url,
    }
    session = build_session(retries=0)

    def versions(dataset):
        return github.versions_from_github(
            dataset, session, lambda url: CATALOG.address(dataset, overrides, url), None
        )

    return versions


def test_the_history_is_fetched_incrementally_from_github(recorded, httpserver: HTTPServer):
    rows, manifest = recorded
    replay = Replay(httpserver, CATALOG)
    aggregate = "indeed_aggregate_postings_us"
    # The lake holds every version but the newest one of the aggregate file.
    commit, sha256, (held_rows, held) = _held_without_newest(rows, manifest, aggregate)
    snapshot = next(s for s in replay.snapshots if s.dataset == aggregate)
    assert snapshot.sha256 == sha256
    replay.serve_history()
    replay.serve_url(CATALOG.get(aggregate).history.raw_url(commit), snapshot.read())
    result = history.refresh_vintages(
        CATALOG,
        SNAPSHOTS,
        (held_rows, held),
        RAW_INDEED_PAYLOADS.empty_frame(),
        lambda *_: None,
        _github(replay),
    )
    assert result.errors == ()
    raw = [r for r in replay.server.log if r[0].path.startswith("/hiring-lab/")]
    assert [r[0].path for r in raw] == [
        f"/hiring-lab/job_postings_tracker/{commit}/US/aggregate_job_postings_US.csv"
    ]
    pages = replay.requests_to("/repos/hiring-lab/job_postings_tracker/commits")
    assert len(pages) == 3 + 3  # 290 and 258 commits: three pages of 100 each
    key = ["series_id", "period_start", "realtime_start"]
    got = result.rows.filter(pl.col("dataset") == aggregate).sort(key)
    assert got.equals(rows.filter(pl.col("dataset") == aggregate).sort(key))
    assert result.manifest.height == manifest.height


def _held_without_newest(
    rows: pl.DataFrame, manifest: pl.DataFrame, dataset: str
) -> tuple[str, str, tuple[pl.DataFrame, pl.DataFrame]]:
    """The newest version of `dataset` (its commit and sha256), and the two tables as a lake
    would hold them before it: a rebuild without it."""
    newest = manifest.filter(pl.col("dataset") == dataset).sort("vintage_at").tail(1)
    commit, at = newest["vintage_id"][0], newest["vintage_at"][0]
    own = rows.filter(pl.col("dataset") == dataset)
    before = own.filter(pl.col("realtime_start") < at).with_columns(
        realtime_end=pl.when(pl.col("realtime_end") == at)
        .then(None)
        .otherwise(pl.col("realtime_end"))
    )
    held_rows = pl.concat([rows.filter(pl.col("dataset") != dataset), before])
    held = manifest.filter(~((pl.col("dataset") == dataset) & (pl.col("vintage_id") == commit)))
    return commit, newest["sha256"][0], (held_rows, held)


@pytest.mark.parametrize("damage", ["raw_500", "garbage", "api_page_500"])
def test_damaged_history_is_one_line_naming_the_commit_and_loses_nothing(
    recorded, httpserver: HTTPServer, damage: str
):
    rows, manifest = recorded
    replay = Replay(httpserver, CATALOG)
    aggregate = "indeed_aggregate_postings_us"
    commit, _, (held_rows, held) = _held_without_newest(rows, manifest, aggregate)
    replay.serve_history(fail_page={aggregate: 2} if damage == "api_page_500" else None)
    url = CATALOG.get(aggregate).history.raw_url(commit)
    if damage == "raw_500":
        replay.serve_url(url, "upstream error", status=500)
    else:
        replay.serve_url(url, b"<html>rate limited</html>\n")
    result = history.refresh_vintages(
        CATALOG,
        SNAPSHOTS,
        (held_rows, held),
        RAW_INDEED_PAYLOADS.empty_frame(),
        lambda *_: None,
        _github(replay),
    )
    (line,) = result.errors
    assert "\n" not in line
    if damage == "api_page_500":
        assert "page 2" in line and "HTTP 500" in line
    else:
        assert commit[:12] in line
        mine = (pl.col("dataset") == aggregate) & (pl.col("vintage_id") == commit)
        status = result.manifest.filter(mine)["status"][0]
        assert status == ("missing" if damage == "raw_500" else "damaged")
    # Nothing held is lost: every held row is still there, unchanged.
    key = ["series_id", "period_start", "realtime_start"]
    assert result.rows.sort(key).equals(held_rows.sort(key))


def _synthetic_version(values: dict[tuple[str, date], float | None], note: str | None = None):
    """SYNTHETIC observations (invented values, not a publisher's): one version of a file."""
    frame = pl.DataFrame(
        {
            "series_id": [s for s, _ in values],
            "period_start": [d for _, d in values],
            "value": list(values.values()),
        },
        schema={"series_id": pl.String, "period_start": pl.Date, "value": pl.Float64},
    )
    return frame.with_columns(
        source=pl.lit("synthetic"),
        dataset=pl.lit("synthetic"),
        subject=pl.col("series_id"),
        measure=pl.lit("index"),
        geography=pl.lit("US"),
        frequency=pl.lit("daily"),
        period_end="period_start",
        unit=pl.lit("index"),
        footnote_codes=pl.lit([note] if note else [], dtype=pl.List(pl.String)),
        release=pl.lit(None, pl.String),
    ).select(CORE_OBSERVATIONS.polars_schema.names()[:13])


@pytest.mark.parametrize("packed_key_bits", [64, 0])  # 0: the column-by-column sort
def test_a_fold_of_all_versions_equals_adding_them_one_by_one(monkeypatch, packed_key_bits):
    monkeypatch.setattr(bitemporal, "PACKED_KEY_BITS", packed_key_bits)
    d1, d2, d3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
    # Series first seen in other than their lexical order; a value that changes and changes
    # back, one absent from a version and back, a null value, a footnote added.
    contents = [
        {("z", d1): 1.0, ("a", d1): 5.0, ("a", d2): None},
        {("z", d1): 1.5, ("a", d1): 5.0, ("a", d2): None, ("m", d3): 2.0},
        {("z", d1): 1.0, ("a", d2): None, ("m", d3): 2.0},
        {("z", d1): 1.0, ("a", d1): 5.0, ("a", d2): 7.0, ("m", d3): 2.0},
    ]
    notes = [None, None, None, "p"]
    versions = [
        (
            bitemporal.Vintage(f"{n:040x}", datetime(2024, 2, 1 + n, tzinfo=UTC), "0" * 64, "f"),
            _synthetic_version(content, note),
        )
        for n, (content, note) in enumerate(zip(contents, notes, strict=True))
    ]
    added = bitemporal.empty_vintages()
    for vintage, frame in versions:
        added = bitemporal.add_vintage(added, "synthetic", frame, vintage, complete=True)
    folded = bitemporal.fold_versions(reversed(versions))  # any order: sorted by date
    key = ["series_id", "period_start", "realtime_start"]
    assert folded.equals(folded.sort(key)) and folded.equals(added.sort(key))
    # z: 1.0 (v0), 1.5 (v1), 1.0 again (v2, v3 with a footnote); a on d1 absent in v2.
    z = folded.filter(pl.col("series_id") == "z")
    assert z["value"].to_list() == [1.0, 1.5, 1.0, 1.0]
    assert folded.filter(pl.col("series_id") == "a", pl.col("period_start") == d1).height == 2


def test_the_compact_read_of_a_version_gives_the_same_observations(monkeypatch):
    """compact_version (categories, each key and date once) reads what read_version reads:
    every recorded real file with a history, an older header (SYNTHETIC values in the real
    2022 header, as a percent change plus 100), and the unusual versions it leaves to
    read_version, which names them."""
    key = ["series_id", "period_start"]
    usual = []
    for snapshot in load_manifest(settings.SNAPSHOT_MANIFEST):
        dataset = CATALOG.get(snapshot.dataset)
        if dataset is not None and dataset.history is not None:
            content = snapshot.read()
            usual.append((dataset, content, history.read_version(dataset, content, "ef" * 20)))
    assert len(usual) >= 3
    with monkeypatch.context() as patched:  # the usual versions never take the slow path
        patched.setattr(history, "read_version", None)
        for dataset, content, want in usual:
            got = history.compact_version(dataset, content, "ef" * 20).observations()
            assert got.sort(key).equals(want.sort(key)), dataset.id
    aggregate = CATALOG.get("indeed_aggregate_postings_us")
    older = (
        b"date,jobcountry,seasonally_adjusted_pct_chng_feb_1,non_seasonally_adjusted_pct_chng_feb_1,"
        b"variable\n2022-05-01,US,54.56,NA,total postings\n2022-05-02,US, ,65.33,total postings\n"
        b"2022-05-01,US,1.5,2.5,new postings\n2022-05-01,US,3,4,older postings\n"
    )
    want = history.read_version(aggregate, older, "ab" * 20).sort(key)
    got = history.compact_version(aggregate, older, "ab" * 20).observations().sort(key)
    assert got.equals(want) and got.height == 6
    assert got.filter(pl.col("value") == 154.56).height == 1  # 54.56 + 100
    damaged = [
        b"date,jobcountry,index,variable\n2024-01-01,US,1,x\n",  # an unknown header
        b"date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n"
        b"2024-01-01,US,1,2,total postings\n2024-01-02,US,n/a,2,total postings\n",
        b"date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n"
        b"2024/01/01,US,1,2,total postings\n",
        b"date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n",
    ]
    for content in damaged:
        with pytest.raises(history.HistoryError) as slow:
            history.read_version(aggregate, content, "cd" * 20)
        with pytest.raises(history.HistoryError) as fast:
            history.compact_version(aggregate, content, "cd" * 20)
        assert str(fast.value) == str(slow.value)


def test_versions_read_together_take_each_ones_date_format(monkeypatch):
    """Read as a batch, each version's dates are read with the first declared format that reads
    all of its own dates, as read_version does, even where formats overlap (01/02/24 reads
    either way). SYNTHETIC values in the real current header."""
    aggregate = CATALOG.get("indeed_aggregate_postings_us")
    overlapping = dataclasses.replace(
        aggregate,
        history=dataclasses.replace(aggregate.history, date_formats=("%m/%d/%y", "%d/%m/%y")),
    )
    header = (
        b"date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n"
    )
    contents = [
        (header + b"01/02/24,US,101,102,total postings\n", "a1" * 20),  # either format reads it
        (header + b"13/02/24,US,103,104,total postings\n", "a2" * 20),  # only day-first does
    ]
    batch = history.compact_versions(overlapping, contents)
    key = ["series_id", "period_start"]
    for (content, commit), got in zip(contents, batch, strict=True):
        want = history.read_version(overlapping, content, commit).sort(key)
        assert got.observations().sort(key).equals(want), commit
    assert batch[0].observations()["period_start"].to_list() == [date(2024, 1, 2)] * 2


def test_an_unreachable_github_is_asked_once_per_run(recorded):
    """Connection refused (a port on 127.0.0.1 where nothing listens): the first dataset's
    listing fails, the others are not asked, and one line says the history held stays in use."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    overrides = {"LABOR_LAKE_GITHUB_API_URL": closed, "LABOR_LAKE_INDEED_URL": closed}
    session = build_session(retries=0)
    asked = []

    def versions(dataset):
        asked.append(dataset.id)
        return github.versions_from_github(
            dataset, session, lambda url: CATALOG.address(dataset, overrides, url), None
        )

    rows, manifest = recorded
    result = history.refresh_vintages(
        CATALOG, SNAPSHOTS, None, RAW_INDEED_PAYLOADS.empty_frame(), lambda *_: None, versions
    )
    assert asked == [WITH_HISTORY[0].id]
    (line,) = result.errors
    assert "\n" not in line and "unreachable" in line and "GitHub was unreachable" in line
    assert all(d.id in line for d in WITH_HISTORY)
    key = ["series_id", "period_start", "realtime_start"]
    assert (
        result.rows.sort(key).equals(rows.sort(key)) and result.manifest.height == manifest.height
    )
