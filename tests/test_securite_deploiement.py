"""Réglages de production : `check --deploy` propre, en-têtes de sécurité, fichiers privés jamais
servis par une URL."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, URLResolver, get_resolver, reverse

RACINE = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "logement.exemple.invalid",
    "HTTPS": "1",
}


def check_deploy(**variables):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.pop("DEBUG", None)
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=RACINE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_sans_aucun_probleme_en_production():
    resultat = check_deploy(**PRODUCTION)
    assert resultat.returncode == 0, resultat.stderr + resultat.stdout
    assert "System check identified no issues (0 silenced)." in resultat.stdout


def test_check_deploy_signale_l_oubli_de_https():
    resultat = check_deploy(**{**PRODUCTION, "HTTPS": "0"})
    assert resultat.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in resultat.stderr + resultat.stdout


def test_check_deploy_refuse_la_double_authentification_facultative():
    resultat = check_deploy(**{**PRODUCTION, "DOUBLE_AUTHENTIFICATION_OBLIGATOIRE": "0"})
    assert resultat.returncode != 0
    assert "comptes.W001" in resultat.stderr + resultat.stdout


def test_demonstration_double_authentification_facultative(client, monde, settings):
    """make demo : l'agent départemental entre sans enrôlement, la 2FA reste proposée."""
    settings.DOUBLE_AUTHENTIFICATION_OBLIGATOIRE = False
    client.force_login(monde.agent)
    assert client.get(reverse("accueil")).status_code == 200
    settings.DOUBLE_AUTHENTIFICATION_OBLIGATOIRE = True
    assert client.get(reverse("accueil")).status_code == 302


def _politique(reponse) -> dict[str, str]:
    entete = reponse.headers["Content-Security-Policy"]
    return dict(
        directive.strip().split(" ", 1) for directive in entete.split(";") if directive.strip()
    )


def test_entetes_de_securite(client, db):
    reponse = client.get("/connexion/")
    assert reponse.headers["X-Frame-Options"] == "DENY"
    assert reponse.headers["Referrer-Policy"] == "same-origin"
    assert reponse.headers["X-Content-Type-Options"] == "nosniff"
    assert reponse.headers["Cross-Origin-Opener-Policy"] == "same-origin"

    politique = _politique(reponse)
    assert politique["default-src"] == "'self'"
    assert politique["frame-ancestors"] == "'none'"
    assert politique["object-src"] == "'none'"
    assert "unsafe-inline" not in politique["script-src"]
    assert "unsafe-eval" not in politique["script-src"]
    assert "unsafe-inline" not in politique["style-src"]


def test_scripts_du_dsfr_portent_le_nonce_de_la_politique(client, db):
    reponse = client.get("/connexion/")
    nonce = re.search(r"'nonce-([^']+)'", _politique(reponse)["script-src"]).group(1)
    html = reponse.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    for balise in scripts:
        # Un script sans nonce doit venir d'un fichier du site ('self').
        assert f'nonce="{nonce}"' in balise or 'src="/static/' in balise, balise
    assert re.search(r"<script>\s*\S", html) is None, "aucun script en ligne sans nonce"
    assert 'name="htmx-config"' in html


def test_cookies_de_session_et_csrf(client, monde):
    reponse = client.post(
        "/connexion/", {"username": "referent", "password": "mot-de-passe-de-test-1"}
    )
    cookie = reponse.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"], "cookie de session : effacé à la fermeture du navigateur"


def _motifs(resolver, prefixe=""):
    for motif in resolver.url_patterns:
        if isinstance(motif, URLResolver):
            yield from _motifs(motif, prefixe + str(motif.pattern))
        elif isinstance(motif, URLPattern):
            yield prefixe + str(motif.pattern), motif.callback


def test_aucune_route_ne_sert_de_fichier_depuis_le_disque():
    from django.views.static import serve

    servies = [chemin for chemin, vue in _motifs(get_resolver()) if vue is serve]
    assert servies == []
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"


def test_fichiers_prives_hors_des_dossiers_statiques():
    prive = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    for statique in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        statique = statique.resolve()
        assert not prive.is_relative_to(statique) and not statique.is_relative_to(prive)


@pytest.mark.parametrize("prefixe", ["/", "/media/", "/private/", "/static/", "/prive/"])
def test_un_fichier_prive_n_est_pas_servi(client, monde, prefixe):
    nom = default_storage.save("bilans/secret-de-test.csv", ContentFile(b"nom;adresse\n"))
    client.force_login(monde.administrateur)
    assert client.get(prefixe + nom).status_code == 404
