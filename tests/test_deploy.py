"""The deployment profile in deploy/, for real: PostgreSQL, an S3-compatible server (moto), and
the three Dagster processes started by `deploy/start`, each on 127.0.0.1 with its own folder and
a free port, then torn down.

Through the webserver's GraphQL API the module submits the job that the `weekly_build` schedule
runs and the `publish` job at the same time (both go through the run queue, as the daemon's own
schedule ticks do), waits for both, then checks what a user of the deployment would see: the
runs in Postgres, the assets and checks in the UI, the lake in the bucket as polars, pyarrow and
DuckDB read it, datapackage.json against the bytes in the bucket, the release, where the
webserver listens, and that nothing was written outside the test's folders.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import requests

from schemas.tables import ALL_TABLES

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPLOY = REPO_ROOT / "deploy"
BUCKET = "labor-lake-deploy-test"
LAKE_URL = f"s3://{BUCKET}/lake"
# Test-only credentials for the local moto server and the throwaway Postgres cluster.
AWS_KEY_ID, AWS_SECRET = "deploy-test-key", "deploy-test-secret"
PG_USER, PG_PASSWORD, PG_DB = "labor_lake", "deploy-test-password", "dagster"
STARTUP_SECONDS = 120
RUNS_SECONDS = 300


def _postgres_bindir() -> Path | None:
    """Debian installs the server under /usr/lib/postgresql/<version>/bin, off PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[4])
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("postgres")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(
    what: str,
    ready: object,
    seconds: float,
    logs: list[Path],
    processes: list[subprocess.Popen] | None = None,
) -> None:
    """Poll `ready` until it is true; fail with the logs' tails when it is not in time or when
    one of `processes` (which must stay up) has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes or []):
            break
        try:
            if ready():  # type: ignore[operator]
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.5)
    tails = "\n".join(f"--- {log}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    exited = [" ".join(map(str, p.args)) for p in processes or [] if p.poll() is not None]
    raise TimeoutError(f"{what} not ready after {seconds} s (exited: {exited})\n{tails}")


@dataclass
class Deployment:
    root: Path
    env: dict[str, str]
    webserver_port: int
    pg_port: int
    s3_endpoint: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    run_ids: dict[str, str] = field(default_factory=dict)

    @property
    def graphql_url(self) -> str:
        return f"http://127.0.0.1:{self.webserver_port}/graphql"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        answer = requests.post(
            self.graphql_url, json={"query": query, "variables": variables or {}}, timeout=60
        )
        answer.raise_for_status()
        body = answer.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def pg_rows(self, sql: str) -> list[tuple]:
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.pg_port, user=PG_USER, password=PG_PASSWORD, dbname=PG_DB
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()

    def s3(self):  # -> s3fs.S3FileSystem
        import s3fs

        # No endpoint argument: s3fs (through botocore) reads AWS_ENDPOINT_URL like any user's.
        return s3fs.S3FileSystem(skip_instance_cache=True)


AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")


def _export_aws_variables(env: dict[str, str]) -> dict[str, str | None]:
    """Give this process the deployment's AWS variables, so that the readers in these tests are
    configured the way the README tells a user: from the environment. Returns what to restore."""
    saved = {key: os.environ.get(key) for key in AWS_VARIABLES}
    os.environ.update({key: env[key] for key in AWS_VARIABLES})
    return saved


def _restore_variables(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _snapshot_outside(home: Path) -> dict[str, float]:
    """Every file in the repository (ignored ones included, tooling caches aside) and directly in
    the real home folder, with modification times: what a deployment must not touch."""
    skip = {".venv", ".git", ".pytest_cache", ".ruff_cache", "__pycache__"}
    files: dict[str, float] = {}
    for folder, dirs, names in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in names:
            path = Path(folder) / name
            files[str(path)] = path.stat().st_mtime
    for path in home.iterdir():
        files[str(path)] = path.lstat().st_mtime
    return files


def _start(
    deployment: Deployment, name: str, command: list[str], **kwargs: object
) -> subprocess.Popen:
    log = (deployment.root / "logs" / f"{name}.log").open("wb")
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so teardown stops its children too
        **kwargs,  # type: ignore[arg-type]
    )
    deployment.processes.append(process)
    return process


def _stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM every process group at once (each shuts down gracefully in parallel), then
    SIGKILL what is still up after 20 seconds."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in running:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _start_postgres(deployment: Deployment, bindir: Path) -> None:
    """A throwaway cluster in the test's folder, as an unprivileged user: postgres refuses to
    run as root, and CI runs as root."""
    data = deployment.root / "postgres"
    data.mkdir()
    password_file = deployment.root / "postgres.pw"
    password_file.write_text(PG_PASSWORD + "\n")
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres")
        shutil.chown(password_file, "postgres")
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            PG_USER,
            "--pwfile",
            str(password_file),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
    )
    password_file.unlink()
    _start(
        deployment,
        "postgres",
        [
            *as_user,
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={deployment.pg_port}",
            "-c",
            f"unix_socket_directories={data}",
        ],
    )
    import psycopg2

    def accepts() -> bool:
        try:
            psycopg2.connect(
                host="127.0.0.1",
                port=deployment.pg_port,
                user=PG_USER,
                password=PG_PASSWORD,
                dbname="postgres",
            ).close()
        except psycopg2.OperationalError:
            return False
        return True

    _wait_for("postgres", accepts, 60, [deployment.root / "logs" / "postgres.log"])
    connection = psycopg2.connect(
        host="127.0.0.1",
        port=deployment.pg_port,
        user=PG_USER,
        password=PG_PASSWORD,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {PG_DB}")
    connection.close()


def _start_moto(deployment: Deployment) -> str:
    """moto's S3-compatible server on a port the OS picks; returns its endpoint URL."""
    log = deployment.root / "logs" / "moto.log"
    _start(
        deployment,
        "moto",
        [shutil.which("moto_server") or "moto_server", "-H", "127.0.0.1", "-p", "0"],
        env=deployment.env,
    )
    found: list[str] = []

    def announced() -> bool:
        match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", log.read_text())
        if match:
            found.append(match.group(1))
        return bool(match)

    _wait_for("moto", announced, 60, [log])
    return found[0]


