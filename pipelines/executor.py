"""The executor: in-process by default, multiprocess when run config asks for it.

In-process runs the whole graph in a few seconds; the multiprocess executor starts a process per
step (about 3 s each on 2 cores) and pays off only when steps are heavy. Select it with

    execution:
      config:
        multiprocess:
          max_concurrent: 2
"""

from __future__ import annotations

import dagster as dg

_default = dg.multi_or_in_process_executor

in_process_or_multiprocess_executor = dg.ExecutorDefinition(
    name="in_process_or_multiprocess",
    config_schema=dg.Field(
        _default.config_schema.as_field().config_type,
        default_value={"in_process": {}},
    ),
    executor_creation_fn=_default.executor_creation_fn,
    requirements=_default.get_requirements,
    description=__doc__,
)
