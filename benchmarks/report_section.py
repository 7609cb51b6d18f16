"""docs/benchmarks.md holds one section per benchmark, each between its own markers, so that
each benchmark rewrites its section and leaves the others as they are."""

from __future__ import annotations

from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
_TITLE = "# Benchmarks\n"


def write_section(name: str, lines: list[str], report: Path = REPORT) -> None:
    """Replace (or append) the section `name` of the report with `lines`."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    text = report.read_text() if report.is_file() else _TITLE
    section = "\n".join([begin, *lines, end])
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    report.write_text(text)
