"""The closing summary of a run: what was built, what failed or warned, where each source's data
came from, what the ledger found, and where the results are. Plain data in, lines of text out;
`pipelines/run_summary.py` gathers the facts from a Dagster run's event log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from labor_lake.refresh import FRESH
from labor_lake.snapshots import SNAPSHOT_LABEL
from schemas.vocabulary import CHECK_KINDS, CLAIM_STATUSES

LEDGER_STATUSES = tuple(CLAIM_STATUSES)
# How the summary, the report and the UI name each kind of ledger row, in the order shown.
KIND_LABELS: dict[str, str] = {
    "article_claim": "the article's claims",
    "figure_vs_official": "published figures against their official series",
    "oews_proxy_by_year": "OEWS proxies of the pay claims, by year and statistic",
    "oews_proxy_trend": "OEWS proxy trends",
}
assert set(KIND_LABELS) == set(CHECK_KINDS), "every kind of ledger row needs a label"
# Ledger statuses whose article claims the summary names (the others are only counted).
NAMED_STATUSES = ("inconsistent", "conflict")
SOURCES_CHECK = "sources_reachable"
# Metadata keys of the claim_checks materialization: rows by kind and status, and the article's
# claims named by status.
LEDGER_COUNT_KEY = "ledger: {kind}: {status}"
LEDGER_NAMES_KEY = "ledger: {status} claims"
_MAX_NAMES = 6
_GENERIC_CAUSE = "unreachable earlier in this run; not asked again"
# "using the recorded snapshot of 2024-10-03": datasets seeded from snapshots recorded on
# different days share one line, which gives the span of the days.
_RECORDED_ON = re.compile(
    re.escape(SNAPSHOT_LABEL).replace(re.escape("{date}"), r"(\d{4}-\d{2}-\d{2})")
)


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    severity: str  # "ERROR" or "WARN"
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class RunFacts:
    succeeded: bool
    planned: list[str]
    built: list[str]
    failed_steps: list[str]
    checks: list[CheckOutcome]
    lake_root: str
    # Rows of the ledger by kind, then status.
    ledger_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    ledger_names: dict[str, list[str]] = field(default_factory=dict)
    report_path: str | None = None
    release: str | None = None
    # The publisher's name of each source (the catalog's [publishers]), for the source lines.
    source_names: dict[str, str] = field(default_factory=dict)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES])
    return shown + (f" and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else "")


def _source_lines(checks: list[CheckOutcome], source_names: dict[str, str]) -> list[str]:
    """One line per source and fallback: fetched, or not fetched, why, and what is used instead
    (grouped by what the datasets fall back to). The check's notes are the refresh's outcome
    lines, `<dataset>: <status>: <detail> (<age>)`."""
    lines = []
    for check in checks:
        if check.name != SOURCES_CHECK:
            continue
        source = check.asset.removeprefix("raw/").removesuffix("_payloads")
        name = source_names.get(source, source)
        fresh: list[str] = []
        by_fallback: dict[str, tuple[str, list[str]]] = {}
        recorded_on: dict[str, set[str]] = {}
        for dataset, line in check.notes.items():
            _, status, rest = [*line.split(": ", 2), "", ""][:3]
            if status in FRESH:
                fresh.append(dataset)
                continue
            detail = rest.rsplit(" (", 1)[0]
            cause, _, fallback = detail.rpartition("; ")
            # "GET <url>: HTTP 404 after retries": the cause without the URL, which the check
            # keeps; datasets not asked after the host failed say only that.
            cause = cause.rpartition(": ")[2] or cause or status
            if found := _RECORDED_ON.search(fallback):
                fallback = _RECORDED_ON.sub(SNAPSHOT_LABEL.format(date="{dates}"), fallback)
                recorded_on.setdefault(fallback, set()).add(found.group(1))
            known_cause, datasets = by_fallback.get(fallback, (cause, []))
            specific = cause if known_cause == _GENERIC_CAUSE else known_cause
            by_fallback[fallback] = (specific, [*datasets, dataset])
        if fresh or (check.passed and not check.notes):
            lines.append(f"  {name}: fetched" + (f" ({_names(fresh)})" if fresh else ""))
        for fallback, (cause, datasets) in by_fallback.items():
            how = cause if cause.startswith("not fetched") else f"not fetched: {cause}"
            days = sorted(recorded_on.get(fallback, ()))
            if days:
                span = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
                plural = (
                    fallback.replace("snapshot of", "snapshots of") if len(days) > 1 else fallback
                )
                fallback = plural.replace("{dates}", span)
            lines.append(f"  {name}: {how}; {fallback} ({_names(datasets)})")
    return lines


def summary_lines(facts: RunFacts) -> list[str]:
    """At most about 25 lines, read top to bottom: outcome, assets, checks, sources, ledger,
    paths."""
    skipped = [key for key in facts.planned if key not in set(facts.built)]
    failed = [c for c in facts.checks if not c.passed and c.severity == "ERROR"]
    warned = [c for c in facts.checks if not c.passed and c.severity != "ERROR"]
    outcome = "succeeded" if facts.succeeded else "FAILED"
    lines = [
        f"── labor-lake run {outcome} " + "─" * 40,
        f"Built {len(facts.built)} of {len(facts.planned)} assets"
        + (f"; skipped: {_names(skipped)}" if skipped else "."),
    ]
    if facts.failed_steps:
        lines.append(f"Failed steps: {_names(facts.failed_steps)}")
    lines.append(
        "Checks failed: " + _names([f"{c.asset} {c.name}" for c in failed])
        if failed
        else "Checks failed: none"
    )
    if warned:
        lines.append("Checks warned: " + _names([f"{c.asset} {c.name}" for c in warned]))
    sources = _source_lines(facts.checks, facts.source_names)
    if sources:
        lines += ["Sources:", *sources[:8]]
        if len(sources) > 8:
            lines.append(f"  … and {len(sources) - 8} more datasets (see the run's check results)")
    if facts.ledger_counts:
        lines.append("Ledger:")
        for kind, label in KIND_LABELS.items():
            counts = facts.ledger_counts.get(kind, {})
            if not any(counts.values()):
                continue
            lines.append(f"  {label}: {count_words(counts)}")
            if kind == "article_claim":
                lines += [
                    f"    {status}: {_names(facts.ledger_names[status])}"
                    for status in NAMED_STATUSES
                    if facts.ledger_names.get(status)
                ]
    else:
        lines.append("Ledger: not rebuilt in this run")
    lines.append(f"Lake:    {facts.lake_root}")
    if facts.report_path:
        lines.append(f"Report:  {facts.report_path}")
    if facts.release:
        lines.append(f"Release: {facts.lake_root.rstrip('/')}/releases/{facts.release}")
    return lines


def count_words(counts: dict[str, int]) -> str:
    """`4 consistent, 2 inconsistent`: the statuses that occur, in the vocabulary's order."""
    present = [f"{counts[s]} {s}" for s in LEDGER_STATUSES if counts.get(s)]
    return ", ".join(present) or "none"


def status_counts(claim_checks: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Rows of the ledger by kind and status, every kind and status present (zero when none)."""
    counts = {
        (kind, status): n
        for kind, status, n in claim_checks.group_by("kind", "status").len().iter_rows()
    }
    return {
        kind: {status: int(counts.get((kind, status), 0)) for status in LEDGER_STATUSES}
        for kind in KIND_LABELS
    }


def ledger_counts_from(metadata: dict[str, object]) -> dict[str, dict[str, int]]:
    """The counts `status_counts` gave, read back from metadata keyed by `LEDGER_COUNT_KEY`."""
    counts: dict[str, dict[str, int]] = {}
    for kind in KIND_LABELS:
        for status in LEDGER_STATUSES:
            value = metadata.get(LEDGER_COUNT_KEY.format(kind=kind, status=status))
            if isinstance(value, int):
                counts.setdefault(kind, {})[status] = value
    return counts


def claims_with_status(claim_checks: pl.DataFrame, status: str) -> list[str]:
    """The article's claims (not figure checks or proxies) with `status`."""
    rows = claim_checks.filter((pl.col("kind") == "article_claim") & (pl.col("status") == status))
    return sorted(rows["claim_id"].to_list())
