"""Why a run failed, in one line a person can act on: the file or dataset, what went wrong, and
what to do. Expected failures (the lake busy, full or read-only, a damaged lake file, a source
failing in live mode, a registry or validation error) are told this way on the console and in the
run summary; their stack traces are for DEBUG. Anything else is a bug and keeps its trace.

Plain data in (an error's class names and messages, outermost first), text out:
`pipelines/console.py` and `pipelines/run_summary.py` read them from Dagster's events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The exceptions this project raises for conditions outside the code (labor_lake.lake.lock,
# labor_lake.lake.files, labor_lake.sources, labor_lake.registry), and dagster's `Failure`,
# which assets raise with a description written for people.
EXPECTED = frozenset(
    {
        "LakeBusy",
        "DamagedFile",
        "VintageDamaged",
        "SourceError",
        "SourceUnreachable",
        "Implausible",
        "KeptValuesMissing",
        "CatalogError",
        "SnapshotError",
        "ValidationFailed",
        "Failure",
    }
)
_ERRNO = re.compile(r"^\[Errno (\d+)\] ")
# What to do when the lake's filesystem refuses a write, by errno.
FILESYSTEM_ADVICE = {
    28: "the lake's disk is full: free space there (or set LABOR_LAKE_ROOT to a disk with room) "
    "and run again",
    30: "the lake is on a read-only filesystem: make it writable, or set LABOR_LAKE_ROOT to a "
    "writable folder, and run again",
    13: "the lake's folder is not writable by this user: fix its permissions, or set "
    "LABOR_LAKE_ROOT to a writable folder, and run again",
}
KEPT = "the lake keeps its last good tables"


@dataclass(frozen=True)
class RaisedError:
    """One exception of a chain: its class name and message."""

    name: str
    message: str


def _errno(error: RaisedError) -> int | None:
    found = _ERRNO.match(error.message)
    return int(found.group(1)) if found else None


def is_expected(chain: list[RaisedError]) -> bool:
    """Whether the innermost error is one a person fixes outside the code."""
    innermost = chain[-1]
    return innermost.name in EXPECTED or _errno(innermost) in FILESYSTEM_ADVICE


def _one_line(text: str) -> str:
    """A multi-line message (a validation report: a header, `  - ` problems, a closing
    sentence) as one line: the header, the first problem, how many more, the closing words."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    problems = [line.removeprefix("- ") for line in lines[1:] if line.startswith("- ")]
    others = [line for line in lines[1:] if not line.startswith(("- ", "..."))]
    header = lines[0]
    if problems:
        header += f": {problems[0]}"
        counted = re.search(r"(\d+) problem\(s\)", lines[0])
        more = (int(counted.group(1)) if counted else len(problems)) - 1
        header += f" (and {more} more)" if more > 0 else ""
    return "; ".join([header, *others])


def failure_line(where: str, chain: list[RaisedError], description: str | None = None) -> str:
    """`<where>: <what went wrong>; <what to do>` for a failure whose exceptions are `chain`
    (outermost first) and whose author wrote `description` (a dagster Failure's)."""
    innermost = chain[-1]
    errno = _errno(innermost)
    if description and innermost.name == "Failure":
        what = _one_line(description)
        if "run again" not in what.lower():
            what += " Correct what it names and run again."
    elif errno in FILESYSTEM_ADVICE:
        what = f"{innermost.message}: {FILESYSTEM_ADVICE[errno]}; {KEPT}"
    elif innermost.name in EXPECTED:
        what = _one_line(innermost.message)
    else:
        what = (
            f"{innermost.name}: {_one_line(innermost.message)} (unexpected: the stack trace is in "
            "the run's log; please report it)"
        )
    # A validation report and a dataset's error often start with the name already.
    return f"{where}: {what}" if where and not what.startswith(f"{where}: ") else what
