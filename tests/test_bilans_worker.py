"""Bilans produits par un vrai worker Celery sur Redis et PostgreSQL : de bout en bout, puis
worker tué en plein travail (un processus du pool : la tâche est redonnée et finit ; tout le
worker : `verifier_bilans_bloques` déclare le bilan interrompu après le délai réglé).

Le worker charge tests/bilans_worker_lent.py, qui ralentit le calcul et dit quel processus
travaille : le code de production ne contient rien pour ces tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from bilans import services
from bilans.models import Bilan

from .test_celery_worker import (
    REDIS_URL,
    _database_url_de_test,
    _ignorer_ou_echouer,
    courtier_redis,  # noqa: F401  (fixture)
)

pytestmark = [
    pytest.mark.services,
    # Les tables de référence (types de mesure…) viennent des migrations : à restaurer.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DELAI = 90  # secondes : démarrage du worker (~3 s) puis calcul, PDF et tableur


@pytest.fixture
def stockage_partage(settings, tmp_path):
    """Le worker écrit les fichiers là où le test les relit."""
    racine = tmp_path / "prive"
    racine.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(racine)},
        },
    }
    return racine


def _oublier_messages_non_acquittes(file: str) -> None:
    """Un worker tué laisse son message « non acquitté » dans Redis : on l'efface."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for etiquette, message in client.hgetall("unacked").items():
            if file.encode() in message:
                client.hdel("unacked", etiquette)
                client.zrem("unacked_index", etiquette)
    finally:
        client.close()


@pytest.fixture
def lancer_worker(request, stockage_partage, tmp_path):
    """Fabrique : `lancer_worker(lenteur=…)` démarre `celery worker --pool=prefork
    --concurrency=1` dans son propre groupe de processus, branché sur la base de test."""
    if connection.vendor == "sqlite":
        _ignorer_ou_echouer("la base est SQLite : le worker ne peut pas partager la base de test")
    file = request.getfixturevalue("courtier_redis")
    signaux = tmp_path / "signaux"
    signaux.mkdir()
    lances = []

    def lancer(*, lenteur: float = 0):
        journal = tmp_path / f"worker-{len(lances)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "logement.settings",
            "DATABASE_URL": _database_url_de_test(),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
            "PRIVATE_MEDIA_ROOT": str(stockage_partage),
            "BILANS_TEST_SIGNAUX": str(signaux),
            "BILANS_TEST_LENTEUR": str(lenteur),
        }
        with journal.open("wb") as sortie:
            processus = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "logement",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--loglevel=INFO",
                    "--include",
                    "tests.bilans_worker_lent",
                    "--queues",
                    file,
                    "--hostname",
                    f"{file}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=Path(settings.BASE_DIR),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sortie,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # un groupe à lui : on peut tuer le worker et son pool
            )
        lances.append(processus)
        return processus, journal, signaux

    yield lancer
    for processus in lances:
        if processus.poll() is None:
            os.killpg(processus.pid, signal.SIGTERM)
            try:
                processus.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(processus.pid, signal.SIGKILL)
                processus.wait(timeout=10)
    _oublier_messages_non_acquittes(file)


def attendre(condition, journal: Path, message: str, delai: float = DELAI):
    limite = time.monotonic() + delai
    while time.monotonic() < limite:
        resultat = condition()
        if resultat:
            return resultat
        time.sleep(0.2)
    pytest.fail(f"{message}\n--- journal du worker ---\n{journal.read_text(errors='replace')}")


def essais(signaux: Path) -> list[int]:
    """Pids des processus qui ont commencé le calcul, dans l'ordre."""
    fichiers = sorted(signaux.iterdir(), key=lambda p: int(p.name.split("-")[1]))
    return [int(p.read_text()) for p in fichiers if p.read_text()]


def demander(monde) -> Bilan:
    # Pas de transaction englobante : l'envoi à la file suit aussitôt l'enregistrement.
    bilan = services.demander_bilan(
        par=monde.agent,
        territoire=monde.a1,
        audience=Bilan.Audience.EPCI,
        debut=services.periode_annee(2024)[0],
        fin=services.periode_annee(2024)[1],
        periodicite=Bilan.Periodicite.ANNUEL,
    )
    assert bilan.expedie is True
    return bilan


def statut(bilan: Bilan) -> str:
    bilan.refresh_from_db()
    return bilan.statut


def test_un_vrai_worker_produit_le_bilan(monde, lancer_worker, stockage_partage):
    _, journal, _ = lancer_worker()

    bilan = demander(monde)

    attendre(lambda: statut(bilan) == Bilan.Statut.PRET, journal, "le bilan n'est pas prêt")
    assert (bilan.tentatives, bilan.progression, bilan.erreur) == (1, 100, "")
    assert bilan.donnees["audience"] == "epci"
    contenus = {}
    for fichier in bilan.fichiers.all():
        with fichier.fichier.open("rb") as f:
            contenus[fichier.format] = f.read()
        assert Path(fichier.fichier.path).is_relative_to(stockage_partage)
    assert contenus["pdf"].startswith(b"%PDF")
    assert contenus["xlsx"].startswith(b"PK")
    assert contenus["csv"].startswith("\ufeff".encode())


def test_processus_du_pool_tue_la_tache_est_redonnee_et_finit(monde, lancer_worker):
    processus, journal, signaux = lancer_worker(lenteur=3)

    bilan = demander(monde)
    premier = attendre(lambda: essais(signaux), journal, "le calcul n'a pas commencé")[0]
    # La progression est validée au fil de l'eau : le polling la voit pendant le calcul.
    attendre(
        lambda: statut(bilan) == Bilan.Statut.EN_COURS and bilan.etape.startswith("Calcul"),
        journal,
        "progression invisible",
    )
    assert premier != processus.pid  # c'est bien un enfant du pool
    os.kill(premier, signal.SIGKILL)

    attendre(lambda: statut(bilan) == Bilan.Statut.PRET, journal, "la tâche n'a pas été redonnée")
    assert bilan.tentatives == 2
    assert len(essais(signaux)) == 2 and essais(signaux)[1] != premier
    assert bilan.fichiers.count() == 3
    assert processus.poll() is None  # le worker a remplacé son processus et continue


def test_worker_entier_tue_le_bilan_finit_en_echec_apres_le_delai(monde, lancer_worker, settings):
    processus, journal, signaux = lancer_worker(lenteur=60)
    settings.LOGEMENT = {**settings.LOGEMENT, "BILAN_EN_COURS_MAX_SECONDES": 2}

    bilan = demander(monde)
    attendre(lambda: essais(signaux), journal, "le calcul n'a pas commencé")
    os.killpg(processus.pid, signal.SIGKILL)
    processus.wait(timeout=10)

    # Plus personne ne travaille : le bilan resterait « en cours » sans la surveillance.
    assert statut(bilan) == Bilan.Statut.EN_COURS
    time.sleep(2.5)
    assert services.verifier_bilans_bloques()["interrompus"] == 1

    assert statut(bilan) == Bilan.Statut.ECHEC
    assert bilan.erreur == services.INTERROMPU
    assert not bilan.fichiers.exists()
