"""Droit d'accès : l'agent départemental exporte tout ce que la plateforme détient sur une
personne (JSON et PDF), dans son Département seulement, et l'export est tracé. Information et
libre adhésion : enregistrées avec date et auteur, montrées sur la fiche."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journal.models import Evenement
from menages.models import Consentement, Personne, ProcedureExpulsion

from . import factories as f

pytestmark = pytest.mark.django_db
AUJOURDHUI = timezone.localdate()


def connecte(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(personne, format="json"):
    return reverse("rgpd:droit_acces", args=[personne.pk, format])


@pytest.fixture
def dossier(monde):
    """Le ménage de A1 : demandeur, conjoint, adhésion, rencontre avec note, procédure."""
    menage = monde.m_a1
    demandeur = menage.demandeur_principal
    conjoint = f.PersonneFactory(
        menage=menage, nom="Confidentiel", prenom="Tiers", role=Personne.Role.CONJOINT
    )
    f.SituationFactory(personne=conjoint, commentaire="Situation propre au conjoint")
    Consentement.objects.create(
        menage=menage,
        date=AUJOURDHUI - dt.timedelta(days=5),
        adhesion=Consentement.Adhesion.ACCEPTEE,
        recueilli_par=monde.referent,
        commentaire="Information remise en main propre",
    )
    f.RencontreFactory(
        menage=menage,
        mesure=monde.mesure_a1,
        structure=monde.s1,
        auteur=monde.referent,
        note="Note du référent sur la situation",
    )
    ProcedureExpulsion.objects.create(
        menage=menage, date_signalement=AUJOURDHUI - dt.timedelta(days=50), bailleur="Bailleur X"
    )
    return demandeur


def test_export_json_complet(monde, dossier):
    reponse = connecte(monde.agent).get(url(dossier))
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/json"
    assert reponse["Content-Disposition"].startswith("attachment;")
    assert monde.m_a1.reference in reponse["Content-Disposition"]
    donnees = json.loads(reponse.content)
    assert donnees["personne"]["nom"] == dossier.nom
    assert donnees["personne"]["date_naissance"] == "1985-05-17"
    assert donnees["menage"]["reference"] == monde.m_a1.reference
    assert donnees["responsable_du_traitement"] == monde.d1.nom
    assert donnees["consentements"][0]["commentaire"] == "Information remise en main propre"
    assert donnees["consentements"][0]["recueilli_par"] == str(monde.referent)
    assert donnees["mesures"][0]["structure"] == monde.s1.nom
    # Les notes de rencontre font partie du droit d'accès.
    assert donnees["rencontres"][0]["note"] == "Note du référent sur la situation"
    assert donnees["procedures"][0]["bailleur"] == "Bailleur X"
    for cle in ("situations", "ressources", "orientations", "objectifs", "aides", "propositions"):
        assert isinstance(donnees[cle], list)
    # Le journal : au moins la création de la personne.
    assert any(e["action"] == "Création" for e in donnees["journal"])
    # L'autre membre n'apparaît que par son rôle.
    assert donnees["autres_membres"] == [{"role": "Conjoint(e)"}]
    texte = reponse.content.decode()
    assert "Confidentiel" not in texte and "Situation propre au conjoint" not in texte


def test_export_pdf(monde, dossier):
    reponse = connecte(monde.agent).get(url(dossier, "pdf"))
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse.content.startswith(b"%PDF")
    assert len(reponse.content) > 5000


def test_acces_trace(monde, dossier):
    connecte(monde.agent).get(url(dossier, "pdf"))
    trace = Evenement.objects.get(action="acces_rgpd")
    assert trace.auteur == monde.agent
    assert trace.menage_id == monde.m_a1.pk
    assert trace.details["format"] == "pdf"


def test_administrateur_partout(monde):
    personne = monde.m_b1.demandeur_principal
    assert connecte(monde.administrateur).get(url(personne)).status_code == 200


def test_hors_departement_404_sans_trace(monde):
    personne = monde.m_b1.demandeur_principal
    assert connecte(monde.agent).get(url(personne)).status_code == 404
    assert connecte(monde.agent).get(url(personne, "pdf")).status_code == 404
    assert not Evenement.objects.filter(action="acces_rgpd").exists()


def test_format_inconnu_404(monde, dossier):
    assert connecte(monde.agent).get(url(dossier, "xml")).status_code == 404


def test_personne_inexistante_404(monde):
    reponse = connecte(monde.agent).get(reverse("rgpd:droit_acces", args=[999999, "json"]))
    assert reponse.status_code == 404


@pytest.mark.parametrize("role", ["referent", "coordinateur", "copilote", "sans_role"])
def test_reserve_aux_agents_departementaux(monde, dossier, role):
    assert connecte(getattr(monde, role)).get(url(dossier)).status_code == 403


def test_agent_aussi_referent_ailleurs_reste_dans_son_departement(monde):
    f.HabilitationFactory(user=monde.agent, role="referent", structure=monde.s3)
    personne = monde.m_b1.demandeur_principal
    assert connecte(monde.agent).get(url(personne)).status_code == 404


def test_fiche_propose_le_droit_dacces_a_lagent_seulement(monde, dossier):
    fiche = reverse("menages:fiche", args=[monde.m_a1.pk])
    contenu = connecte(monde.agent).get(fiche).content.decode()
    assert "Droits des personnes (RGPD)" in contenu
    assert url(dossier, "pdf") in contenu and url(dossier, "json") in contenu
    for role in ("referent", "coordinateur"):
        contenu = connecte(getattr(monde, role)).get(fiche).content.decode()
        assert "Droits des personnes" not in contenu
        assert url(dossier, "pdf") not in contenu


# --- Information et libre adhésion --------------------------------------------------------------


def test_fiche_montre_information_et_adhesion_avec_date_et_auteur(monde, dossier):
    contenu = (
        connecte(monde.coordinateur)
        .get(reverse("menages:fiche", args=[monde.m_a1.pk]))
        .content.decode()
    )
    assert "Information et libre adhésion" in contenu
    date = (AUJOURDHUI - dt.timedelta(days=5)).strftime("%d/%m/%Y")
    assert f"le {date}, recueillie par {monde.referent}" in contenu


def test_fiche_signale_labsence_dadhesion(monde):
    contenu = (
        connecte(monde.agent).get(reverse("menages:fiche", args=[monde.m_a2.pk])).content.decode()
    )
    assert "ne sont enregistrées" in contenu


def test_enregistrer_information_et_adhesion(monde):
    adresse = reverse("menages:consentement", args=[monde.m_a1.pk])
    client = connecte(monde.coordinateur)
    assert "Information et libre adhésion" in client.get(adresse).content.decode()
    reponse = client.post(
        adresse,
        {
            "date": AUJOURDHUI.isoformat(),
            "adhesion": "acceptee",
            "information_donnee": "on",
            "commentaire": "",
        },
    )
    assert reponse.status_code == 302
    consentement = Consentement.objects.get(menage=monde.m_a1)
    assert consentement.recueilli_par == monde.coordinateur
    assert consentement.information_donnee and consentement.date == AUJOURDHUI
