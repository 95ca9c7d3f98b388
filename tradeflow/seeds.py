"""Build the dbt seeds (reference lookup tables) from the real reference files in data/reference.

Every seed is written as CSV with every code as text; `dbt_project.yml` declares the column types so
that dbt never re-infers them (`010121` keeps its zero, Namibia's ISO2 `NA` is not read as null).
Four seeds are maintained by hand because no machine-readable file exists for them:
`seeds/country_groups.csv`, `seeds/events.csv`, `seeds/origin_groups.csv` and `seeds/country_risk_tiers.csv`;
they are validated here against the others.

Run `tradeflow build-seeds` (or `make seeds`) after changing a reference file; a test checks that the
committed seeds equal what this module builds.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from extract.errors import SourceError

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

# CHPL tiers as the list writes them (TIER_3_A) -> as the BIS/EU text writes them (3.A).
CHPL_LIST_DATE = "2024-02-23"
CHPL_SOURCE = (
    "Common High Priority List (BIS, EU, UK, Japan), version of 2024-02-23; Annex XL to Council "
    "Regulation (EU) No 833/2014"
)
EXPORT_BAN_AS_OF = "2022-10-07"
EXPORT_BAN_SOURCE = (
    "Council Regulation (EU) No 833/2014 export-ban annexes, consolidated text 2022-10-07, as "
    "extracted by vzemlys/ruimpeks (meta/export_sanctions_codes.csv, raw/input_codes.csv)"
)


def _read_csv(name: str) -> pl.DataFrame:
    path = REFERENCE_DIR / name
    if not path.exists():
        raise SourceError("reference", str(path), "reference file is missing")
    # Every column as text: no code loses a leading zero, no 'NA' becomes null.
    return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")


def _digits(col: str, width: int) -> pl.Expr:
    """Restore leading zeros lost when a code was stored as an integer."""
    return pl.col(col).str.strip_chars().str.zfill(width)


def build_countries() -> pl.DataFrame:
    codes = _read_csv("country-codes.csv").filter(pl.col("ISO3166-1-Alpha-3").is_not_null())
    reporters = json.loads((REFERENCE_DIR / "reference_Reporters.json").read_text())["results"]
    # The code Comtrade reports a country under today: the reporter entry with no expiry date.
    current_reporter = {
        r["reporterCodeIsoAlpha3"].strip(): str(r["reporterCode"])
        for r in reporters
        if not r["isGroup"] and not r.get("entryExpiredDate")
    }
    areas = _read_csv("comtradr_partner_areas.csv").filter(pl.col("exit_year").is_null() & (pl.col("group") == "False"))
    # Countries that never report still appear as partners: take the partner-area code, but only
    # where exactly one current area carries that ISO3 (else the reporter list decides above).
    partner_only = areas.group_by("iso_3").agg(pl.col("id").first(), pl.len().alias("n")).filter(pl.col("n") == 1)
    partner_code = dict(zip(partner_only["iso_3"], partner_only["id"], strict=True))
    iso3 = codes["ISO3166-1-Alpha-3"]
    comtrade = [current_reporter.get(c, partner_code.get(c)) for c in iso3]
    return codes.select(
        pl.col("ISO3166-1-Alpha-3").alias("iso3"),
        pl.col("ISO3166-1-Alpha-2").alias("iso2"),
        _digits("ISO3166-1-numeric", 3).alias("iso_numeric"),
        _digits("M49", 3).alias("m49"),
        pl.Series("comtrade_code", comtrade, dtype=pl.String),
        pl.coalesce("official_name_en", "CLDR display name").alias("name"),
        pl.coalesce("CLDR display name", "official_name_en").alias("short_name"),
        pl.col("Region Name").alias("region_name"),
        pl.col("Sub-region Name").alias("sub_region_name"),
        pl.col("ISO4217-currency_alphabetic_code").str.split(",").list.first().alias("currency_code"),
    ).sort("iso3")


def build_comtrade_areas(countries: pl.DataFrame) -> pl.DataFrame:
    """Every Comtrade reporter/partner code (historical ones too) with the ISO3 it maps to.

    Codes that are not ISO countries (World 0, 'Other Asia, nes' 490, 'Areas, nes' 899, groups) keep
    their Comtrade name; `iso3` is null for them except World, which maps to the aggregate `WLD`.
    """
    areas = _read_csv("comtradr_partner_areas.csv")
    known = set(countries["iso3"])
    iso3 = [
        "WLD" if code == "0" else (c if c in known else None)
        for code, c in zip(areas["id"], areas["iso_3"], strict=True)
    ]
    return (
        areas.select(
            pl.col("id").alias("comtrade_code"),
            pl.Series("iso3", iso3, dtype=pl.String),
            pl.col("iso_3").alias("comtrade_iso3"),
            pl.col("country").str.strip_chars().alias("name"),
            (pl.col("group") == "True").alias("is_group"),
            pl.col("entry_year").str.replace(r"\.0$", "").alias("entry_year"),
            pl.col("exit_year").str.replace(r"\.0$", "").alias("exit_year"),
        )
        .with_columns(
            # The code Comtrade uses today for that ISO3 (USA 842, not 840 or 841).
            pl.col("comtrade_code").is_in(countries["comtrade_code"].drop_nulls().implode()).alias("is_current_code")
        )
        .sort(pl.col("comtrade_code").cast(pl.Int64))
    )


def build_hs_products() -> pl.DataFrame:
    hs = _read_csv("hs_harmonized-system.csv")
    sections = _read_csv("hs_sections.csv").rename(lambda c: c.strip("\ufeff"))
    desc = dict(zip(hs["hscode"], hs["description"], strict=True))
    hs6 = hs.filter(pl.col("level") == "6")
    return (
        hs6.select(
            pl.col("hscode").alias("hs6"),
            pl.col("parent").alias("hs4"),
            pl.col("hscode").str.slice(0, 2).alias("hs2"),
            pl.col("section"),
            pl.col("description"),
        )
        .with_columns(
            pl.col("hs4").replace_strict(desc, default=None).alias("hs4_description"),
            pl.col("hs2").replace_strict(desc, default=None).alias("hs2_description"),
        )
        .join(sections.rename({"name": "section_name"}), on="section", how="left")
        .select(
            "hs6",
            "hs4",
            "hs2",
            "section",
            "section_name",
            "description",
            "hs4_description",
            "hs2_description",
        )
        .sort("hs6")
    )


def build_hs_concordance() -> pl.DataFrame:
    """HS 2022->2017 and 2017->2012 links; `code.after` is the newer vintage's code."""
    raw = _read_csv("hs_concordance_2022to2017_2017to2012_comtrade.csv")
    vintages = {"2022 to 2017": ("HS2022", "HS2017"), "2017 to 2012": ("HS2017", "HS2012")}
    unknown = set(raw["adjustment"]) - set(vintages)
    if unknown:
        raise SourceError("reference", "hs_concordance", f"unknown adjustment(s) {sorted(unknown)}")
    return (
        raw.select(
            pl.col("adjustment").replace_strict({k: v[0] for k, v in vintages.items()}).alias("from_vintage"),
            _digits("code.after", 6).alias("from_hs6"),
            pl.col("adjustment").replace_strict({k: v[1] for k, v in vintages.items()}).alias("to_vintage"),
            _digits("code.before", 6).alias("to_hs6"),
            pl.col("Relationship").alias("relationship"),
        )
        .unique()
        .sort("from_vintage", "from_hs6", "to_hs6", descending=[True, False, False])
    )


