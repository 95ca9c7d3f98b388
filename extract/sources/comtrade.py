"""UN Comtrade API v1: goods (type C), annual and monthly, HS, by reporter and period.

Endpoints (https://comtradeapi.un.org):
- data, with the key `COMTRADE_API_KEY` sent as the `Ocp-Apim-Subscription-Key` header only:
  `/data/v1/get/C/{A|M}/HS?...` (at most 100,000 rows per call) and `/data/v1/getDA/C/{A|M}/HS?...`;
- keyless: `/public/v1/preview/C/{A|M}/HS?...` (at most 500 rows per call) and `/public/v1/getDA/...`.

Partition = one reporter and one period of one frequency (`type=C/freq=A/cl=HS/reporter=156/period=2010`).
Its change stamp is the data availability (getDA) record of that reporter-period: `lastReleased` and
`datasetCode` (a reporter-period with no release is not planned). Partitions whose stamp did not move are
skipped by the runner, so a run with nothing new makes only the getDA calls.

Calls: one call can carry several periods of one reporter and many partners. The planner estimates
the rows of a call (partners x commodity codes x flows per period, capped by the rows the previous load
of the reporter-period had, else by getDA's `totalRecords` x the asked partners' share, x 1.5) and groups periods / splits partner lists so that no call is expected to reach the endpoint's row
cap, and no URL reaches 4,096 characters. A call that still comes back capped (`count` or the number
of rows equal to the cap) is split again (partner halves, then periods, then flows, then commodity
codes) until no answer is capped: rows are never silently truncated. The capped answer itself is not
loaded (it is a truncated subset of the split answers).

File drop (`files`, dataset `extracts`, raw table `comtrade__extracts`): Comtrade product extracts saved as
CSV with the legacy API's field names (extract/readers/comtrade_extract.py), loaded in this table's column
names; one partition per file, change stamp = the file's sha256. A config with `files` and no `reporters`
plans the files only.

Totals are `motCode=0`, `customsCode=C00`, `partner2Code=0`; those filters are sent unless
`breakdowns = true`, and the three dimensions are kept as columns either way (breakdown rows stay in raw).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from extract.errors import BadResponse, SchemaDrift, SourceError
from extract.http import parse_json
from extract.readers import comtrade_extract
from extract.settings import PROJECT_DIR
from extract.sources.base import (
    Code,
    Context,
    Dataset,
    Fetched,
    FileDrops,
    Iso3,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    Years,
    check_fields,
    conform,
    file_fetched,
    file_partitions,
)

log = logging.getLogger(__name__)

HOST = "https://comtradeapi.un.org"
KEY_ENV = "COMTRADE_API_KEY"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
ENDPOINTS = {
    # name: (data path, availability path, rows cap per call)
    "data": ("/data/v1/get/C/{freq}/HS", "/data/v1/getDA/C/{freq}/HS", 100_000),
    "preview": ("/public/v1/preview/C/{freq}/HS", "/public/v1/getDA/C/{freq}/HS", 500),
}
MAX_URL = 4096
MAX_PERIODS_PER_CALL = 12
ALL_FLOWS = ("M", "X", "RM", "RX")
# Planning estimates (rows per call). Explicit codes with the totals filters give at most one row per
# partner x commodity x flow x period; the rest are expectations, and a capped answer is split anyway.
ALL_PARTNERS_ESTIMATE = 250  # partner areas when partnerCode is omitted
FLOWS_ESTIMATE = 2  # when flowCode is omitted: M and X; RM/RX are rare
BREAKDOWN_ESTIMATE = 4  # rows per total when motCode/customsCode/partner2Code breakdowns are asked for
AGGREGATE_CMD_ESTIMATE = {"AG2": 97, "AG4": 1229, "AG6": 5613, "ALL": 7000}
# getDA's totalRecords of a reporter-period (all partners, flows, codes and breakdowns) bounds a call's
# rows once scaled by the asked partners' share, as does the row count of the previous load of that
# reporter-period (see Comtrade._estimate); both with this safety margin.
TOTAL_RECORDS_SAFETY = 1.5

# (column, API field, dtype, kind) in the raw table's order; kind says how a JSON value is read.
COLUMNS: list[tuple[str, str, pl.DataType, str]] = [
    ("type_code", "typeCode", pl.String, "code"),
    ("freq_code", "freqCode", pl.String, "code"),
    ("ref_period_id", "refPeriodId", pl.Int32, "int"),
    ("ref_year", "refYear", pl.Int32, "int"),
    ("ref_month", "refMonth", pl.Int32, "int"),
    ("period", "period", pl.String, "code"),
    ("reporter_code", "reporterCode", pl.String, "code"),
    ("reporter_iso", "reporterISO", pl.String, "code"),
    ("reporter_desc", "reporterDesc", pl.String, "text"),
    ("flow_code", "flowCode", pl.String, "code"),
    ("flow_desc", "flowDesc", pl.String, "text"),
    ("partner_code", "partnerCode", pl.String, "code"),
    ("partner_iso", "partnerISO", pl.String, "code"),
    ("partner_desc", "partnerDesc", pl.String, "text"),
    ("partner2_code", "partner2Code", pl.String, "code"),
    ("partner2_iso", "partner2ISO", pl.String, "code"),
    ("partner2_desc", "partner2Desc", pl.String, "text"),
    ("classification_code", "classificationCode", pl.String, "code"),
    ("classification_search_code", "classificationSearchCode", pl.String, "code"),
    ("is_original_classification", "isOriginalClassification", pl.Boolean, "bool"),
    ("cmd_code", "cmdCode", pl.String, "code"),
    ("cmd_desc", "cmdDesc", pl.String, "text"),
    ("aggr_level", "aggrLevel", pl.Int32, "int"),
    ("is_leaf", "isLeaf", pl.Boolean, "bool"),
    ("customs_code", "customsCode", pl.String, "code"),
    ("customs_desc", "customsDesc", pl.String, "text"),
    ("mos_code", "mosCode", pl.String, "code"),
    ("mot_code", "motCode", pl.String, "code"),
    ("mot_desc", "motDesc", pl.String, "text"),
    ("qty_unit_code", "qtyUnitCode", pl.String, "code"),
    ("qty_unit_abbr", "qtyUnitAbbr", pl.String, "text"),
    ("qty", "qty", pl.Float64, "float"),
    ("is_qty_estimated", "isQtyEstimated", pl.Boolean, "bool"),
    ("alt_qty_unit_code", "altQtyUnitCode", pl.String, "code"),
    ("alt_qty_unit_abbr", "altQtyUnitAbbr", pl.String, "text"),
    ("alt_qty", "altQty", pl.Float64, "float"),
    ("is_alt_qty_estimated", "isAltQtyEstimated", pl.Boolean, "bool"),
    ("net_wgt", "netWgt", pl.Float64, "float"),
    ("is_net_wgt_estimated", "isNetWgtEstimated", pl.Boolean, "bool"),
    ("gross_wgt", "grossWgt", pl.Float64, "float"),
    ("is_gross_wgt_estimated", "isGrossWgtEstimated", pl.Boolean, "bool"),
    ("cifvalue", "cifvalue", pl.Float64, "float"),
    ("fobvalue", "fobvalue", pl.Float64, "float"),
    ("primary_value", "primaryValue", pl.Float64, "float"),
    ("legacy_estimation_flag", "legacyEstimationFlag", pl.Int32, "int"),
    ("is_reported", "isReported", pl.Boolean, "bool"),
    ("is_aggregate", "isAggregate", pl.Boolean, "bool"),
]
REQUIRED = ("refYear", "period", "reporterCode", "partnerCode", "flowCode", "cmdCode", "primaryValue")
KNOWN = {field for _, field, _, _ in COLUMNS}
DA_REQUIRED = ("reporterCode", "period", "lastReleased")


@dataclass(frozen=True)
class Call:
    """One data request: a reporter, some periods, and the filters (None = not sent: all of them)."""

    freq: str
    reporter: str
    periods: tuple[str, ...]
    partners: tuple[str, ...] | None
    cmds: tuple[str, ...]
    flows: tuple[str, ...] | None
    breakdowns: bool
    include_desc: bool = True

    def params(self) -> dict[str, str]:
        # Same keys as the Comtrade web client and comtradr send; the replay key sorts them anyway.
        p = {"cmdCode": ",".join(self.cmds)}
        if self.flows is not None:
            p["flowCode"] = ",".join(self.flows)
        if self.partners is not None:
            p["partnerCode"] = ",".join(self.partners)
        p["reporterCode"] = self.reporter
        p["period"] = ",".join(self.periods)
        if not self.breakdowns:
            p.update(motCode="0", partner2Code="0", customsCode="C00")
        if self.include_desc:
            p["includeDesc"] = "TRUE"
        return p

    def estimate(self) -> int:
        partners = len(self.partners) if self.partners is not None else ALL_PARTNERS_ESTIMATE
        cmds = sum(AGGREGATE_CMD_ESTIMATE.get(c.upper(), 1) for c in self.cmds)
        flows = len(self.flows) if self.flows is not None else FLOWS_ESTIMATE
        per_period = partners * cmds * flows * (BREAKDOWN_ESTIMATE if self.breakdowns else 1)
        return per_period * len(self.periods)

    def split(self) -> list[Call]:
        """Two or more smaller calls covering exactly this one, or [] when it cannot be split."""
        if self.partners is not None and len(self.partners) > 1:
            h = (len(self.partners) + 1) // 2
            return [replace(self, partners=self.partners[:h]), replace(self, partners=self.partners[h:])]
        if len(self.periods) > 1:
            h = (len(self.periods) + 1) // 2
            return [replace(self, periods=self.periods[:h]), replace(self, periods=self.periods[h:])]
        if self.flows is None:
            return [replace(self, flows=(f,)) for f in ALL_FLOWS]
        if len(self.flows) > 1:
            return [replace(self, flows=(f,)) for f in self.flows]
        if len(self.cmds) > 1:
            h = (len(self.cmds) + 1) // 2
            return [replace(self, cmds=self.cmds[:h]), replace(self, cmds=self.cmds[h:])]
        return []


def _code(value) -> str | None:
    """A code as text: 156 -> '156', 156.0 -> '156', ' R4 ' -> 'R4'."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("boolean where a code was expected")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value).strip()
    raise TypeError(f"{type(value).__name__} where a code was expected")


