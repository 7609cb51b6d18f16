"""BLS Public Data API v2: series POSTed as JSON, at most 50 series and 20 years a request with a
registration key (25 and 10 without).

The API answers HTTP 200 even when it refuses: `REQUEST_NOT_PROCESSED` (the daily quota) is an
error, never retried. "No Data Available for Series … Year: …" only says a series has no value in
a year it was asked for and is not a warning. "Series does not exist for Series …" with no data
(the real answer for an obsolete or misspelt id) is a source error: the dataset cannot be refreshed
as declared, and `auto` keeps or seeds what it had. Values are strings; `-`
means not published (top-coded wages, the 2025 appropriations lapse) and becomes an empty value
with its footnote codes. OEWS estimates (`A01`) refer to May of the year.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl

from labor_lake.registry.numbers import NumberError, parse_number
from labor_lake.sources.catalog import Dataset
from labor_lake.sources.connector import OBSERVATION_SCHEMA, DatasetRequest, Parsed, SecretLookup
from labor_lake.sources.http import SourceError

KEY_VARIABLE = "BLS_API_KEY"
_NO_DATA = re.compile(r"^No Data Available for Series \S+ Year: \d{4}$")
# The real answer for an id BLS does not have (an obsolete SOC code, a typo): REQUEST_SUCCEEDED,
# this message, and the series with `"data": []` (a quoted curl transcript, tests/data/bls).
_NO_SERIES = re.compile(r"^Series does not exist for Series (\S+)$")


def oews_series_id(occupation: str, datatype: str) -> str:
    """The BLS API id of an OEWS national cross-industry series: OE U N 0000000 000000 <SOC6>
    <datatype> (area 0000000 = national, industry 000000 = cross-industry)."""
    return f"OEUN0000000000000{occupation}{datatype}"


def limits(with_key: bool) -> tuple[int, int]:
    """Series and years one request may ask for."""
    return (50, 20) if with_key else (25, 10)


def year_span(end_year: int, first_year: int | None, with_key: bool) -> tuple[int, int]:
    """Years to ask for: from `first_year` (incremental) or as far back as one request allows."""
    span = limits(with_key)[1]
    start = end_year - span + 1 if first_year is None else max(first_year, end_year - span + 1)
    return start, end_year


class BlsApiConnector:
    """Plans one POST per batch of series, incremental from the last year of data held."""

    def __init__(self, secret: SecretLookup) -> None:
        self._secret = secret

    def plan(self, dataset: Dataset, held: pl.DataFrame, today: date) -> list[DatasetRequest]:
        with_key = self._secret(KEY_VARIABLE) is not None
        size = limits(with_key)[0]
        # Ask again from the last year held (it may be revised); from scratch if a series is new.
        held_years = held.group_by("series_id").agg(pl.col("period_end").max().dt.year())
        last_year = dict(held_years.iter_rows())
        requests = []
        ids = [spec.id for spec in dataset.series]
        for first in range(0, len(ids), size):
            batch = ids[first : first + size]
            years = [last_year.get(f"{dataset.source}:{series}") for series in batch]
            first_year = None if None in years else min(y for y in years if y is not None)
            start, end = year_span(today.year, first_year, with_key)
            body = {"seriesid": batch, "startyear": str(start), "endyear": str(end)}
            requests.append(
                DatasetRequest(dataset.id, dataset.url, body, str(start), str(end), "json")
            )
        return requests

    def with_secrets(self, request: DatasetRequest) -> DatasetRequest:
        key = self._secret(KEY_VARIABLE)
        if key is None or request.body is None:
            return request
        return replace(request, body={**request.body, "registrationkey": key})

    def parse(self, dataset: Dataset, content: bytes, url: str, extension: str) -> Parsed:
        return parse(dataset, content, url)


def _period(year: int, period: str, reference_period: str) -> tuple[date, date, str]:
    if period == "A01" and reference_period == "may_of_year":
        return date(year, 5, 1), date(year, 5, 31), "annual"
    if period in ("A01", "M13"):  # annual data, or the annual average of monthly data
        return date(year, 1, 1), date(year, 12, 31), "annual"
    if period.startswith("M") and period[1:].isdigit() and 1 <= int(period[1:]) <= 12:
        month = int(period[1:])
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1), date(year, month, last), "monthly"
    raise ValueError(f"period {period!r} is not supported (expected A01 or M01-M13)")


def _field(item: Mapping[str, Any], name: str, where: str) -> Any:
    if not isinstance(item, Mapping) or name not in item:
        raise SourceError(f"{where}: field {name!r} is missing")
    return item[name]


def _footnote_codes(item: Mapping[str, Any], at: str) -> list[str]:
    """The codes of an observation's footnotes (`[{}]` when it has none, as BLS writes it)."""
    footnotes = item.get("footnotes") or []
    if not isinstance(footnotes, list) or not all(isinstance(f, Mapping) for f in footnotes):
        raise SourceError(f"{at}: field 'footnotes' is not a list of objects")
    codes = [f.get("code") for f in footnotes if f.get("code")]
    if not all(isinstance(code, str) for code in codes):
        raise SourceError(f"{at}: a footnote code is not a string")
    return codes


