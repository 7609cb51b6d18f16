"""Issue 22, end to end: every dataset given its own fault in one build, against the real local
fault server (tests/faults.py) answering at the real hosts' paths; damaged files in a copy of a
real published lake; and failures that must read as one line. Each case asserts the message and
that the lake and its latest release are byte-identical to before, except where the case heals a
damaged file."""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import polars as pl
import pytest

from assets import settings
from labor_lake.lake.files import DamagedFile, Lake
from labor_lake.lake.lock import WriterLock
from labor_lake.lake.reader import read_table
from labor_lake.present.run_summary import summary_lines
from labor_lake.sources.catalog import GITHUB_API, load_catalog
from labor_lake.sources.history import read_recorded_manifest
from labor_lake.sources.snapshots import load_manifest
from pipelines.run_summary import run_facts
from schemas.tables import CORE_OBSERVATIONS

from .conftest import (
    BIN,
    RECORDED_COPIES,
    REGISTRY,
    SYNTHETIC,
    Workspace,
    cli_env,
    copy_repository,
    run_pipeline,
)
from .faults import Body, Fault, FaultServer
from .replay import listing_pages

BLS_PATH = "/publicAPI/v2/timeseries/data/"
FRED_API_PATH = "/fred/series/observations"
SECTOR_PATH = "/hiring-lab/job_postings_tracker/master/US/job_postings_by_sector_US.csv"
CATALOG = load_catalog(settings.catalog_path())
SNAPSHOTS = {s.dataset: s for s in load_manifest(settings.SNAPSHOT_MANIFEST)}
CHECK = "sources_reachable"
HTML = b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body>Denied</body></html>"


class BlsBySeries(Fault):
    """The BLS API: answers a POST by the series it asks for (404 for any other)."""

    def __init__(self, answers: dict[tuple[str, ...], bytes]) -> None:
        self.answers = answers

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        asked = tuple(sorted(json.loads(handler.request_body)["seriesid"]))  # type: ignore[attr-defined]
        answer = self.answers.get(asked)
        (Body(answer, "application/json") if answer else Body(b"no", status=404)).respond(handler)


class FredApi(Fault):
    """FRED's JSON API: answers by the `series_id` in the query string."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        self.answers = answers

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        (series,) = parse_qs(urlsplit(handler.path).query)["series_id"]
        Body(self.answers[series], "application/json").respond(handler)


class GitHubCommits(Fault):
    """GitHub's commits listing of one path, by its `page` query parameter, with Link headers
    (tests.replay.listing_pages: the documented shape, values from the real git history)."""

    def __init__(self, base: str, pages: list[list]) -> None:
        self.base, self.pages = base, pages

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        number = int(parse_qs(parts.query).get("page", ["1"])[0])
        query = "&".join(p for p in parts.query.split("&") if not p.startswith("page="))
        link = (
            f'<{self.base}{parts.path}?{query}&page={number + 1}>; rel="next"'
            if number < len(self.pages)
            else ""
        )
        Body(
            json.dumps(self.pages[number - 1]).encode(),
            "application/json",
            headers=(("Link", link),) if link else (),
        ).respond(handler)


def _fred_json(csv: bytes, numbers: bool = False) -> bytes:
    """The FRED JSON layout over a synthetic FRED CSV (tests/data: synthetic values); with
    `numbers`, each value a JSON number instead of FRED's string."""
    rows = [line.split(",") for line in csv.decode().splitlines()[1:]]
    observations = [
        {"date": day, "value": float(value) if numbers and value != "." else value}
        for day, value in rows
    ]
    return json.dumps({"observations": observations}).encode()


def _bls_answers() -> dict[tuple[str, ...], bytes]:
    answers = {}
    for snapshot in SNAPSHOTS.values():
        if urlsplit(snapshot.url).path == BLS_PATH:
            answers[tuple(sorted(snapshot.member.removeprefix("seriesid=").split(",")))] = (
                snapshot.read()
            )
    oews = CATALOG.get("bls_oews_api")
    assert oews is not None
    synthetic = (SYNTHETIC / "bls" / "oews_synthetic.json").read_bytes()
    answers[tuple(sorted(s.id for s in oews.series))] = synthetic
    return answers


