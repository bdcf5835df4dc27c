"""Parcours du coordinateur de plateforme dans un vrai navigateur : tableau de bord, ménages,
orientations, logements jusqu'à l'entrée dans les lieux ; accessibilité de chaque page."""

import datetime as dt
import re

from playwright.sync_api import expect

from accompagnement.models import Mesure, Orientation
from attributions.models import Logement, Proposition
from menages.models import Menage, Personne

from .. import factories as f

AUJOURDHUI = f.AUJOURDHUI


def _fr(jour: dt.date) -> str:
    return f"{jour:%d/%m/%Y}"


def _menage_nomme(territoire, nom, prenom, **kwargs):
    menage = f.MenageFactory(territoire=territoire, demandeur=False, **kwargs)
    f.PersonneFactory(menage=menage, nom=nom, prenom=prenom, role=Personne.Role.DEMANDEUR)
    return menage


def _tuile(page, description):
    """Le chiffre d'une tuile du tableau de bord, repérée par sa description."""
    return page.locator(".fr-tile__body").filter(has_text=description).locator(".chiffre-cle")


def test_tableau_de_bord_montre_chiffres_et_alertes(
    comptes, connecter, verifier_accessibilite, live_server
):
    m = comptes
    # Une orientation à décider, une mesure qui finit sans logement, un NUR à renouveler.
    f.OrientationFactory(menage=m.m_a1_sans_mesure, plateforme=m.p1)
    Mesure.objects.filter(pk=m.mesure_a1.pk).update(
        date_fin_prevue=AUJOURDHUI + dt.timedelta(days=10)
    )
    Menage.objects.filter(pk=m.m_a1.pk).update(
        nur="NUR-A1", nur_date_renouvellement=AUJOURDHUI + dt.timedelta(days=5)
    )

    page = connecter(m.coordinateur)

    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    # EPCI A1 de la plateforme P1 : m_a1 a une mesure en cours (accompagné), m_a1_sans_mesure
    # n'en a pas ; les ménages des autres EPCI n'y sont pas.
    expect(_tuile(page, "Ménages accompagnés")).to_have_text("1")
    expect(_tuile(page, "orientations en attente")).to_have_text("1")
    orientations = page.get_by_role("table", name="Les orientations les plus anciennes d'abord")
    expect(orientations).to_contain_text(m.m_a1_sans_mesure.reference)
    fins = page.get_by_role("table", name="Mesures proches de leur fin sans solution de logement")
    expect(fins).to_contain_text(m.m_a1.reference)
    expect(fins).to_contain_text(_fr(AUJOURDHUI + dt.timedelta(days=10)))
    nur = page.get_by_role("table", name="NUR arrivant à échéance")
    expect(nur).to_contain_text("NUR-A1")
    expect(page.get_by_text(m.m_a2.reference)).to_have_count(0)
    verifier_accessibilite(page)


