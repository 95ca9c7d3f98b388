"""The faster load paths give what the checked ones give: landing (zstd, gzip read back), the loader's skipped
delete, the checkpoint setting (the web-export parse has one path: tests/extract/test_eurostat_comext_web_export.py)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os

import duckdb
import pytest

from extract.landing import FileStamps, land, read_landed
from extract.pipeline import extract
from extract.runner import fewer_checkpoints
from extract.sources.eurostat_comext import EurostatComext
from tests.helpers import PROJECT_DIR, comext_config

FILES = PROJECT_DIR / "data" / "files" / "eurostat_comext"
KZ_FILE = "eu_member_exports_to_KZ_monthly_2019-2024.csv"


# --------------------------------------------------------------------------- landing


def test_land_is_exact_and_identical_bytes_land_once(tmp_path):
    body = b"a,b\n" + bytes(range(256)) * 1000
    first = land(tmp_path, "src", "ds", "k=1", body, "csv", "20240101T000000")
    assert first.sha256 == hashlib.sha256(body).hexdigest() and first.size == len(body)
    assert first.path.suffix in (".zst", ".gz") and first.path.name.endswith(
        f"_{first.sha256[:12]}.csv{first.path.suffix}"
    )
    assert read_landed(first.path) == body
    again = land(tmp_path, "src", "ds", "k=1", body, "csv", "20240202T000000")
    assert again.path == first.path
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]  # no temporary file left


def test_a_gzip_landing_file_from_before_is_read_and_reused(tmp_path):
    body = b"x,y\n1,2\n"
    digest = hashlib.sha256(body).hexdigest()
    folder = tmp_path / "src" / "ds" / "k"
    folder.mkdir(parents=True)
    old = folder / f"20230101T000000_{digest[:12]}.csv.gz"
    old.write_bytes(gzip.compress(body, mtime=0))
    assert read_landed(old) == body
    assert land(tmp_path, "src", "ds", "k", body, "csv", "20240101T000000").path == old


def test_file_stamps_hash_a_file_once_until_its_size_or_mtime_changes(tmp_path):
    f = tmp_path / "drop.csv"
    f.write_bytes(b"a,b\n1,2\n")
    record = tmp_path / "landing" / "src" / "file-stamps.json"
    stamps = FileStamps(record)
    assert stamps.sha256(f) == hashlib.sha256(b"a,b\n1,2\n").hexdigest() and stamps.hashed == 1
    stamps.save()
    again = FileStamps(record)
    assert again.sha256(f) == hashlib.sha256(b"a,b\n1,2\n").hexdigest() and again.hashed == 0  # not read
    f.write_bytes(b"a,b\n1,3\n1,4\n")  # new bytes, new size
    assert again.sha256(f) == hashlib.sha256(b"a,b\n1,3\n1,4\n").hexdigest() and again.hashed == 1
    record.write_text("{not json")  # an unreadable record: every file is hashed, nothing breaks
    assert FileStamps(record).sha256(f) == hashlib.sha256(b"a,b\n1,3\n1,4\n").hexdigest()


def test_a_nightly_plan_takes_the_stamp_of_an_unchanged_file_from_the_record(tmp_path):
    """The second extract finds the file unchanged without reading it: the recorded hash is what it
    uses (shown by planting a wrong one with the file's true size and mtime), and the partition is
    skipped; once the file's mtime moves, it is hashed again."""
    drop = tmp_path / KZ_FILE
    drop.write_bytes((FILES / KZ_FILE).read_bytes())
    cfg = comext_config(tmp_path, [], files=[str(drop)], reporters=None)
    landing = tmp_path / "landing"
    first = extract(cfg, ["eurostat_comext"], tmp_path / "wh.duckdb", landing=landing)
    assert first.partitions_loaded == 1
    record = landing / "eurostat_comext" / "file-stamps.json"
    sha = hashlib.sha256(drop.read_bytes()).hexdigest()
    assert [v[2] for v in json.loads(record.read_text()).values()] == [sha]
    second = extract(cfg, ["eurostat_comext"], tmp_path / "wh.duckdb", landing=landing)
    assert (second.partitions_loaded, second.partitions_skipped) == (0, 1)

    src = EurostatComext({"files": [str(drop)]})
    planted = FileStamps(record)
    planted._seen[str(drop.resolve())][2] = "0" * 64
    planted.save()

    class Ctx:
        landing_root = landing

    assert src.plan(Ctx())[0].source_updated_at == "0" * 64  # from the record, the file was not read
    st = drop.stat()
    os.utime(drop, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert src.plan(Ctx())[0].source_updated_at == sha  # hashed again


def test_extract_lands_every_file_recoverably_with_its_sha256_in_the_ledger(tmp_path):
    cfg = comext_config(tmp_path, [], files=[str(FILES / KZ_FILE)], reporters=None)
    run = extract(cfg, ["eurostat_comext"], tmp_path / "wh.duckdb", landing=tmp_path / "landing")
    assert run.status == "success"
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    rows = con.execute("select sha256, landing_path from ops.partitions").fetchall()
    con.close()
    assert rows
    for sha256, path in rows:
        assert hashlib.sha256(read_landed(path)).hexdigest() == sha256
        assert read_landed(path) == (FILES / KZ_FILE).read_bytes()


# --------------------------------------------------------------------------- loader and runner


def raw_count(db, sql="select count(*) from raw.eurostat_comext__web_export"):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_rows_without_a_ledger_entry_are_still_replaced(tmp_path):
    """The delete is skipped only for keys absent from the raw table itself, not from the ledger."""
    cfg = comext_config(tmp_path, [], files=[str(FILES / KZ_FILE)], reporters=None)
    db = tmp_path / "wh.duckdb"
    assert extract(cfg, ["eurostat_comext"], db, landing=tmp_path / "landing").status == "success"
    loaded = raw_count(db)
    con = duckdb.connect(str(db))
    con.execute("delete from ops.partitions")  # e.g. to force a reload
    con.close()
    assert extract(cfg, ["eurostat_comext"], db, landing=tmp_path / "landing").status == "success"
    assert raw_count(db) == loaded == 2089


def test_checkpoint_threshold_is_restored(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    before = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
    with pytest.raises(RuntimeError), fewer_checkpoints(con):
        assert con.execute("select current_setting('checkpoint_threshold')").fetchone()[0] != before
        raise RuntimeError("boom")
    assert con.execute("select current_setting('checkpoint_threshold')").fetchone()[0] == before
    con.close()
