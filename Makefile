# Interlock: `make check` lints the bundled example organization, `make test` runs the tests.
# Both create .venv on first use (Python 3.11+, pip, a C compiler and the Python headers are all they
# need). Installing Interlock compiles its rules engine, durable-rules 2.0.28 patched, from the sdist
# vendored in .durable/ (.durable/README.md); a failing C build stops make.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# Every install is pinned by the committed lock (`make lock` refreshes it); `make test CONSTRAINTS=`
# installs the newest versions pyproject.toml allows instead (CI runs both).
CONSTRAINTS ?= .ci/constraints.txt
PIN := $(if $(CONSTRAINTS),-c $(CONSTRAINTS))

.PHONY: setup check test differential bench report gold lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(wildcard .durable/*.py .durable/*.tar.gz) $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Interlock needs Python 3.11 or newer: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PIN) --upgrade pip setuptools wheel
	@# A venv made before Interlock carried its engine holds the stock durable-rules: remove it.
	@$(PY) -m pip uninstall --quiet --yes durable-rules 2>/dev/null || true
	@# The editable install builds the engine as `pip install .` does (with the locked setuptools):
	@# the extension lands in build/durable/libpy, where the install points.
	$(PY) -m pip install --quiet --disable-pip-version-check $(PIN) --no-build-isolation -e '.[test]'
	@# Stop here unless the installed engine is Interlock's build (exit 3 and one line otherwise).
	$(VENV)/bin/interlock rules > /dev/null
	@# pip writes bytecode for a regular install, not for an editable one: compile engine/ the same way
	@# (without it every run compiles Interlock from source when PYTHONDONTWRITEBYTECODE is set).
	$(PY) -m compileall -q engine
	@# The cache entries every first run would compute (the built-in catalog, knowledge base and its causal
	@# paths), computed once here into engine/prebuilt/ (engine/commands/prebuild.py).
	$(PY) -m interlock.commands.prebuild
	@touch $@

# Exit status 1 means "error findings", which the example organization has on purpose.
check: setup
	@$(VENV)/bin/interlock check policies; status=$$?; \
	if [ $$status -eq 1 ]; then echo "(exit 1: the example organization has error findings, as intended)"; exit 0; fi; exit $$status

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# The engine against the reference evaluator on SEEDS organizations of each generator (docs/engine.md).
SEEDS ?= 5000
differential: setup
	INTERLOCK_DIFF_SEEDS=$(SEEDS) $(PY) -m pytest -q -m slow tests/evaluation/test_differential.py

bench: setup
	$(PY) tests/benchmark.py

report: setup
	$(VENV)/bin/interlock report policies -o report.html; test $$? -le 1

gold: setup
	INTERLOCK_REFRESH_GOLD=1 $(PY) -m pytest tests/outputs/test_gold.py tests/outputs/test_precompiled.py -q

# Refresh the lock: the newest versions pyproject.toml allows, on every supported Python (uv's universal resolution).
lock: setup
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip compile pyproject.toml .ci/build-tools.in --extra test --universal --python-version 3.11 \
	    --custom-compile-command "make lock" --quiet -o .ci/constraints.txt

clean:
	rm -rf $(VENV) .venv-* .cache build *.egg-info .pytest_cache .hypothesis
