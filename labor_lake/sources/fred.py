"""FRED: Indeed job postings indexes by sector, republished by the St. Louis Fed.

With `FRED_API_KEY` set, the JSON API (`/fred/series/observations`) is used and refreshes are
incremental from a start date; without a key, the keyless CSV download (`/graph/fredgraph.csv`).
FRED writes `.` for a missing value.
"""

from __future__ import annotations

import io
import json
from datetime import date

import polars as pl

from labor_lake.http import SourceError
from labor_lake.sources import OBSERVATION_SCHEMA

SOURCE = "fred"

# Indeed Job Postings Index series on FRED (daily, 2020-02-01 = 100).
SERIES: dict[str, str] = {
    "IHLIDXUS": "All job postings (US)",
    "IHLIDXUSTPSOFTDEVE": "Software Development",
    "IHLIDXUSTPMATH": "Mathematics",
    "IHLIDXUSTPSCREDE": "Scientific Research & Development",
    "IHLIDXUSTPITOPHE": "IT Operations & Helpdesk",
}


def api_path(series_id: str, api_key: str, start: date | None) -> str:
    path = f"/fred/series/observations?series_id={series_id}&api_key={api_key}&file_type=json"
    return path + (f"&observation_start={start.isoformat()}" if start else "")


def csv_path(series_id: str) -> str:
    return f"/graph/fredgraph.csv?id={series_id}"


def _rows(
    dataset: str, series_id: str, dates: list[str], values: list[str | None], url: str
) -> pl.DataFrame:
    parsed: list[float | None] = []
    for day, text in zip(dates, values, strict=True):
        text = (text or "").strip()
        try:
            parsed.append(None if text in (".", "") else float(text))
        except ValueError:
            raise SourceError(
                f"FRED ({url}): {series_id} {day}: value {text!r} is not a number"
            ) from None
    try:
        days = pl.Series(dates, dtype=pl.String).str.to_date("%Y-%m-%d", strict=True)
    except pl.exceptions.PolarsError:
        raise SourceError(f"FRED ({url}): {series_id}: dates are not YYYY-MM-DD") from None
    return pl.DataFrame(
        {
            "source": SOURCE,
            "dataset": dataset,
            "series_id": f"fred:{series_id}",
            "subject": SERIES.get(series_id, series_id),
            "measure": "postings_index",
            "geography": "US",
            "frequency": "daily",
            "period_start": days,
            "period_end": days,
            "value": pl.Series(parsed, dtype=pl.Float64),
            "unit": "index",
            "footnote_codes": pl.Series([[] for _ in dates], dtype=pl.List(pl.String)),
        },
        schema=OBSERVATION_SCHEMA,
    )


def parse_json(dataset: str, series_id: str, content: bytes, url: str) -> pl.DataFrame:
    try:
        observations = json.loads(content)["observations"]
        dates = [o["date"] for o in observations]
        values = [o["value"] for o in observations]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise SourceError(f"FRED ({url}): not a FRED observations JSON document") from None
    return _rows(dataset, series_id, dates, values, url)


def parse_csv(dataset: str, series_id: str, content: bytes, url: str) -> pl.DataFrame:
    try:
        frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
    except pl.exceptions.PolarsError:
        raise SourceError(f"FRED ({url}): not a CSV") from None
    # FRED has named the date column both `DATE` and `observation_date`.
    if (
        len(frame.columns) != 2
        or frame.columns[0] not in ("DATE", "observation_date")
        or frame.columns[1] != series_id
    ):
        raise SourceError(
            f"FRED ({url}): columns changed: expected ['observation_date', '{series_id}'], got {frame.columns[:5]}"
        )
    return _rows(dataset, series_id, frame[:, 0].to_list(), frame[:, 1].to_list(), url)
