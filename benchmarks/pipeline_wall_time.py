"""Wall time of the quick-start command beside the import floor.

    uv run python benchmarks/pipeline_wall_time.py [--repeat 5]

Runs, from a fresh copy of the repository's tracked files (so no instance storage and no lake
yet), `uv run dg launch --assets '*'` and the floor `python -c "import dagster, polars,
pandera.polars"`, each `--repeat` times, and writes the medians to docs/benchmarks.md, with CPU
time and peak memory beside wall time, each run's own duration (start to end, as the Dagster UI
shows it) from the clone's instance, and where the time of one fresh-clone build goes, step by
step. Beside them: the fixed cost of any `dg launch` here and Dagster's own cost per step (one
step, and as many steps as the build, that do nothing: `benchmarks/trivial_steps.py`), loading
our definitions, and, in the built clone, a full build and a refresh launched by `dagster-daemon
run` as a schedule's run is (the run process's CPU time and the run's own duration). Targets: the whole pipeline within 3x the floor;
a scheduled refresh with nothing new at most 40% of a full build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from report_section import Measured, machine_load, measure, median_cell, write_section
from trivial_steps import STEPS as TRIVIAL_STEPS

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 3.0
REFRESH_TARGET = 0.40
# Code locations of steps that do nothing: what any `dg launch` costs here, and Dagster per step.
TRIVIAL = "benchmarks/trivial_steps.py"
# How often the daemon's processes are sampled, and how long a daemon-launched run may take.
SAMPLE_SECONDS = 0.1
RUN_TIMEOUT_SECONDS = 600
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def fresh_clone(destination: Path) -> Path:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        if (REPO / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / name, destination / name)
    return destination


def _row(label: str, runs: list[Measured]) -> str:
    return (
        f"| {label} | {median_cell(runs, 'wall')} | {median_cell(runs, 'cpu')} | "
        f"{statistics.median(r.peak_rss_mb for r in runs):.0f} |"
    )


def step_count() -> int:
    """Steps in a run of every asset (the multi-asset computing the metrics is one step)."""
    from pipelines.definitions import build_definitions

    return len(build_definitions().resolve_implicit_global_asset_job_def().graph.nodes)


def run_durations(clone: Path) -> list[float]:
    """Each run's own duration (run start to run end, seconds), oldest run first: what the UI
    shows for a run, whether `dg launch` or the daemon started it (the process start-up before
    the run starts is not part of it)."""
    import dagster as dg

    previous = Path.cwd()
    os.chdir(clone)  # the instance's relative storage paths resolve against the start folder
    try:
        with dg.DagsterInstance.from_config(str(clone)) as instance:
            stats = [instance.get_run_stats(r.run_id) for r in reversed(instance.get_runs())]
    finally:
        os.chdir(previous)
    return [(s.end_time or 0) - (s.start_time or 0) for s in stats]


@contextmanager
def clone_instance(clone: Path) -> Iterator[object]:
    """The clone's Dagster instance (a `dg.DagsterInstance`)."""
    import dagster as dg

    previous = Path.cwd()
    os.chdir(clone)  # the instance's relative storage paths resolve against the start folder
    try:
        with dg.DagsterInstance.from_config(str(clone)) as instance:
            yield instance
    finally:
        os.chdir(previous)


@dataclass(frozen=True)
class DaemonRun:
    """A run the daemon launched, as the daemon runs a schedule's."""

    job: str
    steps: int  # steps the run executed
    duration: float  # the run's start to end, seconds: what the UI shows
    process_cpu: float  # user + system seconds of the process that executed the run


