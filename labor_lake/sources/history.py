"""A publisher file's past versions, from its git history, as vintages of its dataset.

Where a file lives in a git repository (the catalog's `[dataset.history]`: repository, branch,
path), every commit that touched the path is a vintage dated by its commit. The versions come
from GitHub (`labor_lake.sources.github`: the commits listing, then the raw file at each
commit) or from a local clone (`clone_versions`, `git log` and `git cat-file`); both give the
same `Version`s. Older versions may have other headers, date formats and missing-value tokens,
declared in the catalog entry (data, not code branches): `read_version` maps each to the
current header's meaning, so an article of 2022 is checked against the numbers of its day.

A commit where the path is absent (a deletion: Indeed deletes and re-adds files, and removed
GenAI_posting.csv in 2025) publishes nothing: what was published before stays as it was. A
version whose bytes cannot be had (missing from a clone, a raw address that fails) or do not
parse is a one-line error naming the commit; the rest is folded and nothing held is lost.

The recorded history (snapshots/history/) holds, per dataset, the folded rows of every version
recorded (core/observation_vintages rows) and a manifest naming every commit, its blob and the
sha256 of its bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import polars as pl

from labor_lake.lake import bitemporal
from labor_lake.sources.catalog import Catalog, Dataset, History, ValueColumn
from labor_lake.sources.connector import Parsed
from labor_lake.sources.http import SourceError, SourceUnreachable
from labor_lake.sources.http_file import (
    NUMBER,
    csv_observations,
    period_end,
    series_columns,
    value_of,
)
from schemas.tables import CORE_VINTAGES
from schemas.vocabulary import ALFRED, PUBLISHER_HISTORY

Read = TypeVar("Read")
MANIFEST_COLUMNS = tuple(CORE_VINTAGES.polars_schema.names())
HISTORY_FOLDER = "history"  # under snapshots/


class HistoryError(SourceError):
    """A version of a publisher's file that cannot be read: one line naming the commit."""


class HistoryUnreachable(HistoryError, SourceUnreachable):
    """The host of the versions (GitHub) could not be reached at all: no use asking it again
    for the other datasets in the same run."""


class FileAbsent(HistoryError):
    """The file is not at the commit (its raw address answers 404): the commit deleted it."""


@dataclass(frozen=True)
class Version:
    """One commit's version of a dataset's file. `read` gives its bytes (None: the commit
    deleted the file); `blob` is git's id of the file at the commit, where known."""

    dataset: str
    commit: str
    committed_at: datetime  # UTC
    url: str  # the raw address of the file at the commit
    blob: str | None
    read: Callable[[], bytes] | None


@dataclass(frozen=True)
class Folded:
    """A dataset's history: its bitemporal rows, the manifest row of every version considered,
    and one line per version that could not be folded."""

    rows: pl.DataFrame
    manifest: pl.DataFrame
    errors: tuple[str, ...] = ()


def _date_format(history: History, dates: pl.Series) -> str | None:
    """The first of the declared formats that reads every date of a version."""
    for fmt in history.date_formats:
        if dates.str.to_date(fmt, strict=False).null_count() == dates.null_count():
            return fmt
    return None


def _value_columns(
    dataset: Dataset, header: tuple[str, ...], where: str
) -> tuple[tuple[ValueColumn, ...], dict[str, float]]:
    """The value columns of a version with this header, named by the current header's meaning,
    and what to add to each column's values to give them that meaning."""
    history = dataset.history
    assert history is not None, dataset.id
    if header == dataset.columns:
        return dataset.values, {}
    variant = next((v for v in history.variants if v.columns == header), None)
    if variant is None:
        raise HistoryError(
            f"{where}: header {list(header)[:8]} is neither the current one nor a variant "
            "declared in the catalog's [dataset.history]"
        )
    names = {v.column: v.name for v in dataset.values}
    values = tuple(ValueColumn(v.column, names[v.means]) for v in variant.values)
    return values, {v.column: v.add for v in variant.values}


def _where(dataset: Dataset, commit: str) -> str:
    history = dataset.history
    assert history is not None, dataset.id
    return f"{dataset.id} at {history.repository}@{commit[:12]}:{history.path}"


