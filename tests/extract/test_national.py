"""National trade statistics (stat.uz, Kyrgyz NSC, armstat) through the real pipeline, from the real files.

Malformed inputs are constructed inside the tests from the real files (their names say 'constructed').
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from extract.config import Config, load_config
from extract.pipeline import extract
from extract.settings import PROJECT_DIR
from tests.helpers import config_folder

FILES = PROJECT_DIR / "data" / "files" / "national"
UZ_EXPORTS = FILES / "uzstat_sdmx_data_1105_exports_by_country_2010-2023.csv"
UZ_IMPORTS = FILES / "uzstat_sdmx_data_1176_imports_by_country_2010-2023.csv"
KG_EXPORTS = FILES / "kg_nsc_4.03.00.18_exports_by_country_1994-2023.xlsx"
KG_IMPORTS = FILES / "kg_nsc_4.03.00.20_imports_by_country_1994-2023.xlsx"
ARM = FILES / "armstat_armenia_trade_by_country_monthly_2017-2023.csv"
ARM_TVYAL = FILES / "armstat_trade_by_country_monthly_2007-2024_tvyal.csv"
SEED = PROJECT_DIR / "seeds" / "national_partner_labels.csv"
TABLES = ("uzstat", "kg_nsc", "armstat")


def demo_config(tmp_path: Path) -> Config:
    """The config/snippets/national.toml section, loaded and validated by config.py."""
    path = config_folder(tmp_path) / "national.toml"
    snippet = (PROJECT_DIR / "config" / "snippets" / "national.toml").read_text()
    path.write_text(f'[run]\nmode = "replay"\nlookback_periods = 0\n\n{snippet}')
    return load_config(path)


def config_for(tmp_path: Path, files: list[Path], **settings) -> Config:
    return Config(
        path=tmp_path / "t.toml", mode="replay", lookback_periods=0, sources={"national": {"files": files, **settings}}
    )


def run(tmp_path: Path, cfg: Config):
    return extract(cfg, ["national"], tmp_path / "w.duckdb", landing=tmp_path / "landing")


def query(db: Path, sql: str, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def dump(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        existing = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        return {
            t: con.execute(f"select * from raw.national__{t} order by all").fetchall()
            for t in TABLES
            if f"national__{t}" in existing
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national_demo")
    r = run(tmp, demo_config(tmp))
    return tmp, r


def one(db, sql, params=()):
    rows = query(db, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


# --------------------------------------------------------------------------- real values


def test_demo_plans_and_loads_every_bundled_file(demo):
    tmp, r = demo
    assert r.status == "success", r.errors
    assert (r.partitions_planned, r.partitions_loaded, r.partitions_failed) == (5, 5, 0)
    assert r.requests_made == 0
    db = tmp / "w.duckdb"
    keys = query(db, "select dataset, partition_key, status from ops.partitions order by all")
    assert keys == [
        ("armstat", f"file={ARM.name}", "loaded"),
        ("kg_nsc", f"file={KG_EXPORTS.name}", "loaded"),
        ("kg_nsc", f"file={KG_IMPORTS.name}", "loaded"),
        ("uzstat", f"file={UZ_EXPORTS.name}", "loaded"),
        ("uzstat", f"file={UZ_IMPORTS.name}", "loaded"),
    ]
    # The stamp is the file's sha256 (plus the label seed's where labels are mapped).
    stamps = dict(query(db, "select partition_key, source_updated_at from ops.partitions"))
    assert stamps[f"file={UZ_EXPORTS.name}"] == hashlib.sha256(UZ_EXPORTS.read_bytes()).hexdigest()
    seed_sha = hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert (
        stamps[f"file={KG_EXPORTS.name}"] == f"{hashlib.sha256(KG_EXPORTS.read_bytes()).hexdigest()}+labels:{seed_sha}"
    )


def test_uzbekistan_real_values(demo):
    db = demo[0] / "w.duckdb"
    # stat.uz 1105, row "643,Rossiya,Россия,Russia,...", column 2021: 2088237.3 thousand USD.
    assert one(
        db,
        "select reporter_iso3, partner_label_en, partner_label_ru, row_kind, value_thousand_usd, month"
        " from raw.national__uzstat where flow = 'export' and partner_code = '643' and year = 2021",
    ) == ("UZB", "Russia", "Россия", "country", 2088237.3, None)
    # Imports from Russia 2023 (1176): 6660632.1.
    assert one(
        db,
        "select value_thousand_usd from raw.national__uzstat where flow = 'import' and partner_code = '643' and year = 2023",
    ) == (6660632.1,)
    # Codes are M49 strings zero-padded to three digits ('008' Albania as given; '0' -> '000').
    assert one(
        db,
        "select value_thousand_usd from raw.national__uzstat where flow='export' and partner_code='008' and year=2021",
    ) == (2643.3,)
    assert one(
        db,
        "select partner_label_en, row_kind from raw.national__uzstat where flow='export' and partner_code='000' and year=2021",
    ) == ("Other countries", "other")
    assert query(db, "select count(*) from raw.national__uzstat where length(partner_code) <> 3") == [(0,)]
    # One row per partner and year: 228 partners x 14 years of exports, 234 x 14 of imports.
    assert query(db, "select flow, count(*) from raw.national__uzstat group by flow order by flow") == [
        ("export", 228 * 14),
        ("import", 234 * 14),
    ]
    # '8e-05' (Equatorial Guinea imports 2022) is a number, not a missing value.
    assert one(
        db,
        "select value_thousand_usd from raw.national__uzstat where flow='import' and partner_code='226' and year=2022",
    ) == (8e-05,)


def test_kyrgyzstan_real_values_and_totals_flagged_apart(demo):
    db = demo[0] / "w.duckdb"
    # NSC 4.03.00.18, row 72 'Kazakhstan', column 2022: 410888.086 thousand USD.
    assert one(
        db,
        "select reporter_iso3, partner_iso3, partner_label_ru, row_kind, value_thousand_usd, source_row"
        " from raw.national__kg_nsc where flow = 'export' and partner_label_en = 'Kazakhstan' and year = 2022",
    ) == ("KGZ", "KAZ", "Казахстан", "country", 410888.086, 72)
    kinds = dict(
        query(
            db,
            "select partner_label_en, row_kind from raw.national__kg_nsc where flow = 'export' and year = 2022"
            " and partner_label_en in ('Total', 'CIS', 'EAEU', 'Europe', 'Asia', 'Undefined country', 'Russia')",
        )
    )
    assert kinds == {
        "Total": "total",
        "CIS": "group",
        "EAEU": "group",
        "Europe": "region",
        "Asia": "region",
        "Undefined country": "other",
        "Russia": "country",
    }
    total = one(
        db, "select value_thousand_usd from raw.national__kg_nsc where flow='import' and year=2022 and row_kind='total'"
    )[0]
    assert total == 9803159.382
    # Country + unallocated rows add up to the published total; regions and groups would double count.
    leaves, everything = one(
        db,
        "select sum(value_thousand_usd) filter (where row_kind in ('country', 'other')), sum(value_thousand_usd)"
        " from raw.national__kg_nsc where flow = 'import' and year = 2022",
    )
    assert leaves == pytest.approx(total, rel=1e-4)
    assert everything > 2.5 * total
    # '-' is missing, not zero (Albania, exports 2022).
    assert one(
        db,
        "select value_thousand_usd from raw.national__kg_nsc where flow='export' and partner_label_en='Albania' and year=2022",
    ) == (None,)
    # The imports header '2023 1' carries the footnote '1 Рreliminary data'; the footnote row is no partner.
    assert query(db, "select distinct footnote from raw.national__kg_nsc where flow='import' and year=2023") == [
        ("Рreliminary data",)
    ]
    assert query(db, "select count(*) from raw.national__kg_nsc where year < 2023 and footnote is not null") == [(0,)]
    assert query(db, "select count(*) from raw.national__kg_nsc where partner_label_en like '%reliminary%'") == [(0,)]
    # Every partner row maps through the seed: a 'country' row without ISO3 only for the dissolved Netherlands Antilles.
    assert query(
        db,
        "select distinct partner_label_en from raw.national__kg_nsc where row_kind = 'country' and partner_iso3 is null",
    ) == [("Netherlands antilles",)]
    # Both workbooks: 30 years each (1994-2023).
    assert query(
        db,
        "select flow, min(year), max(year), count(distinct year) from raw.national__kg_nsc group by flow order by flow",
    ) == [
        ("export", 1994, 2023, 30),
        ("import", 1994, 2023, 30),
    ]


def test_armenia_real_monthly_values(demo):
    tmp, r = demo
    db = tmp / "w.duckdb"
    rows = query(
        db,
        "select flow, import_basis, month, value_thousand_usd from raw.national__armstat"
        " where partner_label_en = 'Russian Federation' and year = 2022 and (month = 1 or month is null) order by all",
    )
    assert rows == [
        ("export", None, 1, 68041.1),
        ("export", None, None, 2410962.1),
        ("import", "consignment", 1, 173132.0),
        ("import", "consignment", None, 2875198.3),
        ("import", "origin", 1, 158409.8),
        ("import", "origin", None, 2622504.1),
    ]
    assert one(
        db, "select distinct partner_iso3 from raw.national__armstat where partner_label_en = 'Russian Federation'"
    ) == ("RUS",)
    # 'Afghanistan,-,-,0.1,5,2020': two missing cells are null, the third is 0.1.
    assert query(
        db,
        "select flow, import_basis, value_thousand_usd from raw.national__armstat"
        " where partner_label_en = 'Afghanistan' and year = 2020 and month = 5 order by all",
    ) == [("export", None, None), ("import", "consignment", None), ("import", "origin", 0.1)]
    # The 67 lines with an empty country are kept, flagged, and reported.
    assert query(
        db, "select count(distinct source_row), count(*) from raw.national__armstat where row_kind = 'unlabelled'"
    ) == [(67, 201)]
    assert any("67 lines have an empty country" in w for w in r.warnings)


# --------------------------------------------------------------------------- incremental behaviour


def test_rerun_reloads_nothing_and_leaves_identical_tables(tmp_path):
    cfg = demo_config(tmp_path)
    first = run(tmp_path, cfg)
    before = dump(tmp_path / "w.duckdb")
    second = run(tmp_path, demo_config(tmp_path))
    assert first.rows_loaded == sum(len(v) for v in before.values()) > 50_000
    assert (second.partitions_planned, second.partitions_skipped, second.partitions_loaded, second.rows_loaded) == (
        5,
        5,
        0,
        0,
    )
    assert second.status == "success"
    assert dump(tmp_path / "w.duckdb") == before


def test_edited_seed_reparses_the_label_files(tmp_path):
    seed = tmp_path / "labels_constructed.csv"
    shutil.copy(SEED, seed)
    cfg = config_for(tmp_path, [KG_EXPORTS, UZ_EXPORTS], labels_seed=str(seed))
    run(tmp_path, cfg)
    text = seed.read_text().replace("\nKazakhstan,KAZ,", "\nKazakhstan,KGZ,")  # constructed wrong mapping
    seed.write_text(text)
    r = run(tmp_path, cfg)
    assert (r.partitions_loaded, r.partitions_skipped) == (1, 1)  # the workbook again, not the stat.uz CSV
    assert query(
        tmp_path / "w.duckdb",
        "select distinct partner_iso3 from raw.national__kg_nsc where partner_label_en = 'Kazakhstan'",
    ) == [("KGZ",)]


# --------------------------------------------------------------------------- failures


def uz_without(column_test) -> bytes:
    rows = list(csv.reader(io.StringIO(UZ_EXPORTS.read_text(encoding="utf-8-sig"))))
    keep = [i for i, h in enumerate(rows[0]) if not column_test(h)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[r[i] for i in keep] for r in rows])
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("broken", "expect"),
    [
        (lambda h: h.isdigit(), "no year columns"),
        (lambda h: h == "Code", "required column 'Code' is missing"),
    ],
    ids=["no_year_columns", "no_code_column"],
)
def test_malformed_uzstat_csv_fails_naming_file_and_field_keeping_rows(tmp_path, broken, expect):
    drop = tmp_path / "drop"
    drop.mkdir()
    target = drop / "uzstat_sdmx_data_1105_constructed.csv"
    shutil.copy(UZ_EXPORTS, target)
    cfg = config_for(tmp_path, [target, KG_EXPORTS])
    first = run(tmp_path, cfg)
    assert first.status == "success"
    before = dump(tmp_path / "w.duckdb")
    target.write_bytes(uz_without(broken))  # constructed: the same file with columns removed
    r = run(tmp_path, cfg)
    assert r.status == "failed" and r.partitions_failed == 1 and r.partitions_skipped == 1
    (error,) = r.errors
    assert "[national]" in error and str(target) in error and expect in error
    assert dump(tmp_path / "w.duckdb") == before  # earlier rows intact
    db = tmp_path / "w.duckdb"
    assert one(db, "select status, error from ops.runs where run_id = ?", [r.run_id]) == ("failed", error)
    assert one(db, "select partition_key from ops.partition_errors where run_id = ?", [r.run_id]) == (
        f"file={target.name}",
    )


def test_unknown_kyrgyz_label_fails_naming_file_row_and_label(tmp_path):
    target = tmp_path / "kg_nsc_4.03.00.18_constructed_unknown_label.xlsx"
    shutil.copy(KG_EXPORTS, target)
    cfg = config_for(tmp_path, [target])
    assert run(tmp_path, cfg).status == "success"
    before = dump(tmp_path / "w.duckdb")
    wb = openpyxl.load_workbook(target)
    ws = wb.worksheets[0]
    assert ws["C72"].value == "Kazakhstan"
    ws["C72"] = "Kazakstan Republic"  # constructed: a label the seed does not know
    wb.save(target)
    r = run(tmp_path, cfg)
    assert r.status == "failed"
    (error,) = r.errors
    assert str(target) in error and "row 72" in error and "'Kazakstan Republic'" in error
    assert "unknown partner label" in error
    assert dump(tmp_path / "w.duckdb") == before
    assert one(tmp_path / "w.duckdb", "select status from ops.runs where run_id = ?", [r.run_id]) == ("failed",)


def test_non_numeric_cell_fails_naming_row_and_column(tmp_path):
    target = tmp_path / "uzstat_sdmx_data_1176_constructed_bad_cell.csv"
    target.write_text(
        UZ_IMPORTS.read_text(encoding="utf-8-sig").replace("Rossiya,Россия,Russia,", "Rossiya,Россия,Russia,n/a-", 1)
    )
    r = run(tmp_path, config_for(tmp_path, [target]))
    assert r.status == "failed"
    assert str(target) in r.errors[0] and "line " in r.errors[0] and "column '2010'" in r.errors[0]


def test_missing_file_is_recorded_and_other_files_load(tmp_path):
    missing = tmp_path / "uzstat_sdmx_data_1105_constructed_absent.csv"
    r = run(tmp_path, config_for(tmp_path, [missing, UZ_IMPORTS]))
    assert r.status == "failed" and r.partitions_loaded == 1 and r.partitions_failed == 1
    assert str(missing) in r.errors[0] and "does not exist" in r.errors[0]


def test_seed_covers_exactly_the_labels_in_the_files():
    labels = {r["label_en"] for r in csv.DictReader(SEED.open(encoding="utf-8"))}
    present: set[str] = set()
    for path in (KG_EXPORTS, KG_IMPORTS):
        ws = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        h = next(i for i, r in enumerate(rows) if isinstance(r[3], int))
        present |= {r[2].strip() for r in rows[h + 1 :] if isinstance(r[2], str) and any(v is not None for v in r[3:])}
    for path in (ARM, ARM_TVYAL):
        with path.open(encoding="utf-8-sig") as fh:
            present |= {r["country"].strip() for r in csv.DictReader(fh) if r["country"] and r["country"].strip()}
    assert labels == present
