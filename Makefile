# The two set-up commands of the README. Every install step lives here, so a
# fresh machine (and CI, through .ci/run) needs nothing else.
PYTHON ?= python3
VENV ?= .venv

.PHONY: demo test browser

# 1. Install ftm-graph and serve the bundled Zacatecas sample at http://127.0.0.1:8000/
demo:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q .
	$(VENV)/bin/ftm-graph demo

# 2. Install what the tests need (the package, its test and bench extras: the quick benchmark is a test;
#    a headless Chromium) and run them; then
#    run the page, endpoint and catalogue tests again on a remote store (a real `oxigraph serve`).
test: browser
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	$(VENV)/bin/pytest
	FTM_GRAPH_TEST_STORE=remote $(VENV)/bin/pytest -q tests/test_pages.py tests/test_pages_kinds.py tests/test_endpoint.py tests/test_queries.py tests/test_search.py tests/test_catalog.py

# Debian's Chromium for the browser test; installed as root (CI) or with sudo, else that test is skipped.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: no Chromium and no apt-get: the browser test will be skipped"; fi
