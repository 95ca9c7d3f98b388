"""The reference tables as analysts see them in the warehouse `tradeflow demo` builds."""

from __future__ import annotations


def test_hs_products_keeps_leading_zero_as_text(demo_con):
    row = demo_con.execute(
        "select hs6, typeof(hs6), hs4, hs2 from reference.hs_products where hs6 = '010121'"
    ).fetchone()
    assert row == ("010121", "VARCHAR", "0101", "01")


def test_comtrade_codes_map_to_iso3(demo_con):
    got = dict(
        demo_con.execute(
            "select comtrade_code, iso3 from reference.countries where comtrade_code in ('842', '251', '699', '757')"
        ).fetchall()
    )
    assert got == {"842": "USA", "251": "FRA", "699": "IND", "757": "CHE"}
    # historical and non-current codes map too
    hist = dict(
        demo_con.execute(
            "select comtrade_code, iso3 from reference.comtrade_areas where comtrade_code in ('840', '841', '0', '490')"
        ).fetchall()
    )
    assert hist == {"840": "USA", "841": "USA", "0": "WLD", "490": None}


def _members(con, group: str, on: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            """select iso3 from reference.country_groups
               where group_code = ? and valid_from <= ?::date and (valid_to is null or ?::date <= valid_to)
               order by iso3""",
            [group, on, on],
        ).fetchall()
    ]


def test_eu27_on_2021_01_01_has_27_members_without_gbr(demo_con):
    eu27 = _members(demo_con, "eu27", "2021-01-01")
    assert len(eu27) == 27 and "GBR" not in eu27 and "HRV" in eu27
    eu = _members(demo_con, "eu", "2021-01-01")
    assert eu == eu27


def test_uk_leaves_the_eu_on_2020_02_01(demo_con):
    assert "GBR" in _members(demo_con, "eu", "2020-01-31")
    assert len(_members(demo_con, "eu", "2020-01-31")) == 28
    assert "GBR" not in _members(demo_con, "eu", "2020-02-01")


def test_transit_candidates_and_central_asia(demo_con):
    assert _members(demo_con, "central_asia", "2022-01-01") == ["KAZ", "KGZ", "TJK", "TKM", "UZB"]
    assert _members(demo_con, "transit_candidates", "2019-01-01") == sorted(
        ["KAZ", "KGZ", "TJK", "TKM", "UZB", "ARM", "GEO", "AZE", "TUR", "ARE", "CHN", "MNG"]
    )


def test_chpl_and_events(demo_con):
    assert demo_con.execute("select count(*), count(distinct tier) from reference.chpl_products").fetchone() == (50, 6)
    n_packages, first = demo_con.execute(
        "select count(*), min(event_date)::varchar from reference.events where kind = 'eu_sanctions_package'"
    ).fetchone()
    assert n_packages >= 19 and first == "2022-02-23"
    assert demo_con.execute("select typeof(event_date) from reference.events limit 1").fetchone() == ("DATE",)
