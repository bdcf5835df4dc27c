"""Entretien nocturne : le service seul, puis la vraie chaîne Redis → worker Celery → PostgreSQL."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from logement import celery_app
from logement.services import purger_sessions_expirees
from logement.tasks import entretien_nocturne

REDIS_URL = os.environ.get("TEST_CELERY_REDIS_URL", "redis://127.0.0.1:6379/15")
DELAI_RESULTAT = 30  # secondes : le worker est prêt en ~3 s, la tâche prend quelques ms


def creer_session(*, expire_dans: timedelta) -> str:
    session = SessionStore()
    session["visite"] = True
    session.create()
    Session.objects.filter(pk=session.session_key).update(expire_date=timezone.now() + expire_dans)
    return session.session_key


@pytest.mark.django_db
def test_purger_sessions_expirees_ne_garde_que_les_sessions_valides():
    expiree = creer_session(expire_dans=timedelta(days=-1))
    valide = creer_session(expire_dans=timedelta(days=1))

    assert purger_sessions_expirees() == 1

    assert not Session.objects.filter(pk=expiree).exists()
    assert Session.objects.filter(pk=valide).exists()


@pytest.mark.django_db
def test_entretien_nocturne_renvoie_ses_comptes(taches_eager):
    creer_session(expire_dans=timedelta(minutes=-5))

    assert entretien_nocturne.delay().get() == {"sessions_expirees_supprimees": 1}


def _ignorer_ou_echouer(raison: str):
    # En CI (REQUIRE_SERVICES=1), un service absent est une panne, pas une raison de sauter le test.
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 mais {raison}")
    pytest.skip(raison)


def _redis_repond(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _database_url_de_test() -> str:
    """URL de la base de test de pytest-django, pour que le worker lise ce que le test écrit."""
    reglages = connection.settings_dict
    auth = quote(reglages["USER"] or "", safe="")
    if reglages["PASSWORD"]:
        auth += ":" + quote(reglages["PASSWORD"], safe="")
    hote = reglages["HOST"] or ""
    if hote.startswith("/"):  # socket Unix : django-environ attend le chemin encodé
        hote = quote(hote, safe="")
    port = f":{reglages['PORT']}" if reglages["PORT"] else ""
    return f"postgres://{auth}@{hote}{port}/{quote(reglages['NAME'], safe='')}"


def _oublier_connexions_celery():
    """Celery garde en cache pool de connexions, producteurs et backend : à refaire après
    un changement d'URL de courtier ou de backend."""
    backend = celery_app._backend_cache or getattr(celery_app._local, "backend", None)
    consommateur = getattr(backend, "result_consumer", None)
    if consommateur is not None and getattr(consommateur, "_pubsub", None) is not None:
        consommateur.stop()
    client = getattr(backend, "client", None)
    if client is not None:
        client.close()
    # Les pools de kombu sont partagés par URL dans tout le processus : les oublier sans les fermer.
    celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@pytest.fixture
def courtier_redis(monkeypatch):
    """Fait passer le processus de test du mode eager au vrai courtier Redis, puis le rétablit.

    Une file propre au test évite qu'un autre lancement en parallèle (même base Redis) ne
    consomme notre message avec un worker branché sur une autre base de test."""
    if not _redis_repond(REDIS_URL):
        _ignorer_ou_echouer(f"Redis injoignable sur {REDIS_URL}")
    file = f"test-entretien-{uuid.uuid4().hex}"
    cles = ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    avant = {cle: celery_app.conf[cle] for cle in cles}
    # Celery lit ces variables avant sa configuration : elles passeraient devant conf.update.
    monkeypatch.setenv("CELERY_BROKER_URL", REDIS_URL)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", REDIS_URL)
    monkeypatch.delenv("CELERY_BROKER_READ_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    _oublier_connexions_celery()
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_default_queue=file,
    )
    try:
        yield file
    finally:
        _oublier_connexions_celery()
        celery_app.conf.update(avant)
        client = redis.Redis.from_url(REDIS_URL)
        try:
            client.delete(file, f"_kombu.binding.{file}", f"_kombu.binding_permanent.{file}")
        finally:
            client.close()


@pytest.fixture
def worker_celery(courtier_redis, transactional_db, tmp_path):
    """Un vrai `celery -A logement worker --pool=solo`, branché sur la base de test."""
    if connection.vendor == "sqlite":
        _ignorer_ou_echouer("la base est SQLite : le worker ne peut pas partager la base de test")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logement.settings",
        "DATABASE_URL": _database_url_de_test(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
    }
    journal = tmp_path / "worker.log"
    with journal.open("wb") as sortie:
        processus = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "logement",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--queues",
                courtier_redis,
                "--hostname",
                f"{courtier_redis}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sortie,
            stderr=subprocess.STDOUT,
        )
    try:
        yield processus, journal
    finally:
        processus.terminate()
        try:
            processus.wait(timeout=15)
        except subprocess.TimeoutExpired:
            processus.kill()
            processus.wait(timeout=15)


@pytest.mark.services
# serialized_rollback : sinon le vidage de fin de test recrée les types de contenu sous
# d'autres identifiants, et le test transactionnel suivant ne peut plus restaurer la base.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_entretien_nocturne_par_un_vrai_worker_supprime_les_sessions_expirees(worker_celery):
    processus, journal = worker_celery
    expiree = creer_session(expire_dans=timedelta(hours=-1))
    valide = creer_session(expire_dans=timedelta(hours=1))

    resultat = entretien_nocturne.delay()
    try:
        comptes = resultat.get(timeout=DELAI_RESULTAT)
    except Exception as erreur:
        etat = "arrêté" if processus.poll() is not None else "toujours actif"
        pytest.fail(
            f"pas de résultat du worker ({etat}) : {erreur!r}\n"
            f"--- journal du worker ---\n{journal.read_text(errors='replace')}"
        )

    resultat.forget()
    assert comptes == {"sessions_expirees_supprimees": 1}
    assert not Session.objects.filter(pk=expiree).exists()
    assert Session.objects.filter(pk=valide).exists()
