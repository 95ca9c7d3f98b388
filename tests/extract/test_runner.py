"""The runner, loader and ledger: idempotent per-partition loads; failures lose nothing."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from extract import ledger
from extract.http import make_client
from extract.landing import read_landed
from extract.runner import run_source
from extract.sources.base import (
    Context,
    Dataset,
    Fetched,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    check_fields,
    conform,
)
from tests.helpers import JSON, write_cassette

BASE = "https://stats.example.org/v1"


class Tiny(Source):
    """A minimal source over the real client: one partition per year, stamps from a metadata call."""

    class Settings(SourceSettings):
        years: list[int]

    name = "tiny"
    datasets = {"flows": Dataset("flows", {"reporter_code": pl.String, "year": pl.Int32, "value_usd": pl.Float64})}
    required = ("reporter", "year", "value")

    def plan(self, ctx):
        meta = ctx.client.get(self.name, f"{BASE}/updated").json()
        return [
            Partition(self.name, "flows", f"year={y}", {"year": y}, source_updated_at=meta[str(y)], period=str(y))
            for y in self.settings.years
        ]

    def fetch(self, ctx, p):
        resp = ctx.client.get(self.name, f"{BASE}/data?year={p.params['year']}")
        return [Fetched(resp.body, "json", resp.url)]

    def parse(self, p, bodies):
        rows = bodies[0]
        data = __import__("json").loads(rows.body)["data"]
        warnings: list[str] = []
        for i, row in enumerate(data):
            warnings += check_fields(self.name, f"{rows.url} row {i}", row, self.required, self.required)
        as_text = [{k: None if row.get(k) is None else str(row[k]) for k in self.required} for row in data]
        frame = pl.DataFrame(as_text, schema=dict.fromkeys(self.required, pl.String))
        frame = frame.rename({"reporter": "reporter_code", "value": "value_usd"})
        return ParseResult(conform(self.name, rows.url, frame, self.datasets["flows"].schema), sorted(set(warnings)))


def body(rows):
    return __import__("json").dumps({"data": rows}).encode()


ROWS_2021 = [{"reporter": "398", "year": 2021, "value": 10.5}, {"reporter": "417", "year": 2021, "value": 2.25}]
ROWS_2022 = [{"reporter": "398", "year": 2022, "value": 12.0}]


def cassette(tmp_path, name, stamps, rows_2021, rows_2022=ROWS_2022):
    return write_cassette(
        tmp_path / name,
        [
            (f"{BASE}/updated", 200, JSON, __import__("json").dumps(stamps).encode()),
            (f"{BASE}/data?year=2021", 200, JSON, body(rows_2021)),
            (f"{BASE}/data?year=2022", 200, JSON, body(rows_2022)),
        ],
    )


def run(tmp_path, cas, db):
    client = make_client("replay", cassettes=[cas])
    ctx = Context(client=client, config=None, landing_root=tmp_path / "landing")
    r = ledger.Run(command="test")
    con = duckdb.connect(str(db))
    ledger.start_run(con, r)
    run_source(con, Tiny({"years": [2021, 2022]}), ctx, r)
    r.requests_made = client.requests_made
    ledger.finish_run(con, r)
    con.close()
    return r, client


def table(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from raw.tiny__flows order by _partition_key, reporter_code").fetchall()


def test_load_types_rows_and_ledger(tmp_path):
    db = tmp_path / "w.duckdb"
    r, _ = run(tmp_path, cassette(tmp_path, "c1", {"2021": "s1", "2022": "s1"}, ROWS_2021), db)
    assert r.status == "success" and r.partitions_loaded == 2 and r.rows_loaded == 3
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(con.execute("select column_name, column_type from (describe raw.tiny__flows)").fetchall())
        assert types["reporter_code"] == "VARCHAR" and types["year"] == "INTEGER" and types["value_usd"] == "DOUBLE"
        assert con.execute(
            "select value_usd from raw.tiny__flows where reporter_code = '417' and year = 2021"
        ).fetchone() == (2.25,)
        part = con.execute(
            "select status, row_count, source_updated_at, sha256, landing_path from ops.partitions "
            "where partition_key = 'year=2021'"
        ).fetchone()
    assert part[:3] == ("loaded", 2, "s1")
    # the landing file is the body exactly as received, and its sha256 is in the ledger
    landed = read_landed(part[4])
    assert landed == body(ROWS_2021)
    assert __import__("hashlib").sha256(landed).hexdigest() == part[3]


def test_rerun_with_unchanged_stamps_makes_no_data_request_and_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    cas = cassette(tmp_path, "c1", {"2021": "s1", "2022": "s1"}, ROWS_2021)
    run(tmp_path, cas, db)
    before = table(db)
    r, client = run(tmp_path, cas, db)
    assert client.requests_made == 1  # the metadata call only
    assert r.partitions_skipped == 2 and r.partitions_loaded == 0
    assert table(db) == before


def test_changed_stamp_refetches_only_that_partition(tmp_path):
    db = tmp_path / "w.duckdb"
    run(tmp_path, cassette(tmp_path, "c1", {"2021": "s1", "2022": "s1"}, ROWS_2021), db)
    revised = [{"reporter": "398", "year": 2021, "value": 11.0}]
    r, client = run(tmp_path, cassette(tmp_path, "c2", {"2021": "s2", "2022": "s1"}, revised), db)
    assert client.requests_made == 2 and r.partitions_loaded == 1
    rows = table(db)
    assert [(x[0], x[2]) for x in rows if x[1] == 2021] == [("398", 11.0)]  # replaced, not appended
    assert [(x[0], x[2]) for x in rows if x[1] == 2022] == [("398", 12.0)]


def test_failed_parse_keeps_earlier_rows_and_ledger_and_marks_the_run_failed(tmp_path):
    db = tmp_path / "w.duckdb"
    run(tmp_path, cassette(tmp_path, "c1", {"2021": "s1", "2022": "s1"}, ROWS_2021), db)
    before = table(db)
    with duckdb.connect(str(db), read_only=True) as con:
        ledger_before = con.execute("select * from ops.partitions order by partition_key").fetchall()
    broken = [{"reporter": "398", "year": 2021}]  # no value
    r, _ = run(tmp_path, cassette(tmp_path, "c2", {"2021": "s2", "2022": "s1"}, broken), db)
    assert r.status == "failed" and r.partitions_failed == 1
    assert table(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select * from ops.partitions order by partition_key").fetchall() == ledger_before
        status, error = con.execute("select status, error from ops.runs where run_id = ?", [r.run_id]).fetchone()
        assert status == "failed" and "required field 'value' is missing" in error and "year=2021" in error
        assert con.execute("select partition_key from ops.partition_errors").fetchall() == [("year=2021",)]


def test_value_of_the_wrong_type_names_the_column(tmp_path):
    db = tmp_path / "w.duckdb"
    bad = [{"reporter": "398", "year": 2021, "value": "n/a"}]
    r, _ = run(tmp_path, cassette(tmp_path, "c1", {"2021": "s1", "2022": "s1"}, bad), db)
    assert r.partitions_failed == 1 and r.partitions_loaded == 1
    assert any("'value_usd'" in e or "value" in e for e in r.errors)


def test_unknown_field_is_a_warning_and_the_row_loads(tmp_path):
    db = tmp_path / "w.duckdb"
    extra = [{"reporter": "398", "year": 2021, "value": 1.0, "newField": "x"}]
    r, _ = run(tmp_path, cassette(tmp_path, "c1", {"2021": "s1", "2022": "s1"}, extra), db)
    assert r.status == "success"
    assert r.warnings == [
        "[tiny] https://stats.example.org/v1/data?year=2021 row 0: unknown field 'newField' "
        "kept in the landing file, not loaded"
    ]


def test_a_failure_inside_the_load_transaction_rolls_back(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    run(tmp_path, cassette(tmp_path, "c1", {"2021": "s1", "2022": "s1"}, ROWS_2021), db)
    before = table(db)
    import extract.load as load_mod

    original = load_mod.ledger.utcnow
    calls = {"n": 0}

    def exploding():
        calls["n"] += 1
        raise duckdb.IOException("disk full (simulated inside the transaction)")

    monkeypatch.setattr(load_mod.ledger, "utcnow", exploding)
    revised = [{"reporter": "398", "year": 2021, "value": 99.0}]
    with pytest.raises(duckdb.IOException):
        con = duckdb.connect(str(db))
        try:
            load_mod.load_partition(
                con,
                source="tiny",
                dataset=Tiny.datasets["flows"],
                partition_key="year=2021",
                frame=pl.DataFrame(revised)
                .rename({"reporter": "reporter_code", "value": "value_usd"})
                .select(pl.col("reporter_code"), pl.col("year").cast(pl.Int32), pl.col("value_usd")),
                source_updated_at="s9",
                fetched_at=original(),
                sha256="x",
                landing_path="x",
                run_id="r",
            )
        finally:
            con.close()
    assert calls["n"] == 1
    assert table(db) == before


def test_next_partition_is_prepared_in_a_worker_while_the_main_thread_loads_in_plan_order(tmp_path, monkeypatch):
    import json
    import threading

    import extract.runner as runner_mod

    events: list[tuple[str, str, bool]] = []  # (step, partition key, on the main thread)
    fetched_2022 = threading.Event()

    class Recording(Tiny):
        def fetch(self, ctx, p):
            events.append(("fetch", p.key, threading.current_thread() is threading.main_thread()))
            bodies = super().fetch(ctx, p)
            if p.key == "year=2022":
                fetched_2022.set()
            return bodies

        def parse(self, p, bodies):
            events.append(("parse", p.key, threading.current_thread() is threading.main_thread()))
            return super().parse(p, bodies)

    original = runner_mod.load_partition

    def recording_load(con, **kw):
        events.append(("load", kw["partition_key"], threading.current_thread() is threading.main_thread()))
        if kw["partition_key"] == "year=2021":
            # the next partition is fetched while this one loads; the one after is not started yet
            assert fetched_2022.wait(10)
            assert ("fetch", "year=2023", False) not in events
        return original(con, **kw)

    monkeypatch.setattr(runner_mod, "load_partition", recording_load)
    stamps = {"2021": "s1", "2022": "s1", "2023": "s1"}
    cas = write_cassette(
        tmp_path / "c3",
        [
            (f"{BASE}/updated", 200, JSON, json.dumps(stamps).encode()),
            (f"{BASE}/data?year=2021", 200, JSON, body(ROWS_2021)),
            (f"{BASE}/data?year=2022", 200, JSON, body([{"reporter": "398", "year": 2022}])),  # no value
            (f"{BASE}/data?year=2023", 200, JSON, body([{"reporter": "398", "year": 2023, "value": 1.5}])),
        ],
    )
    db = tmp_path / "w.duckdb"
    client = make_client("replay", cassettes=[cas])
    ctx = Context(client=client, config=None, landing_root=tmp_path / "landing")
    r = ledger.Run(command="test")
    con = duckdb.connect(str(db))
    ledger.start_run(con, r)
    run_source(con, Recording({"years": [2021, 2022, 2023]}), ctx, r)
    ledger.finish_run(con, r)
    con.close()

    assert (r.partitions_loaded, r.partitions_failed, r.rows_loaded) == (2, 1, 3)
    assert "required field 'value' is missing" in r.errors[0] and "year=2022" in r.errors[0]
    assert [(k, main) for step, k, main in events if step == "load"] == [("year=2021", True), ("year=2023", True)]
    assert [k for step, k, _ in events if step == "fetch"] == ["year=2021", "year=2022", "year=2023"]
    assert not any(main for step, _, main in events if step in ("fetch", "parse"))
    assert [(x[0], x[1], x[2]) for x in table(db)] == [("398", 2021, 10.5), ("417", 2021, 2.25), ("398", 2023, 1.5)]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select partition_key from ops.partition_errors").fetchall() == [("year=2022",)]
