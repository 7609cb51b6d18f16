"""BLS Public Data API v2: OEWS national wages and CPS unemployment rates.

Requests are POSTed as JSON, at most 50 series and 20 years each with a registration key (25 and
10 without). The API answers HTTP 200 even when it refuses a request: `REQUEST_NOT_PROCESSED`
(the daily quota) is an error, never retried; "Series does not exist" and "No Data Available"
messages are kept as warnings. Values are strings; `-` means not published (top-coded wages, the
2025 appropriations lapse) and becomes an empty value with its footnote codes.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from labor_lake.http import SourceError
from labor_lake.sources import OBSERVATION_SCHEMA

SOURCE = "bls"

# OEWS national cross-industry series: OEU N 0000000 000000 <SOC> <datatype>.
OEWS_OCCUPATIONS: dict[str, str] = {
    "150000": "Computer and mathematical occupations (SOC 15-0000)",
    "151200": "Computer occupations (SOC 15-1200)",
    "151212": "Information security analysts (SOC 15-1212)",
    "151221": "Computer and information research scientists (SOC 15-1221)",
    "151251": "Computer programmers (SOC 15-1251)",
    "151252": "Software developers (SOC 15-1252)",
    "152051": "Data scientists (SOC 15-2051)",
}
OEWS_DATATYPES: dict[str, tuple[str, str]] = {
    "01": ("employment", "count"),
    "04": ("mean_annual_wage", "usd_per_year"),
    "13": ("median_annual_wage", "usd_per_year"),
}


def oews_series_id(occupation: str, datatype: str) -> str:
    return f"OEUN0000000000000{occupation}{datatype}"


@dataclass(frozen=True)
class SeriesInfo:
    subject: str
    measure: str
    unit: str


def series_catalog(cps_series: Mapping[str, str]) -> dict[str, SeriesInfo]:
    """Every series we ask BLS for, with what it measures. CPS series ids are configuration."""
    catalog = {
        oews_series_id(occupation, datatype): SeriesInfo(subject, measure, unit)
        for occupation, subject in OEWS_OCCUPATIONS.items()
        for datatype, (measure, unit) in OEWS_DATATYPES.items()
    }
    catalog.update(
        {
            series: SeriesInfo(subject, "unemployment_rate", "percent")
            for series, subject in cps_series.items()
        }
    )
    return catalog


def batches(series: Sequence[str], with_key: bool) -> list[tuple[str, ...]]:
    size = 50 if with_key else 25
    return [tuple(series[i : i + size]) for i in range(0, len(series), size)]


def year_span(end_year: int, first_year: int | None, with_key: bool) -> tuple[int, int]:
    """Years to ask for: from `first_year` (incremental) or as far back as one request allows."""
    limit = 20 if with_key else 10
    start = end_year - limit + 1 if first_year is None else max(first_year, end_year - limit + 1)
    return start, end_year


def request_body(
    series: Sequence[str], start_year: int, end_year: int, api_key: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seriesid": list(series),
        "startyear": str(start_year),
        "endyear": str(end_year),
    }
    if api_key:
        body["registrationkey"] = api_key
    return body


def _period(year: int, period: str) -> tuple[date, date, str]:
    if period == "A01" or period == "M13":  # annual data, or the annual average of monthly data
        return date(year, 1, 1), date(year, 12, 31), "annual"
    if period.startswith("M") and period[1:].isdigit() and 1 <= int(period[1:]) <= 12:
        month = int(period[1:])
        return (
            date(year, month, 1),
            date(year, month, calendar.monthrange(year, month)[1]),
            "monthly",
        )
    raise SourceError(f"BLS period {period!r} is not supported (expected A01 or M01-M13)")


def parse(
    dataset: str, content: bytes, url: str, catalog: Mapping[str, SeriesInfo]
) -> tuple[pl.DataFrame, list[str]]:
    """Observations and the API's messages (warnings) from one BLS response."""
    try:
        document = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SourceError(f"BLS ({url}): response is not JSON ({type(error).__name__})") from None
    if not isinstance(document, dict) or "status" not in document:
        raise SourceError(f"BLS ({url}): unexpected response shape")
    messages = [str(m) for m in document.get("message") or []]
    if document["status"] == "REQUEST_NOT_PROCESSED":
        raise SourceError(f"BLS ({url}) refused the request, not retrying: {' '.join(messages)}")
    if document["status"] != "REQUEST_SUCCEEDED":
        raise SourceError(f"BLS ({url}): status {document['status']}: {' '.join(messages)}")

    rows = []
    for series in document.get("Results", {}).get("series", []):
        series_id = series["seriesID"]
        info = catalog.get(series_id)
        if info is None:
            raise SourceError(
                f"BLS ({url}): answered for series {series_id}, which was not asked for"
            )
        for item in series.get("data", []):
            start, end, frequency = _period(int(item["year"]), item["period"])
            text = str(item["value"]).replace(",", "").strip()
            try:
                value = None if text in ("-", "") else float(text)
            except ValueError:
                raise SourceError(
                    f"BLS ({url}): series {series_id} {item['year']} {item['period']}: value {text!r} is not a number"
                ) from None
            rows.append(
                {
                    "source": SOURCE,
                    "dataset": dataset,
                    "series_id": f"{SOURCE}:{series_id}",
                    "subject": info.subject,
                    "measure": info.measure,
                    "geography": "US",
                    "frequency": frequency,
                    "period_start": start,
                    "period_end": end,
                    "value": value,
                    "unit": info.unit,
                    "footnote_codes": [
                        f["code"] for f in item.get("footnotes") or [] if f.get("code")
                    ],
                }
            )
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA), messages
