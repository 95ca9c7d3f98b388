"""Helpers shared by the tests (fixtures live in conftest.py). No test module imports another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import polars as pl

from extract.config import load_config

PROJECT_DIR = Path(__file__).resolve().parent.parent
TRADEFLOW = str(Path(sys.executable).with_name("tradeflow"))


def run_tradeflow(*args: str, env: dict[str, str] | None = None, check: bool = True):
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [TRADEFLOW, *args], cwd=PROJECT_DIR, env=full_env, text=True, capture_output=True, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"tradeflow {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def toml_dump(data: dict, relative_to: Path = PROJECT_DIR / "config") -> str:
    """Enough TOML for our configs: tables of scalars and lists.

    The data comes from a file in `relative_to` (config/demo.toml) and the text goes elsewhere (tmp_path):
    its relative paths (`../data/...`, resolved against the configuration file's folder) are written
    absolute, so the copy names the same files from any folder."""
    lines: list[str] = []

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, str) and v.startswith(("./", "../")):
            return json.dumps(str((relative_to / v).resolve()))
        return json.dumps(str(v))

    def table(prefix: str, d: dict):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {value(v)}" for k, v in scalars.items())
        for k, v in d.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines) + "\n"


def env_for(root: Path, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRADEFLOW_DB": str(root / "tradeflow.duckdb"),
        "TRADEFLOW_LANDING": str(root / "landing"),
        "TRADEFLOW_LOG_DIR": str(root / "logs"),
        **more,
    }


def refresh(
    root: Path, config: Path, check: bool = True, args: tuple[str, ...] = (), **more: str
) -> subprocess.CompletedProcess:
    """`tradeflow refresh --config CONFIG [ARGS]` into the warehouse under `root`; env overrides in `more`."""
    proc = subprocess.run(
        [TRADEFLOW, "refresh", "--config", str(config), *args],
        cwd=PROJECT_DIR,
        env=env_for(root, **more),
        text=True,
        capture_output=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"refresh failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def marts_snapshot(db: Path) -> dict[str, list]:
    """Every mart's rows, sorted, plus the raw tables' rows without load times."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'raw') and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall():
            cols = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if c not in ("_loaded_at",)
            ]
            col_list = ", ".join(f'"{c}"' for c in cols)
            out[f"{schema}.{table}"] = con.execute(f'select {col_list} from {schema}."{table}" order by all').fetchall()
        return out


