"""ECB: euro reference exchange rates against the US dollar (EXR), monthly and annual averages.

`GET https://data-api.ecb.europa.eu/service/data/EXR/{M|A}.USD.EUR.SP00.A?format=csvdata&startPeriod=&endPeriod=`
answers SDMX-CSV: `KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS,
OBS_CONF,...,TITLE,TITLE_COMPL,UNIT,UNIT_MULT`, one line per period. `OBS_VALUE` of the series
`USD.EUR.SP00.A` is the average of the daily reference rates over the period, quoted as **US dollars
per 1 euro**: it is loaded as `rate_usd_per_eur`, and EUR amounts convert to USD by multiplying.

Change stamp: the series' last observation in the configured window (period and value), asked with
`lastNObservations=1` (the metadata request). ECB reference rates are never revised once published,
so a new last observation is the only change there is.

Raw table: `raw.ecb__eur_usd`.

Daily reference rates (dataset `eurofxref_hist`, raw table `raw.ecb__eurofxref_hist`): the zip the ECB
publishes at `https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip` (every currency, every day
since 1999; parsed by extract/readers/ecb_hist.py), read from a file drop (`files`, change stamp = the
file's sha256) or, with `daily_from_ecb = true`, from that address through the same HTTP client (change
stamp = the sha256 of the body, fetched once per run). A config with `files` (or `daily_from_ecb`) and no
`periods` plans the daily rates only. Monthly and annual means and end-of-period rates are computed from
them in models/intermediate/int_exchange_rates.sql.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field, field_validator

from extract.errors import BadResponse, SchemaDrift
from extract.readers import ecb_hist
from extract.readers.sdmx_csv import read_sdmx_csv
from extract.sources.base import (
    Context,
    Dataset,
    Fetched,
    FileDrops,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    conform,
    file_fetched,
    file_partitions,
)

API = "https://data-api.ecb.europa.eu/service/data/EXR"
HIST_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
SERIES = "USD.EUR.SP00.A"  # US dollar per euro, spot reference rate, average of observations
FREQS = {"M": re.compile(r"^(\d{4})-(\d{2})$"), "A": re.compile(r"^(\d{4})$")}

REQUIRED = ("KEY", "FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX", "TIME_PERIOD", "OBS_VALUE")
KNOWN = (
    *REQUIRED,
    "OBS_STATUS",
    "OBS_CONF",
    "OBS_PRE_BREAK",
    "OBS_COM",
    "TIME_FORMAT",
    "BREAKS",
    "COLLECTION",
    "COMPILING_ORG",
    "DISS_ORG",
    "DOM_SER_IDS",
    "PUBL_ECB",
    "PUBL_MU",
    "PUBL_PUBLIC",
    "UNIT_INDEX_BASE",
    "COMPILATION",
    "COVERAGE",
    "DECIMALS",
    "NAT_TITLE",
    "SOURCE_AGENCY",
    "SOURCE_PUB",
    "TITLE",
    "TITLE_COMPL",
    "UNIT",
    "UNIT_MULT",
)

SCHEMA: dict[str, pl.DataType] = {
    "series_key": pl.String,  # EXR.M.USD.EUR.SP00.A
    "freq": pl.String,  # M or A
    "currency": pl.String,  # USD
    "currency_denom": pl.String,  # EUR
    "exr_type": pl.String,  # SP00
    "exr_suffix": pl.String,  # A (average)
    "time_period": pl.String,  # 2022-09 (M) or 2022 (A)
    "year": pl.Int32,
    "month": pl.Int32,  # null for annual rates
    "rate_usd_per_eur": pl.Float64,  # US dollars for 1 euro (period average of daily reference rates)
    "obs_status": pl.String,
    "obs_conf": pl.String,
    "title": pl.String,
}


Window = tuple[str | None, str | None]


class EcbSettings(SourceSettings):
    """[sources.ecb]"""

    periods: dict[Literal["M", "A"], Window] = Field(
        {"M": (None, None), "A": (None, None)},
        description='Per frequency (M, A) the window [start, end] asked; "" leaves a side open.',
    )
    files: FileDrops = Field(
        [], description="eurofxref-hist.zip file drops: the ECB daily reference rates (dataset eurofxref_hist)."
    )
    daily_from_ecb: bool = Field(
        False, description=f"Read the daily reference rates from the ECB's own {HIST_URL} (live)."
    )
    hist_url: str | None = Field(
        None, description="Another address for eurofxref-hist.zip (a proxy, the test emulator); default the ECB's."
    )

    @field_validator("periods", mode="before")
    @classmethod
    def _windows(cls, value):
        if not isinstance(value, dict):
            raise ValueError(f"must be a table of frequency = [start, end], got {value!r}")
        out = {}
        for freq, window in value.items():
            if freq not in FREQS:
                raise ValueError(f"frequency {freq!r} is not M or A")
            if not isinstance(window, list | tuple) or len(window) != 2:
                raise ValueError(f"{freq} must be [start, end] ('' for open), got {window!r}")
            start, end = (str(w) if w not in (None, "") else None for w in window)
            for w in (start, end):
                if w is not None and not FREQS[freq].match(w):
                    raise ValueError(f"{freq}: {w!r} is not a {freq} period")
            out[freq] = (start, end)
        return out


class Ecb(Source):
    name = "ecb"
    datasets = {
        "eur_usd": Dataset("eur_usd", SCHEMA),  # ECB USD/EUR reference rate, period averages (USD per EUR)
        "eurofxref_hist": Dataset("eurofxref_hist", ecb_hist.SCHEMA),  # daily reference rates, every currency
    }
    Settings = EcbSettings

    def __init__(self, settings: EcbSettings | dict | None = None):
        super().__init__(settings)
        self._hist_body: Fetched | None = None

    def _daily_partitions(self, ctx: Context) -> list[Partition]:
        partitions = file_partitions(
            self.name, "eurofxref_hist", self.settings.files, ctx.landing_root if ctx else None
        )
        if self.settings.daily_from_ecb:
            url = self.settings.hist_url or HIST_URL
            resp = ctx.client.get(self.name, url, expect="zip")
            self._hist_body = Fetched(resp.body, "zip", resp.url)
            stamp = "sha256:" + hashlib.sha256(resp.body).hexdigest()
            partitions.append(Partition(self.name, "eurofxref_hist", "url=eurofxref-hist.zip", {"url": url}, stamp))
        return partitions

    def series_url(self, freq: str) -> str:
        """The series of one frequency under `base_url` (a proxy, the test emulator) or the public API."""
        return f"{(self.settings.base_url or API).rstrip('/')}/{freq}.{SERIES}"

    @staticmethod
    def params(start: str | None, end: str | None, **extra: str) -> dict[str, str]:
        p = {"format": "csvdata", **extra}
        if start:
            p["startPeriod"] = start
        if end:
            p["endPeriod"] = end
        return p

    def plan(self, ctx: Context) -> list[Partition]:
        partitions = self._daily_partitions(ctx)
        if partitions and "periods" not in self.settings.model_fields_set:
            return partitions
        for freq, (start, end) in self.settings.periods.items():
            url = self.series_url(freq)
            resp = ctx.client.get(self.name, url, params=self.params(start, end, lastNObservations="1"), expect="csv")
            rows, _ = read_rows(self.name, resp.url, resp.body)
            if not rows:
                raise BadResponse(self.name, resp.url, "no observation in the window")
            last = rows[-1]
            partitions.append(
                Partition(
                    self.name,
                    "eur_usd",
                    f"series=EXR.{freq}.{SERIES}/window={start or ''}..{end or ''}",
                    params={"freq": freq, "start": start, "end": end},
                    source_updated_at=f"last={last['TIME_PERIOD']}:{last['OBS_VALUE'] or ''}",
                )
            )
        return partitions

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        p = partition.params
        if partition.dataset == "eurofxref_hist":
            if "path" in p:
                return [file_fetched(Path(p["path"]), self.name)]
            if self._hist_body is None:
                resp = ctx.client.get(self.name, p["url"], expect="zip")
                self._hist_body = Fetched(resp.body, "zip", resp.url)
            return [self._hist_body]
        resp = ctx.client.get(
            self.name, self.series_url(p["freq"]), params=self.params(p["start"], p["end"]), expect="csv"
        )
        return [Fetched(resp.body, "csv", resp.url)]

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        if partition.dataset == "eurofxref_hist":
            (body,) = bodies
            frame = ecb_hist.parse(self.name, body.url, body.body)
            return ParseResult(conform(self.name, body.url, frame, ecb_hist.SCHEMA))
        return parse_exr_csv(self.name, bodies[0].url, bodies[0].body, partition.params["freq"])


def read_rows(source: str, where: str, body: bytes) -> tuple[list[dict[str, str | None]], list[str]]:
    """The SDMX-CSV lines as dicts (an empty field None) + warnings for unknown columns."""
    frame, warnings = read_sdmx_csv(source, where, body, REQUIRED, KNOWN)
    return frame.to_dicts(), warnings


def parse_exr_csv(source: str, where: str, body: bytes, freq: str) -> ParseResult:
    rows, warnings = read_rows(source, where, body)
    records = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        at = f"{where} line {n}"
        got = tuple(row[c] or "" for c in ("FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX"))
        if got != (freq, "USD", "EUR", "SP00", "A"):
            raise BadResponse(source, at, f"series {'.'.join(got)} is not {freq}.{SERIES}")
        period = row["TIME_PERIOD"] or ""
        m = FREQS[freq].match(period)
        if not m:
            raise SchemaDrift(source, at, f"TIME_PERIOD {period!r} is not a {freq} period", field="TIME_PERIOD")
        if period in seen:
            raise BadResponse(source, at, f"period {period} appears twice")
        seen.add(period)
        raw = (row["OBS_VALUE"] or "").strip()
        try:
            rate = float(raw) if raw not in ("", "NaN") else None
        except ValueError:
            raise SchemaDrift(source, at, f"OBS_VALUE {raw!r} is not a number", field="OBS_VALUE") from None
        if rate is not None and rate <= 0:
            raise SchemaDrift(source, at, f"OBS_VALUE {rate} is not a positive rate", field="OBS_VALUE")
        if rate is None:
            warnings.append(f"[{source}] {at}: no rate for {period} (OBS_VALUE empty)")
        records.append(
            {
                "series_key": row["KEY"],
                "freq": freq,
                "currency": row["CURRENCY"],
                "currency_denom": row["CURRENCY_DENOM"],
                "exr_type": row["EXR_TYPE"],
                "exr_suffix": row["EXR_SUFFIX"],
                "time_period": period,
                "year": int(m.group(1)),
                "month": int(m.group(2)) if freq == "M" else None,
                "rate_usd_per_eur": rate,
                "obs_status": row.get("OBS_STATUS") or None,
                "obs_conf": row.get("OBS_CONF") or None,
                "title": row.get("TITLE") or None,
            }
        )
    frame = pl.DataFrame(records, schema=SCHEMA, orient="row") if records else pl.DataFrame(schema=SCHEMA)
    return ParseResult(conform(source, where, frame, SCHEMA), warnings)
