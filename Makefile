# tradeflow: `make help` lists the targets. Every target that needs Python depends on `setup`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Spark lives in its own venv so the core environment stays light (pyspark alone is ~400 MB).
SPARK_VENV := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed

# dbt reads the committed root profiles.yml and never talks to the network.
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false

.PHONY: help setup setup-spark demo run plan test test-spark lint docs clean seeds report bench

help: ## List the targets
	@echo "tradeflow: trade-flow data warehouse (Russia, Central Asia, EU, sanctions re-routing)"
	@echo
	@echo "Quickstart:  make demo   (build the demo warehouse on the bundled data, no network)"
	@echo "             make test   (run every test, offline)"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv and install tradeflow with its dev tools (idempotent)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup-spark: $(SPARK_STAMP) ## Java 17 (Debian's JRE via apt-get when missing) and .venv-spark with the spark extra (idempotent)

$(SPARK_STAMP): pyproject.toml scripts/install-java.sh
	bash scripts/install-java.sh
	@test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[spark]'
	@touch $(SPARK_STAMP)

DEMO_DB ?= $(CURDIR)/warehouse/demo/tradeflow.duckdb
CONFIG ?= config/tradeflow.toml

demo: setup ## Build the demo's own warehouse from the bundled snapshot (offline): warehouse/demo/tradeflow.duckdb, then its report
	TRADEFLOW_DEMO_DB=$(DEMO_DB) $(BIN)/tradeflow demo
	TRADEFLOW_DB=$(DEMO_DB) $(BIN)/tradeflow report

report: setup ## Write the HTML report of the marts (reports/index.html; opens offline in a browser)
	$(BIN)/tradeflow report

run: setup ## Nightly refresh of the live warehouse (warehouse/tradeflow.duckdb) from the live sources, CONFIG=config/tradeflow.toml
	$(BIN)/tradeflow refresh --config $(CONFIG)

test: setup ## Run every test offline, about 27 min on 2 cores (pytest: Python tests, dbt builds, Chromium; the Spark parity build is make test-spark)
	@echo "make test: the whole suite takes about 27 minutes on a 2-core machine (README, Tests); prints its time at the end"
	@start=$$(date +%s); $(BIN)/python -m pytest; rc=$$?; t=$$(( $$(date +%s) - start )); \
	  echo "make test: $$(( t / 60 )) min $$(( t % 60 )) s (exit $$rc)"; exit $$rc

test-spark: setup setup-spark ## The parity test: the bundle built on Spark local[2] equals the DuckDB build, mart for mart (docs/scale-out.md)
	@start=$$(date +%s); nice -n 10 $(BIN)/python -m pytest -m spark_parity tests/spark/test_parity.py; rc=$$?; \
	  t=$$(( $$(date +%s) - start )); echo "make test-spark: $$(( t / 60 )) min $$(( t % 60 )) s (exit $$rc)"; exit $$rc

lint: setup ## ruff on Python, sqlfluff on the dbt models
	$(BIN)/ruff check extract tradeflow tests bench scripts
	$(BIN)/ruff format --check extract tradeflow tests bench scripts
	$(BIN)/sqlfluff lint models

docs: setup ## The dbt docs site as one file that opens from disk: target/tradeflow-docs.html
	$(BIN)/tradeflow docs --static

seeds: setup ## Regenerate seeds/*.csv from the reference files in data/reference
	$(BIN)/tradeflow build-seeds

bench: setup ## Benchmarks, not part of make test (BENCH_SCALES=1m,10m[,50m] BENCH_DIR=/tmp/tradeflow-bench)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	nice -n 10 $(BIN)/python -m bench --scales $${BENCH_SCALES:-1m,10m} --work-dir $${BENCH_DIR:-/tmp/tradeflow-bench}

plan: setup ## What the live refresh will cost (requests, rows, nights on the Comtrade quota), offline
	$(BIN)/tradeflow plan --config $(CONFIG) --offline

clean: ## Remove the venv, the warehouse, landing files and dbt artefacts
	rm -rf $(VENV) $(SPARK_VENV) warehouse landing target logs reports dbt_packages .pytest_cache .ruff_cache
