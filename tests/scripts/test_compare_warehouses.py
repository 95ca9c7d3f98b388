"""scripts/compare_warehouses.py on tiny DuckDB files built in tmp_path: equal, differing, a missing table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compare_warehouses.py"


def warehouse(path: Path, statements: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for statement in statements:
            con.execute(statement)
    return path


def run(*args: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def line_of(output: str, table: str) -> list[str]:
    (line,) = [line for line in output.splitlines() if line.startswith(table + " ")]
    return line.split()


FLOWS = (
    "create table marts.flows as select * from (values ('KAZ', 1.5::double), ('KGZ', 2.0), ('KGZ', 2.0)) t(code, value)"
)
DIMS = "create table marts.dims as select * from (values ('KAZ', 'Kazakhstan')) t(code, name)"


def test_equal_warehouses_exit_zero(tmp_path):
    a = warehouse(tmp_path / "a.duckdb", [FLOWS, DIMS])
    # the same rows in another order, and a table outside the compared schema that differs
    b = warehouse(
        tmp_path / "b.duckdb",
        [
            "create table marts.flows as select * from (values ('KGZ', 2.0), ('KAZ', 1.5::double), ('KGZ', 2.0)) t(code, value)",
            DIMS,
            "create table main.scratch as select 1 as x",
        ],
    )
    result = run(a, b)
    assert result.returncode == 0, result.stdout + result.stderr
    assert line_of(result.stdout, "marts.flows") == ["marts.flows", "3", "3", "0", "0", "identical"]
    assert line_of(result.stdout, "marts.dims") == ["marts.dims", "1", "1", "0", "0", "identical"]
    assert "2 of 2 tables identical, 0 different" in result.stdout


def test_a_differing_row_and_a_lost_duplicate_exit_one(tmp_path):
    a = warehouse(tmp_path / "a.duckdb", [FLOWS, DIMS])
    # one value changed (1.5 -> 1.25) and the repeated KGZ row appears once: EXCEPT ALL counts both
    b = warehouse(
        tmp_path / "b.duckdb",
        ["create table marts.flows as select * from (values ('KAZ', 1.25::double), ('KGZ', 2.0)) t(code, value)", DIMS],
    )
    result = run(a, b)
    assert result.returncode == 1
    assert line_of(result.stdout, "marts.flows") == ["marts.flows", "3", "2", "2", "1", "DIFFERENT"]
    assert line_of(result.stdout, "marts.dims")[-1] == "identical"
    assert "1 of 2 tables identical, 1 different" in result.stdout


def test_a_missing_table_and_other_columns_exit_one(tmp_path):
    a = warehouse(tmp_path / "a.duckdb", [FLOWS, DIMS])
    b = warehouse(tmp_path / "b.duckdb", ["create table marts.flows as select 'KAZ' as code, 1 as amount"])
    result = run(a, b, "--schemas", "marts")
    assert result.returncode == 1
    assert line_of(result.stdout, "marts.dims")[-4:] == ["DIFFERENT:", "only", "in", "A"]
    assert line_of(result.stdout, "marts.flows")[-2:] == ["DIFFERENT:", "columns"]
    assert "0 of 2 tables identical, 2 different" in result.stdout


def test_ignored_column_is_left_out_of_the_rows_only(tmp_path):
    a = warehouse(
        tmp_path / "a.duckdb", ["create table marts.facts as select 1 as x, timestamp '2026-01-01' as _loaded_at"]
    )
    b = warehouse(
        tmp_path / "b.duckdb", ["create table marts.facts as select 1 as x, timestamp '2026-02-01' as _loaded_at"]
    )
    assert run(a, b).returncode == 1
    result = run(a, b, "--ignore-columns", "_loaded_at")
    assert result.returncode == 0, result.stdout
    assert line_of(result.stdout, "marts.facts") == ["marts.facts", "1", "1", "0", "0", "identical"]


def test_a_missing_file_is_named(tmp_path):
    a = warehouse(tmp_path / "a.duckdb", [DIMS])
    result = run(a, tmp_path / "nowhere.duckdb")
    assert result.returncode == 2
    assert "nowhere.duckdb" in result.stderr and "tradeflow demo" in result.stderr
