"""The OEWS bulk path against bare polars and against pandas + pandera, on one file.

    uv run python benchmarks/bulk_ingest.py --rows 10000000

Builds an OEWS-shaped CSV of N rows from the real rows of the May 2024 national-by-sector file
(../shared/realdata/bls/oews/natsector_M2024_dl.xlsx when present, else the recorded national
snapshot), laid out like BLS's CSV exports (numbers >= 1000 quoted with thousands separators,
markers as printed) with a YEAR column first, as yearly files stacked into one. Each copy of the
real rows gets its own year (10 years) and a synthetic area code, so the file has the
cardinality of the all-areas files over several years. Then times, each in its own process on
the same file:

(a) bare polars: `pl.read_csv` (every cell as text: inference fails on this file) +
    `write_parquet`;
(a') the same through polars' streaming engine (`scan_csv` + `sink_parquet`): a reference
    reported beside the targets, not one of them;
(b) the project's ingest path, the functions the assets call: `read_oews` (parse + type in one
    streaming pass; `core_oews_estimates` calls it per file), `schema_problems` (pandera on the
    collected frame, one year at a time; `validated_outputs` calls it) and
    `write_partitioned_table` (the IO manager calls it);
(c) pandas + pandera doing the same: read, parse numbers and markers, validate, write
    partitioned Parquet.

Wall and CPU time are measured inside each process around the step (imports excluded); peak
RSS of the process by the OS. The CSV is flushed to disk and read once before any step, so no
step pays for writing it back or reading it cold. (a) and (b) run `--repeat` times, alternating,
and their medians are compared (one run of each moved with the machine's load by up to 2x at
10,000,000 rows). The last line reads exactly
`ratio_vs_polars=X ratio_vs_pandas=Y rss_ratio=Z` (b/a time, b/c time, b/a peak RSS). Targets at
N = 10,000,000: X <= 1.3, Y <= 0.2, Z <= 1.5. `--report` writes the figures into the bulk-ingest
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from report_section import REPORT, machine_load, replace_section, section_text, write_section

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SECTION = "bulk_ingest"
SECTION_INTRO = """## OEWS bulk ingest (`benchmarks/bulk_ingest.py`)

One OEWS-shaped CSV (the real rows of the May 2024 national-by-sector file, printed as BLS's CSV
exports print them, repeated with a YEAR column over 10 years and synthetic area codes); each
step runs in its own process on that file. Wall and CPU time (user + system, all threads) are
measured inside the process around the step (imports excluded), peak RSS by the OS
(`ru_maxrss`, which includes the memory-mapped CSV). (a) bare polars reads every cell as text
and writes one Parquet file; (a') does the same through polars' streaming engine (a reference,
not a target); (b) is the project's path, the functions the assets call (`read_oews`: one
streaming pass of native polars expressions; `schema_problems`: pandera on the collected frame,
one year at a time, two years at once; `write_partitioned_table`: every changed year staged,
then renamed); (c) is pandas (pyarrow strings) + pandera doing the same parsing, checks and
partitioned write. (a) and (b) run several times, alternating, and the table gives their
medians. Targets at 10,000,000 rows: `ratio_vs_polars` (b/a time) <= 1.3,
`ratio_vs_pandas` (b/c time) <= 0.2, `rss_ratio` (b/a peak RSS) <= 1.5. The machine is shared
with other engineers' test runs: the load average is printed beside each run, and wall times are
noisy (CPU times much less so)."""
SHARED_SECTOR_FILE = (
    REPO.parent / "shared" / "realdata" / "bls" / "oews" / "natsector_M2024_dl.xlsx"
)
SNAPSHOT_FILE = REPO / "snapshots/www.bls.gov/oes/special-requests/oesm24nat/national_M2024_dl.xlsx"
YEARS = tuple(range(2015, 2025))
TARGETS = {"ratio_vs_polars": 1.3, "ratio_vs_pandas": 0.2, "rss_ratio": 1.5}
STREAMING = "(a') bare polars, streaming"
BARE, PROJECT = "(a) bare polars", "(b) project ingest"
DEFAULT_REPEAT = 3


def _source_rows() -> tuple[Path, object]:
    import polars as pl

    source = SHARED_SECTOR_FILE if SHARED_SECTOR_FILE.exists() else SNAPSHOT_FILE
    sheet = next(
        s
        for s in __import__("fastexcel").read_excel(source.read_bytes()).sheet_names
        if s.lower().endswith("_dl")
    )
    cells = pl.read_excel(source, engine="calamine", sheet_name=sheet, infer_schema_length=0)
    return source, cells


def _as_exported(cells: object) -> object:
    """Cells as Excel's CSV export prints them: whole numbers >= 1000 with thousands separators."""
    import polars as pl

    numeric = [c for c in cells.columns if c.startswith(("TOT_EMP", "A_"))]
    return cells.with_columns(
        pl.when(pl.col(c).cast(pl.Float64, strict=False) >= 1000)
        .then(
            pl.col(c)
            .cast(pl.Float64, strict=False)
            .round(0)
            .cast(pl.Int64)
            .map_elements(lambda v: f"{v:,}", return_dtype=pl.String)
        )
        .otherwise(pl.col(c))
        .alias(c)
        for c in numeric
    )


