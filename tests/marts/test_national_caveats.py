"""Issue 13, item 6: national statistics' caveats in russia_central_asia_trade, recomputed from the bundled files.

- Kyrgyzstan's import line "European Union (EU)" (no member state) counts in the EU27 total beside the 27 members,
  and the part is visible (eu27_unallocated_value_usd); the NSC's own "The EU" row is the members alone.
- Kyrgyz 2023 imports are marked preliminary in the NSC workbook (header '2023 1', footnote '1 Preliminary data'):
  is_preliminary is true on those rows and nowhere else (the exports workbook marks no year).
- Trade a report allocates to no named partner is shown: Uzbekistan's "Other countries" (code 0) is the
  unallocated value of its exports, 29-42 % of the world total in 2022-2023.
Expected values come from the workbooks (openpyxl) and the stat.uz CSV (polars), never from the warehouse.
"""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest

from tests.helpers import PROJECT_DIR

NATIONAL = PROJECT_DIR / "data" / "files" / "national"
KG_IMPORTS = NATIONAL / "kg_nsc_4.03.00.20_imports_by_country_1994-2023.xlsx"
KG_EXPORTS = NATIONAL / "kg_nsc_4.03.00.18_exports_by_country_1994-2023.xlsx"
UZ_EXPORTS = NATIONAL / "uzstat_sdmx_data_1105_exports_by_country_2010-2023.csv"
CENT = 0.01


def kg_workbook(path) -> tuple[dict[str, dict[int, float]], dict[int, str], list[str]]:
    """English label -> {year: thousand USD}, the year headers as written, and the texts below the table."""
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(rows) if any(str(c).strip() == "1994" for c in r if c is not None))
    years = {j: str(c).strip() for j, c in enumerate(rows[header_at]) if c is not None}
    values, texts = {}, []
    for r in rows[header_at + 1 :]:
        label = r[2].strip() if len(r) > 2 and isinstance(r[2], str) else None
        if not label:
            continue
        numbers = {int(h.split()[0]): float(r[j]) for j, h in years.items() if isinstance(r[j], int | float)}
        if numbers:
            values[label] = numbers
        else:
            texts.append(label)
    return values, {int(h.split()[0]): h for h in years.values()}, texts


def eu27_labels() -> set[str]:
    labels = pl.read_csv(PROJECT_DIR / "seeds" / "national_partner_labels.csv", infer_schema=False)
    groups = pl.read_csv(PROJECT_DIR / "seeds" / "country_groups.csv", infer_schema=False)
    members = set(groups.filter(pl.col("group_code") == "eu27")["iso3"])
    return set(
        labels.filter(pl.col("iso3").is_in(list(members)) & pl.col("used_in").str.contains("kg_nsc"))["label_en"]
    )


def mart(con, sql: str, params: list) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def test_kyrgyz_eu_line_counts_in_the_eu27_total_and_is_shown(demo_con):
    values, _, _ = kg_workbook(KG_IMPORTS)
    members = eu27_labels() & set(values)
    assert len(members) >= 25  # the member states the NSC lists by name
    eu_line = values["European Union (EU)"]
    assert eu_line[2023] == 30.367 and eu_line[2022] == 494.676  # thousand USD, as printed
    for year in (2020, 2021, 2022, 2023):
        members_sum = sum(values[m].get(year, 0.0) for m in members)
        expected = (members_sum + eu_line.get(year, 0.0)) * 1000
        # the NSC's own "The EU" row is the 27 members only: the line is a leaf beside them (the "Total" row
        # counts it), so the EU27 total exceeds "The EU" by exactly the line, and nothing is counted twice
        assert members_sum == pytest.approx(values["The EU"][year], abs=0.001), year
        rows = mart(
            demo_con,
            """select value_usd, eu27_unallocated_value_usd, source_dataset from marts.russia_central_asia_trade
               where country_code = 'KGZ' and partner_code = 'EU27' and direction = 'imports' and frequency = 'A'
                 and year(period_start) = ?""",
            [year],
        )
        assert len(rows) == 1, year
        value, unallocated, dataset = rows[0]
        assert dataset == "national__kg_nsc:eu27_sum"
        assert value == pytest.approx(expected, abs=CENT), year
        if eu_line.get(year):
            assert unallocated == pytest.approx(eu_line[year] * 1000, abs=CENT), year
    # 2023 by hand: the NSC's "The EU" USD 964,572,921 plus the line USD 30,367
    assert mart(
        demo_con,
        """select value_usd, eu27_unallocated_value_usd from marts.russia_central_asia_trade where country_code = 'KGZ'
           and partner_code = 'EU27' and direction = 'imports' and frequency = 'A' and period_start = '2023-01-01'""",
        [],
    ) == [(pytest.approx(964_572_921 + 30_367, abs=CENT), pytest.approx(30_367, abs=CENT))]


