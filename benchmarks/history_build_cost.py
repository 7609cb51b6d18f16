"""The daily build with the full recorded history beside the same build without it (issue 20:
the history must not make the daily build more than 10% slower).

    uv run python benchmarks/history_build_cost.py [--repeat 3]

Per repeat, two fresh copies of the repository's tracked files (no instance, no lake yet): one as
is, and one whose snapshots/history/ holds no recorded version (its folded rows and manifest
removed, so core/observation_vintages holds only the vintages the build fetches itself); each
runs `uv run dg launch --assets '*'` (offline: the recorded snapshots), in alternating order.
Prints, for both, the medians of the command's wall and CPU seconds, the run's own duration
(start to end, as the Dagster UI shows it) and the observation_vintages step's; the last line
reads `with_history_s=A without_history_s=B ratio=R vintages_step_s=S` (run durations, medians).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from pipeline_wall_time import REPO, fresh_clone, run_durations, step_profile
from report_section import Measured, machine_load, measure

STEP = "observation_vintages"


def build(with_history: bool) -> tuple[Measured, float, float]:
    """One fresh-clone build: the command's measures, the run's duration, the vintages step's."""
    with tempfile.TemporaryDirectory() as scratch:
        clone = fresh_clone(Path(scratch) / "clone")
        if not with_history:
            for recorded in (clone / "snapshots" / "history").iterdir():
                recorded.unlink()
        env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "LABOR_LAKE_ROOT")}
        env["PWD"] = str(clone)
        uv = shutil.which("uv") or "uv"
        command = [uv, "run", "--project", str(REPO), "--frozen", "dg", "launch", "--assets", "*"]
        measured = measure(command, clone, env)
        steps = dict(step_profile(clone))
        return measured, run_durations(clone)[0], steps[STEP]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    results: dict[bool, list[tuple[Measured, float, float]]] = {True: [], False: []}
    loads = [machine_load()]
    for repeat in range(arguments.repeat):
        for with_history in (True, False) if repeat % 2 == 0 else (False, True):
            results[with_history].append(build(with_history))
        loads.append(machine_load())

    def median(with_history: bool, field: int, attribute: str | None = None) -> float:
        values = [r[field] for r in results[with_history]]
        return statistics.median(getattr(v, attribute) if attribute else v for v in values)

    for with_history, label in ((True, "with the recorded history"), (False, "without it")):
        runs = ", ".join(f"{r[1]:.2f}" for r in results[with_history])
        print(
            f"{label}: wall {median(with_history, 0, 'wall'):.2f} s, "
            f"CPU {median(with_history, 0, 'cpu'):.2f} s, run {median(with_history, 1):.2f} s "
            f"({runs}), {STEP} step {median(with_history, 2):.2f} s"
        )
    print(f"load averages: {' | '.join(loads)}")
    with_history, without = median(True, 1), median(False, 1)
    print(
        f"with_history_s={with_history:.2f} without_history_s={without:.2f} "
        f"ratio={with_history / without:.3f} vintages_step_s={median(True, 2):.2f}"
    )


if __name__ == "__main__":
    main()
