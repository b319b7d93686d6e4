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

# Two phases: most modules on $(WORKERS) pytest-xdist workers (a module stays on one worker, so
# its shared Ray fixtures start once), then the `solo` ones (Serve proxies, multi-node
# clusters) alone, because their health checks fail when another Ray cluster shares the cores.
# Both phases always run; the target fails if either did.
WORKERS ?= 2
XDIST := -n $(WORKERS) --dist loadfile --no-loadscope-reorder

test: setup  ## lint + the whole test suite (unit and integration)
	$(VENV)/bin/ruff check .
	status=0; \
	$(PY) -m pytest -m "not solo" $(XDIST) $(PYTEST_ARGS) || status=$$?; \
	$(PY) -m pytest -m solo $(PYTEST_ARGS) || status=$$?; \
	exit $$status

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
