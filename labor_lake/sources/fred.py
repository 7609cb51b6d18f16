"""FRED: Indeed job postings indexes republished by the St. Louis Fed.

With `FRED_API_KEY` set, the JSON API (`/fred/series/observations`) is asked for every vintage
FRED keeps (ALFRED: `realtime_start=1776-07-04&realtime_end=9999-12-31`, FRED's documented
earliest and latest real-time bounds). Each observation of that answer is one span of vintages in
which a value did not change: `realtime_start` the day FRED first published it, `realtime_end` the
last day it was in force (`9999-12-31` while current). The answer's current observations are the
rows of core/observations; its spans (`parse_alfred`) are folded into core/observation_vintages by
the history step, so the series can be read as FRED published it on any day. Every fetch asks for
the whole record: a revision can touch any past day.

Without a key, the keyless CSV download at the catalog's address: today's values only, and each
fetch is one vintage of the lake's own.

FRED writes `.` for a missing value. No real FRED answer is recorded offline (no key here): the
layout follows FRED's documentation of `fred/series/observations` and is tested against the
synthetic answers in tests/data/fred/.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl

from labor_lake.registry.numbers import NumberError, parse_number
from labor_lake.sources.catalog import Dataset
from labor_lake.sources.connector import OBSERVATION_SCHEMA, DatasetRequest, Parsed, SecretLookup
from labor_lake.sources.http import SourceError, redact

KEY_VARIABLE = "FRED_API_KEY"
API_URL = "https://api.stlouisfed.org/fred/series/observations"
# FRED's earliest and latest real-time bounds: every vintage of the series (ALFRED).
EARLIEST, LATEST = "1776-07-04", "9999-12-31"
ALFRED_QUERY = f"realtime_start={EARLIEST}&realtime_end={LATEST}"
# The most observations FRED gives in one answer (its `limit`'s maximum).
PAGE_LIMIT = 100_000


class FredConnector:
    def __init__(self, secret: SecretLookup) -> None:
        self._secret = secret

    def plan(self, dataset: Dataset, held: pl.DataFrame, today: date) -> list[DatasetRequest]:
        (series,) = dataset.series
        if self._secret(KEY_VARIABLE) is None:
            return [DatasetRequest(dataset.id, dataset.url, extension="csv")]
        url = f"{API_URL}?series_id={series.id}&file_type=json&{ALFRED_QUERY}"
        return [DatasetRequest(dataset.id, url, extension="json")]

    def with_secrets(self, request: DatasetRequest) -> DatasetRequest:
        key = self._secret(KEY_VARIABLE)
        if key is None or request.extension != "json":
            return request
        return replace(request, url=f"{request.url}&api_key={key}")

    def next_page(self, request: DatasetRequest, content: bytes) -> DatasetRequest | None:
        """FRED answers at most `limit` (100000) observations; a longer record (an ALFRED answer
        holds one observation per span of vintages) is asked for again from `offset`. Each page
        is checked as it arrives, so that a wrong answer cannot make the refresh ask without
        end: it must start where it was asked to, and a page before the last must be full
        (`limit` observations). Checked on FRED's documented parameters only: no real paged
        answer is recorded offline."""
        if request.extension != "json":
            return None
        try:
            answer = json.loads(content)
            count, received = answer["count"], len(answer["observations"])
            said_offset, limit = answer.get("offset", 0), answer.get("limit", PAGE_LIMIT)
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            return None  # not FRED's document: parse() says so in one line
        if not isinstance(count, int) or received == 0:
            return None  # parse() refuses a record that stops short, in one line
        parts = urlsplit(request.url)
        asked = int(dict(parse_qsl(parts.query)).get("offset", "0"))
        following = asked + received
        if following >= count:
            return None
        where = f"{request.dataset} ({redact(request.url)})"
        if said_offset != asked:
            raise SourceError(
                f"{where}: a page from offset {said_offset} where offset {asked} was asked for; "
                "FRED's pages do not follow one another; refused, not folded"
            )
        if received != limit:
            raise SourceError(
                f"{where}: a page of {received} observations where {limit} were due before "
                f"observation {count} of the record; refused, not folded"
            )
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("offset", "limit")]
        query += [("limit", str(PAGE_LIMIT)), ("offset", str(following))]
        return replace(request, url=urlunsplit(parts._replace(query=urlencode(query))))

    def join_pages(self, dataset: Dataset, pages: list[tuple[str, bytes]]) -> bytes:
        """The pages' observations in order under the first page's fields, as FRED would answer
        the whole record at once (offset 0, every observation); refused where a page does not
        start where the one before it ended or the record's count changed between pages."""
        joined: dict | None = None
        for url, content in pages:
            answer, observations = _answer(dataset, content, url, whole=False)
            if joined is None:
                joined = {**answer, "offset": 0, "observations": list(observations)}
                continue
            held = len(joined["observations"])
            if answer.get("offset") != held or answer.get("count") != joined.get("count"):
                raise SourceError(
                    f"{dataset.id} ({url}): a page of {answer.get('count')} observations from "
                    f"offset {answer.get('offset')} does not follow the {held} of "
                    f"{joined.get('count')} received before it; refused, not folded"
                )
            joined["observations"].extend(observations)
        assert joined is not None, "join_pages needs the first page"
        joined["limit"] = len(joined["observations"])
        return json.dumps(joined, separators=(",", ":")).encode()

    def parse(self, dataset: Dataset, content: bytes, url: str, extension: str) -> Parsed:
        if extension == "json":
            return Parsed(
                parse_json(dataset, content, url), spans=parse_alfred(dataset, content, url)
            )
        return Parsed(parse_csv(dataset, content, url))


