"""Tests de navigateur : Playwright pilote le Chromium de Debian sur le serveur de test."""

import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MOT_DE_PASSE = "mot-de-passe-de-test-1"
# WCAG 2.1 niveaux A et AA : ce que le référentiel RGAA reprend.
NORMES_AXE = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def pytest_collection_modifyitems(items):
    # live_server vide la base après chaque test ; serialized_rollback y remet les tables de
    # référence chargées par les migrations, dont les autres tests ont besoin.
    for item in items:
        if "navigateur" in item.nodeid:
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"Chromium introuvable ({CHROMIUM}) alors que REQUIRE_SERVICES=1.")
        pytest.skip("Chromium n'est pas installé (apt-get install chromium).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # Sans ces options, Chromium tente des connexions sortantes que la machine refuse.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def page(page):
    # Toute erreur JavaScript de la page fait échouer le test.
    erreurs = []
    page.on("pageerror", lambda exc: erreurs.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and erreurs.append(msg.text))
    yield page
    assert not erreurs, f"Erreurs dans la console du navigateur : {erreurs}"


@pytest.fixture
def connecter(page, live_server):
    """connecter(user) : ouvre une session par le formulaire de connexion, comme un humain."""

    def _connecter(user):
        appareil = _appareil_totp(user)
        page.goto(f"{live_server.url}/connexion/")
        page.get_by_label("Nom d’utilisateur").fill(user.username)
        page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        if appareil is not None and "/compte/verification/" in page.url:
            verifier_code(page, appareil)
        return page

    return _connecter


def _appareil_totp(user):
    """Comptes tenus à la double authentification : un téléphone déjà enregistré, pour que
    la connexion passe par la page de vérification (l'enrôlement a ses propres tests)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from comptes.services import double_authentification_requise

    frais = type(user).objects.get(pk=user.pk)
    if not double_authentification_requise(frais):
        return None
    appareil = TOTPDevice.objects.filter(user=frais, confirmed=True).first()
    return appareil or TOTPDevice.objects.create(user=frais, name="Téléphone de test")


def verifier_code(page, appareil):
    """Saisit le code du moment sur la page de vérification en deux étapes."""
    from comptes.services import code_totp_courant

    page.get_by_label("Code de vérification").fill(code_totp_courant(appareil))
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_load_state()


@pytest.fixture
def verifier_accessibilite():
    axe = Axe()

    def _verifier(page):
        resultats = axe.run(
            page,
            options={
                "runOnly": {"type": "tag", "values": NORMES_AXE},
                "resultTypes": ["violations"],
            },
        )
        assert resultats.violations_count == 0, resultats.generate_report()

    return _verifier


@pytest.fixture
def comptes(monde):
    """Mot de passe connu pour chaque compte du monde de test."""
    for user in (monde.referent, monde.coordinateur, monde.agent, monde.copilote):
        user.set_password(MOT_DE_PASSE)
        user.save()
    return monde


@pytest.fixture(scope="session", autouse=True)
def _references_restaurees_apres_playwright(django_db_setup):
    """serialized_rollback retrouve les tables de référence quel que soit l'objet connexion.

    Django range le contenu sérialisé sur l'objet connexion de la base de test ; or l'API
    synchrone de Playwright change de contexte (contextvars) en démarrant, et l'ORM du thread de
    test ouvre alors un nouvel objet connexion, sans ce contenu : les tests suivants
    démarreraient sur des tables de référence vides. On le range donc sur la classe.
    """
    from django.db import connections

    classes = set()
    for connexion in connections.all():
        contenu = getattr(connexion, "_test_serialized_contents", None)
        if contenu is not None:
            classes.add(type(connexion))
            type(connexion)._test_serialized_contents = contenu
    yield
    for classe in classes:
        del classe._test_serialized_contents


@pytest.fixture(autouse=True)
def _attente_bornee(request):
    """Un élément introuvable échoue en 10 s plutôt qu'en 30 : la suite reste rapide à lire."""
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(10_000)


@pytest.fixture
def menu(page):
    """menu(libellé) : suit une entrée du menu principal, comme un humain."""

    def _menu(libelle):
        navigation = page.get_by_role("navigation", name="Menu principal")
        navigation.get_by_role("link", name=libelle, exact=True).click()
        return page

    return _menu
