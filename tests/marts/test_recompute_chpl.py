"""The per-product re-routing indices (top_rerouted_products, int_rerouted_product_years) and the CHPL scope of
sanctions_rerouting_indicators, recomputed from the Comext HS6 file drop with polars, never through dbt, to the cent.

The file (config/demo.toml, dataset hs6_exports_eu27) is EU27 exports by partner, HS6 and month, 2020-01..2022-11;
2020-2021 are HS2017 codes, 2022 HS2022. A code the UNSD HS2022-HS2017 correlation table does not change (its
only HS2017 predecessor is itself and its only HS2022 successor is itself: relationship 1:1) keeps its value
under its own code, so its series can be read straight off the file. For those codes the mart's figures must be:

  eu_exports_eur   the sum of the year's months in the file for the transit country and the code
  months_covered   the months of that year the file has for the transit country (any code)
  baseline_eur     mean over the baseline years 2019-2021 that the file covers for the transit country (2020 and
                   2021: the file starts in 2020-01) of the same months (January to the year's last month),
                   a baseline year without the code counting as zero
  index_vs_baseline, excess_eur   100 x exports / baseline, exports - baseline

No code of the Common High Priority List is unchanged between the vintages (every CHPL code the file carries is
touched by the correlation table: split or merged), which the test records; for the CHPL scope the test checks
the 2022 months, reported in HS2022 and so summed straight off the file, code by code on the seed's list.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.helpers import PROJECT_DIR

HS6_FILE = (
    PROJECT_DIR
    / "data"
    / "files"
    / "eurostat_comext"
    / "eu27_exports_sanctioned_goods_by_hs6_partner_monthly_2020-2022.csv"
)
SEEDS = PROJECT_DIR / "seeds"
BASELINE_YEARS = range(2019, 2022)  # dbt vars baseline_start_year..baseline_end_year
CENT = 0.01


def _seed(name: str) -> pl.DataFrame:
    return pl.read_csv(SEEDS / f"{name}.csv", infer_schema=False)


def unchanged_codes() -> set[str]:
    """HS6 codes whose only HS2017 predecessor and only HS2022 successor are the code itself."""
    links = _seed("hs_concordance").filter((pl.col("from_vintage") == "HS2022") & (pl.col("to_vintage") == "HS2017"))
    links = links.with_columns(
        n_pred=pl.len().over("from_hs6"),
        n_succ=pl.len().over("to_hs6"),
    )
    same = links.filter((pl.col("n_pred") == 1) & (pl.col("n_succ") == 1) & (pl.col("from_hs6") == pl.col("to_hs6")))
    assert set(same["relationship"]) == {"1:1"}
    return set(same["from_hs6"])


def hs6_file() -> pl.DataFrame:
    """The file with ISO3 partners (seed countries: iso2 -> iso3), the transit candidates only, year and month."""
    countries = _seed("countries").select("iso2", "iso3")
    transit = _seed("country_groups").filter(pl.col("group_code") == "transit_candidates").select("iso3")
    df = pl.read_csv(HS6_FILE, schema_overrides={"hs6": pl.String, "value_eur_sum_eu_reporters": pl.Float64})
    return (
        df.join(countries, left_on="partner_iso2", right_on="iso2", how="inner")
        .join(transit, on="iso3", how="inner")
        .with_columns(
            year=pl.col("month").str.slice(0, 4).cast(pl.Int32),
            mon=pl.col("month").str.slice(5, 2).cast(pl.Int32),
        )
        .rename({"iso3": "transit_code", "hs6": "product_code", "value_eur_sum_eu_reporters": "value_eur"})
    )


def recompute_product_years(df: pl.DataFrame, codes: set[str]) -> dict[tuple[str, int, str], dict]:
    """(transit_code, year, product_code) -> eu_exports_eur, baseline_eur, months_covered for the given codes."""
    coverage = df.group_by("transit_code", "year").agg(
        months_covered=pl.col("mon").n_unique(), last_month=pl.col("mon").max()
    )
    base_years = coverage.filter(pl.col("year").is_in(list(BASELINE_YEARS)))
    n_years = dict(base_years.group_by("transit_code").agg(pl.len()).iter_rows())
    monthly = (
        df.filter(pl.col("product_code").is_in(list(codes)))
        .group_by("transit_code", "product_code", "year", "mon")
        .agg(pl.col("value_eur").sum())
    )
    out = {}
    last = {(t, y): (m, lm) for t, y, m, lm in coverage.iter_rows()}
    yearly = monthly.group_by("transit_code", "product_code", "year").agg(pl.col("value_eur").sum())
    for transit, code, year, value in yearly.iter_rows():
        months_covered, last_month = last[(transit, year)]
        base = monthly.filter(
            (pl.col("transit_code") == transit)
            & (pl.col("product_code") == code)
            & pl.col("year").is_in(list(BASELINE_YEARS))
            & (pl.col("mon") <= last_month)
        )["value_eur"].sum()
        out[(transit, year, code)] = {
            "eu_exports_eur": value,
            "baseline_eur": base / n_years[transit],
            "months_covered": months_covered,
        }
    return out


@pytest.fixture(scope="module")
def recomputed():
    df = hs6_file()
    codes = unchanged_codes() & set(df["product_code"])
    return df, codes, recompute_product_years(df, codes)


def test_no_chpl_code_is_unchanged_between_the_vintages():
    chpl = set(_seed("chpl_products")["hs6"])
    in_file = set(hs6_file()["product_code"]) & chpl
    assert len(chpl) == 50 and len(in_file) == 19
    assert not (chpl & unchanged_codes())


def test_top_rerouted_products_for_unchanged_codes_equal_a_polars_recomputation(demo_con, recomputed):
    _, codes, expected = recomputed
    assert len(codes) > 900  # 946 of the file's 1,392 codes
    rows = demo_con.execute(
        """select transit_code, year, product_code, eu_exports_eur, baseline_eur, excess_eur, index_vs_baseline,
                  months_covered, baseline_years
           from marts.top_rerouted_products"""
    ).fetchall()
    checked = 0
    for transit, year, code, exports, baseline, excess, index, months, baseline_years in rows:
        if code not in codes:
            continue
        want = expected[(transit, year, code)]
        assert months == want["months_covered"], (transit, year, code)
        assert baseline_years == "2020-2021"
        assert exports == pytest.approx(want["eu_exports_eur"], abs=CENT), (transit, year, code)
        assert baseline == pytest.approx(want["baseline_eur"], abs=CENT), (transit, year, code)
        assert excess == pytest.approx(want["eu_exports_eur"] - want["baseline_eur"], abs=CENT)
        assert index == pytest.approx(100 * want["eu_exports_eur"] / want["baseline_eur"], rel=1e-9)
        checked += 1
    assert checked >= 50, checked  # 57 on the bundled data
    # one figure by hand from the file's lines KG,870323 (cars 1.5-3 l, 1:1 in the correlation table): 2022 has
    # January to November; 2020 Jan-Nov sums to 1,440,471, 2021 Jan-Nov (no January row: zero) to 1,335,099
    kgz = expected[("KGZ", 2022, "870323")]
    assert kgz["months_covered"] == 11
    assert kgz["eu_exports_eur"] == 17_885_488
    assert kgz["baseline_eur"] == (1_440_471 + 1_335_099) / 2 == 1_387_785
    mart = demo_con.execute(
        "select index_vs_baseline from marts.top_rerouted_products where transit_code = 'KGZ' and year = 2022 "
        "and product_code = '870323'"
    ).fetchall()
    assert mart and mart[0][0] == pytest.approx(100 * 17_885_488 / 1_387_785, rel=1e-12)  # 1,288.78


def codes_in_the_baseline_years() -> set[str]:
    """The codes the file has in the baseline years for any partner (Russia and Belarus too)."""
    df = pl.read_csv(HS6_FILE, schema_overrides={"hs6": pl.String})
    years = pl.col("month").str.slice(0, 4).cast(pl.Int32)
    return set(df.filter(years.is_between(BASELINE_YEARS.start, BASELINE_YEARS.stop - 1))["hs6"])


def expected_baseline(key, want, in_baseline: set[str]):
    """The baseline rule 1c: a code absent from every partner's baseline-year data has none (null); a code the
    data carry that this country did not receive then has a true zero."""
    return want["baseline_eur"] if want["baseline_eur"] > 0 or key[2] in in_baseline else None


def _product_years(con, codes):
    rows = con.execute(
        """select transit_code, year, product_code, eu_exports_eur, baseline_eur, baseline_note, months_covered
           from intermediate.int_rerouted_product_years where year >= 2020"""
    ).fetchall()
    return {(t, y, c): (e, b, n, m) for t, y, c, e, b, n, m in rows if c in codes}


def test_every_product_year_of_an_unchanged_code_equals_the_recomputation(demo_con, recomputed):
    _, codes, expected = recomputed
    got = _product_years(demo_con, codes)
    assert set(got) == set(expected)
    in_baseline = codes_in_the_baseline_years()
    positive = 0
    for key, want in expected.items():
        exports, baseline, _, months = got[key]
        assert months == want["months_covered"], key
        assert exports == pytest.approx(want["eu_exports_eur"], abs=CENT), key
        want_baseline = expected_baseline(key, want, in_baseline)
        if want_baseline is None:
            assert baseline is None, key
        else:
            assert baseline == pytest.approx(want_baseline, abs=CENT), key  # a zero baseline too
        positive += want["baseline_eur"] > 0
    assert positive > 1000, positive


def test_a_zero_baseline_of_a_code_the_data_have_is_zero(demo_con, recomputed):
    _, codes, expected = recomputed
    got = _product_years(demo_con, codes)
    in_baseline = codes_in_the_baseline_years()
    zero = [key for key, want in expected.items() if want["baseline_eur"] == 0 and key[2] in in_baseline]
    absent = [key for key, want in expected.items() if want["baseline_eur"] == 0 and key[2] not in in_baseline]
    assert zero  # e.g. KAZ 2022 521151: EUR 659 in 2022-10, nothing to Kazakhstan in 2020-2021
    assert all(got[key][1] == 0 and got[key][2].startswith("zero baseline") for key in zero)
    # a code no partner has in 2020-2021 (e.g. UZB 2022 730459): no baseline at all, with the reason
    assert absent
    assert all(got[key][1] is None and got[key][2].startswith("no baseline") for key in absent)


def test_chpl_scope_2022_months_equal_the_files_sum_of_the_listed_codes(demo_con, recomputed):
    df, _, _ = recomputed
    chpl = set(_seed("chpl_products")["hs6"])
    expected = dict(
        ((t, m), v)
        for t, m, v in df.filter((pl.col("year") == 2022) & pl.col("product_code").is_in(list(chpl)))
        .group_by("transit_code", "mon")
        .agg(pl.col("value_eur").sum())
        .iter_rows()
    )
    rows = demo_con.execute(
        """select transit_code, month(period_start), eu_exports_eur from marts.sanctions_rerouting_indicators
           where product_scope = 'chpl' and frequency = 'M' and year(period_start) = 2022
             and transit_code in ('KAZ', 'KGZ', 'UZB', 'ARM', 'GEO')"""
    ).fetchall()
    assert sorted(set(df["transit_code"])) == ["ARM", "GEO", "KAZ", "KGZ", "UZB"]
    assert rows
    for transit, month, value in rows:
        assert value == pytest.approx(expected.get((transit, month), 0.0), abs=CENT), (transit, month)