SCHEDULED_JOB = """
query ($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule { pipelineName }
  }
}
"""

LAUNCH_RUN = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN_STATUS = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status jobName tags { key value } }
  }
}
"""

ASSETS = """
query {
  assetNodes {
    assetKey { path }
    assetMaterializations(limit: 1) { runId timestamp }
    assetChecksOrError {
      __typename
      ... on AssetChecks {
        checks {
          name
          blocking
          executionForLatestMaterialization { status runId evaluation { severity } }
        }
      }
    }
  }
}
"""

ALL_RUNS = """
query {
  runsOrError {
    __typename
    ... on Runs { results { runId status jobName tags { key value } } }
  }
}
"""

INSTANCE = """
query ($pool: String!) {
  instance {
    runLauncher { name }
    runQueuingSupported
    runQueueConfig { maxConcurrentRuns }
    poolConfig { defaultPoolLimit }
    concurrencyLimit(concurrencyKey: $pool) { slotCount usingDefaultLimit }
    daemonHealth { allDaemonStatuses { daemonType required healthy } }
  }
}
"""

# The non-blocking checks that warn, offline: a source was not fetched (its recorded snapshot is in
# use), and a postings window has no data (FRED has no recorded snapshot).
OFFLINE_WARNING_CHECKS = ("sources_reachable", "windows_computed")

# Tables stored as one file; the partitioned OEWS table (a folder of yearly files) is checked
# through its datapackage parts.
SINGLE_FILE_TABLES = [t for t in ALL_TABLES if not t.partition_by]

REPOSITORY = {"repositoryLocationName": "labor_lake", "repositoryName": "__repository__"}


def _launch(deployment: Deployment, job_name: str) -> str:
    params = {"selector": {**REPOSITORY, "jobName": job_name}, "runConfigData": {}}
    answer = deployment.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    # The queued run coordinator takes every launch into the queue; the daemon starts it.
    assert answer["run"]["status"] == "QUEUED", answer
    return answer["run"]["runId"]


def _all_runs(deployment: Deployment) -> list[dict]:
    return deployment.graphql(ALL_RUNS)["runsOrError"]["results"]


def _run_status(deployment: Deployment, run_id: str) -> str:
    return deployment.graphql(RUN_STATUS, {"runId": run_id})["runOrError"]["status"]


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server not installed (Debian package `postgresql`; .ci/run installs it "
            "and says so when it cannot)"
        )
    for module in ("psycopg2", "dagster_postgres", "s3fs", "moto"):
        pytest.importorskip(module, reason=f"{module} not installed (uv sync installs it)")

    home = Path.home()
    before = _snapshot_outside(home)
    # A folder of its own under the system temporary folder, not pytest's: pytest's is private
    # to root, and the postgres user must reach the cluster's folder.
    root = Path(tempfile.mkdtemp(prefix="labor-lake-deploy-"))
    root.chmod(0o755)
    for folder in ("logs", "dagster_home", "home", "tmp"):
        (root / folder).mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    env = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        # Whatever a process writes to its home or temporary folder stays in the test's folder.
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": "",
        "DAGSTER_PG_DB": PG_DB,
        "DAGSTER_PG_USERNAME": PG_USER,
        "DAGSTER_PG_PASSWORD": PG_PASSWORD,
        "LABOR_LAKE_CODE_SERVER_PORT": str(_free_port()),
        "LABOR_LAKE_WEBSERVER_PORT": "",
        "LABOR_LAKE_ROOT": LAKE_URL,
        "LABOR_LAKE_SOURCES": "offline",
        "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "",
    }
    for key in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"):
        if key in os.environ:
            env[key] = os.environ[key]
    deployment = Deployment(
        root=root, env=env, webserver_port=_free_port(), pg_port=_free_port(), s3_endpoint=""
    )
    env["DAGSTER_PG_PORT"] = str(deployment.pg_port)
    env["LABOR_LAKE_WEBSERVER_PORT"] = str(deployment.webserver_port)
    saved_variables: dict[str, str | None] = {}
    try:
        _start_postgres(deployment, bindir)
        deployment.s3_endpoint = env["AWS_ENDPOINT_URL"] = _start_moto(deployment)
        saved_variables = _export_aws_variables(env)
        deployment.s3().mkdir(BUCKET)

        start = str(DEPLOY / "start")
        for name in ("code-server", "webserver"):
            _start(deployment, name, [start, name], env=env, cwd=root)

        def location_loaded() -> bool:
            data = deployment.graphql(
                SCHEDULED_JOB,
                {"selector": {**REPOSITORY, "scheduleName": "weekly_build"}},
            )
            return data["scheduleOrError"]["__typename"] == "Schedule"

        _wait_for(
            "webserver with the labor_lake code location",
            location_loaded,
            STARTUP_SECONDS,
            sorted((root / "logs").iterdir()),
            deployment.processes,
        )

        scheduled = deployment.graphql(
            SCHEDULED_JOB, {"selector": {**REPOSITORY, "scheduleName": "weekly_build"}}
        )["scheduleOrError"]["pipelineName"]
        # Both are submitted before the daemon is up, so both wait in the queue and are the first
        # two the daemon dequeues, together (the registry sensor's own run comes after them).
        deployment.run_ids = {
            scheduled: _launch(deployment, scheduled),
            "publish": _launch(deployment, "publish"),
        }
        statuses = {_run_status(deployment, r) for r in deployment.run_ids.values()}
        assert statuses == {"QUEUED"}, "a run started without the daemon: the queue is bypassed"
        _start(deployment, "daemon", [start, "daemon"], env=env, cwd=root)
        logs = sorted((root / "logs").iterdir())
        finished = {"SUCCESS", "FAILURE", "CANCELED"}
        # The registry sensor is on by default, so the daemon launches a build of its own on its
        # first tick: wait for every run in the instance, not only ours.
        _wait_for(
            "every run",
            lambda: (
                all(r["status"] in finished for r in _all_runs(deployment))
                and set(deployment.run_ids.values()) <= {r["runId"] for r in _all_runs(deployment)}
            ),
            RUNS_SECONDS,
            logs,
            deployment.processes,
        )
        yield deployment
    finally:
        _stop_all(deployment.processes)
        _restore_variables(saved_variables)
        after = _snapshot_outside(home)
        shutil.rmtree(root, ignore_errors=True)
    changed = sorted(p for p in after.keys() | before.keys() if after.get(p) != before.get(p))
    assert not changed, f"the deployment wrote outside the test's folders: {changed}"


def test_both_concurrent_runs_succeed_and_are_stored_in_postgres(deployment: Deployment) -> None:
    statuses = {job: _run_status(deployment, r) for job, r in deployment.run_ids.items()}
    assert statuses == dict.fromkeys(deployment.run_ids, "SUCCESS")
    stored = dict(
        deployment.pg_rows("select run_id, status from runs")  # dagster-postgres's run table
    )
    for run_id in deployment.run_ids.values():
        assert stored.get(run_id) == "SUCCESS"
    # Both ran through the queue. They take turns on the lake's writer lock (deploy/start sets
    # LABOR_LAKE_LOCK_WAIT_SECONDS), so the second may start only when the first is done.
    events = deployment.pg_rows(
        "select run_id, dagster_event_type, timestamp from event_logs "
        "where dagster_event_type in ('PIPELINE_ENQUEUED', 'PIPELINE_START', 'PIPELINE_SUCCESS')"
    )
    times = {(r, kind): t for r, kind, t in events if r in deployment.run_ids.values()}
    first, second = deployment.run_ids.values()
    for run_id in (first, second):
        assert (run_id, "PIPELINE_ENQUEUED") in times
        assert times[(run_id, "PIPELINE_ENQUEUED")] < times[(run_id, "PIPELINE_START")]


def test_instance_runs_the_profile_with_its_limits_and_healthy_daemons(
    deployment: Deployment,
) -> None:
    instance = deployment.graphql(INSTANCE, {"pool": "bls_api"})["instance"]
    assert instance["runQueuingSupported"]
    assert instance["runLauncher"]["name"] == "DefaultRunLauncher"
    assert instance["runQueueConfig"]["maxConcurrentRuns"] == 2
    # One BLS request at a time across all runs: the asset's pool gets the default limit of 1.
    assert instance["poolConfig"]["defaultPoolLimit"] == 1
    assert instance["concurrencyLimit"] == {"slotCount": 1, "usingDefaultLimit": True}
    statuses = {
        s["daemonType"]: s["healthy"]
        for s in instance["daemonHealth"]["allDaemonStatuses"]
        if s["required"]
    }
    for daemon in ("SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR", "MONITORING"):
        assert statuses.get(daemon) is True, (daemon, statuses)


def test_daemon_ran_the_registry_sensor_and_its_run_succeeded(deployment: Deployment) -> None:
    sensor_runs = [
        r
        for r in _all_runs(deployment)
        if {"key": "dagster/sensor_name", "value": "registry_changed_sensor"} in r["tags"]
    ]
    assert sensor_runs, "the daemon launched no run from registry_changed_sensor"
    assert {r["status"] for r in sensor_runs} == {"SUCCESS"}


def test_ui_shows_every_asset_materialized_with_passing_checks(deployment: Deployment) -> None:
    nodes = deployment.graphql(ASSETS)["assetNodes"]
    assert {"/".join(n["assetKey"]["path"]) for n in nodes} >= {t.id for t in ALL_TABLES}
    succeeded = {r["runId"] for r in _all_runs(deployment) if r["status"] == "SUCCESS"}
    for node in nodes:
        name = "/".join(node["assetKey"]["path"])
        assert node["assetMaterializations"], f"{name} has no materialization"
        assert node["assetMaterializations"][0]["runId"] in succeeded, name
        checks = node["assetChecksOrError"]
        assert checks["__typename"] == "AssetChecks", (name, checks)
        for check in checks["checks"]:
            execution = check["executionForLatestMaterialization"]
            assert execution is not None, f"{name}: check {check['name']} never ran"
            if check["blocking"] or check["name"] not in OFFLINE_WARNING_CHECKS:
                assert execution["status"] == "SUCCEEDED", (name, check)
            else:
                # Offline, the sources are the recorded snapshots and FRED has none: the run goes
                # on and the warning checks say so (README, "Go live").
                assert execution["evaluation"]["severity"] == "WARN", (name, check)


def _tables_from_bucket(deployment: Deployment) -> dict[str, dict[str, pl.DataFrame]]:
    """Every table in the bucket as each reader sees it, configured the way the README says."""
    import duckdb
    import pyarrow.fs

    readers: dict[str, dict[str, pl.DataFrame]] = {"polars": {}, "pyarrow": {}, "duckdb": {}}
    # pyarrow's own S3 client does not read AWS_ENDPOINT_URL: it takes the endpoint as an argument.
    s3 = pyarrow.fs.S3FileSystem(endpoint_override=os.environ["AWS_ENDPOINT_URL"])
    # DuckDB through fsspec (s3fs): works without the httpfs extension, which DuckDB installs from
    # its own extension repository (the httpfs route is tested separately below).
    connection = duckdb.connect()
    connection.register_filesystem(deployment.s3())
    for table in SINGLE_FILE_TABLES:
        url = f"{LAKE_URL}/{table.relative_path}"
        readers["polars"][table.id] = pl.read_parquet(url)
        readers["pyarrow"][table.id] = pl.from_arrow(
            pq.read_table(url.removeprefix("s3://"), filesystem=s3)
        )
        readers["duckdb"][table.id] = connection.sql(f"select * from read_parquet('{url}')").pl()
    connection.close()
    return readers


def test_lake_in_the_bucket_reads_identically_in_polars_pyarrow_and_duckdb(
    deployment: Deployment,
) -> None:
    readers = _tables_from_bucket(deployment)
    # Offline with an empty bucket there are no official series, but the registry and the ledger
    # built from it are always there.
    for table_id in ("core/published_figures", "core/claims", "metrics/claim_checks"):
        assert readers["polars"][table_id].height > 0, f"{table_id} is empty"
    for table in SINGLE_FILE_TABLES:
        reference = readers["polars"][table.id]
        for reader in ("pyarrow", "duckdb"):
            frame = readers[reader][table.id]
            assert frame.columns == reference.columns, (reader, table.id)
            assert frame.height == reference.height, (reader, table.id)
            # Compared as Python values: the readers map a few Arrow types to different polars
            # dtypes (e.g. for an empty column), which a user of the values does not see.
            assert frame.rows() == reference.rows(), f"{reader} reads {table.id} differently"


def test_duckdb_httpfs_reads_the_bucket_with_the_endpoint_override(
    deployment: Deployment,
) -> None:
    import duckdb

    connection = duckdb.connect(config={"extension_directory": str(deployment.root / "duckdb")})
    try:
        connection.execute("INSTALL httpfs")
        connection.execute("LOAD httpfs")
    except duckdb.Error as error:
        pytest.skip(f"DuckDB's httpfs extension cannot be installed here: {error}")
    endpoint = deployment.s3_endpoint.removeprefix("http://")
    connection.execute(
        f"CREATE SECRET (TYPE s3, KEY_ID '{AWS_KEY_ID}', SECRET '{AWS_SECRET}', "
        f"REGION 'us-east-1', ENDPOINT '{endpoint}', URL_STYLE 'path', USE_SSL false)"
    )
    for table in SINGLE_FILE_TABLES:
        url = f"{LAKE_URL}/{table.relative_path}"
        expected = pl.read_parquet(url)
        assert connection.sql(f"select * from read_parquet('{url}')").pl().equals(expected)


def test_datapackage_hashes_match_the_bytes_in_the_bucket(deployment: Deployment) -> None:
    s3 = deployment.s3()
    package = json.loads(s3.cat_file(f"{BUCKET}/lake/datapackage.json"))
    single = [r for r in package["resources"] if "parts" not in r]
    assert {r["path"] for r in single} == {t.relative_path for t in SINGLE_FILE_TABLES}
    for resource in single:
        data = s3.cat_file(f"{BUCKET}/lake/{resource['path']}")
        assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}", resource["path"]
        assert resource["bytes"] == len(data)
        assert resource["rows"] == pq.ParquetFile(io.BytesIO(data)).metadata.num_rows


def test_release_in_the_bucket_is_complete_and_matches_its_datapackage(
    deployment: Deployment,
) -> None:
    s3 = deployment.s3()
    latest = json.loads(s3.cat_file(f"{BUCKET}/lake/releases/latest.json"))
    folder = f"{BUCKET}/lake/releases/{latest['release']}"
    package = json.loads(s3.cat_file(f"{folder}/datapackage.json"))
    assert {r["name"] for r in package["resources"]} == {
        t.flat_name for t in ALL_TABLES if t.published
    }
    # A partitioned table is one resource with one entry per yearly file under `parts`.
    for part in (part for r in package["resources"] for part in r.get("parts", [r])):
        data = s3.cat_file(f"{folder}/{part['path']}")
        assert part["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}", part["path"]


def test_partitioned_oews_table_in_the_bucket_matches_its_datapackage_parts(
    deployment: Deployment,
) -> None:
    s3 = deployment.s3()
    package = json.loads(s3.cat_file(f"{BUCKET}/lake/datapackage.json"))
    (oews,) = [r for r in package["resources"] if "parts" in r]
    for part in oews["parts"]:
        data = s3.cat_file(f"{BUCKET}/lake/{part['path']}")
        assert part["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}", part["path"]
    assert pl.read_parquet(f"{LAKE_URL}/{oews['path'][0]}").height > 0


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port`, from /proc/net/tcp and tcp6."""
    addresses = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port and len(address) == width:
                addresses.add(address)
    return addresses


def test_webserver_listens_on_loopback_only(deployment: Deployment) -> None:
    assert _listening_addresses(deployment.webserver_port) == {"0100007F"}  # 127.0.0.1
    assert requests.get(f"http://127.0.0.1:{deployment.webserver_port}/server_info", timeout=10).ok