def test_recherche_sans_accent_filtre_puis_fiche(
    comptes, connecter, menu, verifier_accessibilite, live_server
):
    m = comptes
    elodie = _menage_nomme(m.a1, "Lefèvre", "Élodie")
    _menage_nomme(m.a1, "Martin", "Paul")
    # Même prénom, mais dans l'EPCI d'une autre plateforme : hors du périmètre.
    _menage_nomme(m.a2, "Durand", "Élodie")

    page = connecter(m.coordinateur)
    menu("Ménages")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ménages")
    verifier_accessibilite(page)

    page.get_by_role("textbox", name=re.compile("^Rechercher")).fill("elodie")
    page.get_by_role("button", name="Rechercher").click()
    tableau = page.get_by_role("table")
    expect(tableau.get_by_role("row")).to_have_count(2)  # en-tête + Élodie Lefèvre
    expect(tableau).to_contain_text("Élodie")
    expect(tableau).to_contain_text(elodie.reference)
    expect(page.get_by_role("status").first).to_contain_text("1 ménage correspondant")
    # Un filtre de plus qui l'exclut : plus personne ; on le retire, elle revient.
    page.get_by_label("Statut").select_option(label="Dossier clos")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_text("Aucun ménage ne correspond à ces critères.")).to_be_visible()
    page.get_by_label("Statut").select_option(label="Tous les statuts")
    page.get_by_label("EPCI").select_option(label="EPCI A1 (EPCI)")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("textbox", name=re.compile("^Rechercher"))).to_have_value("elodie")
    expect(page.get_by_label("EPCI")).to_have_value(str(m.a1.pk))
    expect(tableau.get_by_role("row")).to_have_count(2)
    expect(tableau).to_contain_text(elodie.reference)

    page.get_by_role("link", name=elodie.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(elodie.reference)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Élodie")
    verifier_accessibilite(page)


def test_creation_d_un_menage_de_deux_personnes_erreur_en_ligne_puis_succes(
    comptes, connecter, menu, verifier_accessibilite, live_server
):
    page = connecter(comptes.coordinateur)
    menu("Ménages")
    page.get_by_role("link", name="Nouveau ménage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau ménage")
    verifier_accessibilite(page)

    personne1 = page.get_by_role("group", name="Personne 1")
    personne2 = page.get_by_role("group", name="Personne 2")
    page.get_by_label("Commune", exact=True).fill("Valmont-sur-Fiction")
    personne1.get_by_role("textbox", name="Nom", exact=True).fill("Moreau")
    personne1.get_by_role("textbox", name="Prénom", exact=True).fill("Zoé")
    personne1.get_by_label("Date de naissance").fill("1990-04-12")
    personne2.get_by_role("textbox", name="Nom", exact=True).fill("Moreau")
    personne2.get_by_role("textbox", name="Prénom", exact=True).fill("Léo")
    personne2.get_by_label("Rôle dans le ménage").select_option(label="Enfant")
    personne2.get_by_label("Date de naissance").fill("2015-09-01")
    # L'EPCI est oublié : rien n'est créé, l'erreur est sous le champ, la saisie est gardée.
    page.get_by_role("button", name="Créer le ménage").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau ménage")
    champ_epci = page.get_by_label("EPCI")
    expect(champ_epci).to_have_attribute("aria-invalid", "true")
    expect(champ_epci).to_have_accessible_description("Ce champ est obligatoire.")
    expect(personne1.get_by_role("textbox", name="Prénom", exact=True)).to_have_value("Zoé")
    expect(personne2.get_by_role("textbox", name="Prénom", exact=True)).to_have_value("Léo")
    expect(personne2.get_by_label("Rôle dans le ménage")).to_have_value("enfant")
    assert not Menage.objects.filter(personnes__prenom="Zoé").exists()
    verifier_accessibilite(page)

    champ_epci.select_option(label="EPCI A1 (EPCI)")
    page.get_by_role("button", name="Créer le ménage").click()

    expect(page.get_by_role("status").first).to_contain_text("est créé")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zoé MOREAU")
    membres = page.get_by_role("table", name=re.compile("Membres du ménage"))
    expect(membres).to_contain_text("Léo MOREAU")
    expect(membres).to_contain_text("Enfant")
    menage = Menage.objects.get(personnes__prenom="Zoé")
    assert menage.territoire == comptes.a1
    assert menage.personnes.count() == 2
    verifier_accessibilite(page)


def test_orientations_accepter_en_ouvrant_une_mesure_et_refuser_avec_un_motif(
    comptes, connecter, menu, verifier_accessibilite, live_server
):
    m = comptes
    a_accepter = f.OrientationFactory(menage=m.m_a1_sans_mesure, plateforme=m.p1)
    a_refuser = f.OrientationFactory(
        menage=m.m_a1, plateforme=m.p1, date_orientation=AUJOURDHUI - dt.timedelta(days=2)
    )
    m.referent.first_name, m.referent.last_name = "Camille", "Référente"
    m.referent.save()

    page = connecter(m.coordinateur)
    menu("Orientations")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orientations")
    verifier_accessibilite(page)

    ref = a_accepter.menage.reference
    page.get_by_role("link", name=re.compile(rf"^Accepter .*\({ref}\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accepter l'orientation")
    verifier_accessibilite(page)
    page.get_by_role("combobox", name="Type de mesure", exact=True).select_option(
        label="ASRL – Accompagnement social renforcé au logement"
    )
    page.get_by_role("combobox", name="Structure", exact=True).select_option(label="CHRS Un")
    page.get_by_label("Référent").select_option(label="Camille Référente (CHRS Un)")
    page.get_by_label("Début de la mesure").fill(AUJOURDHUI.isoformat())
    page.get_by_role("button", name="Accepter et ouvrir la mesure").click()

    # Étape de confirmation : rien n'est encore écrit.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer : accepter l'orientation")
    expect(page.locator("dl")).to_contain_text("CHRS Un")
    assert not Mesure.objects.filter(menage=a_accepter.menage).exists()
    verifier_accessibilite(page)
    page.get_by_role("button", name="Confirmer : accepter et ouvrir la mesure").click()

    expect(page.get_by_role("status").first).to_contain_text("Orientation acceptée")
    mesure = Mesure.objects.get(menage=a_accepter.menage)
    assert (mesure.type.code, mesure.structure, mesure.referent) == ("asrl", m.s1, m.referent)
    assert mesure.statut == Mesure.Statut.EN_COURS

    ref = a_refuser.menage.reference
    page.get_by_role("link", name=re.compile(rf"^Refuser .*\({ref}\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refuser l'orientation")
    page.get_by_label("Motif du refus").fill("Ménage déjà accompagné par le SIAO.")
    page.get_by_role("button", name="Refuser l'orientation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer : refuser l'orientation")
    verifier_accessibilite(page)
    page.get_by_role("button", name="Confirmer : refuser l'orientation").click()

    expect(page.get_by_role("status").first).to_contain_text("refusée")
    a_refuser.refresh_from_db()
    assert a_refuser.statut == Orientation.Statut.REFUSEE
    assert a_refuser.motif_decision == "Ménage déjà accompagné par le SIAO."
    expect(page.get_by_text("Aucune orientation en attente de décision")).to_be_visible()

    page.get_by_label("Statut").select_option(label="Décidées")
    page.get_by_role("button", name="Filtrer").click()
    decidees = page.get_by_role("table")
    expect(decidees.get_by_role("row").filter(has_text=a_refuser.menage.reference)).to_contain_text(
        "Refusée"
    )
    expect(
        decidees.get_by_role("row").filter(has_text=a_accepter.menage.reference)
    ).to_contain_text("Acceptée")
    verifier_accessibilite(page)


def _cocher(page, libelle):
    """Case ou bouton radio du DSFR : l'étiquette recouvre le contrôle, on clique dessus."""
    page.locator("label").filter(has_text=libelle).click()


def _etape_suivante(page, libelle):
    page.get_by_role("link", name=re.compile(rf"^{libelle}")).click()


def test_logement_capte_propose_attribue_jusqu_a_l_entree_dans_les_lieux(
    comptes, connecter, menu, verifier_accessibilite, live_server
):
    m = comptes
    candidat = _menage_nomme(m.a1, "Nguyen", "Hélène")

    page = connecter(m.coordinateur)
    menu("Logements")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logements captés")
    verifier_accessibilite(page)
    page.get_by_role("link", name="Saisir un logement").click()
    verifier_accessibilite(page)
    page.get_by_label("Référence").fill("LOG-PARCOURS-1")
    page.get_by_label("Adresse").fill("12 rue des Essais")
    page.get_by_label("Code postal").fill("00100")
    page.get_by_label("Commune").fill("Valmont-sur-Fiction")
    page.get_by_label("EPCI").select_option(label="EPCI A1 (EPCI)")
    page.get_by_label("Typologie").select_option(label="T3")
    page.get_by_label("Surface (m²)").fill("62")
    page.get_by_label("Loyer (€)").fill("420")
    page.get_by_label("Charges (€)").fill("80")
    page.get_by_role("combobox", name="Bailleur", exact=True).select_option(
        label="Propriétaire privé"
    )
    page.get_by_label("Mode de captation").select_option(label="IML – mandat de gestion")
    page.get_by_label("Disponible le").fill(AUJOURDHUI.isoformat())
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Logement LOG-PARCOURS-1")
    logement = Logement.objects.get(reference="LOG-PARCOURS-1")
    assert logement.territoire == m.a1
    verifier_accessibilite(page)

    page.get_by_role("link", name="Proposer à des ménages").click()
    page.get_by_label("Rechercher un ménage par référence ou par nom").fill("helene")
    case = page.get_by_label(re.compile(candidat.reference))
    expect(case).to_have_count(1)  # résultat de la recherche htmx
    _cocher(page, candidat.reference)
    expect(case).to_be_checked()
    verifier_accessibilite(page)
    page.get_by_role("combobox", name="Contingent", exact=True).select_option(
        label="Contingent préfectoral"
    )
    page.get_by_role("button", name="Présenter les ménages cochés").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Logement LOG-PARCOURS-1")
    expect(page.get_by_role("status").first).to_contain_text(candidat.reference)
    proposition = Proposition.objects.get(logement=logement, menage=candidat)

    _etape_suivante(page, "Décision CALEOL")
    expect(page.get_by_role("heading", level=1)).to_have_text("Décision de la CALEOL")
    verifier_accessibilite(page)
    page.get_by_label("Décision").select_option(label="Attribution rang 1")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Décision de la CALEOL enregistrée")

    _etape_suivante(page, "Réponse du ménage")
    _cocher(page, "Acceptation")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Réponse du ménage enregistrée")

    _etape_suivante(page, "Signature du bail")
    page.get_by_label("Date de signature du bail").fill(AUJOURDHUI.isoformat())
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Bail enregistré")

    _etape_suivante(page, "Entrée dans les lieux")
    verifier_accessibilite(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("Entrée dans les lieux enregistrée")

    proposition.refresh_from_db()
    assert proposition.etape == Proposition.Etape.ENTREE
    assert proposition.date_signature_bail == AUJOURDHUI

    menu("Attributions")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attributions")
    verifier_accessibilite(page)
    etapes = page.get_by_role("list", name="Filtrer par étape")
    expect(etapes.get_by_role("link", name="Entrée dans les lieux : 1")).to_be_visible()
    expect(etapes.get_by_role("link", name="Bail signé : 0")).to_be_visible()
    etapes.get_by_role("link", name="Entrée dans les lieux : 1").click()
    ligne = page.get_by_role("row").filter(has_text=candidat.reference)
    expect(ligne).to_contain_text("LOG-PARCOURS-1")
    expect(ligne).to_contain_text(f"Entrée le {_fr(AUJOURDHUI)}")


def _largeur_debordante(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")


def test_sur_telephone_pas_de_defilement_horizontal_et_menu_accessible(
    comptes, connecter, page, verifier_accessibilite, live_server
):
    m = comptes
    f.OrientationFactory(menage=m.m_a1_sans_mesure, plateforme=m.p1)
    f.RencontreFactory(menage=m.m_a1, structure=m.s1, auteur=m.referent)
    page.set_viewport_size({"width": 390, "height": 844})
    connecter(m.coordinateur)

    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    assert not _largeur_debordante(page), "le tableau de bord déborde en largeur"
    navigation = page.get_by_role("navigation", name="Menu principal")
    expect(navigation).to_be_hidden()
    page.get_by_role("button", name="Menu", exact=True).click()
    expect(navigation.get_by_role("link", name="Ménages", exact=True)).to_be_visible()
    verifier_accessibilite(page)
    navigation.get_by_role("link", name="Ménages", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ménages")

    page.get_by_role("link", name=m.m_a1.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(m.m_a1.reference)
    assert not _largeur_debordante(page), "la fiche du ménage déborde en largeur"
    verifier_accessibilite(page)