def build_chpl_products() -> pl.DataFrame:
    chpl = _read_csv("chpl_hs6_tiers.csv")
    tier = pl.col("tier").str.strip_prefix("TIER_").str.replace("_", ".")
    return chpl.select(
        _digits("hs6", 6).alias("hs6"),
        tier.alias("tier"),
        tier.str.slice(0, 1).alias("tier_group"),
        _digits("hs4", 4).alias("hs4"),
        _digits("hs2", 2).alias("hs2"),
        pl.col("hs2022_description").alias("description"),
        pl.lit(CHPL_LIST_DATE).alias("list_date"),
        pl.lit(CHPL_SOURCE).alias("source"),
    ).sort("hs6")


def build_eu_export_bans() -> pl.DataFrame:
    cn8 = _read_csv("eu_reg833_export_ban_cn8_codes_with_descriptions.csv")
    listed = _read_csv("eu_reg833_export_ban_input_codes_cn4_cn8.csv")["code"].str.strip_chars()
    # Integer-typed input list: up to 4 digits was a CN4 heading, more was a CN8 code.
    listed_codes = {c.zfill(4) if len(c) <= 4 else c.zfill(8) for c in listed}
    codes = cn8["code"].str.strip_chars().str.zfill(8)
    listed_as = [c if c in listed_codes else (c[:4] if c[:4] in listed_codes else None) for c in codes]
    return (
        pl.DataFrame({"cn8": codes, "description": cn8["product"], "listed_code": listed_as})
        .with_columns(
            pl.col("cn8").str.slice(0, 6).alias("hs6"),
            pl.lit(EXPORT_BAN_AS_OF).alias("as_of_date"),
            pl.lit(EXPORT_BAN_SOURCE).alias("source"),
        )
        .select("cn8", "hs6", "listed_code", "description", "as_of_date", "source")
        .unique(subset="cn8", keep="first", maintain_order=True)
        .sort("cn8")
    )