def write_cassette(directory: Path, interactions: list[tuple[str, int, dict, bytes]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (url, status, headers, body) in enumerate(interactions):
        name = f"{i:03d}.body"
        (directory / name).write_bytes(body)
        entries.append(
            {
                "request": {"method": "GET", "url": url},
                "response": {"status": status, "headers": headers, "body_file": name},
            }
        )
    (directory / "cassette.json").write_text(json.dumps({"version": 1, "interactions": entries}))
    return directory


JSON = {"Content-Type": "application/json"}


COMEXT_SNIPPET = PROJECT_DIR / "config" / "snippets" / "eurostat_comext.toml"


def toml_value(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, str | Path):
        return json.dumps(str(v))
    return str(v)


def config_folder(tmp_path: Path) -> Path:
    """A folder like config/ for a test's configuration: beside it `data` (a link to the repository's data),
    so that the snippets' relative paths (../data/...) resolve from it as they do from config/."""
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    if not (tmp_path / "data").exists():
        (tmp_path / "data").symlink_to(PROJECT_DIR / "data", target_is_directory=True)
    return folder


def comext_config(tmp_path: Path, cassettes: list[Path], **overrides):
    """Eurostat Comext: the snippet's [sources.eurostat_comext] (with overrides; None drops a key) under a replay [run]."""
    settings = tomllib.loads(COMEXT_SNIPPET.read_text())["sources"]["eurostat_comext"]
    for k, v in overrides.items():
        if v is None:
            settings.pop(k, None)
        else:
            settings[k] = v
    lines = ["[run]", 'mode = "replay"', f"cassettes = {toml_value(cassettes)}", "lookback_periods = 0", ""]
    lines += ["[sources.eurostat_comext]"] + [f"{k} = {toml_value(v)}" for k, v in settings.items()]
    folder = config_folder(tmp_path)
    path = folder / f"config_{len(list(folder.glob('config_*.toml')))}.toml"
    path.write_text("\n".join(lines) + "\n")
    return load_config(path)


def marts_tables(con) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
    ]


def published_agrees(db: Path) -> str:
    """The published DuckDB file and the Parquet export are one version, intact (checksums), with the
    same rows in every mart; returns that version."""
    from tradeflow import publish

    layout = publish.Layout(db)
    version = publish.published_version(layout)
    assert version, f"nothing is published at {db}"
    assert publish.problem_of(layout, version) is None
    assert Path(os.path.realpath(db)) == layout.version_db(version).resolve()
    pq = layout.parquet / "current"
    assert Path(os.path.realpath(pq)) == (layout.version_dir(version) / "parquet").resolve()
    with duckdb.connect(str(db), read_only=True) as con:
        tables = marts_tables(con)
        assert sorted(p.stem for p in pq.glob("*.parquet")) == tables
        for t in tables:
            f = str(pq / f"{t}.parquet")
            differ = con.execute(
                f'select (select count(*) from (select * from marts."{t}" except all select * from read_parquet(?)))'
                f' + (select count(*) from (select * from read_parquet(?) except all select * from marts."{t}"))',
                [f, f],
            ).fetchone()[0]
            assert differ == 0, f"{t}: DuckDB and Parquet differ by {differ} rows"
    return version


def publish_small_version(layout, version: str, rows: int, built_at: str) -> None:
    """A small version published through the refresh's own code (export, build record, publish)."""
    from extract import ledger
    from tradeflow import publish

    build = layout.build_db(version)
    build.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.flows as select range as id, range * 1.5 as value from range(?)", [rows])
        ledger.record_build(
            con,
            version=version,
            run_id=version,
            config="test",
            steps={},
            extract={},
            project_fingerprint="test",
            full_refresh=True,
        )
    publish.export_parquet(build, build.parent / "parquet")
    publish.publish(layout, version, {"run_id": version, "built_at": built_at})


# ------------------------------------------------ readers of the bundled source files, for recomputations without dbt

COMEXT_FILES = PROJECT_DIR / "data" / "files" / "eurostat_comext"
ECB_ANNUAL = (
    PROJECT_DIR / "data" / "recordings" / "ecb" / "constructed_exr_usd_eur_m_2020_a_2010_2024" / "a_2010_2024.csv"
)
EU27_LABEL = "European Union - 27 countries"


def kg_nsc_thousand_usd(path) -> pl.DataFrame:
    """The Kyrgyz NSC workbook as (partner_label_en, year, value_thousand_usd); '-' is missing."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
    header_at = next(i for i, r in enumerate(rows) if isinstance(r[3], int | float) and 1990 < r[3] < 2100)
    years = {i: int(str(c).split()[0]) for i, c in enumerate(rows[header_at]) if i >= 3 and c is not None}
    records = [
        {
            "partner_label_en": r[2].strip(),
            "year": year,
            "value_thousand_usd": float(r[i]) if isinstance(r[i], int | float) else None,
        }
        for r in rows[header_at + 1 :]
        if isinstance(r[2], str)
        for i, year in years.items()
    ]
    return pl.DataFrame(records)


def ecb_annual_usd_per_eur(year: int) -> float:
    rates = pl.read_csv(ECB_ANNUAL, infer_schema=False).filter(pl.col("TIME_PERIOD") == str(year))
    return float(rates["OBS_VALUE"].item())


def comext_eu27_eur(name: str, partner: str, period_contains: str) -> float:
    """The EU27 aggregate's value in a Comext file; rows repeated verbatim count once, as the loader does."""
    rows = (
        pl.read_csv(COMEXT_FILES / name, infer_schema=False)
        .filter(
            pl.col("REPORTER").str.starts_with(EU27_LABEL)
            & (pl.col("PARTNER") == partner)
            & pl.col("PERIOD").str.contains(period_contains, literal=True)
        )
        .unique()
    )
    assert rows.height == 1, rows
    return float(rows["VALUE_IN_EUR"].item())
