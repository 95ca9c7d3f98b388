"""Profile the parse + load step (the whole extract of the generated files) under cProfile.

    python -m bench.profile /tmp/tradeflow-bench/1m/files [--top 25]

Loads the month files of a generated scale into a scratch warehouse next to them (the files must exist:
`python -m bench --scales 1m --keep`), with the same extract.pipeline.extract call as the benchmark, and
prints the functions by total and cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
from pathlib import Path

from bench.memory import Timer
from bench.run import bench_config
from extract.pipeline import extract


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.profile")
    ap.add_argument("files_dir", type=Path)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)
    files = sorted(args.files_dir.glob("comext_web_export_*.csv"))
    if not files:
        ap.error(f"no comext_web_export_*.csv in {args.files_dir}")
    scratch = args.files_dir.parent / "profile_load"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    cfg = bench_config(files)
    prof = cProfile.Profile()
    with Timer() as t:
        prof.enable()
        run = extract(cfg, ["eurostat_comext"], scratch / "w.duckdb", landing=scratch / "landing", command="profile")
        prof.disable()
    print(
        f"{run.rows_loaded:,} rows, {run.partitions_loaded} partitions in {t.seconds:.1f}s "
        f"({run.rows_loaded / t.seconds:,.0f} rows/s)"
    )
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
