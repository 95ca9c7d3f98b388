"""The same dbt project on Apache Spark, and the parity check against DuckDB.

Spark runs in its own environment (.venv-spark, `make setup-spark`): this module never imports
pyspark; it drives that environment's dbt as a subprocess, as tradeflow.dbt does for DuckDB.

    export_raw_layer(db, raw_root)     the raw and ops tables of a DuckDB warehouse as Parquet,
                                       <raw_root>/<schema>/<table>/ (what the spark target reads)
    build_on_spark(raw_root, work)     dbt build --target spark, then every mart as Parquet under
                                       <work>/marts/<version>/<table>/, switched in atomically
                                       (<work>/marts/current)
    compare_marts(db, marts_dir, skipped=build.skipped)
                                       every mart of the DuckDB file against the Spark one: EXCEPT ALL
                                       both ways, money to the cent, other floating values to 1e-9; a
                                       mart the spark target does not build is reported skipped, with why
    parity_summary(...)                that comparison as text, one line per mart
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from extract.errors import TradeflowError
from extract.settings import PROJECT_DIR
from tradeflow.dbt import run_dbt

RAW_SCHEMAS = ("raw", "ops")
# Floating columns compared to the cent: money (value_usd, baseline_eur, ...) and weights.
MONEY_COLUMN = re.compile(r"(_usd|_eur|_weight_kg)$")
MONEY_DECIMALS = 2
RATIO_DECIMALS = 9
FLOATING = ("DOUBLE", "FLOAT", "REAL")


class SparkUnavailable(TradeflowError):
    """The Spark environment (.venv-spark or Java) is missing."""


def spark_venv() -> Path:
    return Path(os.environ.get("TRADEFLOW_SPARK_VENV", PROJECT_DIR / ".venv-spark"))


def spark_home() -> Path:
    """The Spark distribution inside the pyspark package of .venv-spark (bin/, jars/, sbin/)."""
    found = sorted((spark_venv() / "lib").glob("python3*/site-packages/pyspark/jars"))
    if not found:
        raise SparkUnavailable(f"no pyspark in {spark_venv()}; run `make setup-spark`")
    return found[-1].parent


def spark_dbt() -> Path:
    dbt = spark_venv() / "bin" / "dbt"
    if not dbt.exists():
        raise SparkUnavailable(f"{dbt}: no dbt-spark environment; run `make setup-spark` (Java 17 and .venv-spark)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable("no java on PATH and no JAVA_HOME: run `make setup-spark` (installs Debian's JRE)")
    return dbt


def _write_aside_and_swap(final: Path, write) -> None:
    """Write a directory next to `final`, then rename it into place (the old one goes only after)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir()
        write(tmp)
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def export_raw_layer(db: Path, raw_root: Path) -> dict[str, int]:
    """Every table of schemas raw and ops in `db` as <raw_root>/<schema>/<table>/part-0.parquet.

    Each schema's folder is written aside and renamed into place, so a reader never sees half a
    layer. Returns the row count of each table (`schema.table`).
    """
    counts: dict[str, int] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for schema in RAW_SCHEMAS:
            tables = [
                t
                for (t,) in con.execute(
                    "select table_name from information_schema.tables where table_schema = ? "
                    "and table_type = 'BASE TABLE' order by 1",
                    [schema],
                ).fetchall()
            ]

            def write(folder: Path, schema=schema, tables=tables) -> None:
                for table in tables:
                    (folder / table).mkdir()
                    target = str(folder / table / "part-0.parquet").replace("'", "''")
                    con.execute(f"copy {schema}.\"{table}\" to '{target}' (format parquet)")
                    counts[f"{schema}.{table}"] = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]

            _write_aside_and_swap(Path(raw_root) / schema, write)
    return counts


def spark_env(raw_root: Path, work_dir: Path, master: str | None = None) -> dict[str, str]:
    """Environment for dbt's spark target: where the raw layer is, where Spark keeps its metastore."""
    env = {
        "TRADEFLOW_TARGET": "spark",
        "TRADEFLOW_RAW_ROOT": str(Path(raw_root).resolve()),
        "TRADEFLOW_SPARK_DIR": str(Path(work_dir).resolve()),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
    }
    if master:
        env["TRADEFLOW_SPARK_MASTER"] = master
    if "SPARK_LOCAL_IP" not in os.environ and (master is None or "127.0.0.1" in master or master.startswith("local")):
        env["SPARK_LOCAL_IP"] = "127.0.0.1"  # a local build binds to loopback, not the host's address
    return env


@dataclass
class SparkBuild:
    marts_dir: Path
    version: str
    output: str = field(repr=False, default="")
    # marts the spark target does not build (disabled there) -> why (None: no reason given)
    skipped: dict[str, str | None] = field(default_factory=dict)


SKIP_REASON_KEY = "skipped_on_spark"


