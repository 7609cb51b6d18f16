"""The report's cost: its step in a fresh-clone build, its chart specifications as the tables
grow, and what building them with Altair would add at import.

    uv run python benchmarks/report_charts.py [--before main] [--repeat 3]

1. The report step's own time (Dagster's step stats) in `dg launch --assets '*'`, offline, on
   fresh copies of this tree and, with `--before <git ref>`, of that commit (`git archive`), each
   with its own `uv sync --frozen --compile-bytecode`: the medians of `--repeat` builds.
2. The postings chart's specification from synthetic daily growth rows (made-up values, not
   published figures) of 1,000 to 100,000 days per series, two series, and the ledger chart of a
   synthetic 100,000-row ledger, each in a fresh process: time, peak allocations (tracemalloc)
   and JSON size. Target: flat as the series grow (at most report.MAX_POINTS points a series).
3. Import time (`python -X importtime`, cumulative) of the report module, which builds its
   specifications as plain dictionaries, against `import altair` (installed for the measurement
   only, with `uv run --with`).

Writes docs/report_benchmark.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_section import machine_load

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "docs" / "report_benchmark.md"
SIZES = (1_000, 10_000, 100_000)
ALTAIR = "altair==6.3.0"

_CHILD = r"""
import json, sys, time, tracemalloc
from datetime import date, timedelta
import polars as pl
from labor_lake.present import report
from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.publishers import Publishers
from schemas.tables import CORE_OBSERVATIONS, METRICS_GROWTH_RATES, METRICS_POSTINGS_DIVERGENCE
days = int(sys.argv[1])
start = date(1900, 1, 1)
frames = []
for number, series in enumerate(("fred:SYNTHETIC_A", "indeed:synthetic:b")):
    ends = [start + timedelta(days=i) for i in range(days)]
    values = [((i * (7 + number)) % 1000) / 10 for i in range(days)]  # synthetic
    frames.append(pl.DataFrame({
        "metric_id": [f"growth_pct:{series}:{i}" for i in range(days)],
        "value": values, "value_low": values, "value_high": values, "unit": "percent_change",
        "period": [f"{start.isoformat()}/{e.isoformat()}" for e in ends],
        "inputs": [[f"{series}@{e.isoformat()}"] for e in ends],
        "formula": "growth_pct", "formula_text": "synthetic", "measure": "postings_index",
        "subjects": [[series.split(":")[-1]]] * days, "flags": [["synthetic"]] * days,
    }))
growth = pl.concat(frames).cast(METRICS_GROWTH_RATES.polars_schema)
publishers = Publishers.of(load_catalog("catalog/datasets.toml"))
tracemalloc.start()
t = time.perf_counter()
chart = report.postings_chart(growth, METRICS_POSTINGS_DIVERGENCE.empty_frame(),
                              CORE_OBSERVATIONS.empty_frame(), publishers)
chart_seconds = time.perf_counter() - t
peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
tracemalloc.stop()
ledger = pl.DataFrame({
    "claim_id": [f"synthetic_{i}" for i in range(100_000)], "statement": "synthetic claim",
    "status": ["unverifiable", "consistent"] * 50_000, "explanation": "synthetic reason",
    "kind": ["article_claim", "oews_proxy_by_year"] * 50_000,
})
t = time.perf_counter()
report.ledger_chart(ledger)
ledger_seconds = time.perf_counter() - t
print(json.dumps({"chart_seconds": chart_seconds, "ledger_seconds": ledger_seconds,
                  "peak_mib": peak_mib, "spec_kib": len(json.dumps(chart.spec)) / 1024}))
"""

_STEP_SECONDS = r"""
import os, dagster as dg
with dg.DagsterInstance.from_config(os.getcwd()) as instance:
    run = instance.get_runs()[0]
    stats = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run.run_id)}
    print(stats["report"])
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "VIRTUAL_ENV")}
    env["LABOR_LAKE_SOURCES"] = "offline"
    return env


