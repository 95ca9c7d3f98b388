"""Extraction cost in API calls: the Comtrade planner (extract/sources/comtrade.py) against the naive plan.

Plan: EU27 members x (transit candidates + Russia) x all HS6 (`AG6`) x months 2019-2024, exports and
imports, totals filters on (motCode 0, customsCode C00, partner2Code 0): the data endpoint, 100,000 rows
a call. The real planner `Comtrade._group` is called directly for each reporter with the getDA totals
it would get (`totalRecords` per reporter-month, all partners).

Expected rows of a call (how full it is) come from the synthetic model in bench/generate.py: a series
(reporter, partner, flow, HS6) is active with probability min(1, c W) and reports in a month with
probability 0.8. `c` is the calibration of a chosen synthetic scale (default the 50M one: 34 partners,
about 2,400 HS6 rows a month for Germany's exports to Kazakhstan, the order of magnitude Comext shows).
getDA's totalRecords (all ~230 partners) is modelled as the expected rows with the 34 benchmark
partners times ALL_PARTNER_FACTOR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from bench.generate import MONTH_PRESENCE, Spec, Universe, group
from extract.sources.comtrade import ENDPOINTS, Call, Comtrade, area_codes, period_codes

ALL_PARTNER_FACTOR = 3.0  # the 34 modelled partners carry about a third of a member's HS6 rows


def expected_rows_table(spec: Spec) -> tuple[pl.DataFrame, float]:
    """Expected rows per (reporter ISO3, partner ISO3, flow) and month, at the spec's calibration."""
    uni = Universe(spec)
    series = uni.series()
    c, _ = uni.calibrate(series, spec.rows)
    rows = (
        series.with_columns((pl.col("W") * c).clip(upper_bound=1.0).alias("pi"))
        .group_by("r", "p", "f")
        .agg((pl.col("pi").sum() * MONTH_PRESENCE).alias("rows_per_month"))
        .join(uni.reporters.select("r", "reporter_iso3"), on="r")
        .join(uni.partners.select("p", "partner_iso3"), on="p")
        .select("reporter_iso3", "partner_iso3", "f", "rows_per_month")
    )
    return rows, c


@dataclass(frozen=True)
class ModelCall(Call):
    """A Call whose estimate is the expected rows of the model (for measuring fill, and for the
    'estimate from observed density' planner variant)."""

    expected: tuple = ()  # ((partner code, rows per month per flow), ...)
    safety: float = 1.0

    def expected_rows(self) -> float:
        per = dict(self.expected)
        partners = self.partners or tuple(per)
        flows = len(self.flows) if self.flows else 2
        return sum(per.get(p, 0.0) for p in partners) * len(self.periods) * flows / 2  # per: both flows

    def estimate(self) -> int:  # used only by the density-aware variant
        return math.ceil(self.expected_rows() * self.safety)


def plan(years=(2019, 2024), scale_rows: int = 50_000_000, seed: int = 20240101) -> dict:
    current, _ = area_codes()
    members = group("eu27")
    partners_iso = [*group("transit_candidates"), "RUS"]
    partner_codes = tuple(current[p] for p in partners_iso)
    code_to_iso = dict(zip(partner_codes, partners_iso, strict=True))
    periods = period_codes("M", years[0], years[1])
    cap = ENDPOINTS["data"][2]
    table, c = expected_rows_table(Spec(rows=scale_rows, seed=seed))
    per_pair = {
        (r["reporter_iso3"], r["partner_iso3"]): r["rows_per_month"]
        for r in table.group_by("reporter_iso3", "partner_iso3")
        .agg(pl.col("rows_per_month").sum())
        .iter_rows(named=True)
    }
    source = Comtrade({"endpoint": "data"})
    flows = ("M", "X")
    out = {}
    for variant, safety in (("planner", None), ("density_estimate_x1.5", 1.5)):
        calls, fills = [], []
        for iso in members:
            reporter = current[iso]
            expected = tuple((code, per_pair.get((iso, code_to_iso[code]), 0.0)) for code in partner_codes)
            month_rows = sum(v for _, v in expected)
            total_records = math.ceil(month_rows * ALL_PARTNER_FACTOR)
            released = [(p, ("2025-01-01|dataset=x", total_records)) for p in periods]
            base = ModelCall("M", reporter, (), partner_codes, ("AG6",), flows, False, True, expected, safety or 1.0)
            if safety is None:  # the real planner: Call.estimate (partners x 5613 x flows x periods)
                base = ModelCall("M", reporter, (), partner_codes, ("AG6",), flows, False, True, expected, 1.0)
                base = _RealEstimate(**{f: getattr(base, f) for f in base.__dataclass_fields__})
            for _, group_calls in source._group(base, released, cap, "data"):
                for call in group_calls:
                    calls.append(call)
                    fills.append(min(call.expected_rows(), cap) / cap)
        fills_sorted = sorted(fills)
        out[variant] = {
            "calls": len(calls),
            "mean_fill": sum(fills) / len(fills),
            "median_fill": fills_sorted[len(fills) // 2],
            "calls_at_least_half_full": sum(f >= 0.5 for f in fills) / len(fills),
            "max_periods_per_call": max(len(c.periods) for c in calls),
            "max_partners_per_call": max(len(c.partners) for c in calls),
        }
    naive = len(members) * len(partner_codes) * len(periods)
    naive_rows = [per_pair.get((m, p), 0.0) for m in members for p in partners_iso] * len(periods)
    out["naive"] = {
        "calls": naive,
        "mean_fill": sum(naive_rows) / len(naive_rows) / cap,
        "description": "one call per reporter x partner x month (both flows, AG6)",
    }
    for variant in ("planner", "density_estimate_x1.5"):
        out[variant]["fewer_calls_than_naive"] = naive / out[variant]["calls"]
    out["setup"] = {
        "reporters": len(members),
        "partners": partners_iso,
        "months": len(periods),
        "cmd": "AG6",
        "flows": list(flows),
        "cap": cap,
        "model_scale_rows": scale_rows,
        "model_c": c,
        "expected_rows_per_month_DEU_KAZ_exports": table.filter(
            (pl.col("reporter_iso3") == "DEU") & (pl.col("partner_iso3") == "KAZ") & (pl.col("f") == 2)
        )["rows_per_month"].item(),
        "expected_rows_per_month_MLT_TJK_exports": table.filter(
            (pl.col("reporter_iso3") == "MLT") & (pl.col("partner_iso3") == "TJK") & (pl.col("f") == 2)
        )["rows_per_month"].item(),
    }
    return out


@dataclass(frozen=True)
class _RealEstimate(ModelCall):
    """ModelCall that keeps Comtrade's own estimate (so the real planner decides) but reports fill."""

    def estimate(self) -> int:
        return Call.estimate(self)  # partners x AGGREGATE_CMD_ESTIMATE['AG6'] x flows x periods
