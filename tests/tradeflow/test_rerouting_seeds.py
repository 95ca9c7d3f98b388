"""Issue 15: versioned product lists, origin groups and country risk tiers as seeds."""

from __future__ import annotations

import polars as pl

from tradeflow import seeds


def test_product_lists_hold_each_version_with_its_validity():
    lists = seeds.build_product_lists()
    chpl = lists.filter(pl.col("list_code") == "chpl")
    assert chpl.height == 50
    assert chpl["list_version"].unique().to_list() == ["chpl_2024-02-23"]
    assert chpl["valid_from"].unique().to_list() == ["2024-02-23"]
    assert chpl["valid_to"].null_count() == 50  # the current version: "as listed today"
    assert chpl.filter(pl.col("code") == "854231")["tier"].item() == "1"
    bans = lists.filter(pl.col("list_code") == "eu833_export_ban")
    assert bans.height == 2223
    # the extraction does not say when each code entered: no date is invented
    assert bans["valid_from"].null_count() == bans.height
    assert bans["listed_by"].unique().to_list() == ["2022-10-07"]
    assert bans.filter(pl.col("code") == "01012100")["hs6"].item() == "010121"


def test_origin_groups_and_risk_tiers_are_valid_and_sourced():
    seeds.validate_hand_seeds(seeds.build_countries())
    groups = pl.read_csv(seeds.SEEDS_DIR / "origin_groups.csv", infer_schema=False)
    coalition = set(groups.filter(pl.col("origin_group") == "coalition")["origin_code"])
    assert {"EU27", "DEU", "USA", "GBR", "JPN", "KOR", "CHE", "NOR", "CAN", "AUS", "TWN", "NZL"} <= coalition
    others = set(groups.filter(pl.col("origin_group") == "other")["origin_code"])
    assert {"CHN", "HKG", "TUR", "ARE", "IND", "SRB", "MYS", "THA", "KAZ", "ARM"} <= others
    assert groups.filter(pl.col("origin_code") == "FRA")["part_of"].item() == "EU27"
    tiers = pl.read_csv(seeds.SEEDS_DIR / "country_risk_tiers.csv", infer_schema=False)
    lt = tiers.filter(pl.col("tier_version") == "lt_scoreboard_v1")
    assert sorted(lt.filter(pl.col("tier_rank") == "1")["iso3"]) == ["ARM", "GEO", "KAZ", "KGZ"]
    assert tiers["source"].null_count() == 0
