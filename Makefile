# CredLink infrastructure collection: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections
EMULATOR := $(BIN)/python -m tools.emulator
# Dummy credentials and the emulator endpoint, for targets that talk to the emulator.
EMULATOR_ENV = eval "$$($(EMULATOR) env)"
INVENTORY ?= inventories/local
# Integration workers: the playbook runs mostly wait on the emulator; with the worker preload
# (README "Controller CPU") three left a third of two cores idle, so four share them.
INTEGRATION_WORKERS ?= 4
# The warm module runner is opt-in (README "The warm module runner"); these targets run
# on this machine's emulator and switch it on. CREDLINK_MODULE_RUNNER=off make ... wins.
demo test bench: export CREDLINK_MODULE_RUNNER ?= on

.PHONY: help bootstrap demo emulator-start emulator-stop emulator-status emulator-reset emulator-advance \
        test lint unit integration molecule molecule-localstack localstack-install docs docs-check build packaging changelog-lint sanity ee-context bench clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

bootstrap: ## Create the venv (Python >= 3.12, pinned requirements); install redis-server, PostgreSQL 15, shellcheck, chromium if missing
	@tools/bootstrap.sh

# The demo's emulator makes slow resources take a tenth of their real time, so the waits
# (and the progress view) are visible; 0 makes everything ready at once. Realism (the
# emulator fails where AWS fails) is on, as in every emulator the project starts.
DEMO_LATENCY_SCALE ?= 0.1
DEMO_REALISM ?= on

demo: bootstrap ## Build the local stack on the emulator (slow resources at DEMO_LATENCY_SCALE, realism DEMO_REALISM), print the checklist and where the report is
	@$(EMULATOR) start --latency-scale $(DEMO_LATENCY_SCALE) --realism $(DEMO_REALISM)
	@$(EMULATOR_ENV) && ansible-playbook playbooks/site.yml -i $(INVENTORY)
	@echo "Report (open in a browser): file://$(CURDIR)/reports/$(notdir $(INVENTORY))-report.html"

emulator-start: ## Start the emulator (realism on), PostgreSQL and Redis (idempotent)
	@$(EMULATOR) start

emulator-stop: ## Stop the emulator, PostgreSQL and Redis
	@$(EMULATOR) stop

emulator-status: ## Show whether the emulator, PostgreSQL and Redis run
	@$(EMULATOR) status

emulator-reset: ## Forget every AWS resource the emulator holds
	@$(EMULATOR) reset

emulator-advance: ## Let months pass on the running emulator: minor upgrades, patches, storage growth
	@$(EMULATOR) advance

# Independent checks, run two at a time: the machine has idle time while they install,
# start emulators and wait; their output is printed whole, one target after the other.
CHECKS := lint docs-check changelog-lint sanity build packaging molecule molecule-localstack unit

test: bootstrap ## Everything CI runs (the checks two at a time, then the integration tests)
	@$(MAKE) --no-print-directory -j2 --output-sync=target $(CHECKS)
	@$(MAKE) --no-print-directory integration

lint: ## ansible-lint (production profile) and a syntax check of every playbook
	ansible-lint --profile production
	@for playbook in playbooks/*.yml; do ansible-playbook --syntax-check -i inventories/local $$playbook >/dev/null || exit 1; done

docs-check: ## Every module, filter and role renders with ansible-doc; docs/variables.md is up to date
	@$(BIN)/python tools/check_docs.py
	@$(BIN)/python tools/gen_docs.py --check

docs: ## Regenerate docs/variables.md from the roles' argument specs
	@$(BIN)/python tools/gen_docs.py

build: ## Build the collection tarball into build/
	@mkdir -p build && ansible-galaxy collection build --force --output-path build >/dev/null && ls build/*.tar.gz

changelog-lint: ## Changelog fragments and changelogs/config.yaml are valid
	antsibull-changelog lint

sanity: ## ansible-test sanity on a copy of the collection (tools/sanity.py says which tests it leaves out)
	@$(BIN)/python tools/sanity.py

packaging: build ## The execution environment's build context and the collection's release metadata (after build: both write build/)
	$(BIN)/python -m pytest tests/packaging -q

ee-context: build ## Write the execution environment's build context (Containerfile) to context/
	ansible-builder create -f execution-environment.yml --output-filename Containerfile -c context

unit: ## Unit tests (modules against moto in-process, filters, callback, report in headless Chromium)
	$(BIN)/python -m pytest tests/unit -q -rs -n 2

integration: ## Playbooks against the embedded emulator (started by the tests on a free port)
	$(BIN)/python -m pytest tests/integration -q -n $(INTEGRATION_WORKERS) --dist loadfile --durations=15

molecule: ## Molecule scenarios against a private emulator instance (all but localstack)
	@cd extensions && PYTHONPATH=$(CURDIR) $(CURDIR)/$(BIN)/python -m tools.emulator run -- molecule test --all --exclude localstack

molecule-localstack: ## Scenario localstack and tests/localstack against a private LocalStack (SKIPPED if it cannot install)
	@cd extensions && PYTHONPATH=$(CURDIR) $(CURDIR)/$(BIN)/python -m tools.emulator.localstack run -- \
		bash -c 'molecule test -s localstack && cd .. && python -m pytest tests/localstack -q -rs -p no:cacheprovider'

localstack-install: ## Create .venv-localstack (LocalStack community, host mode) from tools/localstack/requirements.txt
	@$(BIN)/python -m tools.emulator.localstack install

bench: bootstrap ## Benchmark a full production apply on private emulators (zero latency, no-op, latency-scaled); SCALE=0.1 API_LATENCY_MS=0 REALISM=on; COMPARE=REV: this tree against REV
	$(BIN)/python benchmarks/bench.py --scale $(or $(SCALE),0.1) --api-latency-ms $(or $(API_LATENCY_MS),0) \
		--realism $(or $(REALISM),on) $(if $(COMPARE),--compare $(COMPARE) --json benchmarks/compare.json,--json benchmarks/results.json)

clean: ## Stop services and remove the venv, emulator state, reports and builds
	-@$(EMULATOR) stop 2>/dev/null
	-@$(BIN)/python -m tools.emulator.localstack stop 2>/dev/null
	rm -rf $(VENV) .venv-localstack .localstack .emulator reports build context .pytest_cache
