# The two commands a newcomer needs: `make run` and `make test`. Each builds .venv when it is
# missing or pyproject.toml has changed.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint bench

run: $(STAMP)
	$(VENV)/bin/tracker

# Every test runs on SQLite and on a throwaway PostgreSQL server the tests start themselves
# (TRACKER_TEST_ENGINES=sqlite for one engine), in one process more than there are cores: the
# app's tests spend about 40% of their time in the pilot's sleeps, which the extra one fills.
test: $(STAMP)
	@command -v chromium >/dev/null || echo "note: no chromium here, so the browser test of the HTML briefing is skipped (apt-get install chromium; .ci/run installs it)"
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || echo "note: no PostgreSQL here, so the tests run on SQLite only (apt-get install postgresql; .ci/run installs it)"
	$(VENV)/bin/ruff check .
	@# Some images set PYTHONDONTWRITEBYTECODE; then every `tracker` process the tests start
	@# would compile tracker's modules again (about 40 ms each, some 400 processes).
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -n $$(( $$(nproc) + 1 )) --dist worksteal

# The benchmark suite (benchmarks/__main__.py): never part of `make test` or CI. The first run
# makes the desk and archive databases (about a minute for the archive) and keeps them.
bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "tracker needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)