def read_version(dataset: Dataset, content: bytes, commit: str) -> pl.DataFrame:
    """The observations one version of the file published (core/observations columns without
    the vintage ones), read with the header variant its header matches; a HistoryError naming
    the commit when it does not parse."""
    history = dataset.history
    assert history is not None, dataset.id
    where = _where(dataset, commit)
    try:
        frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise HistoryError(f"{where}: not a CSV: {type(error).__name__}") from None
    values, add = _value_columns(dataset, tuple(frame.columns), where)
    if frame.height == 0:
        raise HistoryError(f"{where}: the file has a header and no rows")
    frame = frame.with_row_index("line", offset=2)
    for column, wanted in dataset.keep.items():  # a value older versions lack is no error
        frame = frame.filter(pl.col(column).is_in(wanted))
    if history.missing:
        frame = frame.with_columns(
            pl.col(v.column).replace(list(history.missing), None) for v in values
        )
    period_format = _date_format(history, frame[dataset.period_column])
    if period_format is None:
        sample = frame[dataset.period_column].head(1).to_list()
        raise HistoryError(
            f"{where}: column {dataset.period_column!r}, value {sample} is in none of the "
            f"declared date formats {list(history.date_formats)}"
        )
    try:
        return csv_observations(dataset, frame, history.raw_url(commit), period_format, values, add)
    except SourceError as error:
        raise HistoryError(f"{where}: {str(error).split('): ', 1)[-1]}") from None


def compact_version(dataset: Dataset, content: bytes, commit: str) -> bitemporal.CompactVersion:
    """What `read_version` reads, in the compact form a fold keeps (`compact_versions` for
    one version); a HistoryError naming the commit when it does not parse."""
    result = compact_versions(dataset, [(content, commit)])[0]
    if isinstance(result, HistoryError):
        raise result
    return result


def compact_versions(
    dataset: Dataset, contents: Sequence[tuple[bytes, str]]
) -> list[bitemporal.CompactVersion | HistoryError]:
    """What `read_version` reads of each version (its bytes and commit), in the compact form a
    fold keeps, without building the observation columns row by row; or the HistoryError
    naming what is wrong with it.

    The columns other than the date and the values (country, sector, variable: a row's key) and
    the date are read as categories; the versions with the same header are then handled as one
    frame (a few operations for many versions, not a few per version), each distinct key mapped
    to its series once and each distinct date parsed once. Whatever is unusual in a version (not
    a CSV, an unknown header, no rows, a key missing, a value that is not a number, dates in
    other declared formats than the others') sends it, alone, to `read_version`, which names it
    or reads it."""
    results: list[bitemporal.CompactVersion | HistoryError | None] = [None] * len(contents)
    same_header: dict[tuple[str, ...], list[tuple[int, pl.DataFrame]]] = {}
    # Read side by side: polars parses each file without holding Python's lock.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        categorised = list(pool.map(lambda c: _read_as_categories(dataset, *c), contents))
    for index, ((content, commit), read) in enumerate(zip(contents, categorised, strict=True)):
        if read is None:
            results[index] = _read_slowly(dataset, content, commit)
        else:
            same_header.setdefault(read[0], []).append((index, read[1]))
    for header, members in same_header.items():
        compacted = _compact_same_header(dataset, header, [frame for _, frame in members])
        for n, (index, _) in enumerate(members):
            if compacted is not None:
                results[index] = compacted[n]
            else:
                results[index] = (
                    _read_slowly(dataset, *contents[index])
                    if len(members) == 1
                    else compact_versions(dataset, [contents[index]])[0]
                )
    return [r for r in results if r is not None]


def _read_slowly(
    dataset: Dataset, content: bytes, commit: str
) -> bitemporal.CompactVersion | HistoryError:
    try:
        return bitemporal.compact(read_version(dataset, content, commit))
    except HistoryError as error:
        return error


