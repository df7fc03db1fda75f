# Two commands matter: `make demo` and `make test`. Both build everything they need from scratch.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
COLL_LINK := .tmp/collections/ansible_collections/cloudsec/s3
SANITY_ROOT := .tmp/sanity/ansible_collections/cloudsec/s3
PYTEST_ARGS ?=
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_HOME := $(CURDIR)/.tmp/ansible-home
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/.tmp/ansible-local
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv link demo test lint ruff ansible-lint sanity pytest unit clean

help:
	@echo "make demo   start the local AWS sandbox, seed the public-exfiltration incident, run the response, stop"
	@echo "make test   ruff, ansible-lint, ansible-test sanity and pytest (unit, sandbox, playbooks, molecule)"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

$(COLL_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

link: $(COLL_LINK)

demo: venv link
	$(PY) -m sandbox run --scenario public-exfiltration -- \
		$(BIN)/ansible-playbook playbooks/demo.yml

ruff: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ansible-lint: venv link
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --offline

# ansible-test refuses symlinks and must run from ansible_collections/<ns>/<name>: copy the tracked tree.
sanity: venv
	@rm -rf .tmp/sanity && mkdir -p $(SANITY_ROOT)
	@git ls-files -co --exclude-standard -z | grep -zv '^ansible_collections/' | xargs -0 cp --parents -t $(SANITY_ROOT)
	cd $(SANITY_ROOT) && PATH=$(CURDIR)/$(BIN):$$PATH ansible-test sanity --python 3.11 --color no \
		--exclude sandbox/ --exclude tests/ --exclude benchmarks/ --exclude conftest.py \
		$(SANITY_TESTS)

lint: ruff ansible-lint sanity

pytest: venv link
	$(BIN)/pytest $(PYTEST_ARGS)

unit: venv link
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf .tmp tests/output .pytest_cache .ruff_cache
