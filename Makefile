# Everything a fresh machine with only Python needs: `make demo` and `make test` create the virtualenv,
# install the project and its test dependencies, and start the local emulator themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5055
# The region the demo's resources are in: the specs' own (the `aws` hint below must ask that region).
REGION ?= $(or $(shell sed -n 's/^region:[[:space:]]*"\{0,1\}\([a-z0-9-]*\).*/\1/p' specs/platform.yaml 2>/dev/null),us-east-1)
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
	@# The secrets the example services name must exist before a plan (it looks them up): create them in the emulator.
	$(BIN)/python -c 'import boto3; sm = boto3.client("secretsmanager", endpoint_url="http://127.0.0.1:$(PORT)", region_name="$(REGION)", aws_access_key_id="testing", aws_secret_access_key="testing"); [sm.create_secret(Name=n, SecretString="demo value") for n in ("microservices/payment/provider-api-key", "microservices/user/jwt-signing-key") if not any(s["Name"] == n for s in sm.list_secrets()["SecretList"])]'
	time $(BIN)/platformctl --local apply --env dev --auto-approve
	$(BIN)/platformctl --local diff --env dev
	@echo
	@echo "The emulator is still running. Explore it (from this folder; or run \`. $(BIN)/activate\` first and type \`platformctl\`):"
	@echo "  $(BIN)/platformctl --local status --env dev"
	@echo "  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url http://127.0.0.1:$(PORT) --region $(REGION) ec2 describe-vpcs"
	@echo "  $(BIN)/platformctl --local destroy --env dev --auto-approve"
	@echo "Stop it with: $(BIN)/platformctl local stop"

## test: the whole suite (unit tests on in-process moto, end-to-end tests on a moto server it starts itself).
## Three workers on two cores: much of an end-to-end test is waiting (on its emulator, on simulated latency and
## AWS's scaled durations), and a third worker fills those waits (533 s against 584 s with two, one run each).
test: $(STAMP)
	$(BIN)/ruff check platformctl tests
	$(BIN)/mypy platformctl
	$(BIN)/pytest -q -n 3 --dist loadfile

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
