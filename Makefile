# Helion Twin: the two commands of the README.
#   make run   set up .venv and simulate the reference Helion cloud (report under reports/)
#   make test  set up .venv, the live-lab host packages (as root) and libvirtd, then run every test
#   make test-fast  the edit loop: every test but the live lab's and the slow ones
#   make bench      every benchmark in benchmarks/, each printing its table
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PIP   := $(PY) -m pip --disable-pip-version-check -q
CORE  := $(VENV)/.core-installed
LAB   := $(VENV)/.lab-installed

.PHONY: run test test-fast bench lab-host clean

# Every benchmark script, each printing its table (lab.py needs the live-lab host: run as root).
BENCHMARKS := run event_mix operations day2 capacity sweep vsa rings durability lab

run: $(CORE)
	$(VENV)/bin/twin run scenarios/helion-reference.yaml --out reports/helion-reference

test: $(CORE) lab-host
	$(PY) -m pytest

# The edit loop: no lab, nothing marked slow (the whole suite is `make test`, which CI runs).
test-fast: $(CORE)
	$(PY) -m pytest -q -m "not live and not slow"

bench: $(CORE) lab-host
	@set -e; for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; $(PY) benchmarks/$$b.py; done

$(PY):
	python3 -m venv $(VENV)

$(CORE): pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	touch $@

# Live-lab host: Debian packages (as root), libvirt-python + virtualbmc in the venv, libvirtd running,
# the deploy ramdisk and user image built once (real_backends/lab/images.py).
# On a machine that cannot have a lab this prints why and carries on; the live tests then skip
# with that reason (never under CI=true, where they fail instead).
lab-host: $(CORE)
	bash real_backends/lab/setup_host.sh $(PY)

clean:
	rm -rf $(VENV) build *.egg-info
