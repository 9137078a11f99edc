# The platform's two commands: `make demo` runs it all locally, `make test` runs every check.
# Everything they need is installed here, so a fresh clone (as CI makes) works as it is.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := python3 -m uv
STACK := deploy/local/stack

.PHONY: test demo deps deps-uv deps-debian deps-maven deps-python deps-bench lint typecheck pytest bench stack-start stack-stop stack-status clean

test: deps lint typecheck pytest

demo: deps
	@deploy/local/demo

# The provisioning steps are independent, so they run side by side (Kafka's jars and Keycloak's
# distribution beside `uv sync`, each tens of seconds cold); their lines come as they go, each
# line whole (each step says what it is doing, and a failing step is named by make), and any
# failure fails `deps`. Each step is a no-op when its cache is filled. apt-get holds one lock
# for the machine, so the Debian packages install one after the other, in one step.
DEPS_STEPS := deps-debian deps-maven deps-python
deps: deps-uv
	@$(MAKE) --no-print-directory -j3 --output-sync=line $(DEPS_STEPS)

deps-uv:
	@python3 -m uv --version 2>/dev/null | grep -q "$(UV_VERSION)" || python3 -m pip install -q "uv==$(UV_VERSION)"

deps-debian:
	@command -v docker-compose >/dev/null || deploy/local/apt-install docker-compose
	@command -v chromium >/dev/null || deploy/local/apt-install chromium  # chat's browser tests
	@$(STACK) provision postgres prometheus haproxy  # haproxy: chat's two-instance test

# Kafka's jars and Keycloak's distribution both come through Maven, whose local repository
# (Maven 3.8) is not safe for two processes writing at once: one after the other, in one step.
deps-maven:
	@$(STACK) provision kafka keycloak

deps-python: deps-uv
	@$(UV) sync -q --frozen --all-packages

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck:
	$(UV) run --frozen mypy schemas/src libs/runtime/src libs/testing/src libs/attachments/src
	$(UV) run --frozen mypy $(wildcard services/*/src) $(wildcard tools/*/src) libs/kpi-oracle/src

# The tests run in 3 pytest-xdist workers sharing one Kafka and one PostgreSQL started for the
# run (deploy/local/test-servers), `--dist loadgroup` keeping the identity provider's tests on
# one worker (Keycloak starts once). Most of a test's time is waiting (processes starting,
# consumers joining, outages held), so 3 workers on 2 cores halve the run (README, "How long it
# takes"). PYTEST_WORKERS=0 is the one-process run, e.g. to read a failing test's output in order.
PYTEST_WORKERS ?= 3
pytest:
ifeq ($(PYTEST_WORKERS),0)
	$(UV) run --frozen pytest
else
	deploy/local/test-servers $(UV) run --frozen pytest -n $(PYTEST_WORKERS) --dist loadgroup
endif

stack-start:
	@$(STACK) start kafka postgres prometheus

stack-stop:
	@$(STACK) stop

stack-status:
	@$(STACK) status

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The webhook benchmark's load generator (vegeta, a Go program): built with `go install` from
# the Go module proxy into the cache beside Kafka's jars, once; not needed by `make test`.
deps-bench: deps-python
	@$(UV) run --frozen python bench/telephony_ingest_webhook.py --install-only

bench: deps deps-bench
	@for b in bench/telephony_ingest_import.py bench/telephony_ingest_webhook.py \
		bench/telephony_ingest_nonce_audit.py bench/kpi_throughput.py \
		bench/proactive_engine_throughput.py bench/postgres_drivers.py bench/claims_queue.py \
		bench/chat_queue.py bench/crm_360.py bench/chat_rate_limit.py; do \
		echo "== $$b"; $(UV) run --frozen python "$$b" || exit 1; done
