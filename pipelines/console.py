"""What the console shows of a failure: an expected one (labor_lake/present/failures.py) reads as
one line naming the file or dataset and what to do; Dagster's framework stack trace of it is
printed only at DEBUG (`--config-json '{"loggers": {"console": {"config": {"log_level":
"DEBUG"}}}}'`). A failure that is not expected (a bug) keeps its stack trace at every level.
"""

from __future__ import annotations

import logging

import dagster as dg
from dagster._core.log_manager import get_log_record_metadata, has_log_record_metadata
from dagster._utils.log import create_console_logger
from dagster_shared.error import SerializableErrorInfo

from labor_lake.present.failures import RaisedError, failure_line, is_expected

# Events that carry an error (their `event_specific_data.error`).
FAILURE_EVENTS = frozenset(
    {
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.RUN_FAILURE,
        dg.DagsterEventType.RESOURCE_INIT_FAILURE,
    }
)


def error_chain(error: SerializableErrorInfo) -> list[RaisedError]:
    """The exceptions of `error`, outermost first (each `raise ... from` cause, else context)."""
    chain = []
    current: SerializableErrorInfo | None = error
    while current is not None:
        name = current.cls_name or "Exception"
        message = current.message.strip()
        # `format_exception_only` writes `module.Class: message`; keep the message.
        head, separator, rest = message.partition(": ")
        if separator and head.rsplit(".", 1)[-1] == name:
            message = rest
        chain.append(RaisedError(name, message))
        current = current.cause or current.context
    return chain


def event_failure(event: dg.DagsterEvent) -> tuple[list[RaisedError], str | None] | None:
    """The exception chain and the author's description of a failure event, if it is one."""
    if event.event_type not in FAILURE_EVENTS:
        return None
    data = event.event_specific_data
    error = getattr(data, "error", None)
    if error is None:
        return None
    user = getattr(data, "user_failure_data", None)
    return error_chain(error), getattr(user, "description", None)


def where(event: dg.DagsterEvent) -> str:
    """The asset (or step) a failure belongs to, as a user names it."""
    if event.asset_key is not None:
        return event.asset_key.to_user_string()
    return (event.step_key or "").replace("__", "/")


# Where the handler keeps the full message (with its stack trace) on the record: Dagster passes a
# record's extra attributes on to the console logger, which restores it at DEBUG.
FULL_MESSAGE = "labor_lake_full_message"


class OneLineFailuresHandler(logging.Handler):
    """Attached to every run by `dagster.yaml` (`python_logs.dagster_handler_config`): Dagster
    runs these handlers before its console logger and then prints the record's message, so the
    message of an expected failure is made one line here (the full one kept on the record)."""

    def handle(self, record: logging.LogRecord) -> bool:
        if not has_log_record_metadata(record):
            return True
        event = get_log_record_metadata(record).get("dagster_event")
        failure = event_failure(event) if event is not None else None
        if failure is None or not is_expected(failure[0]):
            return True
        chain, description = failure
        full = str(record.msg)
        setattr(record, FULL_MESSAGE, full)
        record.msg = (
            f"{full.split(chr(10), 1)[0]} - {failure_line(where(event), chain, description)}"
        )
        record.args = ()
        return True

    def emit(self, record: logging.LogRecord) -> None:
        pass  # it only rewrites; the console logger prints


class FullMessageAtDebug(logging.Filter):
    """Puts back the full message (stack trace included) when the console is at DEBUG."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self.logger = logger

    def filter(self, record: logging.LogRecord) -> bool:
        full = getattr(record, FULL_MESSAGE, None)
        if full is not None and self.logger.level <= logging.DEBUG:
            record.msg, record.args = full, ()
        return True


@dg.logger(
    {
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "name": dg.Field(str, is_required=False, default_value="dagster"),
    },
    description="Dagster's colored console logger, with expected failures in one line above "
    "DEBUG and in full (stack trace included) at DEBUG.",
)
def console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    """Used when the run config sets `loggers.console` (as the README's DEBUG command does);
    otherwise Dagster prints with its own console logger at `python_log_level`."""
    config = init_context.logger_config
    logger = create_console_logger(name=config["name"], level=config["log_level"].upper())
    logger.addFilter(FullMessageAtDebug(logger))
    return logger
