"""What the benchmarks share: docs/benchmarks.md holds one section per benchmark, each between
its own markers, so that each benchmark rewrites its section and leaves the others as they are;
and a command's wall time, CPU time and peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
_TITLE = "# Benchmarks\n"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- begin {name} -->", f"<!-- end {name} -->"


def section_text(text: str, name: str) -> str | None:
    """What stands between the markers of section `name` in `text`, None if it is absent."""
    begin, end = _markers(name)
    if begin not in text or end not in text:
        return None
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def replace_section(text: str, name: str, lines: list[str]) -> str:
    """`text` with section `name` replaced by `lines` (appended when absent)."""
    begin, end = _markers(name)
    section = "\n".join([begin, *lines, end])
    if section_text(text, name) is None:
        return text.rstrip("\n") + "\n\n" + section + "\n"
    before, rest = text.split(begin, 1)
    return before + section + rest.split(end, 1)[1]


def write_section(name: str, lines: list[str], report: Path = REPORT) -> None:
    """Replace (or append) the section `name` of the report with `lines`."""
    text = report.read_text() if report.is_file() else _TITLE
    report.write_text(replace_section(text, name, lines))


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and everything it started
    peak_rss_mb: float  # the largest resident set of any of its processes


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Measured:
    """Run `command` to completion; its wall time, CPU time and peak memory. CPU time barely
    moves when other work shares the machine, so it is the steadier comparison."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=output)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            output.seek(0)
            raise subprocess.CalledProcessError(
                process.returncode, command, output.read().decode(errors="replace")[-4000:]
            )
    # Linux reports ru_maxrss in KiB.
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median_cell(runs: list[Measured], field: str) -> str:
    """A table cell: the median of `field` over the runs, then every run's value."""
    values = [getattr(run, field) for run in runs]
    return f"{statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})"


def machine_load() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
