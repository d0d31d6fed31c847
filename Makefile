# Two commands a newcomer needs: `make run` and `make test`. Both are safe to run twice.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.12 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

# Debian packages: the MySQL client headers that mysqlclient compiles against, and
# Chromium for the browser tests (Playwright drives the system browser; it downloads none).
OS_PACKAGES := default-libmysqlclient-dev pkg-config build-essential
BROWSER_PACKAGES := chromium ffmpeg
# The outage and replica tests and `make cluster` start MariaDB and Redis servers of their
# own (never the machine's); the cluster puts HAProxy in front of its web nodes.
SERVER_PACKAGES := mariadb-server redis-server haproxy

.PHONY: run test setup os-deps browser-deps server-deps migrate demo lint format bench clean worker beat cluster cluster-stop cluster-test

run: migrate
	DJANGO_DEBUG=1 $(PY) manage.py load_demo
	DJANGO_DEBUG=1 $(PY) manage.py ensure_curator
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

migrate: setup
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input

test: setup browser-deps server-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt | os-deps
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 is needed: install it (pyenv install 3.12) and run make again." >&2; exit 1; fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

os-deps:
	@missing=""; for p in $(OS_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing OS packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# ffmpeg cuts the HLS copy of the demo clip that the player's browser tests stream.
browser-deps:
	@{ command -v chromium && command -v ffmpeg; } >/dev/null 2>&1 || { \
	  echo "Installing Chromium and ffmpeg for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BROWSER_PACKAGES); }

server-deps:
	@{ [ -x /usr/sbin/mariadbd ] && command -v mariadb-install-db && command -v redis-server && command -v haproxy; } >/dev/null 2>&1 || { \
	  echo "Installing MariaDB, Redis and HAProxy for the outage and replica tests and the cluster"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SERVER_PACKAGES); }

# The demo catalog alone (make run loads it too): fixtures/demo_catalog.json and its media.
demo: migrate
	DJANGO_DEBUG=1 $(PY) manage.py load_demo

# A Celery worker on every queue, and the scheduler; they need CELERY_BROKER_URL (e.g.
# amqp://guest:guest@127.0.0.1:5672//). Without one, `make run` runs tasks in-process.
worker: migrate
	$(VENV)/bin/celery -A inspired_site worker --loglevel INFO

beat: migrate
	$(VENV)/bin/celery -A inspired_site beat --loglevel INFO --schedule /tmp/inspired-celerybeat-schedule

# Several nodes on one machine (127.0.0.1 only): MariaDB primary and replica, two gunicorn
# nodes behind HAProxy, a Celery worker and beat, S3 media; see docs/scale-out.md.
cluster: setup server-deps
	$(PY) scripts/cluster.py up

cluster-stop:
	$(PY) scripts/cluster.py down

# Starts its own cluster, runs a bounded load through HAProxy while it kills a web node and
# the replica and restarts both, reports, and stops everything.
cluster-test: setup server-deps
	$(PY) scripts/cluster.py test --duration $(or $(DURATION),90)

bench: setup
	$(PY) scripts/benchmark.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
