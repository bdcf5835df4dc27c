"""Éditions concurrentes : deux personnes partent de la même version d'un ménage ou d'un projet ;
la seconde à enregistrer reçoit un message clair et rien de ce qu'elle a saisi n'est écrit."""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    DomaineAccompagnement,
    ObjectifProjet,
    ProjetAccompagnement,
    RevisionProjet,
)
from logement.models import Role
from menages.concurrence import EditionConcurrente, prendre_la_main
from menages.models import Menage, Ressource, TypeRessource

from . import factories as f

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()


def connecte(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texte(reponse) -> str:
    return reponse.content.decode()


def donnees_menage(menage, **champs) -> dict:
    return {
        "territoire": menage.territoire_id,
        "adresse": menage.adresse,
        "commune": menage.commune,
        "telephone": menage.telephone,
        "dalo": menage.dalo,
        "version": menage.version,
        **champs,
    }


@pytest.fixture
def agent_bis(monde):
    return f.utilisateur(
        Role.AGENT_DEPARTEMENTAL,
        territoire=monde.d1,
        username="agent_bis",
        first_name="Dominique",
        last_name="Second",
    )


# --- Ménage -------------------------------------------------------------------------------------


def test_le_formulaire_porte_la_version_lue(monde):
    reponse = connecte(monde.agent).get(reverse("menages:modifier", args=[monde.m_a1.pk]))
    assert 'name="version" value="1"' in texte(reponse)


def test_deux_editions_du_menage_la_seconde_est_refusee(monde, agent_bis):
    menage = monde.m_a1
    url = reverse("menages:modifier", args=[menage.pk])
    premier, second = connecte(monde.agent), connecte(agent_bis)
    # Les deux ouvrent le formulaire : même version lue.
    lue = menage.version
    assert premier.get(url).status_code == second.get(url).status_code == 200

    reponse = second.post(url, donnees_menage(menage, telephone="0600000002", version=lue))
    assert reponse.status_code == 302
    reponse = premier.post(
        url, donnees_menage(menage, telephone="0600000001", adresse="1 rue Neuve", version=lue)
    )

    assert reponse.status_code == 200
    contenu = texte(reponse)
    assert "Ce ménage a été modifié par Dominique Second à " in contenu
    assert "vos modifications n&#x27;ont pas été enregistrées" in contenu
    assert 'value="0600000001"' in contenu  # la saisie reste affichée
    menage.refresh_from_db()
    assert (menage.telephone, menage.adresse) == ("0600000002", "")
    assert menage.version == lue + 1 and menage.modifie_par == agent_bis


def test_apres_rechargement_la_modification_passe(monde, agent_bis):
    menage = monde.m_a1
    url = reverse("menages:modifier", args=[menage.pk])
    connecte(agent_bis).post(url, donnees_menage(menage, telephone="0600000002"))
    menage.refresh_from_db()
    reponse = connecte(monde.agent).post(url, donnees_menage(menage, telephone="0600000003"))
    assert reponse.status_code == 302
    menage.refresh_from_db()
    assert (menage.telephone, menage.version) == ("0600000003", 3)


@pytest.mark.parametrize("version", ["", "abc", "-1"])
def test_version_absente_ou_alteree_refusee(monde, version):
    menage = monde.m_a1
    reponse = connecte(monde.agent).post(
        reverse("menages:modifier", args=[menage.pk]),
        donnees_menage(menage, telephone="0611111111", version=version),
    )
    assert reponse.status_code == 200
    assert "rechargez la page" in texte(reponse)
    menage.refresh_from_db()
    assert menage.telephone == "" and menage.version == 1


def test_ressources_suivent_la_version_du_menage(monde, agent_bis):
    menage = monde.m_a1
    url = reverse("menages:ressources", args=[menage.pk])
    type_ressource = TypeRessource.objects.first()
    lue = menage.version

    def saisie(montant):
        return {
            "ressources-TOTAL_FORMS": "1",
            "ressources-INITIAL_FORMS": "0",
            "ressources-MIN_NUM_FORMS": "0",
            "ressources-MAX_NUM_FORMS": "1000",
            "ressources-0-type": type_ressource.pk,
            "ressources-0-montant_mensuel": montant,
            "menage-version": lue,
        }

    assert 'name="menage-version"' in texte(connecte(monde.agent).get(url))
    assert connecte(agent_bis).post(url, saisie("100")).status_code == 302
    reponse = connecte(monde.agent).post(url, saisie("200"))
    assert reponse.status_code == 200
    assert "Ce ménage a été modifié par Dominique Second" in texte(reponse)
    assert list(
        Ressource.objects.filter(menage=menage).values_list("montant_mensuel", flat=True)
    ) == [100]


def test_deux_ecritures_de_la_meme_version_une_seule_passe(monde, agent_bis):
    """Au niveau du service : deux objets lus à la même version, écrits l'un après l'autre."""
    a = Menage.objects.get(pk=monde.m_a1.pk)
    b = Menage.objects.get(pk=monde.m_a1.pk)
    with transaction.atomic():
        prendre_la_main(a, version_lue=a.version, par=monde.agent)
        a.telephone = "0622222222"
        a.save()
    with pytest.raises(EditionConcurrente, match="par Camille"), transaction.atomic():
        prendre_la_main(b, version_lue=b.version, par=agent_bis)
        b.telephone = "0633333333"
        b.save()
    a.refresh_from_db()
    assert (a.telephone, a.version, a.modifie_par) == ("0622222222", 2, monde.agent)


# --- Projet d'accompagnement --------------------------------------------------------------------


@pytest.fixture
def projet(monde):
    projet = ProjetAccompagnement.objects.create(
        mesure=monde.mesure_a1, date_elaboration=AUJOURDHUI - dt.timedelta(days=10)
    )
    objectif = ObjectifProjet.objects.create(
        projet=projet,
        domaine=DomaineAccompagnement.objects.get(code="budget"),
        intitule="Résorber la dette",
    )
    ActionProjet.objects.create(objectif=objectif, intitule="Demander un plan d'apurement")
    return projet


@pytest.fixture
def referent_bis(monde):
    return f.utilisateur(
        Role.REFERENT, structure=monde.s1, username="referent_bis", first_name="Sacha"
    )


def htmx(client, url, donnees):
    return client.post(url, donnees, HTTP_HX_REQUEST="true")


def test_projet_deux_editions_la_seconde_est_refusee(monde, projet, referent_bis):
    url = reverse("accompagnement:projet", args=[monde.mesure_a1.pk])
    assert 'name="version" value="1"' in texte(connecte(monde.referent).get(url))

    def saisie(diagnostic):
        return {
            "date_elaboration": projet.date_elaboration.isoformat(),
            "diagnostic": diagnostic,
            "version": 1,
        }

    assert connecte(referent_bis).post(url, saisie("Version de Sacha")).status_code == 302
    reponse = connecte(monde.referent).post(url, saisie("Version écrasante"))
    assert reponse.status_code == 200
    assert "Ce projet d&#x27;accompagnement a été modifié par Sacha" in texte(reponse)
    projet.refresh_from_db()
    assert projet.diagnostic == "Version de Sacha" and projet.version == 2
    assert RevisionProjet.objects.filter(projet=projet, auteur=monde.referent).count() == 0


def test_objectif_en_htmx_deux_editions(monde, projet, referent_bis):
    objectif = projet.objectifs.get()
    url = reverse("accompagnement:objectif_modifier", args=[monde.mesure_a1.pk, objectif.pk])
    page = texte(
        connecte(monde.referent).get(reverse("accompagnement:projet", args=[monde.mesure_a1.pk]))
    )
    assert f'name="objectif-{objectif.pk}-version"' in page

    def saisie(intitule, statut):
        prefixe = f"objectif-{objectif.pk}"
        return {
            f"{prefixe}-intitule": intitule,
            f"{prefixe}-statut": statut,
            f"{prefixe}-version": 1,
        }

    assert (
        htmx(connecte(referent_bis), url, saisie("Résorber la dette", "atteint")).status_code == 200
    )
    reponse = htmx(connecte(monde.referent), url, saisie("Autre intitulé", "abandonne"))
    assert reponse.status_code == 200
    contenu = texte(reponse)
    assert "<html" not in contenu
    assert "Cet objectif a été modifié par Sacha" in contenu
    assert 'value="Autre intitulé"' in contenu  # la saisie est réaffichée, formulaire ouvert
    objectif.refresh_from_db()
    assert (objectif.intitule, objectif.statut, objectif.version) == (
        "Résorber la dette",
        "atteint",
        2,
    )


def test_action_en_htmx_deux_editions(monde, projet, referent_bis):
    action = ActionProjet.objects.get(objectif__projet=projet)
    url = reverse("accompagnement:action_modifier", args=[monde.mesure_a1.pk, action.pk])

    def saisie(intitule):
        prefixe = f"action-{action.pk}"
        return {
            f"{prefixe}-intitule": intitule,
            f"{prefixe}-porteur": "referent",
            f"{prefixe}-version": 1,
        }

    assert htmx(connecte(referent_bis), url, saisie("Plan d'apurement signé")).status_code == 200
    reponse = htmx(connecte(monde.referent), url, saisie("Écrasement"))
    assert "Cette action a été modifiée par Sacha" in texte(reponse)
    action.refresh_from_db()
    assert action.intitule == "Plan d'apurement signé"


def test_action_marquee_realisee_change_la_version(monde, projet, referent_bis):
    """Un clic « réalisée » pendant qu'un autre édite l'action : l'édition ne l'efface pas."""
    action = ActionProjet.objects.get(objectif__projet=projet)
    htmx(
        connecte(referent_bis),
        reverse("accompagnement:action_realisee", args=[monde.mesure_a1.pk, action.pk]),
        {},
    )
    prefixe = f"action-{action.pk}"
    reponse = htmx(
        connecte(monde.referent),
        reverse("accompagnement:action_modifier", args=[monde.mesure_a1.pk, action.pk]),
        {f"{prefixe}-intitule": "Autre", f"{prefixe}-porteur": "menage", f"{prefixe}-version": 1},
    )
    assert "Cette action a été modifiée par Sacha" in texte(reponse)
    action.refresh_from_db()
    assert action.realisee_le == AUJOURDHUI and action.version == 2
