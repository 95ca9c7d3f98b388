"""A seeded generator of synthetic Comext trade data, written as Comext web-export CSV file drops.

Why web-export files (and not SDMX-CSV bodies in a replay cassette): the EU27 aggregate is a reporter
here, and only the web-export path carries it (`EU27_2020` -> `EU27` in stg_eurostat_comext__web_export);
the SDMX API partitions are planned from ISO3 reporters mapped to Comext codes, and EU27_2020 has none.

Model (all pure polars, no numpy: the randomness is a counter-based splitmix64 hash of (seed, stream,
id), so the same seed gives the same bytes on any machine and polars version):
- reporters: the 27 EU members (seeds/country_groups.csv `eu27`), sized by a fixed economic rank, plus
  the EU27_2020 aggregate, which is the exact sum of the members (as Comext publishes it);
- partners: the transit candidates (`transit_candidates`), Russia, and 21 other partners;
- products: every HS6 code of seeds/hs_products.csv (the CHPL codes of seeds/chpl_products.csv are among
  them), with a heavy-tailed popularity; plus TOTAL (= the sum of the HS6 rows);
- flows: exports (2) and imports (1);
- a trade series (reporter, partner, flow, product) is active with probability min(1, c x weights);
  c is calibrated so the expected row count of the base months matches the requested scale; an active
  series reports in a month with probability 0.8;
- values: lognormal x Pareto base level per series, monthly lognormal noise, a seasonal cycle, a trend,
  and the 2022 sanctions: from March 2022 EU exports to Russia fall (CHPL goods collapse) and exports of
  CHPL goods to the transit candidates jump (ramp over 2022-2023). EUR, integers, at least 1.

One CSV per month (`comext_web_export_YYYY-MM.csv`) with the web-export header and long English labels,
so a new month is a new file: a new partition for the loader and an incremental dbt run.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from extract.settings import PROJECT_DIR
from extract.sources.eurostat_comext import ISO3_TO_COMEXT, WEB_EXPORT_COLUMNS

SEEDS = PROJECT_DIR / "seeds"
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Member states, largest economy first (the rank sets how many partners and products each trades).
MEMBER_RANK = [
    "DEU", "NLD", "FRA", "ITA", "ESP", "BEL", "POL", "IRL", "AUT", "CZE", "SWE", "DNK", "HUN", "SVK",
    "ROU", "FIN", "PRT", "SVN", "LTU", "GRC", "BGR", "HRV", "LUX", "EST", "LVA", "CYP", "MLT",
]  # fmt: skip
# Partners, largest EU trade partner first; the transit candidates and Russia must all be here.
PARTNER_RANK = [
    "USA", "CHN", "GBR", "CHE", "TUR", "RUS", "JPN", "KOR", "NOR", "IND", "BRA", "SGP", "ARE", "CAN",
    "MEX", "SAU", "UKR", "AUS", "ZAF", "MAR", "ISR", "EGY", "KAZ", "SRB", "BLR", "GEO", "IRN", "AZE",
    "UZB", "ARM", "MNG", "KGZ", "TKM", "TJK",
]  # fmt: skip
AGGREGATE = "EU27_2020"
SANCTIONS_START = (2022, 3)
MONTH_PRESENCE = 0.8
FLOWS = {1: ("1-IMPORT", 0.7), 2: ("2-EXPORT", 1.0)}  # code: (label, weight)
_MASK = (1 << 64) - 1


@dataclass
class Spec:
    """What to generate. `rows` is the expected row count (all files, TOTAL and EU27 rows included) of
    the base months; extra months use the same series and come on top."""

    rows: int
    seed: int = 20240101
    first_month: str = "2019-01"
    last_month: str = "2024-11"
    products: int | None = None  # None: every HS6 code; n: the n most popular (the CHPL codes first)
    partners: list[str] | None = None  # None: PARTNER_RANK
    members: list[str] | None = None  # None: MEMBER_RANK


@dataclass
class Generated:
    spec: dict
    scale_c: float
    expected_rows: float
    files: dict[str, int] = field(default_factory=dict)  # path -> rows

    @property
    def rows(self) -> int:
        return sum(self.files.values())


# --------------------------------------------------------------------------- randomness


def _u64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _mix(e: pl.Expr) -> pl.Expr:
    """splitmix64 on a UInt64 expression (polars integer arithmetic wraps, as the algorithm needs)."""
    z = e + pl.lit(0x9E3779B97F4A7C15, dtype=pl.UInt64)
    z = z.xor(z // (1 << 30)) * pl.lit(0xBF58476D1CE4E5B9, dtype=pl.UInt64)
    z = z.xor(z // (1 << 27)) * pl.lit(0x94D049BB133111EB, dtype=pl.UInt64)
    return z.xor(z // (1 << 31))


def uniform(seed: int, stream: int, ids: pl.Expr) -> pl.Expr:
    """A uniform in (0, 1) per id, fixed by (seed, stream)."""
    key = _u64(_u64(seed & _MASK) ^ (stream & _MASK))
    z = _mix(ids.cast(pl.UInt64).xor(pl.lit(key, dtype=pl.UInt64)))
    return ((z // 2048).cast(pl.Float64) + 0.5) * (2.0**-53)


def normal(seed: int, stream: int, ids: pl.Expr) -> pl.Expr:
    """A standard normal per id (Box-Muller on two independent uniforms)."""
    u1, u2 = uniform(seed, stream, ids), uniform(seed, stream + 7919, ids)
    return (-2.0 * u1.log()).sqrt() * (2.0 * math.pi * u2).cos()


# --------------------------------------------------------------------------- reference data


def months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def period_label(month: str) -> str:
    """'2019-01' -> '201901-Jan. 2019' (the web export's coded month label)."""
    y, m = month[:4], int(month[5:])
    return f"{y}{m:02d}-{MONTH_NAMES[m - 1]}. {y}"


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(SEEDS / name, infer_schema=False)


def geo() -> dict[str, tuple[str, str]]:
    """ISO3 -> (Comext geo code, English label), plus EU27_2020 -> (EU27_2020, label)."""
    countries = _read("countries.csv")
    iso2 = {r["iso3"]: r["iso2"] for r in countries.iter_rows(named=True) if r["iso2"]}
    iso2.update(ISO3_TO_COMEXT)
    labels = _read("eurostat_geo_labels.csv").filter(pl.col("lang") == "en")
    first_label = {}
    for r in labels.iter_rows(named=True):
        first_label.setdefault(r["geo_code"], r["label"])
    out = {iso3: (code, first_label[code]) for iso3, code in iso2.items() if code in first_label}
    out[AGGREGATE] = (AGGREGATE, first_label[AGGREGATE])
    return out


def group(code: str) -> list[str]:
    g = _read("country_groups.csv")
    return g.filter(pl.col("group_code") == code)["iso3"].to_list()


def transit_comext_codes() -> dict[str, str]:
    """Comext geo code -> ISO3 of the transit candidates."""
    g = geo()
    return {g[iso3][0]: iso3 for iso3 in group("transit_candidates")}


def chpl() -> pl.DataFrame:
    return _read("chpl_products.csv").select("hs6", "tier")


def products(seed: int, limit: int | None) -> pl.DataFrame:
    """HS6 codes with a label and a heavy-tailed popularity weight (the CHPL codes ranked in the top 40%)."""
    hs = _read("hs_products.csv").select("hs6", "description")
    chpl_codes = set(chpl()["hs6"])
    n = hs.height
    hs = hs.with_row_index("k").with_columns(
        uniform(seed, 1, pl.col("k")).alias("u"), pl.col("hs6").is_in(list(chpl_codes)).alias("is_chpl")
    )
    # CHPL goods (machine tools, electronics) are traded widely: draw their rank from the top 40%.
    hs = hs.with_columns(pl.when(pl.col("is_chpl")).then(pl.col("u") * 0.4).otherwise(pl.col("u")).alias("u"))
    hs = (
        hs.sort("u")
        .with_row_index("rank")
        .with_columns(
            ((pl.col("rank").cast(pl.Float64) + 1.0) ** -0.9 / 1.0).alias("w_k"),
        )
    )
    if limit is not None:
        hs = pl.concat([hs.filter(pl.col("is_chpl")), hs.filter(~pl.col("is_chpl"))]).head(limit)
    assert hs.height <= n
    hs = hs.drop("k").sort("hs6").with_row_index("k", offset=0).drop("u", "rank")
    return hs.with_columns(
        (pl.col("hs6") + "-" + pl.col("description")).alias("label"),
        pl.col("k").cast(pl.UInt32),
    )


# --------------------------------------------------------------------------- the series


class Universe:
    """Every possible series (member, partner, flow, product) with its weight and its Comext labels."""

    def __init__(self, spec: Spec):
        self.spec = spec
        g = geo()
        members = spec.members or MEMBER_RANK
        assert set(MEMBER_RANK) == set(group("eu27")), "MEMBER_RANK must list the eu27 group exactly"
        partners = spec.partners or PARTNER_RANK
        missing = (set(group("transit_candidates")) | {"RUS"}) - set(PARTNER_RANK)
        assert not missing, f"PARTNER_RANK misses {missing}"
        self.reporters = pl.DataFrame(
            {
                "r": list(range(len(members))),
                "reporter_iso3": members,
                "reporter": [g[m][0] for m in members],
                "w_r": [(MEMBER_RANK.index(m) + 1.0) ** -1.0 for m in members],
            },
            schema_overrides={"r": pl.UInt8},
        )
        self.partners = pl.DataFrame(
            {
                "p": list(range(len(partners))),
                "partner_iso3": partners,
                "partner": [g[p][0] for p in partners],
                "w_p": [(PARTNER_RANK.index(p) + 1.0) ** -0.7 for p in partners],
            },
            schema_overrides={"p": pl.UInt8},
        )
        self.reporter_labels = [g[m][1] for m in members] + [g[AGGREGATE][1]]  # index len(members) = EU27
        self.partner_labels = [g[p][1] for p in partners]
        self.products = products(spec.seed, spec.products)
        self.product_labels = self.products["label"].to_list() + ["TOTAL-Total"]  # last index = TOTAL
        self.flows = pl.DataFrame({"f": [1, 2], "w_f": [FLOWS[1][1], FLOWS[2][1]]}, schema_overrides={"f": pl.UInt8})
        self.transit = set(group("transit_candidates"))
        self.chpl_codes = set(chpl()["hs6"])
        self.months = months_between(spec.first_month, spec.last_month)

    def series(self) -> pl.DataFrame:
        """The full cross product with W = w_r w_p w_f w_k and a stable series id."""
        prods = self.products.select("k", "w_k", "is_chpl")
        return (
            self.reporters.select("r", "w_r")
            .join(self.partners.select("p", "w_p"), how="cross")
            .join(self.flows, how="cross")
            .join(prods, how="cross")
            .with_columns(
                (pl.col("w_r") * pl.col("w_p") * pl.col("w_f") * pl.col("w_k")).alias("W"),
                (
                    ((pl.col("r").cast(pl.UInt64) * 64 + pl.col("p").cast(pl.UInt64)) * 4 + pl.col("f").cast(pl.UInt64))
                    * 16384
                    + pl.col("k").cast(pl.UInt64)
                ).alias("sid"),
            )
            .drop("w_r", "w_p", "w_f", "w_k")
        )

    def expected_rows(self, series: pl.DataFrame, c: float, n_months: int) -> float:
        """Expected rows over n_months: member HS6 rows, EU27 HS6 rows, and TOTAL rows (members and EU27)."""
        q = MONTH_PRESENCE
        s = (
            series.lazy()
            .with_columns((pl.col("W") * c).clip(upper_bound=1.0).alias("pi"))
            .with_columns((1.0 - q * pl.col("pi")).log().alias("lnot"))
        )
        member = s.select(pl.col("pi").sum() * q).collect().item()

        def any_row(*keys: str, name: str) -> pl.LazyFrame:
            return s.group_by(*keys).agg(pl.col("lnot").sum()).select((1.0 - pl.col("lnot").exp()).sum().alias(name))

        agg = any_row("p", "f", "k", name="agg")
        tot_m = any_row("r", "p", "f", name="tot_m")
        tot_a = any_row("p", "f", name="tot_a")
        rest = pl.concat([agg, tot_m, tot_a], how="horizontal").collect().row(0)
        return n_months * (member + sum(rest))

    def calibrate(self, series: pl.DataFrame, target: int) -> tuple[float, float]:
        """The c whose expected row count over the base months is `target` (geometric bisection)."""
        n = len(self.months)
        lo, hi = 1e-3, 1e9
        if self.expected_rows(series, hi, n) < target:
            raise ValueError(f"{target} rows exceed the dense maximum of this universe")
        for _ in range(60):
            mid = math.sqrt(lo * hi)
            e = self.expected_rows(series, mid, n)
            if abs(e - target) <= 0.002 * target:
                return mid, e
            lo, hi = (mid, hi) if e < target else (lo, mid)
        return mid, e

    def active(self, series: pl.DataFrame, c: float) -> pl.DataFrame:
        """The active series, each with its base log-level (lognormal x Pareto, scaled by the weights)."""
        seed = self.spec.seed
        return (
            series.with_columns((pl.col("W") * c).clip(upper_bound=1.0).alias("pi"))
            .filter(uniform(seed, 2, pl.col("sid")) < pl.col("pi"))
            .with_columns(
                (
                    math.log(2.0e4)
                    + 0.6 * (pl.col("W") * 1e4).log()
                    + 1.3 * normal(seed, 3, pl.col("sid"))
                    - uniform(seed, 4, pl.col("sid")).log() / 1.6  # Pareto(1.6) tail
                ).alias("log_base"),
                (0.01 * normal(seed, 5, pl.col("sid"))).alias("trend"),
            )
            .select("sid", "r", "p", "f", "k", "is_chpl", "log_base", "trend")
        )

    def month_rows(self, active: pl.DataFrame, month: str) -> pl.DataFrame:
        """One month's rows: member HS6 rows, the EU27 aggregate, and TOTAL for every reporter."""
        seed = self.spec.seed
        y, m = int(month[:4]), int(month[5:])
        t = (y - 2019) * 12 + (m - 1)
        after = (y, m) >= SANCTIONS_START
        ramp = min(1.0, max(0.0, ((y - 2022) * 12 + m - 3) / 18.0)) if after else 0.0
        russia = self.partners.filter(pl.col("partner_iso3") == "RUS")["p"].to_list()
        transit = self.partners.filter(pl.col("partner_iso3").is_in(list(self.transit)))["p"].to_list()
        is_export = pl.col("f") == 2
        effect = pl.lit(0.0)
        if after:
            effect = (
                pl.when(is_export & pl.col("p").is_in(russia) & pl.col("is_chpl"))
                .then(math.log(0.05))
                .when(is_export & pl.col("p").is_in(russia))
                .then(math.log(0.4))
                .when(is_export & pl.col("p").is_in(transit) & pl.col("is_chpl"))
                .then(math.log(1.0 + 2.5 * ramp))
                .when(is_export & pl.col("p").is_in(transit))
                .then(math.log(1.0 + 0.3 * ramp))
                .otherwise(0.0)
            )
        cell = pl.col("sid") * 1024 + t
        members = (
            active.filter(uniform(seed, 10, cell) < MONTH_PRESENCE)
            .with_columns(
                (
                    pl.col("log_base")
                    + pl.col("trend") * t
                    + 0.1 * math.sin(2 * math.pi * (m - 1) / 12)
                    + 0.35 * normal(seed, 11, cell)
                    + effect
                )
                .exp()
                .round()
                .clip(lower_bound=1.0)
                .cast(pl.Int64)
                .alias("value")
            )
            .select("r", "p", "f", "k", "value")
        )
        eu27 = len(self.reporter_labels) - 1
        total = len(self.product_labels) - 1
        aggregate = (
            members.group_by("p", "f", "k")
            .agg(pl.col("value").sum())
            .with_columns(pl.lit(eu27, dtype=pl.UInt8).alias("r"))
        )
        hs6 = pl.concat([members, aggregate.select(members.columns)])
        totals = (
            hs6.group_by("r", "p", "f")
            .agg(pl.col("value").sum())
            .with_columns(pl.lit(total, dtype=pl.UInt32).alias("k"))
        )
        return pl.concat([hs6, totals.select(members.columns)]).sort("r", "p", "f", "k")

    def to_web_export(self, rows: pl.DataFrame, month: str) -> pl.DataFrame:
        """Rows as the Comext web export writes them: long labels, coded flow and period."""
        rep = pl.Series(self.reporter_labels)
        par = pl.Series(self.partner_labels)
        prod = pl.Series(self.product_labels)
        return pl.DataFrame(
            {
                "REPORTER": rep.gather(rows["r"]),
                "PARTNER": par.gather(rows["p"]),
                "PRODUCT": prod.gather(rows["k"]),
                "FLOW": rows["f"].replace_strict({1: FLOWS[1][0], 2: FLOWS[2][0]}, return_dtype=pl.String),
                "STAT_PROCEDURE": pl.Series(["T-Total"] * rows.height),
                "PERIOD": pl.Series([period_label(month)] * rows.height),
                "VALUE_IN_EUR": rows["value"],
            }
        ).select(WEB_EXPORT_COLUMNS)


def file_name(month: str) -> str:
    return f"comext_web_export_{month}.csv"


def generate(spec: Spec, out_dir: Path, months: list[str] | None = None, *, log=None) -> Generated:
    """Write one web-export CSV per month of `months` (default: the spec's base months) into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    uni = Universe(spec)
    series = uni.series()
    c, expected = uni.calibrate(series, spec.rows)
    active = uni.active(series, c)
    del series
    result = Generated(spec=asdict(spec), scale_c=c, expected_rows=expected)
    months = months or uni.months
    for month in months:
        frame = uni.to_web_export(uni.month_rows(active, month), month)
        path = out_dir / file_name(month)
        tmp = path.with_suffix(".tmp")
        frame.write_csv(tmp, quote_style="non_numeric")
        tmp.replace(path)
        result.files[str(path)] = frame.height
        if log:
            log(f"  {path.name}: {frame.height:,} rows")
    (out_dir / f"manifest_{months[0]}_{months[-1]}.json").write_text(
        json.dumps({**asdict(result), "rows": result.rows}, indent=2) + "\n"
    )
    return result
