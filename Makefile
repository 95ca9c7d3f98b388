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

.PHONY: help setup setup-spark demo run test lint docs clean seeds report bench

help: ## List the targets
	@echo "tradeflow: trade-flow data warehouse (Russia, Central Asia, EU, sanctions re-routing)"
	@echo
	@echo "Quickstart:  make demo   (build the warehouse on the bundled data, no network)"
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

demo: setup ## Build the warehouse from the bundled snapshot (offline) into warehouse/tradeflow.duckdb, then the report
	$(BIN)/tradeflow demo
	$(BIN)/tradeflow report

report: setup ## Write the HTML report of the marts (reports/index.html; opens offline in a browser)
	$(BIN)/tradeflow report

run: setup ## Nightly refresh against the live sources (needs network; API keys from the environment)
	$(BIN)/tradeflow refresh

test: setup setup-spark ## Run every test offline (pytest: Python tests, the dbt build on DuckDB and the parity build on Spark)
	$(BIN)/python -m pytest

lint: setup ## ruff on Python, sqlfluff on the dbt models
	$(BIN)/ruff check extract tradeflow tests bench scripts
	$(BIN)/ruff format --check extract tradeflow tests bench scripts
	$(BIN)/sqlfluff lint models

docs: setup ## Generate the dbt docs site offline into target/ (open target/index.html)
	$(BIN)/tradeflow docs

seeds: setup ## Regenerate seeds/*.csv from the reference files in data/reference
	$(BIN)/tradeflow build-seeds

bench: setup ## Benchmarks, not part of make test (BENCH_SCALES=1m,10m[,50m] BENCH_DIR=/tmp/tradeflow-bench)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	nice -n 10 $(BIN)/python -m bench --scales $${BENCH_SCALES:-1m,10m} --work-dir $${BENCH_DIR:-/tmp/tradeflow-bench}

clean: ## Remove the venv, the warehouse, landing files and dbt artefacts
	rm -rf $(VENV) $(SPARK_VENV) warehouse landing target logs reports dbt_packages .pytest_cache .ruff_cache
