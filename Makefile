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
# --durations: CI logs name the slowest tests, so the 30-minute budget can be watched run by run.
PYTEST_ARGS ?= -n 2 --durations=25
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_HOME := $(CURDIR)/.tmp/ansible-home
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/.tmp/ansible-local
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv link demo test lint ruff ansible-lint changelog-lint sanity pytest unit clean

help:
	@echo "make demo   start the local AWS sandbox, seed the public-exfiltration incident, run respond.yml, stop"
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

DEMO_OUT := $(CURDIR)/.tmp/demo
DEMO_VARS := {"bucket": "acme-customer-exports", "responder_principals": ["arn:aws:iam::123456789012:role/incident-responder"], "output_dir": "$(DEMO_OUT)"}

# The full response (triage -> investigate -> authorization -> evidence -> contain -> harden -> report) on the
# public-exfiltration incident, in a sandbox started for the occasion and stopped afterwards.
demo: venv link
	@rm -rf $(DEMO_OUT)
	$(PY) -m sandbox run --scenario public-exfiltration -- \
		$(BIN)/ansible-playbook cloudsec.s3.respond -e '$(DEMO_VARS)'
	@echo
	@echo "Report: $$(ls $(DEMO_OUT)/*/acme-customer-exports/report.html)"
	@echo "Evidence and recorded state: $(DEMO_OUT)"

ruff: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ansible-lint: venv link
	NO_COLOR=1 PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --offline

# ansible-test refuses symlinks and must run from ansible_collections/<ns>/<name>, in a git work tree of its own
# (inside ours, .gitignore would hide the copy). Only the collection content is checked: the sandbox, tests and
# benchmarks are development tools, linted by ruff. amazon.aws (our dependency) sits beside the copy. HOME points
# into .tmp so ansible-test's cached virtualenvs and its offline pip bootstrap stay inside the checkout.
SANITY_EXCLUDE := ^(sandbox|benchmarks|tests/(unit|integration|sandbox|modules)|extensions/molecule)/|^conftest\.py$$
sanity: venv
	@rm -rf .tmp/sanity && mkdir -p $(SANITY_ROOT) .tmp/sanity/ansible_collections/amazon .tmp/home/.ansible/test/cache
	@git ls-files -co --exclude-standard | grep -Ev '$(SANITY_EXCLUDE)' | xargs -d '\n' cp --parents -t $(SANITY_ROOT)
	@cp -r "$$($(PY) -c 'import ansible_collections.amazon.aws as m; print(m.__path__[0])')" .tmp/sanity/ansible_collections/amazon/
	@cp tests/sanity/get_pip_offline.py .tmp/home/.ansible/test/cache/get_pip_24_2.py
	@cd $(SANITY_ROOT) && git init -q && git add -A
	cd $(SANITY_ROOT) && HOME=$(CURDIR)/.tmp/home PATH=$(CURDIR)/$(BIN):$$PATH \
		ansible-test sanity --python $$($(CURDIR)/$(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no $(SANITY_TESTS)

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

lint: ruff ansible-lint changelog-lint sanity

pytest: venv link
	$(BIN)/pytest $(PYTEST_ARGS)

unit: venv link
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf .tmp tests/output .pytest_cache .ruff_cache
