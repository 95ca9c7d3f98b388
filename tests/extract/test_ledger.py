"""The ledger owns ops.*: every statement on it lives in extract/ledger.py, and its reads answer
for a warehouse without a ledger as well as one with."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb

from extract import ledger
from tests.helpers import PROJECT_DIR

OPS_SQL = re.compile(r"\b(from|into|update|table|join|describe)\s+\(?ops\.\w+", re.IGNORECASE)


def test_only_the_ledger_has_sql_on_ops():
    offenders = []
    for package in ("extract", "tradeflow"):
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            rel = str(path.relative_to(PROJECT_DIR))
            if rel == "extract/ledger.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if OPS_SQL.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


def test_no_test_module_imports_another_test_module():
    offenders = []
    for path in sorted((PROJECT_DIR / "tests").rglob("*.py")):
        if path.parent.name == "emulator":  # the emulator package imports its own modules
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r"\s*(from|import)\s+(tests\.[\w.]+)", line)
            # shared helpers: tests/helpers.py and the source emulator package (tests/emulator/)
            if m and m.group(2) != "tests.helpers" and not m.group(2).startswith("tests.emulator"):
                offenders.append(f"{path.relative_to(PROJECT_DIR)}:{n}: {line.strip()}")
    assert offenders == []


def test_status_reads_on_an_empty_warehouse_and_after_a_load(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        assert ledger.source_freshness(con) == []
        assert ledger.partitions_in_error(con) == []
        assert ledger.last_fingerprint(con) is None
        run = ledger.Run(command="test")
        ledger.start_run(con, run)
        ledger.record_loaded(
            con,
            source="ecb",
            dataset="rates",
            partition_key="2024",
            source_updated_at="stamp-1",
            fetched_at=datetime(2024, 5, 1, 12, 0),
            sha256="ab" * 32,
            row_count=12,
            landing_path="landing/ecb/x.zst",
            run_id=run.run_id,
        )
        ledger.restamp(con, "ecb", "rates", "2024", "stamp-2")
        ledger.record_failure(con, "ecb", "rates", "2025", run.run_id, "[ecb] 2025: no rows")
        ledger.finish_run(con, run)
        ledger.record_build(
            con,
            version="v1",
            run_id=run.run_id,
            config="demo.toml",
            steps={"dbt": 1.5},
            extract={},
            project_fingerprint="f" * 64,
            full_refresh=True,
        )
        assert ledger.source_freshness(con) == [
            {
                "source": "ecb",
                "partitions": 1,
                "rows": 12,
                "last_fetched_at": "2024-05-01 12:00:00",
                "last_source_update": "stamp-2",
            }
        ]
        assert [e["partition_key"] for e in ledger.partitions_in_error(con)] == ["2025"]
        assert ledger.last_fingerprint(con) == "f" * 64
    finally:
        con.close()
