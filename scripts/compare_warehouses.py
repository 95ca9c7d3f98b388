"""Compare the tables of two DuckDB warehouses row for row (EXCEPT ALL both ways).

    python scripts/compare_warehouses.py A.duckdb B.duckdb [--schemas marts[,...]] [--ignore-columns _loaded_at]

For every table or view in the schemas (default: marts) of either warehouse it prints the row counts on
each side and how many rows of each are not in the other (multiset difference: a row repeated twice in
A and once in B counts once). A table on one side only, or with other columns (names, order or types),
is a difference too. Exit 0 when every table is identical, 1 when any differs, 2 when a file is missing.
Both files are opened read-only. `--ignore-columns` leaves named columns out of the row comparison (not
out of the column check): two builds of the same data at different times differ in `_loaded_at`, the
time the loader fetched the bytes, and in nothing else when the models give the same rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: list[str]) -> dict[tuple[str, str], list]:
    """(schema, table) -> [(column, type), ...] in column order."""
    rows = con.execute(
        """select table_schema, table_name, column_name, data_type
           from information_schema.columns
           where table_catalog = ? and list_contains(?, table_schema)
           order by table_schema, table_name, ordinal_position""",
        [catalog, schemas],
    ).fetchall()
    found: dict[tuple[str, str], list] = {}
    for schema, table, column, data_type in rows:
        found.setdefault((schema, table), []).append((column, data_type))
    return found


def compare(a: Path, b: Path, schemas: list[str], ignore: frozenset[str] = frozenset(), out=sys.stdout) -> int:
    """Print one line per table and a summary; return the number of tables that differ."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute(f"attach {duckdb_literal(a)} as side_a (read_only)")
    con.execute(f"attach {duckdb_literal(b)} as side_b (read_only)")
    left, right = tables(con, "side_a", schemas), tables(con, "side_b", schemas)
    differing = 0
    print(f"A = {a}\nB = {b}\nschemas: {', '.join(schemas)}", file=out)
    if ignore:
        print(f"rows compared without the columns: {', '.join(sorted(ignore))}", file=out)
    print(f"{'table':48} {'rows A':>10} {'rows B':>10} {'A not B':>9} {'B not A':>9}  result", file=out)
    for key in sorted(left.keys() | right.keys()):
        name = ".".join(key)
        if key not in right or key not in left:
            differing += 1
            side = "A" if key in left else "B"
            print(f"{name:48} {'':>10} {'':>10} {'':>9} {'':>9}  DIFFERENT: only in {side}", file=out)
            continue
        if left[key] != right[key]:
            differing += 1
            only_a = [c for c in left[key] if c not in right[key]]
            only_b = [c for c in right[key] if c not in left[key]]
            print(f"{name:48} {'':>10} {'':>10} {'':>9} {'':>9}  DIFFERENT: columns", file=out)
            print(f"    A only {only_a or '-'}; B only {only_b or '-'} (or another order)", file=out)
            continue
        columns = ", ".join(quote(column) for column, _ in left[key] if column not in ignore)
        relation_a = f"side_a.{quote(key[0])}.{quote(key[1])}"
        relation_b = f"side_b.{quote(key[0])}.{quote(key[1])}"
        rows_a = con.execute(f"select count(*) from {relation_a}").fetchone()[0]
        rows_b = con.execute(f"select count(*) from {relation_b}").fetchone()[0]
        a_not_b = con.execute(
            f"select count(*) from (select {columns} from {relation_a} except all select {columns} from {relation_b})"
        ).fetchone()[0]
        b_not_a = con.execute(
            f"select count(*) from (select {columns} from {relation_b} except all select {columns} from {relation_a})"
        ).fetchone()[0]
        same = rows_a == rows_b and a_not_b == 0 and b_not_a == 0
        differing += not same
        result = "identical" if same else "DIFFERENT"
        print(f"{name:48} {rows_a:>10} {rows_b:>10} {a_not_b:>9} {b_not_a:>9}  {result}", file=out)
    total = len(left.keys() | right.keys())
    if total == 0:
        print(f"no tables in schemas {', '.join(schemas)} on either side", file=out)
        return 1
    print(f"{total - differing} of {total} tables identical, {differing} different", file=out)
    return differing


def duckdb_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="first warehouse (.duckdb)")
    parser.add_argument("b", type=Path, help="second warehouse (.duckdb)")
    parser.add_argument("--schemas", default="marts", help="comma-separated schemas to compare (default: marts)")
    parser.add_argument(
        "--ignore-columns", default="", help="comma-separated columns left out of the row comparison (e.g. _loaded_at)"
    )
    args = parser.parse_args(argv)
    for path in (args.a, args.b):
        if not path.is_file():
            print(f"compare_warehouses: no DuckDB file at {path}: build it first (tradeflow demo)", file=sys.stderr)
            return 2
    schemas = [s.strip() for s in args.schemas.split(",") if s.strip()]
    ignore = frozenset(c.strip() for c in args.ignore_columns.split(",") if c.strip())
    return 1 if compare(args.a, args.b, schemas, ignore) else 0


if __name__ == "__main__":
    sys.exit(main())
