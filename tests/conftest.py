"""Fixtures communes : un petit monde de deux Départements pour éprouver le cloisonnement."""

import os
from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from logement.models import Role, Structure

from . import factories as f

# Les tests de navigateur (live_server) appellent l'ORM depuis un thread asynchrone.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _est_transactionnel(item) -> bool:
    marque = item.get_closest_marker("django_db")
    return bool(
        {"live_server", "transactional_db"} & set(getattr(item, "fixturenames", ()))
        or (marque and marque.kwargs.get("transaction"))
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # Un test transactionnel vide la base en fin de test : il passe après tous les autres.
    # pytest-django trie déjà ainsi, mais le regroupement par navigateur de pytest-playwright
    # (fixture paramétrée de portée session) peut défaire ce tri.
    items.sort(key=_est_transactionnel)


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    # PBKDF2 coûte ~0,3 s par mot de passe : inutile pour des comptes de test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _statiques_sans_manifeste(settings):
    # Le manifeste n'existe qu'après collectstatic (production) : stockage simple en test.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _sans_limite_de_debit(settings):
    # Les compteurs de débit de l'API vivent dans le cache, d'un test à l'autre : pas de 429
    # de hasard (les tests de débit fixent eux-mêmes leurs taux).
    settings.API_DEBIT_JETON = settings.API_DEBIT_SESSION = settings.API_DEBIT_ANONYME = None


@pytest.fixture(autouse=True)
def stockage_prive(settings, tmp_path):
    """Les fichiers produits (bilans…) vont dans un dossier jetable, comme PRIVATE_MEDIA_ROOT."""
    racine = tmp_path / "prive"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(racine)},
        },
    }
    return racine


@pytest.fixture(autouse=True)
def _connexions_de_test(monkeypatch):
    """client.login et client.force_login ouvrent une session où la double authentification
    est déjà faite (pour les comptes qui la doivent) : les tests des pages n'ont pas à la
    rejouer ; tests/test_authentification.py passe par les vrais formulaires. client.login
    fournit aussi la requête que django-axes exige d'authenticate."""
    from django.test import Client

    login, _login = Client.login, Client._login

    def login_avec_requete(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/connexion/"))
        return login(self, **credentials)

    def _login_verifie(self, user, backend=None):
        _login(self, user, backend)
        marquer_double_authentification(self, user)

    monkeypatch.setattr(Client, "login", login_avec_requete)
    monkeypatch.setattr(Client, "_login", _login_verifie)


def marquer_double_authentification(client, user):
    """Range dans la session du client un appareil TOTP confirmé de l'utilisateur, comme après
    la saisie d'un code (django_otp.login) ; sans effet pour qui n'y est pas tenu."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from comptes.services import double_authentification_requise

    frais = type(user).objects.get(pk=user.pk)  # sans toucher au périmètre mis en cache du test
    if not double_authentification_requise(frais):
        return
    appareil = TOTPDevice.objects.filter(user=frais, confirmed=True).first()
    if appareil is None:
        appareil = TOTPDevice.objects.create(user=frais, name="Téléphone de test")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = appareil.persistent_id
    session.save()


@pytest.fixture
def taches_eager():
    """Exécution sur place même si CELERY_BROKER_URL est défini dans l'environnement."""
    from logement import celery_app

    avant = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = avant


@pytest.fixture
def monde(db):
    """Deux Départements ; le premier a deux EPCI et deux plateformes, le second un EPCI.

    Chaque EPCI a un ménage suivi par une structure différente ; un ménage de A1 n'a pas
    encore de mesure. Un utilisateur par rôle, habilité sur le premier Département.
    """
    d1 = f.DepartementFactory(code="01", nom="Département fictif Un")
    d2 = f.DepartementFactory(code="02", nom="Département fictif Deux")
    a1 = f.EpciFactory(parent=d1, nom="EPCI A1")
    a2 = f.EpciFactory(parent=d1, nom="EPCI A2")
    b1 = f.EpciFactory(parent=d2, nom="EPCI B1")
    p1 = f.PlateformeFactory(parent=d1, nom="Plateforme P1", epcis=[a1])
    p2 = f.PlateformeFactory(parent=d1, nom="Plateforme P2", epcis=[a2])
    q1 = f.PlateformeFactory(parent=d2, nom="Plateforme Q1", epcis=[b1])
    s1 = f.StructureFactory(nom="CHRS Un", territoire=d1)
    s2 = f.StructureFactory(nom="AML Deux", type=Structure.Type.AML_IML, territoire=d1)
    s3 = f.StructureFactory(nom="CHRS Trois", territoire=d2)

    m_a1 = f.MenageFactory(territoire=a1)
    m_a1_sans_mesure = f.MenageFactory(territoire=a1)
    m_a2 = f.MenageFactory(territoire=a2)
    m_b1 = f.MenageFactory(territoire=b1)
    mesure_a1 = f.MesureFactory(menage=m_a1, structure=s1)
    mesure_a2 = f.MesureFactory(menage=m_a2, structure=s2)
    mesure_b1 = f.MesureFactory(menage=m_b1, structure=s3)

    return SimpleNamespace(
        d1=d1,
        d2=d2,
        a1=a1,
        a2=a2,
        b1=b1,
        p1=p1,
        p2=p2,
        q1=q1,
        s1=s1,
        s2=s2,
        s3=s3,
        m_a1=m_a1,
        m_a1_sans_mesure=m_a1_sans_mesure,
        m_a2=m_a2,
        m_b1=m_b1,
        mesure_a1=mesure_a1,
        mesure_a2=mesure_a2,
        mesure_b1=mesure_b1,
        referent=f.utilisateur(Role.REFERENT, structure=s1, username="referent"),
        coordinateur=f.utilisateur(Role.COORDINATEUR, territoire=p1, username="coordinateur"),
        agent=f.utilisateur(Role.AGENT_DEPARTEMENTAL, territoire=d1, username="agent"),
        copilote=f.utilisateur(Role.COPILOTE, territoire=a1, username="copilote"),
        administrateur=f.utilisateur(Role.ADMINISTRATEUR, username="administrateur"),
        sans_role=f.UserFactory(username="sans_role"),
    )