def _read_as_categories(
    dataset: Dataset, content: bytes, commit: str
) -> tuple[tuple[str, ...], pl.DataFrame] | None:
    """A version's header and its rows, with the date and key columns as categories; None
    when it is not a CSV with a known header."""
    end = content.find(b"\n")  # the header from the first line (read_csv confirms it)
    first_line = (content if end < 0 else content[:end]).decode("utf-8", errors="replace")
    header = tuple(next(csv.reader([first_line.rstrip("\r")]), []))
    try:
        values, _ = _value_columns(dataset, header, _where(dataset, commit))
    except HistoryError:
        return None
    period = dataset.period_column
    keys = _key_columns(dataset, header, values)
    if period not in header or not keys or not set(dataset.keep) <= set(keys):
        return None
    try:
        frame = pl.read_csv(
            io.BytesIO(content),
            infer_schema=False,
            schema_overrides={c: pl.Categorical for c in (period, *keys)},
        )
    except pl.exceptions.PolarsError:
        return None
    return (header, frame) if tuple(frame.columns) == header else None


def _key_columns(
    dataset: Dataset, header: tuple[str, ...], values: tuple[ValueColumn, ...]
) -> list[str]:
    return [c for c in header if c != dataset.period_column and c not in {v.column for v in values}]


def _compact_same_header(
    dataset: Dataset, header: tuple[str, ...], frames: list[pl.DataFrame]
) -> list[bitemporal.CompactVersion] | None:
    """The versions' rows (`_read_as_categories`, one header) in compact form, handled as one
    frame; None when one of them is unusual."""
    history = dataset.history
    assert history is not None, dataset.id
    values, add = _value_columns(dataset, header, dataset.id)
    period, keys = dataset.period_column, _key_columns(dataset, header, values)
    frame = pl.concat([f.with_columns(version=pl.lit(n, pl.UInt32)) for n, f in enumerate(frames)])
    for column, wanted in dataset.keep.items():
        frame = frame.filter(pl.col(column).is_in(wanted))
    if history.missing:
        frame = frame.with_columns(
            pl.col(v.column).replace(list(history.missing), None) for v in values
        )
    if frame.height == 0:
        return None
    # A key as one number from its columns' category numbers (all up to `size`).
    size = max(m or 0 for m in frame.select(pl.col(keys).to_physical().max()).row(0))
    key = pl.lit(0, pl.UInt64)
    for column in keys:
        key = key * (size + 1) + pl.col(column).to_physical().cast(pl.UInt64)
    usual = frame.select(
        every_version=pl.col("version").n_unique() == len(frames),
        keys=pl.sum_horizontal(pl.col(keys).null_count()) == 0,
        numbers=pl.all_horizontal(pl.col(v.column).str.contains(NUMBER).all() for v in values),
    ).row(0)
    # The dates: each distinct one parsed once, then looked up by its category's number.
    dates = frame[period].gather(frame[period].arg_unique())
    period_format = _date_format(history, dates.cast(pl.String))
    if not all(usual) or period_format is None or (size + 1) ** len(keys) >= 2**64:
        return None
    # read_version takes, for each version, the first declared format that reads all its
    # dates: the batch's is each version's only if no earlier format reads all of one version's
    # (formats can overlap: 01/02/24 reads as %m/%d/%y and %d/%m/%y). Rare, so checked on rows.
    for earlier in history.date_formats[: history.date_formats.index(period_format)]:
        reads = pl.col(period).cast(pl.String).str.to_date(earlier, strict=False).is_not_null()
        by_version = frame.group_by("version").agg(
            (reads | pl.col(period).is_null()).all().alias("reads")
        )
        if by_version["reads"].any():
            return None
    parsed = dates.cast(pl.String).str.to_date(period_format, strict=False)
    codes = dates.to_physical()
    lookup = pl.Series([None] * ((codes.max() or 0) + 1), dtype=pl.Date).scatter(
        codes.drop_nulls(), parsed.filter(codes.is_not_null())
    )
    # Each distinct key once (in order of first appearance); the n-th value column's series of
    # the k-th key is k plus n times the number of keys.
    code = frame.select(key).to_series()
    firsts = code.arg_unique()
    distinct = frame.select(keys)[firsts]
    numbered = pl.DataFrame(
        {"code": code[firsts], "key": pl.int_range(len(firsts), dtype=pl.UInt32, eager=True)}
    )
    frame = frame.with_columns(
        start=pl.lit(lookup).gather(pl.col(period).to_physical()),
        key=pl.DataFrame({"code": code}).join(
            numbered, on="code", how="left", maintain_order="left"
        )["key"],
    )
    described = distinct.cast(pl.String)
    series = pl.concat([described.select(**series_columns(dataset, v.name)) for v in values])
    rows = pl.concat(
        frame.select(
            "version",
            series=(pl.col("key") + n * distinct.height).cast(pl.UInt32),
            period_start="start",
            period_end=period_end(dataset, pl.col("start")),
            value=value_of(value.column, add),
            footnotes=pl.lit(0, pl.UInt32),
            release=pl.lit(0, pl.UInt32),
        )
        for n, value in enumerate(values)
    )
    by_version = rows.partition_by("version", maintain_order=True, include_key=False, as_dict=True)
    no_footnotes = pl.Series([[]], dtype=pl.List(pl.String))
    release = pl.Series([dataset.release], dtype=pl.String)
    # Each version is given the series of all of them (a series' description depends on its
    # key only), numbered as its rows are.
    return [
        bitemporal.CompactVersion(series, no_footnotes, release, by_version[(n,)])
        for n in range(len(frames))
    ]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _manifest_row(
    version: Version,
    content: bytes | None,
    status: str,
    detail: str | None,
    sha256: str | None = None,
) -> dict:
    """The manifest row of a version (`sha256`: that of `content`, when already known)."""
    if content is not None and sha256 is None:
        sha256 = _sha256(content)
    return {
        "dataset": version.dataset,
        "vintage_id": version.commit,
        "origin": PUBLISHER_HISTORY,
        "vintage_at": version.committed_at,
        "url": version.url,
        "blob": version.blob,
        "sha256": sha256,
        "bytes": len(content) if content is not None else None,
        "status": status,
        "detail": detail,
    }


