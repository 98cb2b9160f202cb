# The two commands: `make run` (a demo lane) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .demo

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/fairpos --data-dir $(DEMO_DIR) demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check fairpos tests benchmarks harness
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Pilot waits ~40 ms of wall time per key, mostly asleep: four workers overlap the waiting.
test: lint
	$(BIN)/pytest -q -n 6 --dist worksteal

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/confirm_sale.py
	$(BIN)/python benchmarks/season_report.py
	$(BIN)/python -m benchmarks.till_keys --compare-draft
	$(BIN)/python -m benchmarks.till_keys --printer-backlog 200
	$(BIN)/python -m benchmarks.till_keys --sync-backlog 5000
	$(BIN)/python -m benchmarks.receipts
	$(BIN)/python -m benchmarks.station_labels
	$(BIN)/python -m benchmarks.scale_weight
	$(BIN)/python -m benchmarks.sync
	$(BIN)/python -m benchmarks.fair_day --json benchmarks/out/fair_day.json

clean:
	rm -rf $(VENV) $(DEMO_DIR)
