"""Refreshing a source: fetch each catalog dataset, keep what is new and plausible, fall back
dataset by dataset when something fails, and read the current state back from the vintages.

The policy, per dataset:
- `live`: any failure fails the run, with the same one-line message `auto` would warn with.
- `auto`: a failure (unreachable, 4xx, 5xx, a payload that does not parse, an implausible one)
  keeps the dataset's last good vintage in use, or seeds it from its recorded snapshot when the
  lake has none; the run goes on and the outcome says what happened and how stale the data is.
- `offline`: nothing is fetched; a dataset the lake has never held is seeded from its snapshot.

A new answer becomes a vintage only when its observations differ from what the lake holds (an
API envelope that changed only its `responseTime` adds nothing). A new answer that empties values
the lake holds, a complete one that loses series or more rows than the dataset's
`max_loss_share`, and one that lacks a kept value a stored vintage has are refused as implausible.
Any failure to read an answer is that dataset's one-line SourceError (`parse_answer`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

import polars as pl

from labor_lake.lake.files import DamagedFile, Lake
from labor_lake.sources.catalog import Catalog, CatalogError, Dataset
from labor_lake.sources.connector import (
    OBSERVATION_COLUMNS,
    Connector,
    DatasetRequest,
    PagedConnector,
    Parsed,
)
from labor_lake.sources.http import Fetched, SourceError, SourceUnreachable
from labor_lake.sources.http_file import KeptValuesMissing
from labor_lake.sources.payloads import (
    append_vintage,
    newest_vintages,
    read_vintage,
    vintage_format,
    vintages_to_read,
)
from labor_lake.sources.snapshots import SNAPSHOT_LABEL, Snapshot
from schemas.model import Table
from schemas.tables import CORE_OBSERVATIONS
from schemas.vocabulary import RECORDED_SNAPSHOT

MODES = {
    "auto": "fetch; when a dataset fails, use its last good vintage (or its recorded snapshot) "
    "and warn",
    "live": "fetch; fail the run when a dataset fails",
    "offline": "never touch the network; use the vintages in the lake, or the recorded snapshots",
}
# Outcomes that leave a dataset as fresh as its source: anything else is reported as a warning.
FRESH = ("fetched", "unchanged")
Send = Callable[[DatasetRequest, str, int], Fetched]  # request, address, max_bytes


class Implausible(SourceError):
    """A complete answer that loses what the previous vintage had: refused, never stored."""


# How an outcome line gives the age of the payload in use (the run summary reads it back).
AGE_WORDS = "{days} days old"


@dataclass(frozen=True)
class Outcome:
    """What happened to one dataset in one refresh, in one line a person can act on."""

    dataset: str
    status: str  # fetched | unchanged | fallback | snapshot | offline | missing
    detail: str
    in_use: datetime | None  # fetched_at of the newest vintage in use

    def line(self, now: datetime) -> str:
        age = AGE_WORDS.format(days=(now - self.in_use).days) if self.in_use else "no data"
        return f"{self.dataset}: {self.status}: {self.detail} ({age})"


@dataclass
class Refreshed:
    manifest: pl.DataFrame
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def stale(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status not in FRESH]


def current_observations(
    manifest: pl.DataFrame,
    lake: Lake,
    catalog: Catalog,
    connectors: Mapping[str, Connector],
) -> pl.DataFrame:
    """The current rows of every catalog dataset in `manifest`, with their vintage columns: each
    period from the newest vintage that has it, down to the newest complete vintage. Vintages of
    datasets no longer in the catalog are left out."""
    frames = [CORE_OBSERVATIONS.empty_frame()]
    for vintage in vintages_to_read(manifest).iter_rows(named=True):
        dataset = catalog.get(vintage["dataset"])
        if dataset is None:
            continue
        parsed = connectors[dataset.protocol].parse(
            dataset,
            read_vintage(lake, vintage["path"], vintage["sha256"]),
            vintage["url"],
            vintage_format(vintage["path"]),
        )
        frames.append(
            parsed.observations.with_columns(
                vintage_fetched_at=pl.lit(vintage["fetched_at"], dtype=pl.Datetime("us", "UTC")),
                vintage_origin=pl.lit(vintage["origin"]),
                payload_sha256=pl.lit(vintage["sha256"]),
            ).select(CORE_OBSERVATIONS.polars_schema.names())
        )
    return (
        pl.concat(frames)
        .sort("vintage_fetched_at", descending=True, maintain_order=True)
        .unique(["series_id", "period_start", "period_end"], keep="first", maintain_order=True)
        .sort("series_id", "period_start")
    )


def _row_hashes(frame: pl.DataFrame) -> pl.Series:
    comparable = frame.select(OBSERVATION_COLUMNS).with_columns(
        pl.col("footnote_codes").list.join(",")
    )
    return comparable.hash_rows(seed=0)


def adds_nothing(held: pl.DataFrame, new: pl.DataFrame, complete: bool) -> bool:
    """True when every observation in `new` is already held as is (and, for a complete
    answer, nothing held is missing from it)."""
    if complete and new.height != held.height:
        return False
    return bool(_row_hashes(new).is_in(_row_hashes(held).implode()).all())


def check_plausible(dataset: Dataset, held: pl.DataFrame, new: pl.DataFrame, url: str) -> None:
    """Refuse an answer that empties values the lake holds, and a complete answer that loses
    series, or more rows than `max_loss_share` allows (emptied values count as lost)."""
    if not held.height:
        return
    where = f"{dataset.id} ({url})"
    keys = ["series_id", "period_start"]
    # A number the lake holds that the answer gives as empty (a BLS answer of `-` throughout, a
    # CSV column blanked): as much a loss as a dropped row, and never a revision.
    emptied = (
        held.filter(pl.col("value").is_not_null())
        .select(*keys, held=pl.col("value"))
        .join(new.filter(pl.col("value").is_null()).select(keys), on=keys, how="inner")
    )
    if not dataset.complete:
        if emptied.height > dataset.max_loss_share * held.height:
            _refuse_emptied(dataset, where, emptied, held.height)
        return
    if not new.height:
        raise Implausible(
            f"{where}: refused: the answer holds no rows; the lake holds {held.height}"
        )
    lost_series = sorted(set(held["series_id"]) - set(new["series_id"]))
    if lost_series:
        raise Implausible(
            f"{where}: refused: the answer lacks series {lost_series[:5]} that the lake holds"
        )
    lost = held.select(keys).join(new.select(keys), on=keys, how="anti")
    if emptied.height and lost.height + emptied.height > dataset.max_loss_share * held.height:
        _refuse_emptied(dataset, where, emptied, held.height)
    if lost.height > dataset.max_loss_share * held.height:
        first = lost.sort(keys).row(0, named=True)
        raise Implausible(
            f"{where}: refused: the answer lacks {lost.height} of the {held.height} rows the lake "
            f"holds (e.g. {first['series_id']} on {first['period_start']}); at most "
            f"{dataset.max_loss_share:.0%} may go"
        )


def _refuse_emptied(dataset: Dataset, where: str, emptied: pl.DataFrame, held: int) -> None:
    first = emptied.sort("series_id", "period_start").row(0, named=True)
    raise Implausible(
        f"{where}: refused: the answer empties {emptied.height} of the {held} values the lake "
        f"holds (e.g. {first['series_id']} on {first['period_start']}: {first['held']:g} -> "
        f"empty); at most {dataset.max_loss_share:.0%} may go"
    )


def parse_answer(
    connector: Connector, dataset: Dataset, content: bytes, url: str, extension: str
) -> Parsed:
    """`connector.parse`, with any failure as the dataset's one-line SourceError: a parser's
    own checks name what is wrong; anything else they did not foresee still stays inside this
    dataset (so `auto` falls back for it alone) instead of failing the whole source."""
    try:
        return connector.parse(dataset, content, url, extension)
    except (SourceError, CatalogError):
        raise
    except Exception as error:  # the point: no parser fault escapes its dataset
        lines = str(error).strip().splitlines()
        detail = (lines[0] if lines else "no detail")[:200]
        raise SourceError(
            f"{dataset.id} ({url}): the answer could not be read ({type(error).__name__}: {detail})"
        ) from None


def _new_record(manifest: pl.DataFrame, dataset: Dataset, parsed: Parsed, fetched: Fetched) -> bool:
    """Whether an answer that records every vintage itself (FRED's ALFRED) says something the
    newest vintage stored does not: its current values may equal those held (a lake that fetched
    the keyless CSV before the key was set) while its record of past vintages is new."""
    if parsed.spans is None:
        return False
    newest = newest_vintages(manifest).filter(pl.col("dataset") == dataset.id)
    return not newest.height or newest["sha256"][0] != hashlib.sha256(fetched.content).hexdigest()


def _in_use(manifest: pl.DataFrame, dataset: str) -> datetime | None:
    newest = newest_vintages(manifest).filter(pl.col("dataset") == dataset)
    return newest["fetched_at"][0] if newest.height else None


@dataclass
class SourceRefresh:
    """Everything one source's refresh needs; `run` does it."""

    source: str
    table: Table
    lake: Lake
    catalog: Catalog
    connectors: Mapping[str, Connector]
    snapshots: tuple[Snapshot, ...]
    send: Send
    address: Callable[[Dataset, str], str]  # the real address -> the one to use (host override)
    mode: str
    today: date
    unreachable: set[str] = field(default_factory=set)  # origins that failed to connect

    def run(self) -> Refreshed:
        if self.mode not in MODES:
            raise ValueError(f"source mode {self.mode!r}: expected one of {', '.join(MODES)}")
        healed = []
        try:
            previous = (
                self.lake.read_table(self.table)
                if self.lake.exists(self.table.relative_path)
                else self.table.empty_frame()
            )
        except DamagedFile as damaged:
            # Never blocks the refresh: treated as absent (datasets are fetched or seeded anew)
            # and kept aside, since it alone listed the older vintages under raw/payloads/.
            aside = self.lake.set_aside(self.table.relative_path)
            previous = self.table.empty_frame()
            healed.append(
                f"{damaged.url}: {damaged.problem}; treated as absent and rewritten, the damaged "
                f"file kept as {aside}"
            )
        result = Refreshed(previous, warnings=healed)
        for dataset in self.catalog.by_source(self.source):
            self._refresh(dataset, result)
        return result

    def _held(self, manifest: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
        own = manifest.filter(pl.col("dataset") == dataset.id)
        return current_observations(own, self.lake, self.catalog, self.connectors)

    def _refresh(self, dataset: Dataset, result: Refreshed) -> None:
        if self.mode == "offline":
            self._use_what_is_held(dataset, result, "offline", "")
            return
        connector = self.connectors[dataset.protocol]
        held = self._held(result.manifest, dataset)
        statuses = []
        try:
            for request in connector.plan(dataset, held, self.today):
                # Secrets join the request only now, and only on its way to the host.
                request = connector.with_secrets(request)
                address = self.address(dataset, request.url)
                origin = "{0.scheme}://{0.netloc}".format(urlsplit(address))
                if origin in self.unreachable:
                    raise SourceUnreachable(
                        f"{origin}: unreachable earlier in this run; not asked again"
                    )
                try:
                    fetched = self._fetch(connector, dataset, request, address)
                except SourceUnreachable:
                    self.unreachable.add(origin)
                    raise
                try:
                    parsed = parse_answer(
                        connector, dataset, fetched.content, fetched.url, request.extension
                    )
                except KeptValuesMissing as missing:
                    raise self._kept_value_verdict(missing, result.manifest, fetched.url) from None
                check_plausible(dataset, held, parsed.observations, fetched.url)
                result.warnings += parsed.warnings
                if adds_nothing(held, parsed.observations, dataset.complete) and not _new_record(
                    result.manifest, dataset, parsed, fetched
                ):
                    statuses.append("unchanged")
                    continue
                self._store(result, dataset, fetched, datetime.now(UTC), request.extension,
                            "fetched", parsed.observations.height)  # fmt: skip
                # A complete vintage is the dataset's whole current state: no need to read it
                # back; an incremental one adds to what the older vintages hold.
                held = (
                    parsed.observations
                    if dataset.complete
                    else self._held(result.manifest, dataset)
                )
                statuses.append("fetched")
        except SourceError as error:
            if self.mode == "live":
                named = (
                    str(error) if str(error).startswith(dataset.id) else f"{dataset.id}: {error}"
                )
                raise SourceError(f"{named} (LABOR_LAKE_SOURCES=live)") from None
            self._use_what_is_held(dataset, result, "fallback", str(error))
            return
        status = "fetched" if "fetched" in statuses else "unchanged"
        detail = "new vintage stored" if status == "fetched" else "the source has nothing new"
        result.outcomes.append(
            Outcome(dataset.id, status, detail, _in_use(result.manifest, dataset.id))
        )

    def _fetch(
        self, connector: Connector, dataset: Dataset, request: DatasetRequest, address: str
    ) -> Fetched:
        """The answer to `request`; where the source pages it, every page, joined as the one
        answer it would give unpaged (a payload is a dataset's whole answer)."""
        fetched = self.send(request, address, dataset.max_bytes)
        if not isinstance(connector, PagedConnector):
            return fetched
        pages = [(fetched.url, fetched.content)]
        page = request
        while (page := connector.next_page(page, pages[-1][1])) is not None:
            answer = self.send(page, self.address(dataset, page.url), dataset.max_bytes)
            pages.append((answer.url, answer.content))
            # The whole answer, not only each page, is held to the dataset's size limit.
            if (size := sum(len(body) for _, body in pages)) > dataset.max_bytes:
                raise SourceError(
                    f"{dataset.id} ({answer.url}): {len(pages)} pages make {size} bytes, over "
                    f"the {dataset.max_bytes} allowed for one answer; refused"
                )
        if len(pages) == 1:
            return fetched
        return replace(fetched, content=connector.join_pages(dataset, pages))

    def _kept_value_verdict(
        self, missing: KeptValuesMissing, manifest: pl.DataFrame, url: str
    ) -> Implausible | CatalogError:
        """An answer lacks a kept value: implausible if a stored vintage of the dataset has it
        (the answer lost it), else a configuration error (the catalog names a value the source
        never had). Vintages are read newest first, only on this error path."""
        own = manifest.filter(pl.col("dataset") == missing.dataset.id).sort(
            "fetched_at", descending=True
        )
        held: set[str] = set()
        for vintage in own.iter_rows(named=True):
            held.update(
                missing.held_in(read_vintage(self.lake, vintage["path"], vintage["sha256"]))
            )
            if held == set(missing.missing):
                break
        if held != set(missing.missing):
            return missing.configuration_error()
        return Implausible(
            f"{missing.dataset.id} ({url}): refused: the answer lacks {missing.column} "
            f"{missing.missing}, which the lake's vintages hold (a file cut short?)"
        )

    def _store(self, result: Refreshed, dataset: Dataset, fetched: Fetched, fetched_at: datetime,
               extension: str, origin: str, rows: int) -> None:  # fmt: skip
        """Append `fetched` to the manifest as a vintage of `dataset` (unless it repeats the newest)."""
        result.manifest = append_vintage(
            self.lake, result.manifest, self.table, source=self.source, dataset=dataset.id,
            fetched=fetched, fetched_at=fetched_at, extension=extension,
            complete=dataset.complete, origin=origin, rows=rows,
        )  # fmt: skip

    def _use_what_is_held(
        self, dataset: Dataset, result: Refreshed, status: str, reason: str
    ) -> None:
        """Not fetched (offline, or `reason`): the lake's newest vintage of the dataset stays in
        use, or, on a lake that never held it, its recorded snapshots seed it."""
        in_use = _in_use(result.manifest, dataset.id)
        if in_use is None:
            self._seed(dataset, result, reason)
            return
        prefix = f"{reason}; " if reason else "not fetched (offline mode); "
        newest = newest_vintages(result.manifest).filter(pl.col("dataset") == dataset.id)
        if (newest["origin"] == RECORDED_SNAPSHOT).all():
            # Seeded by an earlier run: name the snapshots by their day, as the seeding run did.
            days = sorted({f"{d:%Y-%m-%d}" for d in newest["fetched_at"]})
            labels = ", ".join(SNAPSHOT_LABEL.format(date=day) for day in days)
            detail = f"{prefix}nothing new, still using the {labels}"
        else:
            detail = prefix + ("using the lake's last good vintage" if reason
                               else "using the lake's newest vintage")  # fmt: skip
        result.outcomes.append(Outcome(dataset.id, status, detail, in_use))

    def _seed(self, dataset: Dataset, result: Refreshed, reason: str = "") -> None:
        """Seed a dataset the lake has never held from its recorded snapshots."""
        prefix = f"{reason}; " if reason else "not fetched (offline mode); "
        snapshots = [s for s in self.snapshots if s.dataset == dataset.id]
        if not snapshots:
            why = dataset.no_snapshot or "no recorded snapshot"
            result.outcomes.append(Outcome(dataset.id, "missing", f"{prefix}no data: {why}", None))
            return
        for snapshot in snapshots:
            content = snapshot.read()
            extension = dataset.format
            parsed = parse_answer(
                self.connectors[dataset.protocol], dataset, content, snapshot.url, extension
            )
            fetched = Fetched(url=snapshot.url, status=200, content=content, content_type="")
            self._store(result, dataset, fetched, datetime.combine(snapshot.retrieved, time(), UTC),
                        extension, RECORDED_SNAPSHOT, parsed.observations.height)  # fmt: skip
        labels = ", ".join(sorted({s.label for s in snapshots}))
        in_use = _in_use(result.manifest, dataset.id)
        result.outcomes.append(
            Outcome(dataset.id, "snapshot", f"{prefix}using the {labels}", in_use)
        )
