# The two commands for a fresh clone: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `make test` runs pytest in this many processes (pytest-xdist): much of the suite waits on
# a Celery worker, Chromium, a subprocess or a time box rather than the CPU. Each process
# has its own test database, Redis database and VAR_DIR folder (tests/conftest.py).
# TEST_PROCESSES=0 runs the suite in one process.
TEST_PROCESSES ?= 2

.PHONY: run test lint

# Plain http on localhost: the secure production defaults (HTTPS) are off unless set.
run: export HTTPS ?= false
run:
	@$(PYTHON) scripts/bootstrap.py $(VENV) requirements.txt
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/honcho --procfile Procfile start

test:
	@$(PYTHON) scripts/bootstrap.py $(VENV) requirements-dev.txt
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund -q
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

lint:
	@$(PYTHON) scripts/bootstrap.py $(VENV) requirements-dev.txt
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