def _process_table() -> dict[int, tuple[int, float]]:
    """Every process: its parent's pid and the user + system CPU seconds so far of it and of its
    children it has reaped (a run worker's compute-log helpers); a zombie keeps its final times."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended between the listing and the read
            continue
        table[int(stat.parent.name)] = (
            int(fields[1]),
            sum(map(int, fields[11:15])) / _CLOCK_TICKS,
        )
    return table


def _run_workers(daemon: int, seen: dict[int, float]) -> None:
    """Sample the processes that execute runs: descendants of the daemon started by
    multiprocessing (the code server starts one per run). `seen` maps pid to its latest CPU."""
    table = _process_table()
    family = {daemon}
    for _ in range(4):  # daemon -> code server -> run worker -> its resource tracker
        family |= {pid for pid, (parent, _) in table.items() if parent in family}
    for pid in family - {daemon}:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            seen[pid] = table[pid][1]


def _wait_for_run(
    instance: object, daemon: int, job: str, queue: Callable[[], subprocess.Popen] | None = None
) -> DaemonRun:
    """Wait for the first run of `job` created from now on to end, sampling the daemon's run
    workers meanwhile; `queue` starts the command that queues it, if the daemon does not."""
    import dagster as dg

    after = datetime.now(UTC)
    workers: dict[int, float] = {}
    _run_workers(daemon, workers)
    before = set(workers)  # earlier runs' workers, not yet reaped
    queuing = queue() if queue is not None else None  # only once `before` is known
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        _run_workers(daemon, workers)
        records = instance.get_run_records(
            filters=dg.RunsFilter(job_name=job, created_after=after), ascending=True, limit=1
        )
        if records and records[0].dagster_run.is_finished:
            run = records[0].dagster_run
            time.sleep(SAMPLE_SECONDS)
            _run_workers(daemon, workers)
            assert run.status == dg.DagsterRunStatus.SUCCESS, f"{job} {run.run_id}: {run.status}"
            assert queuing is None or queuing.wait() == 0, f"queueing {job} failed"
            stats = instance.get_run_stats(run.run_id)
            return DaemonRun(
                job=job,
                steps=len(instance.get_run_step_stats(run.run_id)),
                duration=(stats.end_time or 0) - (stats.start_time or 0),
                process_cpu=sum(cpu for pid, cpu in workers.items() if pid not in before),
            )
        time.sleep(SAMPLE_SECONDS)
    raise TimeoutError(f"no {job} run ended within {RUN_TIMEOUT_SECONDS} s")


def _session_alive(session: int) -> bool:
    """Whether a process of the session `session` is still running (zombies aside)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            return True
    return False


def _stop_session(daemon: subprocess.Popen) -> None:
    """Stop the daemon and wait for every process of its session (its code server finishes its
    calls first), so that nothing writes into the clone once this returns."""
    os.killpg(daemon.pid, signal.SIGINT)  # the daemon stops its code server itself
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and _session_alive(daemon.pid):
        daemon.poll()  # reap the daemon itself
        time.sleep(SAMPLE_SECONDS)
    if _session_alive(daemon.pid):
        os.killpg(daemon.pid, signal.SIGKILL)
    daemon.wait()