def _series(source: str, where: str, column: str, field: str, dtype, kind: str, values: list) -> pl.Series:
    try:
        if kind in ("code", "text"):
            values = [_code(v) if kind == "code" else (None if v is None else str(v)) for v in values]
        elif kind in ("int", "float") and any(isinstance(v, bool) for v in values):
            raise TypeError("boolean where a number was expected")
        elif kind == "bool" and any(v is not None and not isinstance(v, bool) for v in values):
            raise TypeError("non-boolean value")
        return pl.Series(column, values, dtype=dtype, strict=True)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError) as exc:
        raise SchemaDrift(source, where, f"field {field!r} does not fit {dtype}: {exc}", field=field) from None


def envelope(source: str, where: str, obj) -> list[dict]:
    """The rows of a Comtrade answer; an API error object raises BadResponse with its text."""
    if not isinstance(obj, dict):
        raise BadResponse(source, where, f"expected a JSON object with 'data', got {type(obj).__name__}")
    error = obj.get("error")
    if error:
        text = error if isinstance(error, str) else json.dumps(error, sort_keys=True)
        raise BadResponse(source, where, f"API error: {text}")
    for key in ("statusCode", "message"):  # API Management errors carry no envelope
        if key in obj and "data" not in obj:
            raise BadResponse(source, where, f"API error: {json.dumps(obj, sort_keys=True)[:300]}")
    if "data" not in obj:
        raise SchemaDrift(source, where, "required field 'data' is missing", field="data")
    data = obj["data"]
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise SchemaDrift(source, where, "field 'data' is not a list of records", field="data")
    return data