def test_kyrgyz_2023_imports_are_flagged_preliminary_as_the_source_marks_them(demo_con):
    _, imports_years, imports_texts = kg_workbook(KG_IMPORTS)
    _, exports_years, exports_texts = kg_workbook(KG_EXPORTS)
    assert imports_years[2023] == "2023 1"
    assert any("reliminary data" in t and t.lstrip().startswith("1") for t in imports_texts)
    assert exports_years[2023] == "2023" and not any("reliminary" in t for t in exports_texts)
    flagged = mart(
        demo_con,
        """select distinct country_code, direction, frequency, year(period_start), is_mirror
           from marts.russia_central_asia_trade where is_preliminary""",
        [],
    )
    assert flagged == [("KGZ", "imports", "A", 2023, False)]
    partners = mart(
        demo_con,
        """select partner_code from marts.russia_central_asia_trade where is_preliminary order by partner_code""",
        [],
    )
    own_2023 = mart(
        demo_con,
        """select partner_code from marts.russia_central_asia_trade where country_code = 'KGZ'
           and direction = 'imports' and frequency = 'A' and period_start = '2023-01-01' and not is_mirror
           order by partner_code""",
        [],
    )
    assert partners == own_2023 and ("RUS",) in partners and ("WLD",) in partners


def test_uzbek_other_countries_are_the_unallocated_share_of_exports(demo_con):
    df = pl.read_csv(UZ_EXPORTS, infer_schema=False)
    years = [c for c in df.columns if c.isdigit()]
    df = df.with_columns(pl.col(y).cast(pl.Float64) for y in years)
    # code 0 'Other countries' and 530 'Netherlands Antilles' map to no country (stg_national__uzstat_flows)
    unmapped = df.filter(pl.col("Code").is_in(["0", "530"]))
    for year in (2019, 2020, 2021, 2022, 2023):
        world = df[str(year)].sum() * 1000
        unallocated = unmapped[str(year)].sum() * 1000
        rows = mart(
            demo_con,
            """select world_total_value_usd, named_partners_total_value_usd, unallocated_value_usd,
                      unallocated_share_pct, value_usd
               from marts.russia_central_asia_trade where country_code = 'UZB' and direction = 'exports'
                 and frequency = 'A' and year(period_start) = ? and partner_code = 'RUS'""",
            [year],
        )
        assert len(rows) == 1, year
        got_world, named, got_unallocated, share, _ = rows[0]
        assert got_world == pytest.approx(world, abs=1.0), year
        assert got_unallocated == pytest.approx(unallocated, abs=1.0), year
        assert named == pytest.approx(world - unallocated, abs=1.0), year
        assert share == pytest.approx(100 * unallocated / world, rel=1e-9), year
    # the range, by hand from the CSV: 5,811,172.3 of 19,732,524.1 (2022), 10,352,796.9 of 24,869,366.3 (2023)
    shares = dict(
        mart(
            demo_con,
            """select year(period_start), unallocated_share_pct from marts.russia_central_asia_trade
               where country_code = 'UZB' and direction = 'exports' and frequency = 'A' and partner_code = 'WLD'
                 and year(period_start) in (2022, 2023)""",
            [],
        )
    )
    assert round(shares[2022], 2) == 29.45 and round(shares[2023], 2) == 41.63
