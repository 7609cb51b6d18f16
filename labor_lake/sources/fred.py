"""FRED: Indeed job postings indexes republished by the St. Louis Fed.

With `FRED_API_KEY` set, the JSON API (`/fred/series/observations`) is used and refreshes are
incremental from the last day held; without a key, the keyless CSV download at the catalog's
address. FRED writes `.` for a missing value.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date

import polars as pl

from labor_lake.registry.numbers import NumberError, parse_number
from labor_lake.sources.catalog import Dataset
from labor_lake.sources.connector import OBSERVATION_SCHEMA, DatasetRequest, Parsed, SecretLookup
from labor_lake.sources.http import SourceError

KEY_VARIABLE = "FRED_API_KEY"
API_URL = "https://api.stlouisfed.org/fred/series/observations"


class FredConnector:
    def __init__(self, secret: SecretLookup) -> None:
        self._secret = secret

    def plan(self, dataset: Dataset, held: pl.DataFrame, today: date) -> list[DatasetRequest]:
        (series,) = dataset.series
        if self._secret(KEY_VARIABLE) is None:
            return [DatasetRequest(dataset.id, dataset.url, extension="csv")]
        last = held["period_end"].max() if held.height else None
        url = f"{API_URL}?series_id={series.id}&file_type=json"
        url += f"&observation_start={last.isoformat()}" if last else ""
        return [DatasetRequest(dataset.id, url, start=last and last.isoformat(), extension="json")]

    def with_secrets(self, request: DatasetRequest) -> DatasetRequest:
        key = self._secret(KEY_VARIABLE)
        if key is None or request.extension != "json":
            return request
        return replace(request, url=f"{request.url}&api_key={key}")

    def parse(self, dataset: Dataset, content: bytes, url: str, extension: str) -> Parsed:
        if extension == "json":
            return Parsed(parse_json(dataset, content, url))
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
    try:
        if not all(isinstance(day, str) for day in dates):
            raise TypeError("a date is not a string")
        days = pl.Series(dates, dtype=pl.String).str.to_date("%Y-%m-%d", strict=True)
    except (pl.exceptions.PolarsError, TypeError):
        raise SourceError(f"{dataset.id} ({url}): {series.id}: dates are not YYYY-MM-DD") from None
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


def parse_json(dataset: Dataset, content: bytes, url: str) -> pl.DataFrame:
    try:
        observations = json.loads(content)["observations"]
        if not isinstance(observations, list):
            raise TypeError("observations is not a list")
        dates = [o["date"] for o in observations]
        values = [o["value"] for o in observations]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise SourceError(
            f"{dataset.id} ({url}): not a FRED observations document (expected "
            "{'observations': [{'date', 'value'}, ...]})"
        ) from None
    return _rows(dataset, dates, values, url)


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