def is_capped(obj: dict, rows: list[dict], cap: int) -> bool:
    count = obj.get("count")
    return len(rows) >= cap or (isinstance(count, int) and not isinstance(count, bool) and count >= cap)


def period_codes(freq: str, first: int, last: int) -> list[str]:
    if freq == "A":
        return [str(y) for y in range(first, last + 1)]
    return [f"{y}{m:02d}" for y in range(first, last + 1) for m in range(1, 13)]


def area_codes() -> tuple[dict[str, str], dict[str, list[str]]]:
    """ISO3 -> current Comtrade code (seeds/countries.csv) and ISO3 -> historical codes, oldest first."""
    countries = pl.read_csv(PROJECT_DIR / "seeds" / "countries.csv", infer_schema=False)
    current = {r["iso3"]: r["comtrade_code"] for r in countries.iter_rows(named=True) if r["comtrade_code"] is not None}
    areas = pl.read_csv(PROJECT_DIR / "seeds" / "comtrade_areas.csv", infer_schema=False)
    old = areas.filter(
        pl.col("iso3").is_not_null() & (pl.col("is_current_code") == "false") & pl.col("exit_year").is_not_null()
    ).sort(pl.col("exit_year").cast(pl.Int32), pl.col("comtrade_code").cast(pl.Int64))
    historical: dict[str, list[str]] = {}
    for r in old.iter_rows(named=True):
        historical.setdefault(r["iso3"], []).append(r["comtrade_code"])
    return current, historical


