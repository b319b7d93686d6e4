# agentrm-ray — the two commands a newcomer needs are `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/agentrm-ray
PYTEST_ARGS ?= --durations=30  # the slowest tests, to keep CI inside its time budget

.PHONY: setup demo test test-fast lint format bench-envs clean

setup:  ## create .venv and install everything (idempotent)
	bash scripts/setup.sh

demo: setup  ## the AgentRM loop end to end on the default models (agentrm-ray quickstart)
	$(CLI) quickstart

# The suite on $(WORKERS) pytest-xdist workers (a module stays on one worker, so its shared Ray
# fixtures start once). A test marked `solo` (Serve proxies, clusters of its own) that failed
# beside the other worker's Ray cluster is run again alone; any other failure fails the target
# at once (scripts/run_tests.sh).
WORKERS ?= 2

test: setup  ## lint + the whole test suite (unit and integration)
	$(VENV)/bin/ruff check .
	bash scripts/run_tests.sh $(PY) $(WORKERS) $(PYTEST_ARGS)

test-fast: setup  ## unit tests only
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench-envs: setup  ## env reset/step throughput and fork cost per family
	$(PY) bench/envs.py

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
