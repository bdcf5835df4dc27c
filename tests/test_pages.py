"""Pages du socle : connexion, accueil par rôle, sonde de santé."""

import pytest
from django.urls import reverse

from . import factories as f

pytestmark = pytest.mark.django_db


def test_accueil_exige_une_connexion(client):
    reponse = client.get(reverse("accueil"))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("login"))


def test_page_de_connexion_en_francais(client):
    reponse = client.get(reverse("login"))
    assert reponse.status_code == 200
    assert "Se connecter" in reponse.content.decode()


def test_mauvais_mot_de_passe_message_clair(client):
    f.UserFactory(username="camille")
    reponse = client.post(reverse("login"), {"username": "camille", "password": "faux"})
    assert reponse.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in reponse.content.decode()


@pytest.mark.parametrize(
    # Ménages accompagnés : une mesure active aujourd'hui dans le ressort (mesure_a1 sur P1 ;
    # + mesure_a2 sur D1 ; + mesure_b1 pour l'administrateur).
    ("role", "menages_accompagnes"),
    [("coordinateur", 1), ("agent", 2), ("administrateur", 3)],
)
def test_accueil_montre_le_perimetre_du_role(client, monde, role, menages_accompagnes):
    client.force_login(getattr(monde, role))
    reponse = client.get(reverse("accueil"))
    assert reponse.status_code == 200
    assert reponse.context["tableau"]["territorial"]["menages_accompagnes"] == menages_accompagnes


def test_accueil_du_referent_montre_son_suivi(client, monde):
    client.force_login(monde.referent)
    tableau = client.get(reverse("accueil")).context["tableau"]
    assert "referent" in tableau
    assert "territorial" not in tableau


def test_accueil_du_copilote_sans_donnees_personnelles(client, monde):
    client.force_login(monde.copilote)
    reponse = client.get(reverse("accueil"))
    contenu = reponse.content.decode()
    assert "territorial" not in reponse.context["tableau"]
    assert "chiffres agrégés" in contenu
    assert monde.m_a1.reference not in contenu


def test_accueil_sans_habilitation(client, monde):
    client.force_login(monde.sans_role)
    assert "Aucune habilitation active" in client.get(reverse("accueil")).content.decode()


def test_accueil_en_nombre_de_requetes_constant(client, monde, django_assert_max_num_queries):
    client.force_login(monde.agent)
    with django_assert_max_num_queries(30) as petit:
        client.get(reverse("accueil"))
    for _ in range(20):
        f.MesureFactory(menage=f.MenageFactory(territoire=monde.a2), structure=monde.s2)
    with django_assert_max_num_queries(len(petit.captured_queries)):
        client.get(reverse("accueil"))


def test_sonde_de_sante(client, db):
    reponse = client.get(reverse("sante"))
    assert reponse.status_code == 200
    assert reponse.json() == {"base": "ok"}
