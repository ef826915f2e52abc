# Everything a fresh machine with only Python needs: `make demo` and `make test` create the virtualenv,
# install the project and its test dependencies, and start the local emulator themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5055
STAMP  := $(VENV)/.installed

.PHONY: demo test lint clean stop-demo bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: build the whole dev platform on the local emulator, show diff is clean, leave the emulator running
demo: $(STAMP)
	$(BIN)/platformctl local start --port $(PORT)
	$(BIN)/platformctl validate
	time $(BIN)/platformctl --local apply --env dev --auto-approve
	$(BIN)/platformctl --local diff --env dev
	@echo
	@echo "The emulator is still running. Explore it:"
	@echo "  $(BIN)/platformctl --local status --env dev"
	@echo "  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url http://127.0.0.1:$(PORT) ec2 describe-vpcs"
	@echo "  $(BIN)/platformctl --local destroy --env dev --auto-approve"
	@echo "Stop it with: $(BIN)/platformctl local stop"

## test: the whole suite (unit tests on in-process moto, end-to-end tests on a moto server it starts itself)
test: $(STAMP)
	$(BIN)/ruff check platformctl tests
	$(BIN)/pytest -q -n 2 --dist loadfile

## bench: time apply / diff / destroy / planner / start-up for 3, 10 and 50 services on the emulator (50 ms per call)
bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check platformctl tests
	$(BIN)/ruff format --check platformctl tests

stop-demo: $(STAMP)
	$(BIN)/platformctl local stop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