def manifest_frame(rows: Iterable[dict]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CORE_VINTAGES.polars_schema)


# Versions read together by a fold (compact_versions) until their bytes reach this: a few
# versions of a large file, tens of a small one.
BATCH_BYTES = 32 * 2**20


def _each_version(
    dataset: Dataset,
    versions: Iterable[Version],
    manifest: list[dict],
    errors: list[str],
    read: Callable[[Dataset, Sequence[tuple[bytes, str]]], list[Read | HistoryError]],
    batch_bytes: int = 0,
) -> Iterator[tuple[bitemporal.Vintage, Read]]:
    """Each version's observations (`read` of a batch of versions' bytes and commits), with its
    vintage, read a batch at a time (up to `batch_bytes`; 0: one at a time) so that a fold
    keeps each only in compact form; the manifest row of every version and the error line of
    each that could not be read are appended to `manifest` and `errors` in the versions'
    order."""
    batch: list[tuple[Version, bytes | None, dict | None]] = []

    def flush() -> Iterator[tuple[bitemporal.Vintage, Read]]:
        readable = [(content, v.commit) for v, content, _ in batch if content is not None]
        # Each version hashed once, beside the reading (hashlib does not hold Python's lock).
        with ThreadPoolExecutor(max_workers=1) as hasher:
            hashing = hasher.map(_sha256, [content for content, _ in readable])
            results = iter(read(dataset, readable) if readable else [])
            digests = iter(list(hashing))
        for version, content, done in batch:
            if done is not None:  # deleted or missing: no bytes to read
                manifest.append(done)
                if done["status"] == "missing":
                    errors.append(done["detail"])
                continue
            result, sha256 = next(results), next(digests)
            if isinstance(result, HistoryError):
                manifest.append(_manifest_row(version, content, "damaged", str(result), sha256))
                errors.append(str(result))
                continue
            row = _manifest_row(version, content, "folded", None, sha256)
            manifest.append(row)
            vintage = bitemporal.Vintage(
                version.commit, version.committed_at, row["sha256"], PUBLISHER_HISTORY
            )
            yield vintage, result
        batch.clear()

    held = 0
    for version in versions:
        deleted = _manifest_row(version, None, "deleted", "the commit removes the file")
        if version.read is None:
            batch.append((version, None, deleted))
            continue
        try:
            content = version.read()
        except FileAbsent:
            batch.append((version, None, deleted))
            continue
        except (SourceError, OSError) as error:
            line = f"{dataset.id} at {version.commit[:12]}: {error}"
            batch.append((version, None, _manifest_row(version, None, "missing", line)))
            continue
        batch.append((version, content, None))
        held += len(content)
        if held >= batch_bytes:
            yield from flush()
            held = 0
    yield from flush()


