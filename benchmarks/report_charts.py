"""Time and peak memory of the report's charts as the tables grow.

    uv run python benchmarks/report_charts.py

Draws the postings chart (the one with daily series) from synthetic growth rows (made-up values,
not published figures) of 1,000 to 100,000 days per series, two series, and the ledger table
of a synthetic 100,000-row ledger, each in a fresh process, and writes the medians of three runs
with the postings chart's peak allocations (tracemalloc: Python and numpy) to
docs/report_benchmark.md. Targets: drawing time and memory
stay flat as the series grow (charts draw a bounded number of marks).
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "docs" / "report_benchmark.md"
SIZES = (1_000, 10_000, 100_000)
REPEAT = 3

_CHILD = r"""
import json, sys, time, tracemalloc
from datetime import date, timedelta
import numpy as np, polars as pl
from labor_lake.present import report
from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.publishers import Publishers
from schemas.tables import METRICS_CLAIM_CHECKS, METRICS_GROWTH_RATES, METRICS_POSTINGS_DIVERGENCE
days = int(sys.argv[1])
start = date(1900, 1, 1)
rng = np.random.default_rng(0)
rows = []
for series in ("fred:SYNTHETIC_A", "indeed:synthetic:b"):
    values = np.cumsum(rng.normal(size=days))
    ends = [start + timedelta(days=i) for i in range(days)]
    rows.append(pl.DataFrame({
        "metric_id": [f"growth_pct:{series}:{i}" for i in range(days)],
        "value": values, "value_low": values, "value_high": values,
        "unit": "percent_change",
        "period": [f"{start.isoformat()}/{e.isoformat()}" for e in ends],
        "inputs": [[f"{series}@{e.isoformat()}"] for e in ends],
        "formula": "growth_pct", "formula_text": "synthetic", "measure": "postings_index",
        "subjects": [[series.split(":")[-1]]] * days, "flags": [["synthetic"]] * days,
    }))
growth = pl.concat(rows).cast(METRICS_GROWTH_RATES.polars_schema)
report.ledger_chart(pl.DataFrame({"kind": ["article_claim"], "status": ["consistent"]}))  # warm-up: fonts, caches
tracemalloc.start()
t = time.perf_counter()
report.postings_chart(growth, METRICS_POSTINGS_DIVERGENCE.empty_frame(), Publishers.of(load_catalog("catalog/datasets.toml")))
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
print(json.dumps({"chart_seconds": chart_seconds, "ledger_seconds": ledger_seconds, "peak_mib": peak_mib}))
"""


def measure(days: int) -> dict[str, float]:
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _CHILD, str(days)],
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.splitlines()[-1]
        )
        for _ in range(REPEAT)
    ]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    results = {days: measure(days) for days in SIZES}
    lines = [
        "# Report charts: time and memory as the tables grow",
        "",
        f"`uv run python benchmarks/report_charts.py` on {platform.machine()}, "
        f"Python {platform.python_version()}, median of {REPEAT} fresh processes. Synthetic "
        "series (two, daily); the ledger chart counts a synthetic 100,000-row ledger.",
        "",
        "| days per series | postings chart (s) | its peak allocations (MiB) | ledger chart, 100k rows (s) |",
        "| ---: | ---: | ---: | ---: |",
        *(
            f"| {days:,} | {r['chart_seconds']:.2f} | {r['peak_mib']:.0f} | {r['ledger_seconds']:.2f} |"
            for days, r in results.items()
        ),
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
