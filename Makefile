# Bascule — two commands: `make demo` (run it) and `make test` (prove it). See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres quality install system-deps messages migrate serve clean help

help:
	@echo "make demo     installe, migre, charge la démo et sert Bascule sur http://127.0.0.1:$(PORT)"
	@echo "make test     installe ce qu'il faut et lance toute la suite (SQLite, puis PostgreSQL si DATABASE_URL)"
	@echo "make quality  ruff, mypy, djlint, makemigrations --check"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# gettext compiles the translations; Pango and a font let WeasyPrint write the committee reports (PDF);
# chromium drives the browser tests (Debian's, never a downloaded one); dovecot-imapd is the real IMAP server the
# support desk's mail tests start on loopback.
system-deps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	/sbin/ldconfig -p | grep -q libpangoft2-1.0.so.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"; \
	[ -d /usr/share/fonts/truetype/dejavu ] || missing="$$missing fonts-dejavu-core"; \
	if [ "$(WITH_BROWSER)" = "1" ] && ! command -v chromium >/dev/null; then missing="$$missing chromium fonts-dejavu-core"; fi; \
	if [ "$(WITH_BROWSER)" = "1" ] && [ ! -x /usr/sbin/dovecot ]; then missing="$$missing dovecot-imapd"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "Installation des paquets Debian :$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

messages: install system-deps
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

migrate: messages
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0

demo: migrate
	$(BIN)/python manage.py demo_data
	@echo ""
	@echo "Bascule est servi sur http://127.0.0.1:$(PORT)/"
	@echo "Comptes de démonstration (mot de passe « demo ») :"
	@echo "  national  — pilotage national, voit toutes les régions"
	@echo "  bretagne  — responsable déploiement de la région Bretagne"
	@echo "  lecteur   — lecteur de la région Bretagne (lecture seule)"
	@echo "Arrêt : Ctrl+C (arrête aussi le traitement en arrière-plan)."
	@echo ""
	@trap 'kill 0' EXIT INT TERM; \
	( while true; do $(BIN)/python manage.py worker --interval 1; \
	    echo "Le traitement en arrière-plan s'est arrêté : redémarrage dans 2 s."; sleep 2; done ) & \
	$(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)

test: WITH_BROWSER=1
test: messages
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "DATABASE_URL non défini : suite PostgreSQL non lancée (voir .ci/run)."; fi

test-sqlite:
	@echo "== Suite complète sur SQLite =="
	@start=$$SECONDS; env -u DATABASE_URL $(BIN)/pytest -n 2 --dist worksteal -q --durations=15; status=$$?; \
	  echo "== SQLite : $$((SECONDS - start)) s =="; exit $$status

test-postgres:
	@echo "== Suite complète sur PostgreSQL ($${DATABASE_URL%%@*}@…) =="
	@start=$$SECONDS; BASCULE_TESTS_DATABASE_ONLY=1 $(BIN)/pytest -n 2 --dist worksteal -q --durations=15; \
	  status=$$?; echo "== PostgreSQL : $$((SECONDS - start)) s =="; exit $$status

quality: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy bascule config
	$(BIN)/mypy --strict --allow-subclassing-any --follow-imports=silent bascule/core bascule/committees bascule/indicators bascule/dashboard
	$(BIN)/djlint bascule --lint
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var *.egg-info
