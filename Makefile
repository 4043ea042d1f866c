# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2
# XStatic-Bootstrap ships only as an sdist whose setup.py still imports pkg_resources,
# which setuptools 81 removed; its build must use an older setuptools.
BUILD_CONSTRAINTS := PIP_CONSTRAINT=$(CURDIR)/build-constraints.txt PIP_BUILD_CONSTRAINT=$(CURDIR)/build-constraints.txt

.PHONY: run test serve bench install install-dev migrate lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml build-constraints.txt | $(BIN)/python
	$(BUILD_CONSTRAINTS) $(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

# The dev install takes every wheel from a wheelhouse kept outside the checkout. The package
# index here answers without cache headers, so pip's own cache keeps nothing it downloads, and
# each fresh checkout (each CI run) would fetch every package again. The first install, and the
# first after a pin changes, fills it from the index (with the build backend that the editable
# install needs). Byte-code is compiled as modules are imported, not all of it at install time.
WHEELHOUSE ?= $(HOME)/.cache/nmdar-decision-support/wheels
OFFLINE_DEV_INSTALL := $(BUILD_CONSTRAINTS) $(BIN)/pip install --quiet --disable-pip-version-check \
	--no-compile --no-index --find-links $(WHEELHOUSE) -e '.[dev]'

$(VENV)/.installed-dev: pyproject.toml build-constraints.txt | $(BIN)/python
	$(OFFLINE_DEV_INSTALL) 2>/dev/null || { \
		echo "Fetching the wheels of .[dev] into $(WHEELHOUSE)"; \
		$(BUILD_CONSTRAINTS) $(BIN)/pip wheel --quiet --disable-pip-version-check \
			--wheel-dir $(WHEELHOUSE) '.[dev]' -r build-constraints.txt && \
		rm -f $(WHEELHOUSE)/nmdar_decision_support-*.whl && \
		$(OFFLINE_DEV_INSTALL); }
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_knowledge_base
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

serve: install
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/python manage.py migrate --noinput
	PORT=$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) \
		$(BIN)/gunicorn --config config/gunicorn.py config.wsgi:application

# Speed and memory of every assessment path against /livez (see README, Performance).
bench: install-dev
	@command -v wrk >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var