def serve_every_source(server: FaultServer, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """Every dataset answered as recorded (or with the synthetic FRED and BLS OEWS files) at
    its real path; FRED through its JSON API (FRED_API_KEY set)."""
    for snapshot in SNAPSHOTS.values():
        parts = urlsplit(snapshot.url)
        if parts.path != BLS_PATH:
            server.serve(parts.path, snapshot.read())
    server.fault(BLS_PATH, BlsBySeries(_bls_answers()))
    fred = {}
    for dataset in CATALOG.by_source("fred"):
        (series,) = dataset.series
        fred[series.id] = _fred_json((SYNTHETIC / "fred" / f"{series.id}.csv").read_bytes())
    server.fault(FRED_API_PATH, FredApi(fred))
    manifest = read_recorded_manifest(settings.SNAPSHOT_MANIFEST.parent)
    for dataset in CATALOG.datasets:
        if dataset.history is not None:
            path = urlsplit(dataset.history.commits_url()).path
            server.fault(path, GitHubCommits(GITHUB_API, listing_pages(manifest, dataset)))
    for variable in settings.HOST_URL_ENVS:
        monkeypatch.setenv(variable, server.url(""))
    monkeypatch.setenv("FRED_API_KEY", "test-key-not-a-secret")
    monkeypatch.setenv(settings.SOURCES_ENV, mode)


def digest(root: Path) -> dict[str, str]:
    """Every file of the lake (releases and latest.json included) by its sha256; the report,
    which states the run's time and sources' ages, and the lock file are left out."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "reports" not in p.parts and p.name != ".writer.lock"
    }


def publish(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    from pipelines.definitions import build_definitions

    job = build_definitions().resolve_job_def("publish")
    return job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


def check_lines(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """Each dataset's outcome line, from the sources checks."""
    return {
        key: str(getattr(value, "value", value))
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == CHECK
        for key, value in evaluation.metadata.items()
        if key != "mode"
    }


def summary(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> list[str]:
    return summary_lines(run_facts(instance, result.run_id, result.success))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies of the registry files, at one path for the whole module: the raw registry tables
    record where their file is, so every build of a lake copy must read it from the same place."""
    folder = tmp_path_factory.mktemp("registry")
    for name in ("articles.csv", "published_figures.csv", "claims.csv"):
        shutil.copy(REGISTRY / name, folder / name)
    return folder


def _point_at(patch: pytest.MonkeyPatch, root: Path, registry: Path) -> None:
    patch.setenv(settings.LAKE_ROOT_ENV, str(root))
    patch.setenv(settings.FIGURES_ENV, str(registry / "published_figures.csv"))
    patch.setenv(settings.CLAIMS_ENV, str(registry / "claims.csv"))
    patch.setenv(settings.ARTICLES_ENV, str(registry / "articles.csv"))


@pytest.fixture(scope="module")
def good_lake(tmp_path_factory: pytest.TempPathFactory, registry: Path) -> Path:
    """A lake published from good answers of every source (through the fault server)."""
    root = tmp_path_factory.mktemp("good") / "lake"
    with pytest.MonkeyPatch.context() as patch, FaultServer() as server:
        _point_at(patch, root, registry)
        serve_every_source(server, patch, mode="live")
        assert publish().success
    return root


@pytest.fixture
def lake_copy(good_lake: Path, registry: Path, workspace: Workspace, monkeypatch) -> Iterator[Path]:
    """A copy of the good lake at the workspace's lake root, built from the module's registry
    files (restored after the test, which may edit them)."""
    shutil.copytree(good_lake, workspace.lake_root)
    _point_at(monkeypatch, workspace.lake_root, registry)
    saved = {f: f.read_bytes() for f in registry.iterdir()}
    yield workspace.lake_root
    for file, content in saved.items():
        file.write_bytes(content)


# --- Every dataset its own fault, one build ------------------------------------------------


def test_every_dataset_with_its_own_fault_falls_back_alone_and_changes_nothing(
    lake_copy: Path, monkeypatch
) -> None:
    before = digest(lake_copy)
    latest = (lake_copy / "releases" / "latest.json").read_bytes()
    with FaultServer() as server:
        serve_every_source(server, monkeypatch, mode="auto")
        cps = json.loads(SNAPSHOTS["bls_cps_unemployment"].read())
        for item in cps["Results"]["series"][0]["data"]:
            item["value"] = "-"  # item 1: every value "no data"
        answers = _bls_answers()
        answers[("LNS14000000",)] = json.dumps(cps).encode()
        server.fault(BLS_PATH, BlsBySeries(answers))
        workbook = SNAPSHOTS["bls_oews_national_2023"].read()
        server.fault("/oes/special-requests/oesm24nat.zip", Body(b"", "application/zip"))
        server.fault(  # a zip cut short, its Content-Length matching what is sent
            "/oes/special-requests/oesm23nat.zip", Body(workbook[: len(workbook) // 2])
        )
        server.fault("/oes/special-requests/oesm22nat.zip", Body(HTML, "text/html"))
        fred = {}
        for dataset in CATALOG.by_source("fred"):
            (series,) = dataset.series
            fred[series.id] = _fred_json(
                (SYNTHETIC / "fred" / f"{series.id}.csv").read_bytes(), numbers=True
            )
        server.fault(FRED_API_PATH, FredApi(fred))
        sector = SNAPSHOTS["indeed_postings_by_sector_us"].read().splitlines(keepends=True)
        server.serve(SECTOR_PATH, b"".join(sector[: len(sector) // 2]))  # cut between rows

        result = publish()

    assert result.success
    lines = check_lines(result)
    expected = {
        "bls_cps_unemployment": "refused: the answer empties 27 of the 27 values the lake holds "
        "(e.g. bls:LNS14000000 on 2021-01-01: 6.3 -> empty)",
        "bls_oews_national_2024": "the answer is empty, not the zip workbook",
        "bls_oews_national_2023": "the zip is damaged and cannot be read (BadZipFile",
        "bls_oews_national_2022": "the answer is an HTML page, not the zip workbook",
        "fred_ihlidxus": "is a JSON float, not the string FRED writes",
        "indeed_postings_by_sector_us": "refused: the answer lacks display_name "
        "['Software Development', 'IT Operations & Helpdesk', 'Loading & Stocking', "
        "'Logistic Support', 'Physicians & Surgeons', 'Retail', 'Therapy'], which the lake's "
        "vintages hold",
    }
    for dataset, words in expected.items():
        line = lines[dataset]
        assert "fallback" in line and words in line and "last good vintage" in line, line
        assert "\n" not in line
    # The others were fetched as before (nothing new), each dataset on its own.
    assert lines["indeed_ai_share"].startswith("indeed_ai_share: unchanged")
    assert lines["bls_oews_national_2021"].startswith("bls_oews_national_2021: unchanged")
    assert digest(lake_copy) == before
    assert (lake_copy / "releases" / "latest.json").read_bytes() == latest


def test_series_that_does_not_exist_on_a_fresh_lake_seeds_from_the_snapshot(
    workspace: Workspace, monkeypatch
) -> None:
    # The real answer BLS gives for an unknown id (snapshots/copies), asked for LNS14000000.
    unknown = (
        RECORDED_COPIES
        / "bls"
        / "quoted"
        / "oews_series_does_not_exist_OEUN000000000000015113201.json"
    )
    answer = unknown.read_bytes().replace(b"OEUN000000000000015113201", b"LNS14000000")
    with FaultServer() as server:
        serve_every_source(server, monkeypatch, mode="auto")
        answers = _bls_answers()
        answers[("LNS14000000",)] = answer
        server.fault(BLS_PATH, BlsBySeries(answers))
        result = run_pipeline("+core/observations")
    assert result.success
    line = check_lines(result)["bls_cps_unemployment"]
    assert line.startswith("bls_cps_unemployment: snapshot: ")
    assert "'Series does not exist for Series LNS14000000' with no data" in line
    assert "using the recorded snapshot of 2023-04-13" in line
    observations = pl.read_parquet(workspace.lake_root / CORE_OBSERVATIONS.relative_path)
    cps = observations.filter(pl.col("dataset") == "bls_cps_unemployment")
    assert cps.height == 27 and set(cps["vintage_origin"]) == {"recorded_snapshot"}


def test_a_kept_value_no_vintage_ever_held_is_a_configuration_error(
    workspace: Workspace, monkeypatch
) -> None:
    with FaultServer() as server:
        serve_every_source(server, monkeypatch, mode="auto")
        sector = SNAPSHOTS["indeed_postings_by_sector_us"].read().splitlines(keepends=True)
        server.serve(SECTOR_PATH, b"".join(sector[: len(sector) // 2]))
        instance = dg.DagsterInstance.ephemeral()
        result = run_pipeline("+core/observations", instance=instance)
    assert not result.success
    failed = [line for line in summary(result, instance) if line.startswith("Failed: ")]
    assert failed == [
        "Failed: raw/indeed_hiring_lab_payloads: indeed_postings_by_sector_us: keep.display_name "
        "lists ['Software Development', 'IT Operations & Helpdesk', 'Loading & Stocking', "
        "'Logistic Support', 'Physicians & Surgeons', 'Retail', 'Therapy'], which neither this "
        "answer nor any vintage "
        f"in the lake has; the answer has: {failed[0].split('the answer has: ')[1].split(']')[0]}]; "
        "nothing was stored, the lake keeps its last good payloads and tables: correct the "
        "catalog and run again"
    ]


# --- Failures that read as one line -------------------------------------------------------


def _one_failure(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> str:
    assert not result.success
    failed = [line for line in summary(result, instance) if line.startswith("Failed: ")]
    assert len(failed) == 1, failed
    return failed[0]


def test_a_source_failure_in_live_mode_is_one_line_and_changes_nothing(
    lake_copy: Path, monkeypatch
) -> None:
    before = digest(lake_copy)
    instance = dg.DagsterInstance.ephemeral()
    with FaultServer() as server:
        serve_every_source(server, monkeypatch, mode="live")
        server.fault("/oes/special-requests/oesm22nat.zip", Body(HTML, "text/html"))
        result = publish(instance)
    line = _one_failure(result, instance)
    assert line.startswith(
        "Failed: raw/bls_payloads: bls_oews_national_2022 (http://127.0.0.1:"
    ) and line.endswith(
        "/oes/special-requests/oesm22nat.zip): the answer is an HTML page, not the zip workbook "
        "(LABOR_LAKE_SOURCES=live); nothing was stored, the lake keeps its last good payloads and "
        "tables: run again once the source answers, or set LABOR_LAKE_SOURCES=auto to fall back "
        "to them"
    )
    assert digest(lake_copy) == before


def test_a_registry_error_is_one_line_and_changes_nothing(
    lake_copy: Path, registry: Path, monkeypatch
) -> None:
    before = digest(lake_copy)
    monkeypatch.setenv(settings.SOURCES_ENV, "offline")
    figures = registry / "published_figures.csv"
    figures.write_text(figures.read_text().replace(",3.3,", ",3.3x,", 1))
    instance = dg.DagsterInstance.ephemeral()
    line = _one_failure(publish(instance), instance)
    assert line.startswith("Failed: core/published_figures: ") and f"{figures}:" in line
    assert "'3.3x'" in line and "Correct what it names and run again." in line
    # The raw registry table keeps the file as read (by design, docs/reliability.md) and the
    # package describes it; core, metrics, releases and latest.json are byte-identical.
    after = digest(lake_copy)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {"raw/published_figures.parquet", "datapackage.json"}
    assert set(after) == set(before)


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, "the lake's disk is full: free space there"),
        (errno.EROFS, "the lake is on a read-only filesystem: make it writable"),
    ],
    ids=["disk_full_errno_28", "read_only_errno_30"],
)
def test_a_lake_that_refuses_writes_is_one_line_and_changes_nothing(
    lake_copy: Path, registry: Path, monkeypatch, code: int, advice: str
) -> None:
    # Injected (a full or read-only disk cannot be made without root and a mount): the lake's
    # one write path raises what the kernel raises, after the registry has changed so that a
    # table must be written.
    before = digest(lake_copy)
    monkeypatch.setenv(settings.SOURCES_ENV, "offline")

    def refuse(self: Lake, relative_path: str, data: bytes) -> None:
        raise OSError(code, "simulated by the test", self.path(relative_path))

    monkeypatch.setattr(Lake, "write_bytes", refuse)
    figures = registry / "published_figures.csv"
    # A note reworded: the raw registry table changes, so the build must write.
    figures.write_text(figures.read_text().replace("table not named", "table unnamed", 1))
    instance = dg.DagsterInstance.ephemeral()
    line = _one_failure(publish(instance), instance)
    assert f"[Errno {code}]" in line and advice in line and "last good tables" in line
    assert digest(lake_copy) == before


def test_the_lock_held_by_another_run_is_one_line_on_the_console(
    lake_copy: Path, tmp_path: Path
) -> None:
    """`dg launch` from a fresh copy of the repository while another run holds the lake: a few
    lines, no stack trace; the stack trace comes back at DEBUG."""
    project = copy_repository(tmp_path / "project")
    env = cli_env(project, lake_copy)
    before = digest(lake_copy)
    with WriterLock(Lake(str(lake_copy)), "the-other-run"):
        quiet = subprocess.run(
            [str(BIN / "dg"), "launch", "--assets", "*"],
            cwd=project, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        debug = subprocess.run(
            [str(BIN / "dg"), "launch", "--assets", "raw/claims", "--config-json",
             '{"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}'],
            cwd=project, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    output = quiet.stdout + quiet.stderr
    assert quiet.returncode != 0
    assert "Stack Trace" not in output and len(output.splitlines()) <= 12, output
    failed = [line for line in output.splitlines() if line.startswith("Failed: ")]
    assert len(failed) == 1 and "the lake is being written by run the-other-run" in failed[0]
    assert "Run it again when that one has finished" in failed[0]
    assert "Stack Trace" in debug.stdout + debug.stderr
    assert digest(lake_copy) == before


# --- Damaged files in the lake ------------------------------------------------------------


def test_a_table_without_its_parquet_footer_is_named_and_rewritten(
    lake_copy: Path, monkeypatch
) -> None:
    monkeypatch.setenv(settings.SOURCES_ENV, "offline")
    table = lake_copy / CORE_OBSERVATIONS.relative_path
    good = pl.read_parquet(table)
    table.write_bytes(table.read_bytes()[:-100])  # the footer gone
    with pytest.raises(DamagedFile) as damaged:
        read_table("core/observations", root=str(lake_copy))
    message = str(damaged.value)
    assert "\n" not in message and message.startswith(f"{table}: not readable Parquet")
    assert "uv run dg launch --assets 'core/observations'" in message

    instance = dg.DagsterInstance.ephemeral()
    result = publish(instance)
    assert result.success
    warnings = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if "not readable Parquet" in entry.user_message
    ]
    assert any(
        f"{table}: not readable Parquet" in w and "rewritten from its inputs" in w for w in warnings
    ), warnings
    assert pl.read_parquet(table).equals(good)
    assert read_table("core/observations", root=str(lake_copy), release="latest").equals(good)


def test_a_latest_pointer_that_is_not_json_is_named_then_rebuilt(
    lake_copy: Path, monkeypatch
) -> None:
    monkeypatch.setenv(settings.SOURCES_ENV, "offline")
    pointer = lake_copy / "releases" / "latest.json"
    good = pointer.read_bytes()
    release = json.loads(good)["release"]
    pointer.write_bytes(good[: len(good) // 2])
    with pytest.raises(DamagedFile) as damaged:
        read_table("core/observations", root=str(lake_copy), release="latest")
    message = str(damaged.value)
    assert "\n" not in message and message.startswith(f"{pointer}: not the release pointer")
    assert "the next publish rebuilds it (uv run dg launch --job publish)" in message
    assert f"name a release, e.g. release={release!r}" in message

    before = digest(lake_copy)
    result = publish()
    assert result.success
    assert pointer.read_bytes() == good  # rebuilt from the complete release, as it was
    healed = digest(lake_copy)
    assert {k for k in healed if healed[k] != before.get(k)} == {"releases/latest.json"}
