# The two commands a newcomer needs: `make run` (the whole site) and `make test` (the whole suite).
# PYTHON=/path/to/python uses that interpreter (which has the requirements) instead of .venv,
# as scripts/run-tests does.
VENV := .venv
# `make run` needs only what a server installs (requirements.txt, no PyTorch): its own light
# virtual environment, .venv-site; `make test` and the development tools use .venv.
SITE_VENV := .venv-site
ifdef PYTHON
PY := $(PYTHON)
STAMP :=
SITE_STAMP :=
else
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SITE_STAMP := $(SITE_VENV)/.installed
endif

.PHONY: run test bench install

install: $(STAMP)

ifndef PYTHON
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)
endif

ifndef PYTHON
$(SITE_STAMP): requirements.txt
	test -x $(SITE_VENV)/bin/python || "$$(scripts/find-python)" -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SITE_VENV)/bin/python -m pip install --quiet -r requirements.txt
	touch $(SITE_STAMP)
endif

run: $(SITE_STAMP)
	scripts/run-site

test: $(STAMP)
	scripts/run-tests

bench: $(STAMP)
	scripts/bench

# Retake the README's screenshots (docs/screenshots/); a plain test run leaves them alone.
.PHONY: screenshots
screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest gallery -m browser -q
