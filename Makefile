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

.PHONY: run test bench install lock

install: $(STAMP)

ifndef PYTHON
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)
endif

# The light venv installs the lock, every package pinned and checked by its sha256, as Elastic
# Beanstalk does (.platform/hooks/prebuild/01-install-from-lock.sh).
ifndef PYTHON
$(SITE_STAMP): requirements.lock
	test -x $(SITE_VENV)/bin/python || "$$(scripts/find-python)" -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SITE_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements.lock
	touch $(SITE_STAMP)
endif

# requirements.lock: the whole production tree of requirements.txt, pinned with every file's
# sha256 (uv's pip compile, universal: any platform, Python 3.12 and newer). Run after editing
# requirements.txt; colorsite/tests/test_requirements.py fails until the two agree.
LOCK_COMMAND := uv pip compile requirements.txt --universal --python-version 3.12 --generate-hashes \
	--custom-compile-command "make lock" --output-file requirements.lock
lock: $(STAMP)
	$(PY) -m $(LOCK_COMMAND)

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
