"""`python -m bench`: generate, load, build, query and compare at each scale; print a table, write JSON.

Per scale (work dir default /tmp/tradeflow-bench/<scale>, never the repo):
  generate     synthetic Comext web-export CSVs, one per month 2019-01..2024-11 (bench/generate.py)
  setup        the demo's other sources (ECB rates, Comtrade, IMF, national, World Bank, wiiw) through
               extract.pipeline.extract, and the empty Comext tables the staging views read
  load         extract.pipeline.extract(cfg, ['eurostat_comext']): plan (sha256 per file), fetch, land
               (zstd), parse (polars), load (DuckDB), timed as parse + load throughput
  dbt full     the refresh's first build (`dbt build --full-refresh`: seeds, models, unit and data tests)
  floor        ONE DuckDB query from the raw files (the month CSVs), and ONE from the loaded raw table
               (bench/reference.py)
  pandas       the same indicator in pandas from the raw table (skipped above --pandas-max-rows: at
               50M rows its DataFrame alone would need ~25 GB)
  mart         tradeflow's answer: a query of marts.sanctions_rerouting_indicators
  nightly      one new month (2024-12) as a new file: extract (only the new partition loads), then the
               refresh's nightly `dbt build` (tradeflow.refresh.dbt_build_args: incremental models redo the
               changed partitions and periods, data tests check them, no seed reload, no unit tests)
  spark        with --engines duckdb,spark (the default when .venv-spark exists): the same project on
               Spark local[2] beside DuckDB: the raw layer exported as Parquet (tradeflow.spark), the
               full `dbt build --target spark`, and after the nightly month the incremental build there
               (insert_overwrite by partition); Spark's time includes its JVM start (~15-60 s)
Peak memory is the RSS of this process and all its children (dbt, Spark's JVM) sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb

from bench import reference
from bench.comtrade_plan import plan as comtrade_plan
from bench.generate import Spec, file_name, generate
from bench.memory import PeakRss, Timer
from extract.config import load_config
from extract.load import ensure_table
from extract.pipeline import extract
from extract.settings import PROJECT_DIR
from extract.sources.eurostat_comext import EurostatComext
from tradeflow.dbt import run_dbt
from tradeflow.refresh import dbt_build_args
from tradeflow.spark import SparkUnavailable, export_raw_layer, spark_dbt, spark_env

SCALES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000, "50m": 50_000_000, "100m": 100_000_000}
# Spark local[2] beside DuckDB up to this many rows (--spark-max-rows): past it a 2-core machine takes hours.
SPARK_MAX_ROWS = 10_000_000
NEXT_MONTH = "2024-12"
GB = 1024**3


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / GB, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": __import__("polars").__version__,
        "dbt_target": os.environ.get("TRADEFLOW_TARGET", "dev"),
    }


def bench_config(files: list[Path]):
    """The demo configuration (replayed recordings, bundled files) with Comext replaced by the synthetic
    web-export file drops. Comext's own demo cassette and files are left out so that the EU27 figures
    come from the synthetic data alone."""
    cfg = load_config(PROJECT_DIR / "config" / "demo.toml")
    cfg.cassettes = [c for c in cfg.cassettes if "eurostat_comext" not in str(c)]
    cfg.sources["eurostat_comext"] = EurostatComext.Settings(files=[Path(f).resolve() for f in files])
    return cfg


def size_of(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def dbt_timings(target: Path, top: int = 8) -> list[dict]:
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return []
    rows = [{"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 2)} for r in results]
    rows.sort(key=lambda r: -r["seconds"])
    return rows[:top]


def profile_partition(path: Path, work: Path) -> dict:
    """Where a partition's load time goes: sha256, landing (zstd), parse, DuckDB insert, timed apart on
    one month file with the same functions the runner calls; plus the top cProfile entries of parse."""
    from extract.landing import land
    from extract.load import load_partition

    src = EurostatComext({"files": [path]})
    scratch = work / "profile"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    out = {"file": path.name}
    with Timer() as t:
        partition = src._file_partition(path)
    out["plan_sha256_s"] = t.seconds
    with Timer() as t:
        bodies = src.fetch(None, partition)
    out["read_s"] = t.seconds
    out["bytes"] = len(bodies[0].body)
    with Timer() as t:
        land(scratch / "landing", src.name, partition.dataset, partition.key, bodies[0].body, "csv", "x")
    out["land_s"] = t.seconds
    prof = cProfile.Profile()
    with Timer() as t:
        prof.enable()
        result = src.parse(partition, bodies)
        prof.disable()
    out["parse_s"] = t.seconds
    out["rows"] = result.frame.height
    con = duckdb.connect(str(scratch / "p.duckdb"))
    with Timer() as t:
        load_partition(
            con,
            source=src.name,
            dataset=src.datasets[partition.dataset],
            partition_key=partition.key,
            frame=result.frame,
            source_updated_at=partition.source_updated_at,
            fetched_at=datetime.now(),
            sha256="x",
            landing_path="x",
            run_id="bench",
        )
    out["load_duckdb_s"] = t.seconds
    con.close()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(8)
    out["parse_profile_top_tottime"] = [ln for ln in s.getvalue().splitlines() if ln.strip()][-9:]
    shutil.rmtree(scratch, ignore_errors=True)
    return out


def spark_build(d: Path, args: list[str]) -> dict:
    """One `dbt <args> --target spark` over the raw layer exported from the scale's warehouse."""
    env = spark_env(d / "spark-raw", d / "spark", master="local[2]")
    with PeakRss() as m, Timer() as t:
        run_dbt(
            [*args, "--target", "spark"],
            capture=True,
            target_path=d / "spark" / "target",
            executable=str(spark_dbt()),
            env=env,
        )
    return {"seconds": t.seconds, "peak_rss_gb": m.peak / GB, "slowest_nodes": dbt_timings(d / "spark" / "target")}


