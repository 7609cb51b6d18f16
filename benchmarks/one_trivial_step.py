"""A code location of one asset that does nothing, for `benchmarks/pipeline_wall_time.py`.

`dg launch -f benchmarks/one_trivial_step.py --assets trivial` started in the repository costs
what every `dg launch` costs here (the `dg` CLI, Dagster, the instance from our `dagster.yaml`
with its SQLite storage and run-summary handler, one run of one step) without our definitions
or any work of ours: the fixed cost that no change to our assets can remove.
"""

from __future__ import annotations

import dagster as dg


@dg.asset
def trivial() -> None:
    """Does nothing: its run is the cost of running one step."""


# In-process, as our own Definitions run by default: Dagster's default executor would start a
# process per step, a cost our builds do not pay.
defs = dg.Definitions(assets=[trivial], executor=dg.in_process_executor)