class FrequencySettings(BaseModel):
    """[sources.comtrade.by_frequency.A] (or .M): what one frequency asks instead of the section's own."""

    model_config = ConfigDict(extra="forbid")

    partners: list[Iso3] | None = Field(None, description="Partners for this frequency (ISO3 or WLD).")
    every_partner: bool = Field(False, description="Ask every partner area (partnerCode omitted) at this frequency.")
    cmd_codes: list[Code] | None = Field(None, description="Commodity codes for this frequency (e.g. TOTAL).")
    flows: list[str] | None = Field(None, description="Flow codes for this frequency.")


class ComtradeSettings(SourceSettings):
    """[sources.comtrade]"""

    reporters: list[Iso3] = Field(
        [], description="Reporters, ISO3 (each needs a Comtrade code); required unless `files` is set."
    )
    partners: list[Iso3] | None = Field(
        None, description="Partners, ISO3 or WLD (the world); omitted: every partner area."
    )
    historical_codes: bool = Field(
        False, description="Also ask each partner's historical Comtrade codes, oldest first (DEU: 280 then 276)."
    )
    years: Years | None = Field(
        None, description="[first, last] year asked (months of those years with frequency M); required with reporters."
    )
    frequencies: list[Literal["A", "M"]] = Field(["A"], min_length=1, description="A (annual) and/or M (monthly).")
    cmd_codes: list[Code] = Field(
        ["TOTAL"], min_length=1, description="HS commodity codes or TOTAL, AG2, AG4, AG6, ALL."
    )
    flows: list[str] | None = Field(None, description="Flow codes (M, X, RM, RX); omitted: every flow in one call.")
    breakdowns: bool = Field(
        False, description="Also load mode-of-transport, customs and second-partner breakdowns (not only totals)."
    )
    include_desc: bool = Field(True, description="Ask Comtrade for the descriptions of the codes.")
    by_frequency: dict[Literal["A", "M"], FrequencySettings] = Field(
        {},
        description="Per frequency, partners / every_partner / cmd_codes / flows instead of the section's "
        "(e.g. monthly HS6 with a few partners, annual TOTAL with every partner).",
    )
    endpoint: Literal["auto", "data", "preview"] = Field(
        "auto", description=f"data (needs {KEY_ENV}), preview (keyless, 500 rows a call) or auto (data with a key)."
    )
    files: FileDrops = Field(
        [],
        description="Product extracts as CSV with the legacy API field names (dataset extracts), one partition each.",
    )

    @model_validator(mode="after")
    def _codes_known(self):
        if not self.reporters and not self.files:
            raise ValueError("reporters: at least one reporter (or files) is required")
        if self.reporters and self.years is None:
            raise ValueError("years: required, not set")
        current, _ = area_codes()
        for iso in self.reporters:
            if iso not in current:
                raise ValueError(f"reporters: {iso!r} has no Comtrade code in seeds/countries.csv")
        for iso in [*(self.partners or []), *(p for f in self.by_frequency.values() for p in f.partners or [])]:
            if iso != "WLD" and iso not in current:
                raise ValueError(f"partners: {iso!r} has no Comtrade partner code")
        return self