def daemon_runs(clone: Path, env: dict[str, str], uv_run: list[str]) -> tuple[DaemonRun, DaemonRun]:
    """A full build and a scheduled refresh with nothing new, each launched by `dagster-daemon
    run` in the built clone, as a schedule's run is: the `build_lake` run the registry sensor
    launches on its first tick, then a `refresh_postings` run (the daily schedule's job) queued
    by `dagster job launch` and started by the daemon."""
    env = {**env, "DAGSTER_HOME": str(clone)}
    with tempfile.TemporaryFile() as log:
        # The daemon itself (not under `uv run`) in a session of its own, so that stopping it
        # reaches its code server and nothing else.
        daemon = subprocess.Popen(
            [shutil.which("dagster-daemon") or "dagster-daemon", "run"],
            cwd=clone, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        try:
            with clone_instance(clone) as instance:
                build = _wait_for_run(instance, daemon.pid, "build_lake")
                refresh = _wait_for_run(
                    instance,
                    daemon.pid,
                    "refresh_postings",
                    lambda: subprocess.Popen(
                        [*uv_run, "dagster", "job", "launch", "-j", "refresh_postings"],
                        cwd=clone,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    ),
                )
        finally:
            _stop_session(daemon)
    return build, refresh


def table_rows(clone: Path) -> dict[str, int]:
    """Rows of each table the build wrote, from the lake's datapackage.json."""
    package = json.loads((clone / "data_lake" / "datapackage.json").read_text())
    return {r["name"]: r.get("rows", 0) for r in package["resources"]}


def step_profile(clone: Path) -> list[tuple[str, float]]:
    """(step, seconds) of the clone's first run, in start order, from its Dagster instance."""
    import dagster as dg

    previous = Path.cwd()
    os.chdir(clone)  # the instance's relative storage paths resolve against the start folder
    try:
        with dg.DagsterInstance.from_config(str(clone)) as instance:
            run_id = instance.get_runs()[-1].run_id  # the oldest: the fresh-clone build
            stats = instance.get_run_step_stats(run_id)
            run = instance.get_run_stats(run_id)
    finally:
        os.chdir(previous)
    steps = [
        (s.step_key, (s.end_time or 0) - (s.start_time or 0))
        for s in sorted(stats, key=lambda s: s.start_time or 0)
    ]
    steps.append(("(the run: start to end)", (run.end_time or 0) - (run.start_time or 0)))
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    uv = shutil.which("uv") or "uv"
    steps = step_count()
    floor_runs, pipeline_runs, warm_runs, one_step_runs, refresh_runs = [], [], [], [], []
    definitions_runs, trivial_runs, trivial_all_runs = [], [], []
    daemon_builds: list[DaemonRun] = []
    daemon_refreshes: list[DaemonRun] = []
    loads = [machine_load()]
    profile: list[tuple[str, float]] = []
    # Per repeat, the run's own duration of the fresh-clone build and of the refresh.
    build_run, refresh_run = [], []
    rows: dict[str, int] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            clone = fresh_clone(Path(scratch) / "clone")
            env = {
                k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "LABOR_LAKE_ROOT")
            }
            env["PWD"] = str(clone)  # what a shell sets when you `cd` into the clone
            uv_run = [uv, "run", "--project", str(REPO), "--frozen"]
            floor_runs.append(
                measure(
                    [*uv_run, "python", "-c", "import dagster, polars, pandera.polars"], clone, env
                )
            )
            pipeline_runs.append(measure([*uv_run, "dg", "launch", "--assets", "*"], clone, env))
            assert (clone / "data_lake" / "datapackage.json").is_file(), "pipeline wrote no lake"
            # Second run in the same clone: instance storage exists, inputs unchanged.
            warm_runs.append(measure([*uv_run, "dg", "launch", "--assets", "*"], clone, env))
            # The fixed cost of `dg launch` (CLI, instance, definitions): a one-step run.
            one_step_runs.append(
                measure([*uv_run, "dg", "launch", "--assets", "raw/claims"], clone, env)
            )
            # A scheduled refresh with nothing new (the sources answer as before, or here fail
            # fast and fall back): only the source steps run.
            refresh_runs.append(
                measure([*uv_run, "dg", "launch", "--job", "refresh_postings"], clone, env)
            )
            if not profile:
                profile = step_profile(clone)
                rows = table_rows(clone)
            durations = run_durations(clone)  # build, second build, one step, refresh
            build_run.append(durations[0])
            refresh_run.append(durations[-1])
            definitions_runs.append(
                measure([*uv_run, "python", "-c", "import pipelines.definitions"], clone, env)
            )
            # What any `dg launch` costs here, with no code or work of ours: one step doing
            # nothing (in the built clone, as the one-step run above; after reading the runs).
            trivial_runs.append(
                measure(
                    [*uv_run, "dg", "launch", "-f", TRIVIAL, "--assets", "trivial_1"], clone, env
                )
            )
            # As many steps as the build, each doing nothing: Dagster's own cost per step.
            trivial_all_runs.append(
                measure([*uv_run, "dg", "launch", "-f", TRIVIAL, "--assets", "*"], clone, env)
            )
            # The same two runs as a schedule's run is launched: by the daemon, no `dg` CLI.
            daemon_build, daemon_refresh = daemon_runs(clone, env, uv_run)
            daemon_builds.append(daemon_build)
            daemon_refreshes.append(daemon_refresh)
        loads.append(machine_load())

    def median(runs: list[Measured], field: str = "wall") -> float:
        return statistics.median(getattr(r, field) for r in runs)

    floor, pipeline = median(floor_runs), median(pipeline_runs)
    warm, one_step = median(warm_runs), median(one_step_runs)
    ratio, warm_ratio = pipeline / floor, warm / floor
    cpu_ratio = median(pipeline_runs, "cpu") / median(floor_runs, "cpu")
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    step_total = sum(seconds for name, seconds in profile if not name.startswith("("))
    refresh_cpu = median(refresh_runs, "cpu") / median(pipeline_runs, "cpu")
    refresh_verdict = "meets" if refresh_cpu <= REFRESH_TARGET else "misses"
    floor_cpu, trivial_cpu = median(floor_runs, "cpu"), median(trivial_runs, "cpu")
    one_step_cpu = median(one_step_runs, "cpu")
    per_step = (median(trivial_all_runs, "cpu") - trivial_cpu) / (TRIVIAL_STEPS - 1)
    daemon_cpu = statistics.median(r.process_cpu for r in daemon_refreshes) / statistics.median(
        r.process_cpu for r in daemon_builds
    )
    daemon_duration = statistics.median(r.duration for r in daemon_refreshes) / statistics.median(
        r.duration for r in daemon_builds
    )

    def seconds(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})"

    lines = [
        "## Whole pipeline vs import floor",
        "",
        "Generated by `uv run python benchmarks/pipeline_wall_time.py`; medians of "
        f"{args.repeat} runs, each from a fresh copy of the repository (no lake, no instance "
        "storage), with the environment's bytecode compiled (`uv sync --compile-bytecode`, as "
        "`.ci/run` does). The pipeline runs in `auto` source mode: where the network is closed, "
        "as here, each source fails fast and the build uses the recorded real snapshots: "
        f"{rows.get('core_observations', 0):,} rows in core/observations (Indeed Hiring Lab, "
        f"BLS) and {rows.get('core_oews_estimates', 0):,} in core/oews_estimates (the BLS OEWS "
        "national files of 9 years). CPU time is user + system time of the command and every "
        "process it started; peak memory is the largest resident set of any of them.",
        "",
        "| command | wall time (s), median (all runs) | CPU time (s), median (all runs) | "
        "peak memory (MB) |",
        "| --- | --- | --- | --- |",
        _row('floor: `uv run python -c "import dagster, polars, pandera.polars"`', floor_runs),
        _row(
            f"pipeline, fresh clone ({steps} steps): `uv run dg launch --assets '*'`",
            pipeline_runs,
        ),
        _row("pipeline, second run (instance exists, inputs unchanged)", warm_runs),
        _row(
            'loading our definitions: `uv run python -c "import pipelines.definitions"`',
            definitions_runs,
        ),
        _row(
            f"one trivial step, no code of ours: `uv run dg launch -f {TRIVIAL} --assets trivial_1`",
            trivial_runs,
        ),
        _row(
            f"{TRIVIAL_STEPS} trivial steps, no code of ours: "
            f"`uv run dg launch -f {TRIVIAL} --assets '*'`",
            trivial_all_runs,
        ),
        _row("one step: `uv run dg launch --assets raw/claims`", one_step_runs),
        _row(
            "scheduled refresh, nothing new: `uv run dg launch --job refresh_postings`",
            refresh_runs,
        ),
        "",
        f"Ratio pipeline / floor: **{ratio:.2f}x** wall time from a fresh clone ({verdict} the "
        f"target of {TARGET_RATIO:.0f}x), {cpu_ratio:.2f}x in CPU time; **{warm_ratio:.2f}x** on "
        f"a second run. A one-step run costs {one_step / floor:.2f}x the floor: the fixed cost "
        "of `dg launch` (CLI and storage imports, instance, loading definitions); each further "
        f"step adds about {(warm - one_step) / (steps - 1):.2f} s.",
        "",
        f"What is left of {TARGET_RATIO:.0f}x for our steps, in CPU time (medians): "
        f"{TARGET_RATIO:.0f}x the floor is {TARGET_RATIO * floor_cpu:.2f} s. A `dg launch` of "
        f"one step that does nothing, with no code of ours, already costs {trivial_cpu:.2f} s "
        f"({trivial_cpu / floor_cpu:.2f}x: the `dg` CLI, Dagster, the instance and its SQLite "
        f"storage, one run); our definitions and the cheapest step add "
        f"{one_step_cpu - trivial_cpu:.2f} s ({one_step_cpu / floor_cpu:.2f}x in all). That "
        f"leaves {TARGET_RATIO * floor_cpu - one_step_cpu:.2f} s for the other {steps - 1} "
        f"steps, which take {median(pipeline_runs, 'cpu') - one_step_cpu:.2f} s now. Dagster "
        f"alone costs {per_step:.2f} s per step ({TRIVIAL_STEPS} steps doing nothing against one), "
        "so "
        f"{steps - 1} steps of ours cost at least {(steps - 1) * per_step:.2f} s before any work: "
        f"the least a whole build can cost is {one_step_cpu + (steps - 1) * per_step:.2f} s, "
        f"{(one_step_cpu + (steps - 1) * per_step) / floor_cpu:.2f}x the floor.",
        "",
        "A scheduled refresh that brings nothing new runs only its source steps (the "
        "`rebuild_on_new_data` sensor then launches nothing). Measured two ways:",
        "",
        "| measure | full build | refresh, nothing new | refresh / build |",
        "| --- | --- | --- | --- |",
        f"| the command's CPU time (s), median | {median(pipeline_runs, 'cpu'):.2f} | "
        f"{median(refresh_runs, 'cpu'):.2f} | **{refresh_cpu:.0%}** ({refresh_verdict} the "
        f"target of {REFRESH_TARGET:.0%}) |",
        f"| the command's wall time (s), median | {pipeline:.2f} | {median(refresh_runs):.2f} "
        f"| {median(refresh_runs) / pipeline:.0%} |",
        f"| the run's own duration, start to end (s), median (all runs) | {seconds(build_run)} "
        f"| {seconds(refresh_run)} | "
        f"{statistics.median(refresh_run) / statistics.median(build_run):.0%} |",
        f"| launched by the daemon: the run's process, CPU time (s), median (all runs) | "
        f"{seconds([r.process_cpu for r in daemon_builds])} | "
        f"{seconds([r.process_cpu for r in daemon_refreshes])} | **{daemon_cpu:.0%}** |",
        f"| launched by the daemon: the run's own duration, start to end (s), median (all runs) "
        f"| {seconds([r.duration for r in daemon_builds])} | "
        f"{seconds([r.duration for r in daemon_refreshes])} | {daemon_duration:.0%} |",
        f"| launched by the daemon: steps executed | {daemon_builds[0].steps} | "
        f"{daemon_refreshes[0].steps} | |",
        "",
        "The command's time includes starting a process: the `dg` CLI, Dagster's storage, the "
        "instance and loading the definitions, about the same for every command. The run's own "
        "duration is what the Dagster UI shows for a run. A schedule's run is launched by the "
        "daemon, not by `dg`: measured that way, in the built clone `dagster-daemon run` is "
        "started, its registry sensor launches a `build_lake` run on its first tick (the whole "
        "build but the release), then a `refresh_postings` run (the daily schedule's job) is "
        "queued with `dagster job launch` and the daemon starts it. Its code server starts each "
        "run in a fresh process that imports the code location (no `dg` CLI) and runs the steps; "
        f"that process's CPU time (with the compute-log helpers it starts) is sampled from "
        f"`/proc` every {SAMPLE_SECONDS:g} s, so up to that much of its last moment may be "
        "missed. The daemon's own work (sensors, the queue) is not in it.",
        "",
        f"Machine load during the runs: {'; '.join(loads)}.",
        "",
        "### Where the time goes: one fresh-clone build, step by step",
        "",
        "From the run's record in the clone's Dagster instance (step start to step end, "
        "in-process executor). The rest of the wall time is starting the process: imports, "
        "the instance, loading the definitions.",
        "",
        "| step | seconds | share of the steps |",
        "| --- | --- | --- |",
        *(
            f"| `{name}` | {seconds:.2f} | "
            + ("" if name.startswith("(") else f"{seconds / step_total:.0%}")
            + " |"
            for name, seconds in profile
        ),
        f"| whole command, wall time | {pipeline_runs[0].wall:.2f} | |",
        "",
        "### Machine",
        "",
        f"- CPU cores: {os.cpu_count()}; {platform.machine()}; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; dagster {version('dagster')}, polars {version('polars')}, "
        f"pandera {version('pandera')}, pyarrow {version('pyarrow')}",
    ]
    write_section("pipeline_wall_time", lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