def build_csv(rows: int, path: Path) -> str:
    """Write the benchmark CSV; returns a description of where its rows came from."""
    import polars as pl

    source, cells = _source_rows()
    base = _as_exported(cells)
    copies = -(-rows // base.height)
    blocks = []
    for copy in range(copies):
        year, area = YEARS[copy % len(YEARS)], copy // len(YEARS)
        blocks.append(
            base.with_columns(
                pl.lit(str(1000 + area)).alias("AREA"),
                pl.lit(f"Synthetic area {1000 + area}").alias("AREA_TITLE"),
                pl.lit("2").alias("AREA_TYPE"),
            ).select(pl.lit(str(year)).alias("YEAR"), pl.all())
        )
    pl.concat(blocks).head(rows).write_csv(path)
    return f"{source.name} ({base.height} real rows) x {copies} copies ({len(YEARS)} years)"


def step_polars(csv: Path, out: Path) -> int:
    import polars as pl

    # Every cell as text: polars' type inference cannot read this file (NAICS `31-33` after
    # numeric codes, `*` and `#` in number columns, quoted thousands), and text is the cheapest
    # read, so this is the strictest baseline.
    frame = pl.read_csv(csv, infer_schema=False)
    frame.write_parquet(out / "bare.parquet")
    return frame.height


def step_polars_streaming(csv: Path, out: Path) -> int:
    import polars as pl

    # The same read and write through polars' streaming engine: a reference, not a target.
    cells = pl.scan_csv(csv, infer_schema=False)
    cells.sink_parquet(out / "bare.parquet")
    return pl.scan_parquet(out / "bare.parquet").select(pl.len()).collect().item()


def step_project(csv: Path, out: Path) -> int:
    from labor_lake.lake.files import Lake
    from labor_lake.lake.tables import write_partitioned_table
    from labor_lake.registry.validation import schema_problems
    from labor_lake.sources.oews import read_oews
    from schemas.tables import CORE_OEWS_ESTIMATES

    frame = read_oews(csv, csv.name)
    problems = schema_problems(frame, CORE_OEWS_ESTIMATES)
    if problems:
        raise SystemExit(f"validation failed: {problems[:5]}")
    write_partitioned_table(Lake(str(out)), frame, CORE_OEWS_ESTIMATES, {"run_id": "benchmark"})
    return frame.height


def step_pandas(csv: Path, out: Path) -> int:
    """pandas + pandera doing what (b) does: the same parsing rules, checks and partitioning."""
    import pandas as pd
    import pandera.pandas as pa

    from labor_lake.sources.oews import (
        ANNUAL_WAGE_COLUMNS,
        HOURLY_WAGE_COLUMNS,
        MARKERS,
        NUMBER_COLUMNS,
        OCCUPATION_CODE_PATTERN,
        OCCUPATION_GROUPS,
        TOP_CODE_BOUNDS,
    )
    from schemas.tables import CORE_OEWS_ESTIMATES

    frame = pd.read_csv(csv, dtype="string[pyarrow]", engine="pyarrow")
    frame.columns = [c.lower() for c in frame.columns]
    year = pd.to_numeric(frame["year"]).astype("int32")
    typed = pd.DataFrame({"year": year})
    typed["period_start"] = pd.to_datetime(year.astype(str) + "-05-01")
    typed["period_end"] = pd.to_datetime(year.astype(str) + "-05-31")
    for column in ("area", "area_title", "area_type", "prim_state", "naics", "naics_title",
                   "i_group", "own_code", "occ_code", "occ_title", "o_group"):  # fmt: skip
        typed[column] = frame[column]
    markers = pd.Series("", index=frame.index, dtype="string[pyarrow]")
    for column in NUMBER_COLUMNS:
        text = frame[column].str.strip()
        number = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        is_marker = text.isin(list(MARKERS))
        damaged = text.notna() & (text != "") & ~is_marker & number.isna()
        if damaged.any():
            raise SystemExit(f"{column}: {text[damaged].iloc[0]!r} is not a number")
        if column in ANNUAL_WAGE_COLUMNS or column in HOURLY_WAGE_COLUMNS:
            index = 1 if column in ANNUAL_WAGE_COLUMNS else 2
            bound = year.map(lambda y, i=index: next(r[i] for r in TOP_CODE_BOUNDS if y >= r[0]))
            number = number.where(text != "#", bound)
        typed[column] = number.astype("Int64" if column == "tot_emp" else "float64")
        markers = markers.where(~is_marker, markers + f"{column}=" + text + ";")
    typed["annual_only"] = frame["annual"].fillna("") == "TRUE"
    typed["hourly_only"] = frame["hourly"].fillna("") == "TRUE"
    typed["markers"] = markers
    typed["source_file"] = csv.name
    typed["source_row"] = range(2, len(typed) + 2)

    wage = [*ANNUAL_WAGE_COLUMNS, *HOURLY_WAGE_COLUMNS]
    schema = pa.DataFrameSchema(
        {
            "occ_code": pa.Column(str, pa.Check.str_matches(OCCUPATION_CODE_PATTERN)),
            "o_group": pa.Column(str, pa.Check.isin(OCCUPATION_GROUPS)),
            "area": pa.Column(str, pa.Check.str_matches(r"^\d+$")),
            "naics": pa.Column(str, pa.Check.str_matches(r"^\d{2,6}(-\d{2})?$")),
            "own_code": pa.Column(str, pa.Check.str_matches(r"^\d+$")),
            "tot_emp": pa.Column("Int64", pa.Check.ge(0), nullable=True),
            **{c: pa.Column(float, pa.Check.gt(0), nullable=True) for c in wage},
        },
        unique=list(CORE_OEWS_ESTIMATES.unique_together),
        coerce=False,
    )
    schema.validate(typed, lazy=True)
    typed.to_parquet(out / "pandas", partition_cols=["year"], compression="zstd")
    return len(typed)


STEPS = {
    "polars": step_polars,
    "polars_streaming": step_polars_streaming,
    "project": step_project,
    "pandas": step_pandas,
}
# Imported before a step's clock starts: the steps compare work on the file, not start-up.
STEP_IMPORTS = {
    "polars": ("polars",),
    "polars_streaming": ("polars",),
    "project": (
        "labor_lake.lake",
        "labor_lake.sources.oews",
        "labor_lake.registry.validation",
        "schemas.tables",
    ),
    "pandas": ("pandas", "pandera.pandas", "labor_lake.sources.oews", "schemas.tables"),
}


def _settle(csv: Path) -> None:
    """Flush the freshly written CSV to disk and read it once, so the first timed step does not
    pay for the writeback or a cold read that the later ones skip."""
    os.sync()
    with csv.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def _median_run(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Each figure's median over the runs, and every run's wall and CPU time."""
    return {
        **{key: statistics.median(run[key] for run in runs) for key in runs[0]},
        "runs": [(run["seconds"], run["cpu_seconds"]) for run in runs],
    }


def run_step(step: str, csv: Path, out: Path) -> dict[str, float]:
    """Run one step in a fresh process; its wall and CPU time (user + system, every thread),
    both measured inside around the step, and its peak RSS."""
    out.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, __file__, "--step", step, "--csv", str(csv), "--out", str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"step {step} failed with status {status}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return {**result, "peak_rss_mib": usage.ru_maxrss / 1024}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _machine() -> str:
    packages = ", ".join(
        f"{p} {version(p)}" for p in ("polars", "pandas", "pandera", "pyarrow", "fastexcel")
    )
    return (
        f"{os.cpu_count()} CPU cores; {platform.machine()}; Linux {platform.release()}; "
        f"Python {platform.python_version()}; {packages}; at the end, {machine_load()} "
        "(the machine is shared)"
    )


def _block(rows: int, origin: str, csv_bytes: int, results: dict, ratios: dict) -> list[str]:
    return [
        f"### {rows:,} rows",
        "",
        f"`uv run python benchmarks/bulk_ingest.py --rows {rows} --report"
        + (" --skip-pandas" if "(c) pandas + pandera" not in results else "")
        + (
            f" --repeat {repeat}"
            if (repeat := len(results[BARE]["runs"])) != DEFAULT_REPEAT
            else ""
        )
        + f"`: {csv_bytes / 2**20:,.0f} MiB CSV from {origin}.",
        "",
        "| step | wall time (s) | CPU time (s) | peak RSS (MiB) |",
        "| --- | --- | --- | --- |",
        *(
            f"| {name} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['peak_rss_mib']:,.0f} |"
            for name, r in results.items()
        ),
        "",
        *(
            f"{name}, every run (wall s / CPU s), alternating: "
            + ", ".join(f"{wall:.2f} / {cpu:.2f}" for wall, cpu in results[name]["runs"])
            + "."
            for name in (BARE, PROJECT)
            if len(results[name].get("runs", ())) > 1
        ),
        "",
        "; ".join(
            f"`{key}={value:.3f}` (target <= {TARGETS[key]}: "
            f"{'met' if value <= TARGETS[key] else 'missed'})"
            if value == value
            else f"`{key}` not measured at this size"
            for key, value in ratios.items()
        )
        + ".",
        "",
        _streaming_note(results),
        "",
        f"Machine: {_machine()}.",
    ]


def _streaming_note(results: dict) -> str:
    """(b) against polars' streaming engine doing (a)'s work: stated, not hidden."""
    b, streaming = results[PROJECT], results[STREAMING]
    return (
        f"Against {STREAMING} (`scan_csv` + `sink_parquet`, which never holds the whole file): "
        f"wall time {b['seconds'] / streaming['seconds']:.2f}x, CPU time "
        f"{b['cpu_seconds'] / streaming['cpu_seconds']:.2f}x, peak RSS "
        f"{b['peak_rss_mib'] / streaming['peak_rss_mib']:.2f}x."
    )


def write_report(rows: int, origin: str, csv_bytes: int, results: dict, ratios: dict) -> None:
    """Put this run's block into the bulk-ingest section of docs/benchmarks.md, replacing an
    earlier run with the same number of rows and keeping the others."""
    text = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    section = section_text(text, SECTION) or SECTION_INTRO
    block = _block(rows, origin, csv_bytes, results, ratios)
    section = replace_section(section, f"{SECTION} rows={rows}", block)
    write_section(SECTION, section.splitlines(), REPORT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--report", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--skip-pandas", action="store_true", help="time (a) and (b) only")
    parser.add_argument(
        "--repeat",
        type=int,
        default=DEFAULT_REPEAT,
        help="runs of (a) and (b), alternating; medians compared",
    )
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:  # a child process: one step, timed from here
        for module in STEP_IMPORTS[args.step]:
            importlib.import_module(module)
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        rows = STEPS[args.step](args.csv, args.out)
        seconds, cpu_seconds = time.perf_counter() - start, _cpu_seconds() - cpu_start
        print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "rows": rows}))
        return

    with tempfile.TemporaryDirectory(prefix="bulk_ingest_") as work:
        csv = Path(work) / "oews_stacked_M_dl.csv"
        start = time.perf_counter()
        origin = build_csv(args.rows, csv)
        print(f"built {csv.stat().st_size / 2**20:,.0f} MiB CSV of {args.rows:,} rows from "
              f"{origin} in {time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        _settle(csv)
        runs: dict[str, list[dict[str, float]]] = {}
        order = [(BARE, "polars"), (PROJECT, "project")] * args.repeat
        order += [(STREAMING, "polars_streaming"), ("(c) pandas + pandera", "pandas")]
        for name, step in order:
            if step == "pandas" and args.skip_pandas:
                continue
            run = run_step(step, csv, Path(work) / step)
            runs.setdefault(name, []).append(run)
            print(f"{name}: {run['seconds']:.2f} s (CPU {run['cpu_seconds']:.2f} s), peak RSS "
                  f"{run['peak_rss_mib']:,.0f} MiB; {machine_load()}", flush=True)  # fmt: skip
        names = (BARE, STREAMING, PROJECT, "(c) pandas + pandera")
        results = {name: _median_run(runs[name]) for name in names if name in runs}
        a, b = results[BARE], results[PROJECT]
        c = results.get("(c) pandas + pandera")
        ratios = {
            "ratio_vs_polars": b["seconds"] / a["seconds"],
            "ratio_vs_pandas": b["seconds"] / c["seconds"] if c else float("nan"),
            "rss_ratio": b["peak_rss_mib"] / a["peak_rss_mib"],
        }
        if args.report:
            write_report(args.rows, origin, csv.stat().st_size, results, ratios)
        print(" ".join(f"{key}={value:.3f}" for key, value in ratios.items()))


if __name__ == "__main__":
    main()