# Versioned product lists: one row per list version and code. A version is in force on date d when
# valid_from <= d and (valid_to is null or d <= valid_to); the "as listed today" scope takes the versions
# with valid_to null. Only versions with a machine-readable source in data/reference are built: the CHPL
# of September 2023 (45 codes) and the US BIS HS-coded supplements are not in the bundle (see
# docs/models/sanctions_rerouting.md), so they are absent rather than guessed.
CHPL_VERSION = "chpl_2024-02-23"
EXPORT_BAN_VERSION = "eu833_consolidated_2022-10-07"


def build_product_lists() -> pl.DataFrame:
    chpl = build_chpl_products().select(
        pl.lit("chpl").alias("list_code"),
        pl.lit(CHPL_VERSION).alias("list_version"),
        pl.col("hs6").alias("code"),
        pl.lit("HS6").alias("code_level"),
        "hs6",
        "tier",
        pl.col("hs6").alias("listed_code"),
        pl.lit(CHPL_LIST_DATE).alias("valid_from"),
        pl.lit(None, dtype=pl.String).alias("valid_to"),
        pl.lit(CHPL_LIST_DATE).alias("listed_by"),
        pl.lit("list date of the version").alias("valid_from_basis"),
        pl.lit(CHPL_SOURCE).alias("source"),
    )
    bans = build_eu_export_bans().select(
        pl.lit("eu833_export_ban").alias("list_code"),
        pl.lit(EXPORT_BAN_VERSION).alias("list_version"),
        pl.col("cn8").alias("code"),
        pl.lit("CN8").alias("code_level"),
        "hs6",
        pl.lit(None, dtype=pl.String).alias("tier"),
        "listed_code",
        # The extraction gives the consolidated text, not the act that added each code: the date a code
        # entered is unknown, only that it was listed by 2022-10-07.
        pl.lit(None, dtype=pl.String).alias("valid_from"),
        pl.lit(None, dtype=pl.String).alias("valid_to"),
        pl.col("as_of_date").alias("listed_by"),
        pl.lit("unknown: listed in the consolidated text of listed_by; the amending act is not in the source").alias(
            "valid_from_basis"
        ),
        "source",
    )
    return pl.concat([chpl, bans]).sort("list_code", "list_version", "code")


BUILDERS = {
    "countries": build_countries,
    "hs_products": build_hs_products,
    "hs_concordance": build_hs_concordance,
    "chpl_products": build_chpl_products,
    "eu_export_bans": build_eu_export_bans,
    "product_lists": build_product_lists,
}


def build_all() -> dict[str, pl.DataFrame]:
    """Every generated seed, keyed by seed name (hand-maintained seeds are validated, not built)."""
    out = {name: fn() for name, fn in BUILDERS.items()}
    out["comtrade_areas"] = build_comtrade_areas(out["countries"])
    validate_hand_seeds(out["countries"])
    return out


def validate_hand_seeds(countries: pl.DataFrame) -> None:
    known = set(countries["iso3"])
    groups = pl.read_csv(SEEDS_DIR / "country_groups.csv", infer_schema=False)
    bad = groups.filter(~pl.col("iso3").is_in(list(known)))
    if bad.height:
        raise SourceError("seeds", "seeds/country_groups.csv", f"unknown iso3 {bad['iso3'].to_list()}")
    for name, key in (("origin_groups", "origin_code"), ("country_risk_tiers", "iso3")):
        frame = pl.read_csv(SEEDS_DIR / f"{name}.csv", infer_schema=False)
        codes = frame.filter(pl.col(key) != "EU27") if key == "origin_code" else frame
        bad = codes.filter(~pl.col(key).is_in(list(known)))
        if bad.height:
            raise SourceError("seeds", f"seeds/{name}.csv", f"unknown {key} {bad[key].to_list()}")
        if frame["source"].is_null().any():
            raise SourceError("seeds", f"seeds/{name}.csv", "every row needs a source")
    events = pl.read_csv(SEEDS_DIR / "events.csv", infer_schema=False)
    missing = [c for c in ("event_id", "event_date", "kind", "title", "source") if c not in events.columns]
    if missing:
        raise SourceError("seeds", "seeds/events.csv", f"missing column(s) {missing}")


def write_all(seeds_dir: Path = SEEDS_DIR) -> dict[str, int]:
    counts = {}
    for name, frame in build_all().items():
        frame.write_csv(seeds_dir / f"{name}.csv")
        counts[name] = frame.height
    return counts
