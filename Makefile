# The README's commands. Each sets up what it needs first (a .venv built by .ci/setup).
# Every command finds the platform in the .ml_platform folder here (or ML_PLATFORM_HOME):
# `.venv/bin/ml-platform home` says where each part lives.
VENV := .venv
BIN := $(VENV)/bin
# On a shared 2-core machine, OpenMP busy-waiting makes LightGBM several times slower.
export OMP_WAIT_POLICY := passive
# A run over a range of days records one planned event per asset, not one per day (see
# ml_platform_assets/cli/lifecycle.py): the runs the UI and the daemon create do the same.
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS := true

.PHONY: setup demo test ui bench lint clean

setup:
	@.ci/setup

demo: setup  ## deliver synthetic data and run credit_default's whole lifecycle
	$(BIN)/ml-platform demo $(DEMO_ARGS)

# Tests run on as many workers as the machine has cores (at most 4); TEST_WORKERS=0 runs them in
# this process. The slowest tests are listed at the end.
TEST_WORKERS ?= $(shell n=$$(nproc); [ $$n -gt 4 ] && n=4; echo $$n)

test: setup  ## the whole test suite against real MariaDB and SeaweedFS services
	.ci/with-services $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

ui: setup  ## the Dagster UI on the same instance the demo used (refuses before there is one)
	@dagster_home="$$($(BIN)/ml-platform home --dagster-home)" && DAGSTER_HOME="$$dagster_home" \
	  $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: setup  ## performance scripts; they print ratios, never assert
	$(BIN)/python bench/pipeline.py

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:  ## remove the platform `make demo` made here (.ml_platform), never one elsewhere
	rm -rf .ml_platform
