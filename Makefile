# Helion Twin: the two commands of the README.
#   make run   set up .venv and simulate the reference Helion cloud (report under reports/)
#   make test  set up .venv, the live-lab host packages (as root) and libvirtd, then run every test
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PIP   := $(PY) -m pip --disable-pip-version-check -q
CORE  := $(VENV)/.core-installed
LAB   := $(VENV)/.lab-installed

.PHONY: run test bench lab-host clean

run: $(CORE)
	$(VENV)/bin/twin run scenarios/helion-reference.yaml --out reports/helion-reference

test: $(CORE) lab-host
	$(PY) -m pytest

bench: $(CORE)
	$(PY) benchmarks/run.py

$(PY):
	python3 -m venv $(VENV)

$(CORE): pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	touch $@

# Live-lab host: Debian packages (as root), libvirt-python + virtualbmc in the venv, libvirtd running.
# On a machine that cannot have a lab this prints why and carries on; the live tests then skip
# with that reason (never under CI=true, where they fail instead).
lab-host: $(CORE)
	bash real_backends/lab/setup_host.sh $(PY)

clean:
	rm -rf $(VENV) build *.egg-info
