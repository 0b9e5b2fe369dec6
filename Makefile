# Two commands on a fresh machine with Python >= 3.11 and make:
#   make demo   the Stutterfly staffing report on the default scenario (creates .venv first)
#   make test   ruff, mypy --strict on capsim/ (settings in pyproject.toml), the test suite
#   make docs   the documentation site in site/ (mkdocs, warnings are errors)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs clean loops

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# the compiled loops built ahead of time for the current sources (skipped when built;
# without a C compiler numba compiles them on first use instead: same numbers, slower start)
loops: $(STAMP)
	$(BIN)/python -m capsim.loops --if-stale

demo: loops
	$(BIN)/capsim report experiments/stutterfly.toml --out reports/stutterfly

test: loops
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check .

bench: loops
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_engines.py
	$(BIN)/python benchmarks/bench_targets.py
	$(BIN)/python benchmarks/bench_analytic.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache site
