# The platform's two commands: `make demo` runs it all locally, `make test` runs every check.
# Everything they need is installed here, so a fresh clone (as CI makes) works as it is.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := python3 -m uv
STACK := deploy/local/stack

.PHONY: test demo deps lint typecheck pytest bench stack-start stack-stop stack-status clean

test: deps lint typecheck pytest

demo: deps
	@deploy/local/demo

deps:
	@python3 -m uv --version 2>/dev/null | grep -q "$(UV_VERSION)" || python3 -m pip install -q "uv==$(UV_VERSION)"
	@command -v docker-compose >/dev/null || deploy/local/apt-install docker-compose
	@$(STACK) provision kafka ferretdb postgres prometheus
	@$(UV) sync -q --frozen --all-packages

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck:
	$(UV) run --frozen mypy schemas/src libs/runtime/src libs/testing/src
	$(UV) run --frozen mypy $(wildcard services/*/src) $(wildcard tools/*/src)

pytest:
	$(UV) run --frozen pytest

stack-start:
	@$(STACK) start kafka ferretdb postgres prometheus

stack-stop:
	@$(STACK) stop

stack-status:
	@$(STACK) status

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .hypothesis

bench: deps
	@for b in bench/telephony_ingest_import.py bench/telephony_ingest_webhook.py bench/kpi_throughput.py \
		bench/proactive_engine_throughput.py; do \
		echo "== $$b"; $(UV) run --frozen python "$$b" || exit 1; done