def _read_each(
    dataset: Dataset, contents: Sequence[tuple[bytes, str]]
) -> list[pl.DataFrame | HistoryError]:
    """`read_version` of each version: its observations or its error."""
    read: list[pl.DataFrame | HistoryError] = []
    for content, commit in contents:
        try:
            read.append(read_version(dataset, content, commit))
        except HistoryError as error:
            read.append(error)
    return read


def read_versions(
    dataset: Dataset, versions: Iterable[Version]
) -> tuple[list[tuple[bitemporal.Vintage, pl.DataFrame]], pl.DataFrame, tuple[str, ...]]:
    """Each version's observations, with its vintage; the manifest rows of every version and
    the error lines of those that could not be read."""
    manifest: list[dict] = []
    errors: list[str] = []
    read = list(_each_version(dataset, versions, manifest, errors, _read_each))
    return read, manifest_frame(manifest), tuple(errors)


def fold_history(dataset: Dataset, versions: Iterable[Version]) -> Folded:
    """Every version of the dataset's file folded into bitemporal rows, the versions read a
    batch at a time (`compact_versions`)."""
    manifest: list[dict] = []
    errors: list[str] = []
    rows = bitemporal.fold_versions(
        _each_version(dataset, versions, manifest, errors, compact_versions, BATCH_BYTES)
    )
    return Folded(rows, manifest_frame(manifest).sort("vintage_at"), tuple(errors))


def add_versions(
    dataset: Dataset, table: pl.DataFrame, held: pl.DataFrame, versions: Iterable[Version]
) -> Folded:
    """`table` (core/observation_vintages) and `held` (its manifest) with the versions of the
    dataset not held yet, in time order. A version older than the newest one held cannot be
    slotted in without refolding the dataset: it is listed as such and left out."""
    held_ids = set(held.filter(pl.col("dataset") == dataset.id)["vintage_id"].to_list())
    newest = held.filter(pl.col("dataset") == dataset.id)["vintage_at"].max()
    new = sorted((v for v in versions if v.commit not in held_ids), key=lambda v: v.committed_at)
    read, manifest, errors = read_versions(dataset, new)
    for vintage, observations in read:
        if newest is not None and vintage.at <= newest:
            errors += (
                f"{dataset.id} at {vintage.vintage_id[:12]}: dated {vintage.at:%Y-%m-%d %H:%M}, "
                "before the newest version held; rebuild the history to fold it",
            )
            manifest = with_status(manifest, vintage.vintage_id, "missing", errors[-1])
            continue
        table = bitemporal.add_vintage(table, dataset.id, observations, vintage, complete=True)
    return Folded(table, pl.concat([held, manifest]).sort("dataset", "vintage_at"), errors)


# --- a local clone ---------------------------------------------------------------------------


