# The two commands of the README: `make run` and `make test`. Nothing to install but Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The portal's address in e-mail links: the one of this run, for the demo's e-mails and for the
# three processes of `make run` (production sets its own).
PORTAL_BASE_URL ?= http://$(HOST):$(PORT)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format install migrate demo worker beat bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	PORTAL_BASE_URL="$(PORTAL_BASE_URL)" $(MANAGE) load_demo

## Serve the portal with demo data on http://127.0.0.1:8000, with its Celery worker and beat.
## honcho (chorus/Procfile) runs the three processes, each in its own process group: one Ctrl+C or
## SIGTERM stops them all (SIGTERM, then SIGKILL after 5 s), and if one of them dies, the others
## are stopped too. E-mail links point at PORTAL_BASE_URL, by default the address of this run.
run: demo
	@echo ""
	@echo "Portail : http://$(HOST):$(PORT)/   Administration : http://$(HOST):$(PORT)/admin/"
	@echo "E-mails envoyés : $${CHORUS_VAR_DIR:-$(CURDIR)/var}/outbox/ (un fichier .eml par message)"
	@echo "Arrêt : Ctrl+C"
	@echo ""
	@PORTAL_BASE_URL="$(PORTAL_BASE_URL)" CHORUS_BIN="$(abspath $(VENV))/bin" CHORUS_HOST="$(HOST)" CHORUS_PORT="$(PORT)" \
	exec $(VENV)/bin/honcho --no-colour -f chorus/Procfile -d "$(CURDIR)" -e /dev/null start

worker: install
	$(VENV)/bin/celery -A chorus worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A chorus beat --loglevel=INFO

## Run the whole test suite (SQLite and in-process tasks by default; see .ci/run for PostgreSQL/Redis).
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Benchmarks (not part of the tests): the portal at national scale on PostgreSQL, Redis, gunicorn
## and Celery workers, measured by wrk and client processes; writes docs/benchmarks.md.
## make bench [SIZE=1000000] [ONLY=data,pages,deposits,transitions,import] [LABEL=apres] [QUICK=1]
## BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/chorus_bench) and BENCH_REDIS_URL
## (redis://127.0.0.1:6379, databases 12 and 13) choose the services; BENCH_ARGS passes more options.
SIZE ?=
ONLY ?= data,pages,deposits,transitions,import
LABEL ?= apres
bench: install
	@command -v wrk >/dev/null || { echo "make bench a besoin de wrk : apt-get install wrk"; exit 1; }
	$(PY) bench/run.py $(if $(SIZE),--size $(SIZE)) --only $(ONLY) --label $(LABEL) $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