def parse(dataset: Dataset, content: bytes, url: str) -> Parsed:
    """Observations and the API's warnings from one BLS answer for `dataset`."""
    where = f"{dataset.id} ({url})"
    try:
        document = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SourceError(f"{where}: answer is not JSON ({type(error).__name__})") from None
    status = _field(document, "status", where)
    messages = document.get("message") or []
    if not isinstance(messages, list):
        raise SourceError(f"{where}: field 'message' is not a list")
    messages = [str(m) for m in messages]
    if status == "REQUEST_NOT_PROCESSED":
        raise SourceError(f"{where}: BLS refused the request, not retrying: {' '.join(messages)}")
    if status != "REQUEST_SUCCEEDED":
        raise SourceError(f"{where}: status {status}: {' '.join(messages)}")
    series_list = _field(_field(document, "Results", where), "series", f"{where} Results")
    if not isinstance(series_list, list):
        raise SourceError(f"{where}: Results.series is not a list")
    specs = {spec.id: spec for spec in dataset.series}
    missing = {found.group(1) for m in messages if (found := _NO_SERIES.match(m))}
    rows = []
    for number, series in enumerate(series_list):
        series_id = _field(series, "seriesID", f"{where} Results.series[{number}]")
        if not isinstance(series_id, str):
            raise SourceError(f"{where}: Results.series[{number}].seriesID is not a string")
        spec = specs.get(series_id)
        if spec is None:
            raise SourceError(f"{where}: answered for series {series_id}, which was not asked for")
        data = _field(series, "data", f"{where} series {series_id}")
        if not isinstance(data, list):
            raise SourceError(f"{where} series {series_id}: field 'data' is not a list")
        if not data and series_id in missing:
            # Not "no values this year": the id itself is unknown to BLS, so the dataset as the
            # catalog declares it cannot be refreshed; `auto` keeps (or seeds) what it had.
            raise SourceError(
                f"{where}: BLS answered 'Series does not exist for Series {series_id}' with no "
                "data; check the series id in the catalog"
            )
        for item in data:
            at = f"{where} series {series_id}"
            year_text, period = _field(item, "year", at), _field(item, "period", at)
            raw = _field(item, "value", at)
            if not isinstance(raw, str):
                raise SourceError(
                    f"{at}: value {raw!r} is a JSON {type(raw).__name__}, not the string BLS writes"
                )
            text = raw.strip()
            try:
                if not isinstance(year_text, str) or not isinstance(period, str):
                    raise ValueError("year and period are not strings")
                year = int(year_text)
                start, end, frequency = _period(year, period, dataset.reference_period)
            except ValueError as error:
                raise SourceError(f"{at} {year_text} {period}: {error}") from None
            try:
                # BLS writes thousands separators in some series ("1,234").
                value = None if text in ("-", "") else parse_number(text, thousands=",")
            except NumberError as error:
                raise SourceError(
                    f"{at} {year} {period}: value {text!r} is not a number: {error}"
                ) from None
            rows.append(
                {
                    "source": dataset.source,
                    "dataset": dataset.id,
                    "series_id": f"{dataset.source}:{series_id}",
                    "subject": spec.subject,
                    "measure": spec.measure,
                    "geography": "US",
                    "frequency": frequency,
                    "period_start": start,
                    "period_end": end,
                    "value": value,
                    "unit": spec.unit,
                    "footnote_codes": _footnote_codes(item, f"{at} {year} {period}"),
                    "release": dataset.release.format(year=year) if dataset.release else None,
                }
            )
    warnings = tuple(f"{dataset.id}: {m}" for m in messages if not _NO_DATA.match(m))
    return Parsed(pl.DataFrame(rows, schema=OBSERVATION_SCHEMA), warnings)
