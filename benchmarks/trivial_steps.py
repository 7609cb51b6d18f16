"""Code locations of steps that do nothing, for `benchmarks/pipeline_wall_time.py`.

Started in the repository, `dg launch -f benchmarks/trivial_steps.py --assets trivial_1` costs what
every `dg launch` costs here (the `dg` CLI, Dagster, the instance from our `dagster.yaml` with its
SQLite storage and run-summary handler, one run of one step) with no code or work of ours: the
fixed cost that no change to our assets can remove. `--assets '*'` runs as many steps as the
whole build, each doing nothing: what Dagster alone costs per step, the least any step can cost.
"""

from __future__ import annotations

import dagster as dg

# As many steps as `dg launch --assets '*'` runs for the whole build today (the benchmark prints
# both counts: its per-step figure divides by this one).
STEPS = 14


def _step(number: int) -> dg.AssetsDefinition:
    """`trivial_<number>`, after the one before it (so the steps run one after the other)."""

    @dg.asset(name=f"trivial_{number}", deps=[f"trivial_{number - 1}"] if number > 1 else [])
    def _nothing() -> None:
        """Does nothing: its run is the cost of running one step."""

    return _nothing


# In-process, as our own Definitions run by default: Dagster's default executor would start a
# process per step, a cost our builds do not pay.
defs = dg.Definitions(
    assets=[_step(n) for n in range(1, STEPS + 1)], executor=dg.in_process_executor
)
