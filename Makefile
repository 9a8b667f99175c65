# Two commands on a fresh clone: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# What the tool tells an LMS its address is (set TOOL_BASE_URL to the public https:// address in production).
run: export TOOL_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test setup bench browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installed packages are refreshed whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	@# The Open Badges 2.0 validator (used by the badge tests) pins releases too old for Python 3.11:
	@# install it without its pins, then current releases of what it imports (PyLD must stay 0.7.1).
	$(BIN)/pip install --quiet --no-deps openbadges==1.1.2
	$(BIN)/pip install --quiet python-jose pycryptodome future pytz python-mimeparse aniso8601 six
	$(BIN)/pip install --quiet PyLD==0.7.1 requests-cache==0.4.13 jsonschema==2.6.0 rfc3986==0.4.1 \
		validators==0.11.2 language-tags==0.4.3 pydux==0.2.2 "openbadges-bakery>=1.1,<2"
	touch $@ $(VENV)/.installed

setup: $(VENV)/.installed
	$(BIN)/lti-tool db upgrade
	$(BIN)/lti-tool keys generate --if-missing
	$(BIN)/lti-tool rules validate
	$(BIN)/lti-tool catalogue load

run: setup
	@echo
	@echo "Civic Credentials is starting on http://$(HOST):$(PORT)"
	@echo "Give these to your LMS administrator (Moodle: Site administration > Plugins > Activity modules > External tool > Manage tools):"
	@echo "  Dynamic registration URL:   $(TOOL_BASE_URL)/lti/register"
	@echo "  Tool URL / redirection URI: $(TOOL_BASE_URL)/lti/launch"
	@echo "  Initiate login URL:         $(TOOL_BASE_URL)/lti/login"
	@echo "  Public keyset URL:          $(TOOL_BASE_URL)/.well-known/jwks.json"
	@echo
	$(BIN)/lti-tool serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here) and
# check pages with axe-core from the npm registry.
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js

browser-deps: $(AXE)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ echo "installing Debian's chromium for the browser tests"; \
		  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		  { echo "could not install chromium: run 'apt-get install chromium' as root"; exit 1; }; }

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node axe-core@4

# The whole suite on SQLite, then every database test again on PostgreSQL.
test: $(VENV)/.installed-dev browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/python -m pytest -q -p no:cacheprovider --db=postgresql

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/evaluate.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
