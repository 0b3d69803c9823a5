# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODELS_DIR ?= models

.PHONY: run test install install-test serve train benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -e .

install-test: $(BIN)/python
	$(BIN)/pip install -e '.[test,transformers,dask]'

# Train the default models if none exist, then serve the API.
run: install
	@if ! ls $(MODELS_DIR)/*/model.json >/dev/null 2>&1; then $(BIN)/aduan train; fi
	$(BIN)/aduan serve

train: install
	$(BIN)/aduan train

# scripts/test_services.sh starts a throwaway PostgreSQL for the API tests (installing it with
# apt-get when missing and running as root), then runs the suite.
test: install-test
	scripts/test_services.sh $(BIN)/python -m pytest -q

benchmark: install-test  # httpx, psutil and dask of the test and dask extras
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) build *.egg-info