def skipped_on_spark(manifest: Path, schema: str = "marts") -> dict[str, str | None]:
    """The models of `schema` that a build's manifest lists as disabled, each with its reason.

    The reason is the model's `meta.skipped_on_spark` (dbt_project.yml); None where a model is
    disabled without one (compare_marts counts that as a difference, never as a silent skip).
    """
    data = json.loads(Path(manifest).read_text())
    found: dict[str, str | None] = {}
    for versions in data.get("disabled", {}).values():
        for node in versions:
            if node.get("resource_type") != "model" or node.get("schema") != schema:
                continue
            meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
            reason = meta.get(SKIP_REASON_KEY)
            found[node.get("alias") or node["name"]] = " ".join(str(reason).split()) if reason else None
    return found


def build_on_spark(
    raw_root: Path,
    work_dir: Path,
    *,
    master: str | None = None,
    select: list[str] | None = None,
    timeout: float | None = None,
) -> SparkBuild:
    """`dbt build --target spark` over the raw layer at `raw_root`, then the marts as Parquet.

    Spark's metastore and tables live in `work_dir`; the marts land in <work_dir>/marts/<version>/,
    and <work_dir>/marts/current is switched to it only once every mart is written.
    """
    work_dir = Path(work_dir)
    dbt = str(spark_dbt())
    env = spark_env(raw_root, work_dir, master)
    target_path = work_dir / "target"
    args = ["build", "--target", "spark"] + (["--select", *select] if select else [])
    output = run_dbt(args, capture=True, target_path=target_path, executable=dbt, env=env, timeout=timeout)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    marts_root = work_dir / "marts"
    version_dir = marts_root / version
    version_dir.parent.mkdir(parents=True, exist_ok=True)
    export_args = ["run-operation", "export_marts", "--target", "spark", "--args", f"{{path: '{version_dir}'}}"]
    output += run_dbt(export_args, capture=True, target_path=target_path, executable=dbt, env=env, timeout=timeout)
    link = marts_root / "current"
    tmp = marts_root / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(version, tmp)
    os.replace(tmp, link)
    skipped = skipped_on_spark(target_path / "manifest.json")
    return SparkBuild(marts_dir=version_dir, version=version, output=output, skipped=skipped)


@dataclass
class MartDifference:
    mart: str
    problem: str
    only_duckdb: int = 0
    only_spark: int = 0
    examples: list[tuple] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.mart}: {self.problem}"
        if self.only_duckdb or self.only_spark:
            text += f" ({self.only_duckdb} rows only on DuckDB, {self.only_spark} only on Spark"
            if self.examples:
                text += f"; e.g. {self.examples[0]}"
            text += ")"
        return text


def _normalised(column: str, data_type: str) -> str:
    quoted = f'"{column}"'
    if data_type.upper() in FLOATING:
        digits = MONEY_DECIMALS if MONEY_COLUMN.search(column) else RATIO_DECIMALS
        return f"round({quoted}, {digits}) as {quoted}"
    return quoted


