# make        set up (system packages, .venv, libcore) and run the main job on a sample
# make test   the whole suite: pytest (unit, interop, fuzz) and bats
# make lint   ruff and the import-direction check
# make bench  benchmarks against upstream rsync and rdiff
SHELL := /bin/bash
# The venv is made on Debian's own python3 when it is 3.11 or newer: it is built with
# PGO and LTO, and runs oc-rsync's per-file Python about a third faster than a plain
# source build (such as pyenv's, first on this machine's PATH). Else python3 on PATH.
SYSTEM_PY := $(shell /usr/bin/python3 -c 'import sys; print(sys.version_info >= (3, 11))' 2>/dev/null)
PYTHON ?= $(if $(filter True,$(SYSTEM_PY)),/usr/bin/python3,python3)
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