def report_step_seconds(ref: str | None, repeat: int) -> list[float]:
    """The report step's seconds in fresh-clone builds of `ref` (None: this working tree)."""
    seconds = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="report-bench-") as folder:
            clone = Path(folder) / "clone"
            clone.mkdir()
            if ref is None:
                names = subprocess.run(["git", "ls-files", "--cached", "--others",
                                        "--exclude-standard"], cwd=REPO, capture_output=True,
                                       text=True, check=True).stdout.split()  # fmt: skip
                subprocess.run(["tar", "-cf", str(Path(folder) / "tree.tar"), *[
                    n for n in names if (REPO / n).is_file()]], cwd=REPO, check=True)  # fmt: skip
                subprocess.run(
                    ["tar", "-xf", str(Path(folder) / "tree.tar")], cwd=clone, check=True
                )
            else:
                archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True,
                                         check=True).stdout  # fmt: skip
                subprocess.run(["tar", "-x"], cwd=clone, input=archive, check=True)
            env = _env()
            subprocess.run(["uv", "sync", "--frozen", "--compile-bytecode", "--quiet"],
                           cwd=clone, env=env, check=True)  # fmt: skip
            subprocess.run(["uv", "run", "--frozen", "dg", "launch", "--assets", "*"],
                           cwd=clone, env=env, check=True, capture_output=True)  # fmt: skip
            out = subprocess.run(["uv", "run", "--frozen", "python", "-c", _STEP_SECONDS],
                                 cwd=clone, env=env, check=True, capture_output=True,
                                 text=True).stdout  # fmt: skip
            seconds.append(float(out.strip().splitlines()[-1]))
    return seconds


def spec_costs(days: int, repeat: int) -> dict[str, float]:
    command = [sys.executable, "-c", _CHILD, str(days)]
    runs = [
        json.loads(
            subprocess.run(
                command, cwd=REPO, check=True, capture_output=True, text=True
            ).stdout.splitlines()[-1]
        )
        for _ in range(repeat)
    ]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def import_seconds(module: str, repeat: int, extra: list[str] | None = None) -> list[float]:
    """Cumulative import time of `module`, seconds, in fresh processes."""
    times = []
    for _ in range(repeat):
        result = subprocess.run(
            ["uv", "run", "--frozen", *(extra or []), "python", "-X", "importtime", "-c",
             f"import {module}"],
            cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        line = [
            row
            for row in result.stderr.splitlines()
            if re.search(rf"\|\s+{re.escape(module)}$", row)
        ][-1]
        times.append(int(line.split("|")[1]) / 1e6)
    return times


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a git ref to compare the report step with")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = machine_load()
    steps = {"this tree": report_step_seconds(None, args.repeat)}
    if args.before:
        steps[f"`{args.before}`"] = report_step_seconds(args.before, args.repeat)
    specs = {days: spec_costs(days, args.repeat) for days in SIZES}
    imports = {
        "`labor_lake.present.report` (plain dictionaries)": import_seconds(
            "labor_lake.present.report", args.repeat
        ),
        f"`altair` ({ALTAIR})": import_seconds("altair", args.repeat, ["--with", ALTAIR]),
        "`json`": import_seconds("json", args.repeat),
    }
    lines = [
        "# The report: its step, its specifications, and Altair's import cost",
        "",
        f"`uv run python benchmarks/report_charts.py{' --before ' + args.before if args.before else ''}` "
        f"on {platform.machine()}, Python {platform.python_version()}, {load} at the start; "
        f"medians of {args.repeat} (every run in brackets).",
        "",
        "## The report step in a fresh-clone build",
        "",
        "`dg launch --assets '*'`, offline, on a fresh copy with `uv sync --frozen "
        "--compile-bytecode`; the step's own time from Dagster's step stats.",
        "",
        "| code | report step (s) |",
        "| --- | ---: |",
        *(f"| {code} | {_cell(values)} |" for code, values in steps.items()),
        "",
        "## Specifications as the series grow",
        "",
        "Synthetic daily series (two); the ledger chart counts a synthetic 100,000-row ledger.",
        "",
        "| days per series | postings spec (s) | its peak allocations (MiB) | its JSON (KiB) | ledger chart, 100k rows (s) |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {days:,} | {r['chart_seconds']:.2f} | {r['peak_mib']:.0f} | {r['spec_kib']:.0f} | {r['ledger_seconds']:.2f} |"
            for days, r in specs.items()
        ),
        "",
        "## Import cost: plain dictionaries or Altair",
        "",
        "`python -X importtime -c 'import <module>'`, cumulative seconds.",
        "",
        "| module | import (s) |",
        "| --- | ---: |",
        *(f"| {module} | {_cell(values)} |" for module, values in imports.items()),
        "",
        "The report builds its specifications as plain dictionaries: Altair would add its import "
        "time to every report step and pin its own Vega-Lite version beside the vendored one.",
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
