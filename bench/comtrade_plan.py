"""Extraction cost in API calls: the Comtrade planner (extract/sources/comtrade.py) against the naive plan.

Plan: EU27 members x (transit candidates + Russia) x all HS6 (`AG6`) x months 2019-2024, exports and
imports, totals filters on (motCode 0, customsCode C00, partner2Code 0): the data endpoint, 100,000 rows
a call. The real planner `Comtrade._group` is called directly for each reporter with the getDA totals
it would get (`totalRecords` per reporter-month, all partners).

Expected rows of a call (how full it is) come from the synthetic model in bench/generate.py: a series
(reporter, partner, flow, HS6) is active with probability min(1, c W) and reports in a month with
probability 0.8. `c` is the calibration of a chosen synthetic scale (default the 50M one: 34 partners,
about 2,400 HS6 rows a month for Germany's exports to Kazakhstan, the order of magnitude Comext shows).
getDA's totalRecords (all ~230 partners) is modelled as the expected rows with the reporter's 34 benchmark
partners times ALL_PARTNER_FACTOR.

Every planned call is then "made" as `Comtrade._get` would: an answer whose expected rows reach the cap
is capped, discarded and split (`Call.split`) until no answer is capped; `calls` counts every call made,
capped ones included, and `mean_fill` is the rows kept per call / cap (a capped call keeps none).

Variants: `planner_before` (partners x 5,613 HS6 x flows per period, bounded only by the whole
totalRecords: the planner before the share-scaled bound), `planner` (a first extraction: totalRecords x
the asked partners' share x 1.5), `planner_rerun` (a later run: the previous load's row count per
reporter-month x 1.5, via `Comtrade.observe_ledger`), `density_estimate_x1.5` (the model's own expected
rows x 1.5: a perfect density estimate).
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


def fetch_calls(call: ModelCall, cap: int) -> list[tuple[ModelCall, bool]]:
    """The calls `Comtrade._get` makes for a planned call when the answer has the model's expected rows:
    (call, capped). A capped answer (expected rows >= cap) is discarded and the call split again
    (`Call.split`), exactly as the source does."""
    if call.expected_rows() < cap:
        return [(call, False)]
    out = [(call, True)]
    for part in call.split():
        out += fetch_calls(part, cap)
    return out


class _AsBefore(Comtrade):
    """The planner before the share-scaled getDA bound: partners x 5,613 x flows per period, bounded only
    by the sum of the periods' totalRecords (all partners)."""

    def _estimate(self, call: Call, base: Call, totals: dict[str, int | None]) -> int:
        bound = Call.estimate(call)
        known = [totals.get(p) for p in call.periods]
        if all(t is not None for t in known):
            bound = min(bound, sum(known))
        return bound


class _DensityOnly(Comtrade):
    """The planner deciding on the model's own expected rows x safety (ModelCall.estimate) alone: what a
    perfect density estimate would give."""

    def _estimate(self, call: Call, base: Call, totals: dict[str, int | None]) -> int:
        return call.estimate()


VARIANTS = {
    # name: (planner class, ModelCall estimate: None = the planner's own, else model density x safety)
    "planner_before": (_AsBefore, None),
    "planner": (Comtrade, None),  # first extraction: getDA totalRecords x the partners' share
    "planner_rerun": (Comtrade, None),  # later runs: the previous load's row count per reporter-month
    "density_estimate_x1.5": (_DensityOnly, 1.5),
}


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
    flows = ("M", "X")
    out = {}
    for variant, (planner, safety) in VARIANTS.items():
        source = planner({"endpoint": "data"})
        if variant == "planner_rerun":  # ops.partitions.row_count after a first load: the expected rows
            source.observe_ledger(
                {
                    ("goods", f"type=C/freq=M/cl=HS/reporter={current[iso]}/period={p}"): {
                        "status": "loaded",
                        "row_count": round(sum(per_pair.get((iso, q), 0.0) for q in partners_iso)),
                    }
                    for iso in members
                    for p in periods
                }
            )
        planned, made, fills, capped, rows = 0, [], [], 0, 0.0
        for iso in members:
            reporter = current[iso]
            expected = tuple((code, per_pair.get((iso, code_to_iso[code]), 0.0)) for code in partner_codes)
            # getDA counts every partner: the reporter's 34 modelled partners x ALL_PARTNER_FACTOR (not only
            # the 13 asked for)
            month_rows_all = sum(v for (r, _), v in per_pair.items() if r == iso)
            total_records = math.ceil(month_rows_all * ALL_PARTNER_FACTOR)
            released = [(p, ("2025-01-01|dataset=x", total_records)) for p in periods]
            base = ModelCall("M", reporter, (), partner_codes, ("AG6",), flows, False, True, expected, safety or 1.0)
            if safety is None:  # the planner's own estimate (Call.estimate, bounded by getDA)
                base = _RealEstimate(**{f: getattr(base, f) for f in base.__dataclass_fields__})
            for _, group_calls in source._group(base, released, cap, "data"):
                for call in group_calls:
                    planned += 1
                    for made_call, was_capped in fetch_calls(call, cap):
                        made.append(made_call)
                        capped += was_capped
                        useful = 0.0 if was_capped else made_call.expected_rows()
                        rows += useful
                        fills.append(useful / cap)
        fills_sorted = sorted(fills)
        out[variant] = {
            "planned_calls": planned,
            "calls": len(made),
            "capped_calls": capped,
            "rows": rows,
            "mean_fill": sum(fills) / len(fills),
            "median_fill": fills_sorted[len(fills) // 2],
            "calls_at_least_half_full": sum(f >= 0.5 for f in fills) / len(fills),
            "max_periods_per_call": max(len(c.periods) for c in made),
            "max_partners_per_call": max(len(c.partners) for c in made),
        }
    naive = len(members) * len(partner_codes) * len(periods)
    naive_rows = [per_pair.get((m, p), 0.0) for m in members for p in partners_iso] * len(periods)
    out["naive"] = {
        "calls": naive,
        "mean_fill": sum(naive_rows) / len(naive_rows) / cap,
        "description": "one call per reporter x partner x month (both flows, AG6)",
    }
    for variant in VARIANTS:
        out[variant]["fewer_calls_than_naive"] = naive / out[variant]["calls"]
    out["setup"] = {
        "reporters": len(members),
        "partners": partners_iso,
        "months": len(periods),
        "cmd": "AG6",
        "flows": list(flows),
        "cap": cap,
        "all_partner_factor": ALL_PARTNER_FACTOR,
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
