# The two commands a newcomer needs: `make run` (the whole site) and `make test` (the whole suite).
# PYTHON=/path/to/python uses that interpreter (which has the requirements) instead of .venv,
# as scripts/run-tests does.
VENV := .venv
ifdef PYTHON
PY := $(PYTHON)
STAMP :=
else
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
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

run: $(STAMP)
	scripts/run-site

test: $(STAMP)
	scripts/run-tests

bench: $(STAMP)
	scripts/bench

# Retake the README's screenshots (docs/screenshots/); a plain test run leaves them alone.
.PHONY: screenshots
screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest gallery -m browser -q