def spark_export(wh: Path, d: Path) -> dict:
    with PeakRss() as m, Timer() as t:
        counts = export_raw_layer(wh, d / "spark-raw")
    return {"seconds": t.seconds, "peak_rss_gb": m.peak / GB, "rows": sum(counts.values())}


def bench_scale(
    name: str,
    rows: int,
    work: Path,
    seed: int,
    keep: bool,
    pandas_max_rows: int = 20_000_000,
    spark: bool = False,
) -> dict:
    d = work / name
    shutil.rmtree(d, ignore_errors=True)
    files_dir, wh, landing, target = d / "files", d / "warehouse.duckdb", d / "landing", d / "target"
    r: dict = {"scale": name, "target_rows": rows}

    log(f"{name}: generating ~{rows:,} rows into {files_dir}")
    with Timer() as t:
        gen = generate(Spec(rows=rows, seed=seed), files_dir)
    files = sorted(Path(f) for f in gen.files)
    r.update(
        generated_rows=gen.rows,
        generated_files=len(files),
        generate_s=t.seconds,
        csv_bytes=sum(f.stat().st_size for f in files),
    )
    log(f"{name}: {gen.rows:,} rows in {len(files)} files, {r['csv_bytes'] / GB:.2f} GB, {t.seconds:.1f}s")

    cfg = bench_config(files)
    others = [n for n in cfg.enabled_sources() if n != "eurostat_comext"]
    with Timer() as t:
        setup_run = extract(cfg, others, wh, landing=landing, command="bench setup")
    con = duckdb.connect(str(wh))
    for ds in ("sdmx", "cn8_exports", "hs6_exports_eu27", "sanctioned_total"):
        ensure_table(con, "eurostat_comext", EurostatComext.datasets[ds])
    con.close()
    r["setup_other_sources"] = {"seconds": t.seconds, "rows": setup_run.rows_loaded, "sources": others}

    log(f"{name}: parse + load through extract.pipeline.extract")
    with PeakRss() as m, Timer() as t:
        run = extract(cfg, ["eurostat_comext"], wh, landing=landing, command="bench load")
    assert not run.errors, run.errors
    r["load"] = {
        "seconds": t.seconds,
        "rows": run.rows_loaded,
        "partitions": run.partitions_loaded,
        "rows_per_s": run.rows_loaded / t.seconds,
        "peak_rss_gb": m.peak / GB,
    }
    log(f"{name}: loaded {run.rows_loaded:,} rows in {t.seconds:.1f}s = {run.rows_loaded / t.seconds:,.0f} rows/s")

    log(f"{name}: dbt build (full)")
    with PeakRss() as m, Timer() as t:
        run_dbt(dbt_build_args(project_changed=True), db_path=wh, capture=True, target_path=target)
    r["dbt_full"] = {"seconds": t.seconds, "peak_rss_gb": m.peak / GB, "slowest_nodes": dbt_timings(target)}
    r["warehouse_gb_after_full"] = size_of(wh) / GB
    log(f"{name}: dbt full build {t.seconds:.1f}s, peak {m.peak / GB:.2f} GB, warehouse {size_of(wh) / GB:.2f} GB")
    r["spark"] = None
    if spark:
        log(f"{name}: Spark local[2]: raw layer as Parquet, dbt build --target spark (full)")
        r["spark"] = {"export": spark_export(wh, d), "full": spark_build(d, dbt_build_args(project_changed=True))}
        log(f"{name}: Spark export {r['spark']['export']['seconds']:.1f}s, full {r['spark']['full']['seconds']:.1f}s")

    with PeakRss() as m, Timer() as t:
        floor_files_frame = reference.floor_files(duckdb.connect(), files)
    r["floor_files"] = {"seconds": t.seconds, "rows": floor_files_frame.height, "peak_rss_gb": m.peak / GB}
    log(f"{name}: floor from the raw files {t.seconds:.1f}s")

    con = duckdb.connect(str(wh), read_only=True)
    reference.floor(con)  # warm the OS page cache once; every timed query below reads the same file
    with PeakRss() as m, Timer() as t:
        floor_frame = reference.floor(con)
    r["floor"] = {"seconds": t.seconds, "rows": floor_frame.height, "peak_rss_gb": m.peak / GB}
    with Timer() as t:
        mart_frame = reference.mart(con)
    r["mart_query"] = {"seconds": t.seconds, "rows": mart_frame.height}
    r["floor_vs_mart"] = reference.compare(floor_frame, mart_frame)
    r["floor_files"]["matches_floor"] = floor_files_frame.sort("partner", "product_scope", "year").equals(
        floor_frame.sort("partner", "product_scope", "year")
    )
    try:
        import pandas  # noqa: F401

        if rows > pandas_max_rows:
            raise ImportError(f"pandas skipped above {pandas_max_rows:,} rows")

        with PeakRss() as m, Timer() as t:
            pdf = reference.pandas_indicator(con)
        r["pandas"] = {
            "seconds": t.seconds,
            "rows": len(pdf),
            "peak_rss_gb": m.peak / GB,
            "matches_floor": _same(pdf, floor_frame),
        }
        del pdf
    except ImportError:
        r["pandas"] = None
    con.close()
    log(
        f"{name}: floor {r['floor']['seconds']:.2f}s, mart query {r['mart_query']['seconds']:.3f}s, "
        + (f"pandas {r['pandas']['seconds']:.2f}s" if r["pandas"] else "pandas skipped")
    )

    log(f"{name}: nightly with one new month ({NEXT_MONTH})")
    new = generate(Spec(rows=rows, seed=seed), files_dir, months=[NEXT_MONTH])
    cfg = bench_config([*files, files_dir / file_name(NEXT_MONTH)])
    with PeakRss() as m1, Timer() as t1:
        run = extract(cfg, ["eurostat_comext"], wh, landing=landing, command="bench nightly")
    with PeakRss() as m2, Timer() as t2:
        run_dbt(dbt_build_args(project_changed=False), db_path=wh, capture=True, target_path=target)
    r["nightly"] = {
        "new_rows": new.rows,
        "extract_s": t1.seconds,
        "partitions_loaded": run.partitions_loaded,
        "partitions_skipped": run.partitions_skipped,
        "rows_loaded": run.rows_loaded,
        "dbt_s": t2.seconds,
        "peak_rss_gb": max(m1.peak, m2.peak) / GB,
        "slowest_nodes": dbt_timings(target),
    }
    r["warehouse_gb_after_nightly"] = size_of(wh) / GB
    if spark:
        r["spark"]["nightly_export"] = spark_export(wh, d)
        r["spark"]["nightly"] = spark_build(d, dbt_build_args(project_changed=False))
        log(
            f"{name}: Spark nightly export {r['spark']['nightly_export']['seconds']:.1f}s, dbt {r['spark']['nightly']['seconds']:.1f}s"
        )
    log(
        f"{name}: nightly extract {t1.seconds:.1f}s ({run.partitions_loaded} loaded, {run.partitions_skipped} "
        f"skipped), dbt {t2.seconds:.1f}s"
    )

    r["profile_one_partition"] = profile_partition(files[len(files) // 2], d)
    r["peak_rss_gb"] = max(
        r["load"]["peak_rss_gb"],
        r["dbt_full"]["peak_rss_gb"],
        r["nightly"]["peak_rss_gb"],
        r["pandas"]["peak_rss_gb"] if r["pandas"] else 0,
    )
    if r["spark"]:
        sp = r["spark"]
        sp["peak_rss_gb"] = max(sp[k]["peak_rss_gb"] for k in ("export", "full", "nightly_export", "nightly"))
        sp["load_plus_full_over_floor_files"] = (
            r["load"]["seconds"] + sp["export"]["seconds"] + sp["full"]["seconds"]
        ) / r["floor_files"]["seconds"]
        sp["full_over_duckdb_full"] = sp["full"]["seconds"] / r["dbt_full"]["seconds"]
        sp["nightly_over_full_pct"] = (
            100
            * (r["nightly"]["extract_s"] + sp["nightly_export"]["seconds"] + sp["nightly"]["seconds"])
            / (r["load"]["seconds"] + sp["export"]["seconds"] + sp["full"]["seconds"])
        )
    _ratios(r)
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
    return r


def _same(pdf, floor_frame) -> bool:
    import polars as pl

    p = pl.from_pandas(pdf[["partner", "product_scope", "year", "index_vs_baseline"]])
    f = floor_frame.select("partner", "product_scope", "year", "index_vs_baseline")
    j = f.join(p, on=["partner", "product_scope", "year"], how="full", coalesce=True)
    if j.height != f.height or j.height != p.height:
        return False
    return bool(
        (
            (j["index_vs_baseline"] - j["index_vs_baseline_right"]).abs() <= 1e-9 * j["index_vs_baseline"].abs() + 1e-9
        ).all()
    )


def _ratios(r: dict) -> None:
    full, floor = r["dbt_full"]["seconds"], r["floor"]["seconds"]
    r["ratios"] = {
        "load_plus_dbt_full_over_floor_files": (full + r["load"]["seconds"]) / r["floor_files"]["seconds"],
        "dbt_full_over_floor": full / floor,
        "load_plus_dbt_full_over_floor": (full + r["load"]["seconds"]) / floor,
        "nightly_over_full_pct": 100
        * (r["nightly"]["extract_s"] + r["nightly"]["dbt_s"])
        / (r["load"]["seconds"] + full),
        "nightly_dbt_over_full_dbt_pct": 100 * r["nightly"]["dbt_s"] / full,
    }
    if r["pandas"]:
        p = r["pandas"]["seconds"]
        r["ratios"].update(
            pandas_over_mart_query=p / r["mart_query"]["seconds"],
            pandas_over_floor=p / floor,
            pandas_over_dbt_full=p / full,
            pandas_over_nightly_dbt=p / r["nightly"]["dbt_s"],
        )


def _ratio(r: dict, key: str, fmt: str) -> str:
    return fmt.format(r["ratios"][key]) if key in r["ratios"] else "-"


def table(results: list[dict]) -> str:
    cols = [
        ("scale", lambda r: r["scale"]),
        ("rows", lambda r: f"{r['load']['rows']:,}"),
        ("load s", lambda r: f"{r['load']['seconds']:.1f}"),
        ("rows/s", lambda r: f"{r['load']['rows_per_s']:,.0f}"),
        ("dbt full s", lambda r: f"{r['dbt_full']['seconds']:.1f}"),
        ("floor files s", lambda r: f"{r['floor_files']['seconds']:.1f}"),
        ("(load+full)/floor files", lambda r: f"{r['ratios']['load_plus_dbt_full_over_floor_files']:.1f}x"),
        ("floor table s", lambda r: f"{r['floor']['seconds']:.2f}"),
        ("full/floor table", lambda r: f"{r['ratios']['dbt_full_over_floor']:.0f}x"),
        ("pandas s", lambda r: f"{r['pandas']['seconds']:.2f}" if r["pandas"] else "-"),
        ("mart q s", lambda r: f"{r['mart_query']['seconds']:.3f}"),
        ("pandas/mart", lambda r: _ratio(r, "pandas_over_mart_query", "{:.0f}x")),
        ("pandas/full", lambda r: _ratio(r, "pandas_over_dbt_full", "{:.2f}x")),
        ("pandas/nightly", lambda r: _ratio(r, "pandas_over_nightly_dbt", "{:.2f}x")),
        ("nightly s", lambda r: f"{r['nightly']['extract_s']:.1f}+{r['nightly']['dbt_s']:.1f}"),
        ("nightly/full", lambda r: f"{r['ratios']['nightly_over_full_pct']:.0f}%"),
        ("peak GB", lambda r: f"{r['peak_rss_gb']:.2f}"),
        ("wh GB", lambda r: f"{r['warehouse_gb_after_nightly']:.2f}"),
        ("spark export s", lambda r: f"{r['spark']['export']['seconds']:.1f}" if r.get("spark") else "-"),
        ("spark full s", lambda r: f"{r['spark']['full']['seconds']:.1f}" if r.get("spark") else "-"),
        ("spark/duckdb full", lambda r: f"{r['spark']['full_over_duckdb_full']:.1f}x" if r.get("spark") else "-"),
        (
            "spark (load+full)/floor files",
            lambda r: f"{r['spark']['load_plus_full_over_floor_files']:.1f}x" if r.get("spark") else "-",
        ),
        ("spark nightly s", lambda r: f"{r['spark']['nightly']['seconds']:.1f}" if r.get("spark") else "-"),
        ("spark nightly/full", lambda r: f"{r['spark']['nightly_over_full_pct']:.0f}%" if r.get("spark") else "-"),
        ("spark peak GB", lambda r: f"{r['spark']['peak_rss_gb']:.2f}" if r.get("spark") else "-"),
    ]
    rows = [[h for h, _ in cols]] + [[f(r) for _, f in cols] for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default=os.environ.get("BENCH_SCALES", "1m,10m"))
    ap.add_argument("--work-dir", type=Path, default=Path(os.environ.get("BENCH_DIR", "/tmp/tradeflow-bench")))
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--keep", action="store_true", help="keep each scale's files and warehouse")
    ap.add_argument("--skip-comtrade", action="store_true")
    ap.add_argument(
        "--pandas-max-rows", type=int, default=20_000_000, help="skip the pandas reference above this many rows"
    )
    ap.add_argument(
        "--engines",
        default=os.environ.get("BENCH_ENGINES", ""),
        help="duckdb or duckdb,spark (default: duckdb,spark when make setup-spark has run)",
    )
    ap.add_argument(
        "--spark-max-rows", type=int, default=SPARK_MAX_ROWS, help="build on Spark only up to this many rows"
    )
    args = ap.parse_args(argv)
    engines = {e.strip() for e in args.engines.split(",") if e.strip()}
    if not engines:
        try:
            spark_dbt()
            engines = {"duckdb", "spark"}
        except SparkUnavailable as exc:
            log(f"Spark skipped: {exc}")
            engines = {"duckdb"}
    if not engines <= {"duckdb", "spark"} or "duckdb" not in engines:
        ap.error(f"--engines {args.engines}: duckdb, optionally with spark")
    work = args.work_dir.resolve()
    if work == PROJECT_DIR or PROJECT_DIR in work.parents:
        ap.error(f"--work-dir {work} is inside the repository; choose a directory outside it")
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TRADEFLOW_LOG_DIR", str(work / "logs"))
    scales = [s.strip().lower() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        ap.error(f"unknown scale(s) {unknown}; known: {', '.join(SCALES)}")
    started = datetime.now()
    out = {"date": started.date().isoformat(), "started": started.isoformat(timespec="seconds")}
    out.update(machine=machine(), seed=args.seed, scales=[])
    name = f"{started:%Y-%m-%dT%H%M}.json"
    results_path = work / "results" / name
    copy_path = PROJECT_DIR / "bench" / "results" / name

    def save() -> None:
        for p in (results_path, copy_path):
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(out, indent=2, default=str) + "\n")

    if not args.skip_comtrade:
        log("comtrade: planner vs naive")
        out["comtrade_plan"] = comtrade_plan()
        save()
    for s in scales:
        t0 = time.perf_counter()
        with_spark = "spark" in engines and SCALES[s] <= args.spark_max_rows
        out["scales"].append(
            bench_scale(s, SCALES[s], work, args.seed, args.keep, args.pandas_max_rows, spark=with_spark)
        )
        out["scales"][-1]["wall_s"] = time.perf_counter() - t0
        save()
    print()
    print(
        f"tradeflow bench {out['date']}  {out['machine']['nproc']} cores, {out['machine']['ram_gb']} GB, "
        f"{out['machine']['cpu']}"
    )
    print(table(out["scales"]))
    if "comtrade_plan" in out:
        c = out["comtrade_plan"]
        print(
            f"\ncomtrade calls: naive {c['naive']['calls']:,}; "
            + "; ".join(
                f"{v} {c[v]['calls']:,} ({c[v]['fewer_calls_than_naive']:.1f}x fewer, {c[v]['capped_calls']} capped, "
                f"mean fill {c[v]['mean_fill']:.0%})"
                for v in ("planner_before", "planner", "planner_rerun", "density_estimate_x1.5")
            )
        )
    print(f"\nJSON: {results_path} (copy: {copy_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
