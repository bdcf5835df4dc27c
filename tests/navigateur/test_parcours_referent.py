"""Parcours du référent dans un vrai navigateur : file active, fiche, rencontre notée sans
rechargement (htmx), projet d'accompagnement, situation, renouvellement et fin de mesure."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accompagnement.models import ActionProjet, Mesure, Rencontre
from attributions.models import Logement
from menages.models import Personne

from .. import factories as f

AUJOURDHUI = f.AUJOURDHUI


def _fr(jour: dt.date) -> str:
    return f"{jour:%d/%m/%Y}"


@pytest.fixture
def suivi(comptes):
    """Un ménage de deux personnes dont le référent suit la mesure ASRL, et le logement que la
    plateforme lui a attribué."""
    m = comptes
    m.referent.first_name, m.referent.last_name = "Camille", "Référente"
    m.referent.save()
    menage = f.MenageFactory(territoire=m.a1, demandeur=False)
    f.PersonneFactory(menage=menage, nom="Petit", prenom="Amélie", role=Personne.Role.DEMANDEUR)
    f.PersonneFactory(menage=menage, nom="Petit", prenom="Noé", role=Personne.Role.ENFANT)
    mesure = f.MesureFactory(menage=menage, structure=m.s1, referent=m.referent)
    logement = f.LogementFactory(territoire=m.a1, reference="LOG-REF-1")
    f.PropositionFactory(menage=menage, logement=logement, bail=True)
    return mesure


def _ouvrir_la_fiche(menu, mesure):
    page = menu("Mes ménages")
    page.get_by_role("link", name=mesure.menage.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(mesure.menage.reference)


def test_file_active_puis_rencontre_notee_sans_recharger_la_page(
    comptes, suivi, connecter, menu, verifier_accessibilite, live_server
):
    menage = suivi.menage
    page = connecter(comptes.referent)
    menu("Mes ménages")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes ménages")
    file_active = page.get_by_role("table", name=re.compile("Ménages dont vous êtes le référent"))
    ligne = file_active.get_by_role("row").filter(has_text=menage.reference)
    expect(ligne).to_contain_text("Amélie PETIT")
    expect(ligne).to_contain_text("ASRL — CHRS Un (en cours)")
    expect(ligne).to_contain_text("Aucun contact noté")
    verifier_accessibilite(page)

    ligne.get_by_role("link", name=menage.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amélie PETIT")
    verifier_accessibilite(page)

    # Un marqueur posé sur la page survit à l'ajout : la page n'a pas été rechargée.
    page.evaluate("window.marqueurDuParcours = 'toujours là'")
    formulaire = page.get_by_role("form", name="Noter une rencontre")
    formulaire.get_by_role("combobox", name="Type", exact=True).select_option(
        label="Visite à domicile"
    )
    formulaire.get_by_role("spinbutton", name="Durée (minutes)").fill("50")
    formulaire.get_by_label("Note").fill("Visite : le ménage prépare son entrée dans les lieux.")
    formulaire.get_by_label("Mesure").select_option(label="ASRL — CHRS Un (en cours)")
    formulaire.get_by_role("button", name="Enregistrer la rencontre").click()

    expect(page.get_by_role("status").filter(has_text="Rencontre enregistrée.")).to_be_visible()
    rencontres = page.get_by_role("table", name="Rencontres (1)")
    expect(rencontres).to_contain_text("Visite à domicile")
    expect(rencontres).to_contain_text("prépare son entrée dans les lieux")
    expect(rencontres).to_contain_text("50 min")
    assert page.evaluate("window.marqueurDuParcours") == "toujours là"
    # Le formulaire revient vierge, prêt pour la rencontre suivante.
    expect(page.get_by_role("form", name="Noter une rencontre").get_by_label("Note")).to_have_value(
        ""
    )
    rencontre = Rencontre.objects.get(menage=menage)
    assert (rencontre.auteur, rencontre.structure, rencontre.mesure) == (
        comptes.referent,
        comptes.s1,
        suivi,
    )
    verifier_accessibilite(page)


def test_projet_objectif_puis_action_realisee(
    comptes, suivi, connecter, menu, verifier_accessibilite, live_server
):
    page = connecter(comptes.referent)
    _ouvrir_la_fiche(menu, suivi)
    page.get_by_role("link", name="Élaborer le projet de la mesure ASRL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Projet d'accompagnement")
    verifier_accessibilite(page)
    page.get_by_label("Diagnostic partagé").fill("Dette de loyer ancienne ; projet de T2.")
    page.get_by_role("button", name="Créer le projet").click()
    expect(page.get_by_role("status").first).to_contain_text("Projet d'accompagnement créé.")

    page.evaluate("window.marqueurDuParcours = 'toujours là'")
    ajout = page.locator("form").filter(has=page.get_by_role("button", name="Ajouter l'objectif"))
    ajout.get_by_role("combobox", name="Domaine", exact=True).select_option(
        label="Budget (dettes, charges, impayés)"
    )
    ajout.get_by_role("textbox", name="Objectif", exact=True).fill("Résorber la dette de loyer")
    ajout.get_by_role("combobox", name="Statut", exact=True).select_option(label="En cours")
    ajout.get_by_label("Échéance").fill((AUJOURDHUI + dt.timedelta(days=60)).isoformat())
    ajout.get_by_role("button", name="Ajouter l'objectif").click()

    expect(page.get_by_role("status").filter(has_text="Objectif ajouté.")).to_be_visible()
    expect(page.get_by_role("heading", name="Budget (dettes, charges, impayés)")).to_be_visible()
    objectif = page.get_by_role("region", name="Résorber la dette de loyer")
    expect(objectif).to_contain_text("En cours")

    objectif.get_by_text("Ajouter une action").click()
    ajout_action = objectif.locator("form").filter(
        has=page.get_by_role("button", name="Ajouter l'action")
    )
    ajout_action.get_by_role("textbox", name="Action", exact=True).fill(
        "Constituer le dossier FSL maintien"
    )
    ajout_action.get_by_role("combobox", name="Portée par", exact=True).select_option(index=0)
    ajout_action.get_by_role("button", name="Ajouter l'action").click()

    expect(page.get_by_role("status").filter(has_text="Action ajoutée.")).to_be_visible()
    actions = objectif.get_by_role("list", name=re.compile("Actions de l'objectif"))
    expect(actions).to_contain_text("Constituer le dossier FSL maintien")

    objectif.get_by_role(
        "button", name="Marquer réalisée : Constituer le dossier FSL maintien"
    ).click()
    expect(actions).to_contain_text(f"Réalisée le {_fr(AUJOURDHUI)}")
    expect(objectif.get_by_role("button", name=re.compile("^Marquer réalisée"))).to_have_count(0)
    assert page.evaluate("window.marqueurDuParcours") == "toujours là"
    action = ActionProjet.objects.get(intitule="Constituer le dossier FSL maintien")
    assert action.realisee_le == AUJOURDHUI
    assert action.objectif.projet.mesure == suivi
    verifier_accessibilite(page)


def test_situation_renouvellement_puis_fin_par_acces_au_logement(
    comptes, suivi, connecter, menu, verifier_accessibilite, live_server
):
    menage = suivi.menage
    page = connecter(comptes.referent)
    _ouvrir_la_fiche(menu, suivi)

    # Changement de situation : les deux membres passent à l'hôtel.
    page.get_by_role("link", name="Changer la situation").click()
    verifier_accessibilite(page)
    page.get_by_role("combobox", name="Nouvelle situation", exact=True).select_option(
        label="Hôtel (nuitées hôtelières)"
    )
    page.get_by_role("textbox", name="Depuis le", exact=True).fill(
        (AUJOURDHUI - dt.timedelta(days=30)).isoformat()
    )
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Le changement de situation est enregistré."
    )
    situations = page.get_by_role("region", name="Situation résidentielle")
    expect(situations.get_by_role("listitem").filter(has_text="actuelle")).to_have_count(2)
    expect(situations.get_by_role("listitem").filter(has_text="actuelle").first).to_contain_text(
        "Hôtel (nuitées hôtelières)"
    )

    # Renouvellement.
    nouvelle_fin = suivi.date_fin_prevue + dt.timedelta(days=180)
    page.get_by_role("link", name="Renouveler la mesure ASRL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Renouveler la mesure")
    verifier_accessibilite(page)
    page.get_by_role("textbox", name="Nouvelle fin prévue", exact=True).fill(
        nouvelle_fin.isoformat()
    )
    page.get_by_label("Motif").fill("Relogement en cours.")
    page.get_by_role("button", name="Renouveler").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Mesure ASRL renouvelée jusqu'au {_fr(nouvelle_fin)}."
    )
    expect(page.get_by_text(f"jusqu'au {_fr(nouvelle_fin)} : Relogement en cours.")).to_be_visible()

    # Fin de la mesure par un accès au logement, après confirmation.
    page.get_by_role("link", name="Terminer la mesure ASRL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Terminer la mesure")
    verifier_accessibilite(page)
    page.get_by_role("combobox", name="Motif de fin", exact=True).select_option(
        label="Accès au logement"
    )
    page.get_by_label("Logement obtenu").select_option(label="Parc privé")
    page.get_by_label("Entrée dans le logement").fill(AUJOURDHUI.isoformat())
    logement = Logement.objects.get(reference="LOG-REF-1")
    page.get_by_label("Logement capté").select_option(label=str(logement))
    page.get_by_role("button", name="Terminer la mesure").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer : terminer la mesure")
    suivi.refresh_from_db()
    assert suivi.statut == Mesure.Statut.EN_COURS  # rien n'est écrit avant la confirmation
    verifier_accessibilite(page)
    page.get_by_role("button", name="Confirmer : terminer la mesure").click()

    expect(page.get_by_role("status").first).to_contain_text("Mesure ASRL terminée.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(menage.reference)
    expect(
        page.get_by_text(
            f"Terminée le {_fr(AUJOURDHUI)} : Accès au logement — Parc privé, "
            f"entrée le {_fr(AUJOURDHUI)}"
        )
    ).to_be_visible()
    actuelles = situations.get_by_role("listitem").filter(has_text="actuelle")
    expect(actuelles).to_have_count(2)
    for situation in actuelles.all():
        expect(situation).to_contain_text("Logement autonome – parc privé")
    expect(page.get_by_role("link", name="Terminer la mesure ASRL")).to_have_count(0)
    suivi.refresh_from_db()
    assert (suivi.statut, suivi.logement, suivi.date_entree_logement) == (
        Mesure.Statut.TERMINEE,
        logement,
        AUJOURDHUI,
    )
    verifier_accessibilite(page)
