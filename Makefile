# The two commands of the README, plus helpers for contributors.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint format bench

setup:
	bash scripts/bootstrap.sh

# Trains the examples with ExplainCallback, writes the reports and starts
# TensorBoard on 127.0.0.1 with the Explain tab ready.
demo: setup
	$(PY) examples/demo.py --logdir demo_logs --serve

# Lint, then the whole suite against the installed (non-editable) package.
test:
	bash scripts/bootstrap.sh --browser
	$(VENV)/bin/ruff check tb_explain tests examples benchmarks setup.py
	$(VENV)/bin/ruff format --check tb_explain tests examples benchmarks setup.py
	$(VENV)/bin/pytest -q -p no:cacheprovider tests

lint:
	$(VENV)/bin/ruff check tb_explain tests examples benchmarks setup.py
	$(VENV)/bin/ruff format --check tb_explain tests examples benchmarks setup.py

format:
	$(VENV)/bin/ruff format tb_explain tests examples benchmarks setup.py
	$(VENV)/bin/ruff check --fix tb_explain tests examples benchmarks setup.py

bench:
	$(PY) benchmarks/attribution_speed.py
	$(PY) benchmarks/callback_overhead.py
	$(PY) benchmarks/plugin_latency.py
	$(PY) benchmarks/report_size.py
