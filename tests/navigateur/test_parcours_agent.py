"""Parcours de l'agent départemental dans un vrai navigateur : convention de financement et son
occupation, ménage d'un autre EPCI du Département (visible de lui, pas de l'autre plateforme)."""

import datetime as dt
import re

from playwright.sync_api import expect

from accompagnement.models import Convention
from menages.models import Personne

from .. import factories as f

AUJOURDHUI = f.AUJOURDHUI


def test_convention_saisie_puis_taux_d_occupation_et_cout_par_menage(
    comptes, connecter, menu, verifier_accessibilite, live_server
):
    m = comptes
    annee = AUJOURDHUI.year
    page = connecter(m.agent)
    menu("Conventions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Conventions de financement")
    page.get_by_role("link", name="Nouvelle convention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle convention")
    verifier_accessibilite(page)

    page.get_by_label("Référence").fill(f"CONV-{annee}-ASRL")
    page.get_by_role("combobox", name="Financeur", exact=True).select_option(
        label="Département (FSL)"
    )
    page.get_by_role("combobox", name="Structure", exact=True).select_option(label="CHRS Un")
    page.get_by_role("combobox", name="Type de mesure", exact=True).select_option(
        label="ASRL – Accompagnement social renforcé au logement"
    )
    page.get_by_role("combobox", name="Territoire", exact=True).select_option(
        label="Département fictif Un (Département)"
    )
    expect(page.get_by_role("spinbutton", name="Année", exact=True)).to_have_value(str(annee))
    page.get_by_role("spinbutton", name="Mesures financées", exact=True).fill("4")
    page.get_by_role("spinbutton", name="Budget (€)", exact=True).fill("40000")
    page.get_by_role("button", name="Enregistrer").click()

    titre = f"Convention ASRL {annee} — CHRS Un"
    expect(page.get_by_role("heading", level=1)).to_have_text(titre)
    expect(page.get_by_role("status").first).to_contain_text("est enregistrée")
    convention = Convention.objects.get(reference=f"CONV-{annee}-ASRL")
    assert (convention.structure, convention.nombre_mesures, convention.budget) == (
        m.s1,
        4,
        40000,
    )
    verifier_accessibilite(page)

    # Deux mesures rattachées, actives toute l'année : 2 mesures sur 4 financées, 2 ménages.
    for menage in (m.m_a1_sans_mesure, f.MenageFactory(territoire=m.a2)):
        f.MesureFactory(
            menage=menage,
            structure=m.s1,
            convention=convention,
            date_proposition=dt.date(annee - 1, 5, 1),
            date_debut=dt.date(annee - 1, 6, 1),
            date_fin_prevue=dt.date(annee + 1, 6, 1),
        )
    menu("Conventions")
    ligne = page.get_by_role("row").filter(has=page.get_by_role("link", name="ASRL — CHRS Un"))
    expect(ligne).to_contain_text("Département (FSL)")
    cellules = ligne.get_by_role("cell")
    # Mesures financées, rattachées, taux d'occupation, budget, ménages, coût par ménage.
    expect(cellules.nth(2)).to_have_text("4")
    expect(cellules.nth(3)).to_have_text("2")
    expect(cellules.nth(4)).to_have_text("50 %")
    expect(cellules.nth(5)).to_have_text(re.compile(r"^40\s000 €$"))
    expect(cellules.nth(6)).to_have_text("2")
    expect(cellules.nth(7)).to_have_text(re.compile(r"^20\s000 €$"))
    verifier_accessibilite(page)


def test_menage_d_un_autre_epci_visible_de_l_agent_mais_pas_de_l_autre_plateforme(
    comptes, connecter, menu, verifier_accessibilite, live_server
):
    m = comptes
    # Un ménage de l'EPCI A2, couvert par la plateforme P2 : pas celle du coordinateur (P1).
    ines = f.MenageFactory(territoire=m.a2, demandeur=False)
    f.PersonneFactory(menage=ines, nom="Garnier", prenom="Inès", role=Personne.Role.DEMANDEUR)
    fiche = f"{live_server.url}/menages/{ines.pk}/"

    page = connecter(m.agent)
    menu("Ménages")
    page.get_by_role("textbox", name=re.compile("^Rechercher")).fill("ines garnier")
    page.get_by_role("button", name="Rechercher").click()
    ligne = page.get_by_role("row").filter(has_text=ines.reference)
    expect(ligne).to_contain_text("EPCI A2")
    ligne.get_by_role("link", name=ines.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inès GARNIER")
    verifier_accessibilite(page)

    page.get_by_role("button", name="Se déconnecter").click()
    connecter(m.coordinateur)
    menu("Ménages")
    page.get_by_role("textbox", name=re.compile("^Rechercher")).fill("ines garnier")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_text("Aucun ménage ne correspond à ces critères.")).to_be_visible()
    # Par l'adresse directe : 404, comme un ménage qui n'existerait pas.
    assert page.request.get(fiche).status == 404
