# Interlock: `make check` lints the bundled example organization, `make test` runs the tests.
# Both create .venv on first use (Python 3.11+ and pip are all they need) and
# build durable-rules from its sdist with the Python 3.13 fix and a smaller per-fact table (.ci/build_durable_wheel.py).

PYTHON ?= python3
VENV ?= .venv
WHEELS ?= .cache/wheels
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# Every install is pinned by the committed lock (`make lock` refreshes it); `make test CONSTRAINTS=`
# installs the newest versions pyproject.toml allows instead (CI runs both).
CONSTRAINTS ?= .ci/constraints.txt
PIN := $(if $(CONSTRAINTS),-c $(CONSTRAINTS))

.PHONY: setup check test bench report gold lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml .ci/build_durable_wheel.py $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Interlock needs Python 3.11 or newer: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PIN) --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$$($(PY) .ci/build_durable_wheel.py $(WHEELS))"
	$(PY) -m pip install --quiet --disable-pip-version-check $(PIN) --find-links $(WHEELS) -e '.[test]'
	@# pip writes bytecode for a regular install, not for an editable one: compile engine/ the same way
	@# (without it every run compiles Interlock from source when PYTHONDONTWRITEBYTECODE is set).
	$(PY) -m compileall -q engine
	@touch $@

# Exit status 1 means "error findings", which the example organization has on purpose.
check: setup
	@$(VENV)/bin/interlock check policies; status=$$?; \
	if [ $$status -eq 1 ]; then echo "(exit 1: the example organization has error findings, as intended)"; exit 0; fi; exit $$status

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) tests/benchmark.py

report: setup
	$(VENV)/bin/interlock report policies -o report.html; test $$? -le 1

gold: setup
	INTERLOCK_REFRESH_GOLD=1 $(PY) -m pytest tests/test_gold.py -q

# Refresh the lock: the newest versions pyproject.toml allows, on every supported Python (uv's universal resolution).
lock: setup
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip compile pyproject.toml .ci/build-tools.in --extra test --universal --python-version 3.11 \
	    --custom-compile-command "make lock" --quiet -o .ci/constraints.txt

clean:
	rm -rf $(VENV) .venv-* .cache build *.egg-info .pytest_cache .hypothesis