def _rows(dataset: Dataset, dates: list[str], values: list[str | None], url: str) -> pl.DataFrame:
    (series,) = dataset.series
    parsed: list[float | None] = []
    for day, raw in zip(dates, values, strict=True):
        # FRED writes every value as a string ("." when missing); anything else is not its answer.
        if raw is not None and not isinstance(raw, str):
            raise SourceError(
                f"{dataset.id} ({url}): {series.id} {day}: value {raw!r} is a JSON "
                f"{type(raw).__name__}, not the string FRED writes"
            )
        text = (raw or "").strip()
        try:
            parsed.append(None if text in (".", "") else parse_number(text))
        except NumberError as error:
            raise SourceError(
                f"{dataset.id} ({url}): {series.id} {day}: value {text!r} is not a number: {error}"
            ) from None
    days = _days(dataset, url, "date", dates)
    return pl.DataFrame(
        {
            "source": dataset.source,
            "dataset": dataset.id,
            "series_id": f"fred:{series.id}",
            "subject": series.subject,
            "measure": series.measure,
            "geography": "US",
            "frequency": dataset.frequency,
            "period_start": days,
            "period_end": days,
            "value": pl.Series(parsed, dtype=pl.Float64),
            "unit": series.unit,
            "footnote_codes": pl.Series([[] for _ in dates], dtype=pl.List(pl.String)),
            "release": pl.Series([dataset.release] * len(dates), dtype=pl.String),
        },
        schema=OBSERVATION_SCHEMA,
    )


def _days(dataset: Dataset, url: str, field: str, days: list) -> pl.Series:
    (series,) = dataset.series
    try:
        if not all(isinstance(day, str) for day in days):
            raise TypeError("a date is not a string")
        return pl.Series(days, dtype=pl.String).str.to_date("%Y-%m-%d", strict=True)
    except (pl.exceptions.PolarsError, TypeError):
        raise SourceError(
            f"{dataset.id} ({url}): {series.id}: {field} values are not YYYY-MM-DD"
        ) from None


def _answer(
    dataset: Dataset, content: bytes, url: str, whole: bool = True
) -> tuple[dict, list[dict]]:
    """FRED's observations document and its observations, checked (with `whole`, that it holds
    every observation of the record)."""
    try:
        answer = json.loads(content)
        observations = answer["observations"]
        if not isinstance(observations, list):
            raise TypeError("observations is not a list")
        if not all("date" in o and "value" in o for o in observations):
            raise KeyError("date or value")
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise SourceError(
            f"{dataset.id} ({url}): not a FRED observations document (expected "
            "{'observations': [{'date', 'value'}, ...]})"
        ) from None
    # FRED pages at `limit` (100000 at most): an answer with fewer observations than its
    # `count` is cut short, and folding it would drop the rest (the refresh asks for every page
    # and joins them first: next_page, join_pages).
    count, offset = answer.get("count"), answer.get("offset", 0)
    counted = isinstance(count, int) and isinstance(offset, int)
    if whole and counted and offset + len(observations) < count:
        raise SourceError(
            f"{dataset.id} ({url}): the answer holds observations {offset + 1} to "
            f"{offset + len(observations)} of {count}: FRED paged it; refused, not folded"
        )
    return answer, observations


