# Démarrage rapide, tests et contrôles de qualité. Aucun service requis : SQLite sous var/ et
# tâches Celery exécutées sur place tant que DATABASE_URL et CELERY_BROKER_URL ne sont pas définis.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLE := $(VENV)/.installe
MENAGES ?= 300
SEED ?= 42
PORT ?= 8000
PYTEST_ARGS ?=

DEMO_MOT_DE_PASSE := demo-logement-2026
DEMO_COMPTES := coordinatrice referent referente2 agent.departemental copilote admin

.DEFAULT_GOAL := help
.PHONY: help install demo test lint

help:
	@echo "make demo   installe, migre var/db.sqlite3, crée les données de démo puis lance http://127.0.0.1:$(PORT)"
	@echo "make test   installe si besoin puis lance pytest (DATABASE_URL respecté, SQLite par défaut)"
	@echo "make lint   ruff format --check, ruff check, makemigrations --check"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Réinstalle quand pyproject.toml change.
$(INSTALLE): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(INSTALLE)

demo: $(INSTALLE)
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	@existe=$$($(PY) manage.py shell --verbosity 0 -c "from logement.models import User; print(User.objects.filter(username='coordinatrice').exists())") || exit 1; \
	if [ "$$existe" = "True" ]; then \
		echo "Données de démonstration déjà présentes : seed_demo n'est pas relancé."; \
	else \
		$(PY) manage.py seed_demo --menages $(MENAGES) --seed $(SEED) || exit 1; \
	fi
	@echo
	@echo "Plateforme de démonstration : http://127.0.0.1:$(PORT)/"
	@echo "Comptes (mot de passe commun : $(DEMO_MOT_DE_PASSE)) :"
	@for compte in $(DEMO_COMPTES); do echo "  - $$compte"; done
	@echo
	DEBUG=1 DOUBLE_AUTHENTIFICATION_OBLIGATOIRE=0 $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(INSTALLE)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(INSTALLE)
	@mkdir -p var
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