def _git(git_dir: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SourceError(f"git {' '.join(args[:2])} in {git_dir}: {done.stderr.strip()[:200]}")
    return done.stdout


def _blob_reader(git_dir: Path, blob: str, commit: str) -> Callable[[], bytes]:
    def read() -> bytes:
        done = subprocess.run(
            ["git", f"--git-dir={git_dir}", "cat-file", "blob", blob],
            capture_output=True,
            check=False,
        )
        if done.returncode:
            raise SourceError(
                f"commit {commit}: blob {blob} of the file is not in the clone {git_dir}"
            )
        return done.stdout

    return read


def clone_versions(git_dir: Path, dataset: Dataset) -> list[Version]:
    """Every commit of the clone's branch that touched the dataset's path (`git log <branch>
    -- <path>`, the commits GitHub's listing for the path returns), oldest first."""
    history = dataset.history
    assert history is not None, dataset.id
    log = _git(git_dir, "log", "--format=%H %cI", history.branch, "--", history.path)
    versions = []
    for line in reversed(log.splitlines()):
        commit, stamp = line.split()
        tree = _git(git_dir, "ls-tree", commit, "--", history.path).split()
        blob = tree[2] if tree else None
        versions.append(
            Version(
                dataset=dataset.id,
                commit=commit,
                committed_at=datetime.fromisoformat(stamp).astimezone(UTC),
                url=history.raw_url(commit),
                blob=blob,
                read=_blob_reader(git_dir, blob, commit) if blob else None,
            )
        )
    return versions


# --- the recorded history in snapshots/history/ ----------------------------------------------


def recorded_paths(snapshots: Path, dataset: str) -> Path:
    return snapshots / HISTORY_FOLDER / f"{dataset}.parquet"


def manifest_path(snapshots: Path) -> Path:
    return snapshots / HISTORY_FOLDER / "manifest.csv"


def write_recorded(snapshots: Path, folded: dict[str, Folded]) -> None:
    """Write each dataset's folded rows and the manifest of every version (atomically, file by
    file: a kill leaves each file whole)."""
    folder = snapshots / HISTORY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for dataset, result in folded.items():
        target = recorded_paths(snapshots, dataset)
        temporary = target.with_name(f".{target.name}.tmp")
        result.rows.write_parquet(temporary, compression="zstd", compression_level=19)
        temporary.replace(target)
    manifest = pl.concat([f.manifest for f in folded.values()]).sort("dataset", "vintage_at")
    target = manifest_path(snapshots)
    temporary = target.with_name(f".{target.name}.tmp")
    manifest.with_columns(pl.col("vintage_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(
        temporary, line_terminator="\n"
    )
    temporary.replace(target)


def read_recorded_manifest(snapshots: Path) -> pl.DataFrame:
    path = manifest_path(snapshots)
    if not path.exists():
        return CORE_VINTAGES.empty_frame()
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    if tuple(header) != MANIFEST_COLUMNS:
        raise SourceError(f"{path}: header {header} is not {list(MANIFEST_COLUMNS)}")
    frame = pl.read_csv(path, infer_schema=False)
    return (
        frame.with_columns(
            pl.col("vintage_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC"),
            pl.col("bytes").cast(pl.Int64),
        )
        .select(CORE_VINTAGES.polars_schema.names())
        .cast(dict(CORE_VINTAGES.polars_schema))
    )


def read_recorded(snapshots: Path, datasets: Iterable[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The recorded bitemporal rows of `datasets` and the manifest of their versions."""
    frames = [bitemporal.empty_vintages()]
    for dataset in datasets:
        path = recorded_paths(snapshots, dataset)
        if path.exists():
            frames.append(pl.read_parquet(path))
    manifest = read_recorded_manifest(snapshots)
    wanted = list(datasets)
    return pl.concat(frames), manifest.filter(pl.col("dataset").is_in(wanted))


def with_status(manifest: pl.DataFrame, commit: str, status: str, detail: str) -> pl.DataFrame:
    """`manifest` with one version's status changed."""
    hit = pl.col("vintage_id") == commit
    return manifest.with_columns(
        status=pl.when(hit).then(pl.lit(status)).otherwise("status"),
        detail=pl.when(hit).then(pl.lit(detail)).otherwise("detail"),
    )


# --- the lake's own vintages, and one refresh of the whole table -----------------------------


def add_lake_vintages(
    table: pl.DataFrame,
    held: pl.DataFrame,
    payloads: pl.DataFrame,
    catalog: Catalog,
    read: Callable[[Dataset, dict], Parsed],
) -> Folded:
    """`table` and `held` with the lake's fetched vintages (raw/<source>_payloads rows) not yet
    held: each fetch is a vintage (BLS, FRED without a key, and Indeed's files between history
    updates). One whose bytes equal a version the history holds adds nothing (the fetch of a
    file's head is a commit's version); one dated before the newest vintage held of its dataset
    is listed, not folded. `read` gives what a payload row holds.

    An answer that records every vintage itself (FRED's ALFRED, fetched with a key) is not one
    vintage but all of them: its spans replace the dataset's rows, since FRED's record holds
    every vintage it published, those the lake fetched itself included."""
    errors: list[str] = []
    known_ids = set(held["vintage_id"].to_list())
    for payload in payloads.sort("fetched_at").iter_rows(named=True):
        dataset = catalog.get(payload["dataset"])
        if dataset is None or payload["payload_id"] in known_ids:
            continue
        own = held.filter(pl.col("dataset") == dataset.id)
        if payload["sha256"] in set(own["sha256"].drop_nulls().to_list()):
            continue
        row = {
            "dataset": dataset.id,
            "vintage_id": payload["payload_id"],
            "origin": payload["origin"],
            "vintage_at": payload["fetched_at"],
            "url": payload["url"],
            "blob": None,
            "sha256": payload["sha256"],
            "bytes": payload["bytes"],
            "status": "folded",
            "detail": None,
        }
        newest = own["vintage_at"].max()
        if newest is not None and payload["fetched_at"] <= newest:
            row["status"] = "missing"
            row["detail"] = (
                f"{dataset.id} {payload['payload_id']}: fetched before the newest vintage held "
                f"({newest:%Y-%m-%d}); not folded"
            )
        else:
            try:
                parsed = read(dataset, payload)
            except SourceError as error:
                row["status"], row["detail"] = "damaged", f"{payload['payload_id']}: {error}"
                errors.append(row["detail"])
            else:
                if parsed.spans is not None:
                    spans = bitemporal.from_alfred(parsed.spans, payload["sha256"], ALFRED)
                    table = pl.concat([table.filter(pl.col("dataset") != dataset.id), spans])
                else:
                    vintage = bitemporal.Vintage(
                        payload["payload_id"], payload["fetched_at"], payload["sha256"],
                        payload["origin"],
                    )  # fmt: skip
                    table = bitemporal.add_vintage(
                        table, dataset.id, parsed.observations, vintage,
                        complete=payload["complete"],
                    )  # fmt: skip
        held = pl.concat([held, manifest_frame([row])])
    return Folded(table, held.sort("dataset", "vintage_at"), tuple(errors))


def refresh_vintages(
    catalog: Catalog,
    snapshots: Path,
    previous: tuple[pl.DataFrame, pl.DataFrame] | None,
    payloads: pl.DataFrame,
    read_payload: Callable[[Dataset, dict], Parsed],
    github_versions: Callable[[Dataset], list[Version]] | None,
) -> Folded:
    """core/observation_vintages and core/vintages after one refresh.

    Starts from what the lake holds (`previous`: the two tables), else from the recorded
    history; adds, for every dataset with a history, the commits GitHub lists that are not held
    yet (`github_versions`; None offline); then the lake's own fetched vintages. A failure to
    list or read a version is a line in `errors`, and everything held stays."""
    with_history = [d for d in catalog.datasets if d.history]
    if previous is None:
        table, held = read_recorded(snapshots, [d.id for d in with_history])
    else:
        table, held = previous
    errors: list[str] = []
    if github_versions is not None:
        for position, dataset in enumerate(with_history):
            try:
                versions = github_versions(dataset)
            except SourceUnreachable as error:
                # Not asked again for the others: without a network, each would wait and fail.
                rest = [d.id for d in with_history[position:]]
                errors.append(
                    f"{error}; GitHub was unreachable: the history held (on a new lake, the "
                    f"recorded one) stays in use for {', '.join(rest)}, not asked again in this run"
                )
                break
            except SourceError as error:
                errors.append(f"{error}; the history held stays in use")
                continue
            result = add_versions(dataset, table, held, versions)
            table, held = result.rows, result.manifest
            errors += result.errors
    result = add_lake_vintages(table, held, payloads, catalog, read_payload)
    return Folded(result.rows, result.manifest, (*errors, *result.errors))