def is_alfred(answer: dict) -> bool:
    """Whether a FRED answer covers every vintage (its real-time period reaches 9999-12-31)."""
    return answer.get("realtime_end") == LATEST


def parse_json(dataset: Dataset, content: bytes, url: str) -> pl.DataFrame:
    """The observations in force: for an ALFRED answer, those whose span is still open."""
    answer, observations = _answer(dataset, content, url)
    if is_alfred(answer):
        observations = [o for o in observations if o.get("realtime_end") == LATEST]
    dates = [o["date"] for o in observations]
    return _rows(dataset, dates, [o["value"] for o in observations], url)


def parse_alfred(dataset: Dataset, content: bytes, url: str) -> pl.DataFrame | None:
    """Every span of an ALFRED answer: the observation columns plus `realtime_start` and
    `realtime_end` as FRED gives them (dates, `realtime_end` inclusive, null for FRED's
    9999-12-31 while current). None for an answer of today's values only (no real-time range)."""
    answer, observations = _answer(dataset, content, url)
    if not is_alfred(answer):
        return None
    try:
        starts = [o["realtime_start"] for o in observations]
        ends = [o["realtime_end"] for o in observations]
    except (KeyError, TypeError):
        raise SourceError(
            f"{dataset.id} ({url}): an observation of the ALFRED answer lacks realtime_start or "
            "realtime_end"
        ) from None
    rows = _rows(
        dataset, [o["date"] for o in observations], [o["value"] for o in observations], url
    )
    latest = date.fromisoformat(LATEST)
    spans = rows.with_columns(
        realtime_start=_days(dataset, url, "realtime_start", starts),
        realtime_end=_days(dataset, url, "realtime_end", ends),
    ).with_columns(
        realtime_end=pl.when(pl.col("realtime_end") != latest).then(pl.col("realtime_end"))
    )
    wrong = spans.filter(pl.col("realtime_end") < pl.col("realtime_start"))
    if wrong.height:
        first = wrong.row(0, named=True)
        raise SourceError(
            f"{dataset.id} ({url}): date {first['period_start']}: realtime_end "
            f"{first['realtime_end']} is before realtime_start {first['realtime_start']}"
        )
    overlapping = spans.sort("period_start", "realtime_start").filter(
        (pl.col("period_start") == pl.col("period_start").shift(1))
        & (pl.col("realtime_start") <= pl.col("realtime_end").shift(1).fill_null(latest))
    )
    if overlapping.height:
        first = overlapping.row(0, named=True)
        raise SourceError(
            f"{dataset.id} ({url}): date {first['period_start']}: two values are in force on "
            f"{first['realtime_start']}; ALFRED's spans of one date do not overlap"
        )
    return spans


def parse_csv(dataset: Dataset, content: bytes, url: str) -> pl.DataFrame:
    (series,) = dataset.series
    try:
        frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
    except pl.exceptions.PolarsError:
        raise SourceError(f"{dataset.id} ({url}): not a CSV") from None
    # FRED has named the date column both `DATE` and `observation_date`.
    if (
        len(frame.columns) != 2
        or frame.columns[0] not in ("DATE", "observation_date")
        or frame.columns[1] != series.id
    ):
        raise SourceError(
            f"{dataset.id} ({url}): columns changed: expected ['observation_date', "
            f"'{series.id}'], got {frame.columns[:5]}"
        )
    if frame.height == 0:
        raise SourceError(f"{dataset.id} ({url}): the file has a header and no rows")
    return _rows(dataset, frame[:, 0].to_list(), frame[:, 1].to_list(), url)