class Comtrade(Source):
    name = "comtrade"
    datasets = {
        # UN Comtrade goods trade (HS) by reporter, partner, flow, commodity and period, as reported
        "goods": Dataset("goods", {column: dtype for column, _, dtype, _ in COLUMNS}),
        # UN Comtrade product extracts (file drop, legacy API field names), monthly, USD
        "extracts": Dataset("extracts", comtrade_extract.SCHEMA),
    }
    Settings = ComtradeSettings

    def __init__(self, settings: ComtradeSettings | dict | None = None):
        super().__init__(settings)
        self._cache: dict[tuple, list[Fetched]] = {}
        self._previous_rows: dict[tuple[str, str, str], int] = {}  # (freq, reporter, period) -> rows loaded

    # ------------------------------------------------------------------ settings

    def _host(self) -> str:
        """The API root: `base_url` (e.g. the test emulator or a proxy), else the public address."""
        return (self.settings.base_url or HOST).rstrip("/")

    def _key(self) -> str | None:
        return os.environ.get(KEY_ENV) or None

    def _endpoint(self, ctx: Context) -> str:
        choice = self.settings.endpoint
        if choice == "auto":
            return "data" if self._key() else "preview"
        live = getattr(ctx.config, "mode", "live") != "replay"
        if choice == "data" and live and not self._key():
            raise SourceError(self.name, "config", f"endpoint 'data' needs the {KEY_ENV} environment variable")
        return choice

    def _headers(self) -> dict[str, str] | None:
        key = self._key()
        return {KEY_HEADER: key} if key else None

    def query_for(self, freq: str) -> tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...] | None]:
        """(partner codes or None for every partner, commodity codes, flows or None) asked at `freq`."""
        s = self.settings
        o = s.by_frequency.get(freq) or FrequencySettings()
        partners_iso = None if o.every_partner else (o.partners if o.partners is not None else s.partners)
        _, partners = self._codes(partners_iso)
        flows = o.flows if o.flows is not None else s.flows
        return partners, tuple(o.cmd_codes or s.cmd_codes), tuple(flows) if flows else None

    def _codes(self, partners_iso: list[str] | None = None) -> tuple[list[str], tuple[str, ...] | None]:
        current, historical = area_codes()
        reporters = [current[iso] for iso in self.settings.reporters]  # each checked when the config was loaded
        if not partners_iso:
            return reporters, None
        partners: list[str] = []
        for iso in partners_iso:
            if iso == "WLD":
                codes = ["0"]
            elif iso in current:
                codes = [*historical.get(iso, []), current[iso]] if self.settings.historical_codes else []
                codes = codes or [current[iso]]
            else:
                raise SourceError(self.name, "config", f"partner {iso!r} has no Comtrade partner code")
            partners += [c for c in codes if c not in partners]
        return reporters, tuple(partners)

    # ------------------------------------------------------------------ plan

    def plan(self, ctx: Context) -> list[Partition]:
        partitions = file_partitions(self.name, "extracts", self.settings.files, ctx.landing_root if ctx else None)
        if not self.settings.reporters:
            return partitions
        return partitions + self._api_partitions(ctx)

    def _api_partitions(self, ctx: Context) -> list[Partition]:
        endpoint = self._endpoint(ctx)
        _, da_path, cap = ENDPOINTS[endpoint]
        reporters, _ = self._codes()
        s = self.settings
        years = s.years
        partitions: list[Partition] = []
        for freq in s.frequencies:
            partners, cmds, flows = self.query_for(freq)
            periods = period_codes(freq, years[0], years[1])
            stamps = self._availability(ctx, self._host() + da_path.format(freq=freq), reporters, periods)
            for reporter in reporters:
                released = [(p, stamps[(reporter, p)]) for p in periods if (reporter, p) in stamps]
                missing = len(periods) - len(released)
                if missing:
                    log.info("[comtrade] %s/%s: %d period(s) not released yet, not planned", freq, reporter, missing)
                base = Call(freq, reporter, (), partners, cmds, flows, s.breakdowns, s.include_desc)
                for group, calls in self._group(base, released, cap, endpoint):
                    for period in group:
                        stamp, _ = stamps[(reporter, period)]
                        partitions.append(
                            Partition(
                                self.name,
                                "goods",
                                f"type=C/freq={freq}/cl=HS/reporter={reporter}/period={period}",
                                {
                                    "freq": freq,
                                    "reporter": reporter,
                                    "period": period,
                                    "endpoint": endpoint,
                                    "cap": cap,
                                    "calls": calls,
                                },
                                source_updated_at=stamp,
                                period=period if freq == "A" else f"{period[:4]}-{period[4:]}",
                            )
                        )
        return partitions

    def _availability(
        self, ctx: Context, url: str, reporters: list[str], periods: list[str]
    ) -> dict[tuple[str, str], tuple[str, int | None]]:
        """(reporter, period) -> (change stamp, totalRecords) from getDA, 12 periods per call."""
        stamps: dict[tuple[str, str], list[str]] = {}
        totals: dict[tuple[str, str], int] = {}
        for i in range(0, len(periods), MAX_PERIODS_PER_CALL):
            params = {"reporterCode": ",".join(reporters), "period": ",".join(periods[i : i + MAX_PERIODS_PER_CALL])}
            resp = ctx.client.get(self.name, url, params=params, headers=self._headers())
            for n, row in enumerate(envelope(self.name, resp.url, resp.json())):
                check_fields(self.name, f"{resp.url} row {n}", row, DA_REQUIRED, row)
                key = (_code(row["reporterCode"]), _code(row["period"]))
                stamps.setdefault(key, []).append(f"{row['lastReleased']}|dataset={row.get('datasetCode')}")
                if isinstance(row.get("totalRecords"), int):
                    totals[key] = totals.get(key, 0) + row["totalRecords"]
        return {k: (";".join(sorted(v)), totals.get(k)) for k, v in stamps.items()}

    def observe_ledger(self, state: dict[tuple[str, str], dict]) -> None:
        """Called by the runner before `plan` with the ledger's partition state: the row count each
        reporter-period had when it was last loaded bounds the planning estimate (see `_estimate`)."""
        self._previous_rows = {}
        for (dataset, key), s in state.items():
            if dataset != "goods" or s.get("status") != "loaded" or not isinstance(s.get("row_count"), int):
                continue
            parts = dict(part.split("=", 1) for part in key.split("/") if "=" in part)
            if {"freq", "reporter", "period"} <= parts.keys():
                self._previous_rows[(parts["freq"], parts["reporter"], parts["period"])] = s["row_count"]

    def _estimate(self, call: Call, base: Call, totals: dict[str, int | None]) -> int:
        """Expected rows of a call, period by period: the code-based bound (`Call.estimate`), capped by
        what is known of the reporter-period, times TOTAL_RECORDS_SAFETY:
        - the rows its previous load had (`ops.partitions.row_count`, for the configured partners) x the
          call's share of those partners; else
        - getDA's `totalRecords` (all partners, flows, codes) x the asked partners out of
          ALL_PARTNERS_ESTIMATE.
        An underestimate costs a capped call, which `_get` splits again (rows are never lost); an
        overestimate costs half-empty calls.
        """
        per_period = call.estimate() // max(1, len(call.periods))
        if call.partners is None:
            getda_share = configured_share = 1.0
        else:
            getda_share = min(1.0, len(call.partners) / ALL_PARTNERS_ESTIMATE)
            configured_share = len(call.partners) / max(1, len(base.partners or call.partners))
        rows = 0
        for period in call.periods:
            bound = per_period
            previous = self._previous_rows.get((call.freq, call.reporter, period))
            total = totals.get(period)
            if previous is not None:
                bound = min(bound, math.ceil(previous * configured_share * TOTAL_RECORDS_SAFETY))
            elif total is not None:
                bound = min(bound, math.ceil(total * getda_share * TOTAL_RECORDS_SAFETY))
            if total is not None:
                bound = min(bound, total)  # never more than the whole reporter-period
            rows += bound
        return rows

    def _group(self, base: Call, released: list[tuple[str, tuple]], cap: int, endpoint: str):
        """Group a reporter's periods into calls expected to stay under the cap and the URL limit."""

        def estimate(call: Call) -> int:
            return self._estimate(call, base, released_totals)

        released_totals = {p: total for p, (_, total) in released}
        groups: list[list[str]] = []
        for period, _ in released:
            if groups:
                trial = replace(base, periods=(*groups[-1], period))
                if len(trial.periods) <= MAX_PERIODS_PER_CALL and estimate(trial) < cap and self._fits(trial, endpoint):
                    groups[-1].append(period)
                    continue
            groups.append([period])
        for group in groups:
            call = replace(base, periods=tuple(group))
            pending, calls = [call], []
            while pending:
                c = pending.pop(0)
                if (estimate(c) >= cap or not self._fits(c, endpoint)) and c.partners and len(c.partners) > 1:
                    k = max(2, math.ceil(estimate(c) / (cap - 1)))
                    size = math.ceil(len(c.partners) / k)
                    pending[:0] = [
                        replace(c, partners=c.partners[j : j + size]) for j in range(0, len(c.partners), size)
                    ]
                    continue
                calls.append(c)
            yield group, calls

    @staticmethod
    def _fits(call: Call, endpoint: str) -> bool:
        return len(HOST + ENDPOINTS[endpoint][0].format(freq=call.freq) + "?" + urlencode(call.params())) < MAX_URL

    def request_cost(self, partition: Partition) -> tuple[tuple, int]:
        """The partitions of one group of periods share its calls: the group pays them once."""
        p = partition.params
        return (p["endpoint"], tuple(p["calls"])), len(p["calls"])

    # ------------------------------------------------------------------ fetch

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        if partition.dataset == "extracts":
            return [file_fetched(Path(partition.params["path"]), self.name)]
        p = partition.params
        key = (p["endpoint"], tuple(p["calls"]))
        if key not in self._cache:
            # One group of periods answers several partitions: fetch it once per run.
            self._cache.clear()
            url = self._host() + ENDPOINTS[p["endpoint"]][0].format(freq=p["freq"])
            bodies: list[Fetched] = []
            for call in p["calls"]:
                bodies += self._get(ctx, url, call, p["cap"])
            self._cache[key] = bodies
        return self._cache[key]

    def _get(self, ctx: Context, url: str, call: Call, cap: int) -> list[Fetched]:
        resp = ctx.client.get(self.name, url, params=call.params(), headers=self._headers())
        obj = resp.json()
        rows = envelope(self.name, resp.url, obj)
        if not is_capped(obj, rows, cap):
            return [Fetched(resp.body, "json", resp.url)]
        parts = call.split()
        if not parts:
            raise BadResponse(self.name, resp.url, f"answer capped at {cap} rows and the call cannot be split further")
        log.info("[comtrade] %s: capped at %d rows, split into %d calls", resp.url, cap, len(parts))
        out: list[Fetched] = []
        for part in parts:
            out += self._get(ctx, url, part, cap)
        return out

    # ------------------------------------------------------------------ parse

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        if partition.dataset == "extracts":
            (body,) = bodies
            reporters = {code: iso for iso, code in area_codes()[0].items()}
            frame, warnings = comtrade_extract.parse(self.name, body.url, body.body, reporters)
            return ParseResult(conform(self.name, body.url, frame, comtrade_extract.SCHEMA), warnings)
        reporter = partition.params.get("reporter")
        period = partition.params.get("period")
        freq = partition.params.get("freq")
        warnings: set[str] = set()
        columns: dict[str, list] = {field: [] for _, field, _, _ in COLUMNS}
        for body in bodies:
            rows = envelope(self.name, body.url, parse_json(self.name, body.url, body.body))
            unknown: set[str] = set()
            for i, row in enumerate(rows):
                check_fields(self.name, f"{body.url} row {i}", row, REQUIRED, KNOWN)
                unknown |= set(row) - KNOWN
                # A grouped call answers several partitions: keep this partition's rows.
                if reporter is not None and (_code(row["reporterCode"]), _code(row["period"])) != (reporter, period):
                    continue
                if freq is not None and row.get("freqCode") not in (None, freq):
                    continue
                for field, values in columns.items():
                    values.append(row.get(field))
            warnings.update(check_fields(self.name, body.url, unknown, (), KNOWN))
        frame = pl.DataFrame(
            [
                _series(self.name, partition.key, column, field, dtype, kind, columns[field])
                for column, field, dtype, kind in COLUMNS
            ]
        )
        schema = self.datasets["goods"].schema
        return ParseResult(conform(self.name, partition.key, frame, schema), sorted(warnings))
