# make        set up (system packages, .venv, libcore) and run the main job on a sample
# make test   the whole suite: pytest (unit, interop, fuzz) and bats
# make lint   ruff and the import-direction check
# make bench  benchmarks against upstream rsync and rdiff
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := .make
CORE_SRC := $(wildcard libcore/src/*.c libcore/src/*.h libcore/include/*.h) libcore/build_core.py
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all install demo test lint bench clean

all: install demo

$(STAMP)/sysdeps: scripts/sysdeps.sh
	@mkdir -p $(STAMP)
	bash scripts/sysdeps.sh
	@touch $@

$(STAMP)/venv: $(STAMP)/sysdeps pyproject.toml
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel cffi
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

$(STAMP)/core: $(STAMP)/venv $(CORE_SRC) setup.py
	$(PY) -m pip install -q --no-build-isolation --no-deps -e .
	$(PY) scripts/plain_pth.py
	$(PY) -c "import oc_core; print('libcore backend:', oc_core.BACKEND, oc_core.features())"
	@touch $@

install: $(STAMP)/core
	@# byte-compiled ahead: a run never compiles (PYTHONDONTWRITEBYTECODE or a read-only tree)
	$(PY) -m compileall -q tools libcore/oc_core

demo: install
	bash scripts/demo.sh

test: install
	$(PY) -m pytest -n 2 -q tests
	bats tests/bats

lint: install
	$(PY) -m ruff check libcore tools tests bench
	$(PY) -m pytest -q tests/unit/test_import_direction.py

bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) scripts/plain_pth.py
	$(PY) bench/run.py

clean:
	rm -rf $(STAMP) build *.egg-info libcore/oc_core/_oc_core.*