def compare_marts(
    db: Path,
    marts_dir: Path,
    schema: str = "marts",
    skipped: dict[str, str | None] | None = None,
) -> tuple[dict[str, int], list[MartDifference], dict[str, str]]:
    """Compare every table of `schema` in the DuckDB file with <marts_dir>/<table>/*.parquet.

    Returns (rows per mart, differences). Columns are matched by name (Spark puts partition columns
    last) and the Spark side is cast to the DuckDB type; floating columns are rounded first (money and
    weights to 2 decimals, ratios and indexes to 9). A mart missing on either side, a column missing,
    or a row on one side only (EXCEPT ALL, both ways, duplicates counted) is a difference.

    `skipped` (SparkBuild.skipped): marts the spark target does not build, each with its reason. Such
    a mart is not compared and comes back in the third value (mart -> reason); one skipped without a
    reason, or skipped and yet found on Spark, is a difference. Returns (rows per compared mart,
    differences, skipped marts).
    """
    skipped = dict(skipped or {})
    reported_skips: dict[str, str] = {}
    marts_dir = Path(marts_dir)
    counts: dict[str, int] = {}
    problems: list[MartDifference] = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_type = 'BASE TABLE' order by 1",
                [schema],
            ).fetchall()
        ]
        spark_tables = sorted(p.name for p in marts_dir.iterdir() if p.is_dir()) if marts_dir.is_dir() else []
        for extra in sorted(set(spark_tables) - set(tables)):
            problems.append(MartDifference(extra, "built on Spark, not on DuckDB"))
        for table in tables:
            if table in skipped:
                reason = skipped[table]
                if (marts_dir / table).is_dir():
                    problems.append(MartDifference(table, "disabled on the spark target, yet built on Spark"))
                elif not reason:
                    problems.append(
                        MartDifference(table, f"not built on Spark and no reason given (meta.{SKIP_REASON_KEY})")
                    )
                else:
                    reported_skips[table] = reason
                continue
            files = sorted((marts_dir / table).glob("*.parquet")) if (marts_dir / table).is_dir() else []
            if not files:
                problems.append(MartDifference(table, f"no Parquet files in {marts_dir / table}"))
                continue
            columns = con.execute(
                "select column_name, data_type from information_schema.columns where table_schema = ? "
                "and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            pattern = str(marts_dir / table / "*.parquet").replace("'", "''")
            described = con.execute(f"describe select * from read_parquet('{pattern}')").fetchall()
            spark_columns = {row[0] for row in described}
            missing = [c for c, _ in columns if c not in spark_columns]
            extra = sorted(spark_columns - {c for c, _ in columns})
            if missing or extra:
                problems.append(MartDifference(table, f"columns differ: missing on Spark {missing}, extra {extra}"))
                continue
            duck = ", ".join(_normalised(c, t) for c, t in columns)
            spark_cast = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in columns)
            con.execute(f'create or replace temp view duck_side as select {duck} from {schema}."{table}"')
            con.execute(
                f"create or replace temp view spark_side as select {duck} from "
                f"(select {spark_cast} from read_parquet('{pattern}'))"
            )
            counts[table] = con.execute("select count(*) from duck_side").fetchone()[0]
            only_duck = con.execute(
                "select count(*) from (select * from duck_side except all select * from spark_side)"
            )
            only_duck = only_duck.fetchone()[0]
            only_spark = con.execute(
                "select count(*) from (select * from spark_side except all select * from duck_side)"
            )
            only_spark = only_spark.fetchone()[0]
            # rounding puts two values an ulp apart on either side of a half cent (or of 5e-10): such
            # rows are equal within half the rounding unit, compared unrounded
            if (
                (only_duck or only_spark)
                and only_duck == only_spark
                and _unmatched_within_tolerance(con, schema, table, pattern, columns) == (0, 0)
            ):
                only_duck = only_spark = 0
            if only_duck or only_spark:
                examples = con.execute(
                    "select * from (select * from duck_side except all select * from spark_side) limit 3"
                ).fetchall()
                problems.append(MartDifference(table, "rows differ", only_duck, only_spark, examples))
    return counts, problems, reported_skips


def _tolerance(column: str) -> float:
    """Half the rounding unit of a floating column: two values this close are equal to the cent (1e-9)."""
    return 0.5 * 10.0 ** -(MONEY_DECIMALS if MONEY_COLUMN.search(column) else RATIO_DECIMALS)


def _unmatched_within_tolerance(con, schema: str, table: str, pattern: str, columns: list) -> tuple[int, int]:
    """Rows that differ after rounding, compared unrounded: how many on each side have no row on the
    other side with the same non-floating values and every floating value within _tolerance."""
    floating = [c for c, t in columns if t.upper() in FLOATING]
    exact = [c for c, t in columns if t.upper() not in FLOATING]
    spark_cast = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in columns)
    con.execute(f'create or replace temp view duck_raw as select * from {schema}."{table}"')
    con.execute(f"create or replace temp view spark_raw as select {spark_cast} from read_parquet('{pattern}')")

    def same(a: str, b: str, with_floats: bool) -> str:
        tests = [f'{a}."{c}" is not distinct from {b}."{c}"' for c in exact]
        if with_floats:
            tests += [
                f'(({a}."{c}" is null and {b}."{c}" is null) or abs({a}."{c}" - {b}."{c}") <= {_tolerance(c)!r})'
                for c in floating
            ]
        return " and ".join(tests) or "true"

    unmatched = []
    for left, right, left_rounded, right_rounded in (
        ("duck_raw", "spark_raw", "duck_side", "spark_side"),
        ("spark_raw", "duck_raw", "spark_side", "duck_side"),
    ):
        # the rows of `left` that rounding left without a partner, each looked for unrounded in `right`
        query = (
            f"with leftover as (select * from {left_rounded} except all select * from {right_rounded}) "
            f"select count(*) from {left} as a "
            f"where exists (select 1 from leftover as l where {same('a', 'l', False)}) "
            f"and not exists (select 1 from {right} as b where {same('a', 'b', True)})"
        )
        unmatched.append(con.execute(query).fetchall()[0][0])
    return unmatched[0], unmatched[1]


def parity_summary(counts: dict[str, int], problems: list[MartDifference], skipped: dict[str, str]) -> str:
    """compare_marts' result as text: one line per mart, equal, different or skipped (and why)."""
    differing = {p.mart for p in problems}
    lines = [f"{mart}: equal ({n} rows)" for mart, n in sorted(counts.items()) if mart not in differing]
    lines += [f"{mart}: skipped on Spark: {reason}" for mart, reason in sorted(skipped.items())]
    lines += [f"DIFFERENT {p}" for p in problems]
    return "\n".join(lines)
