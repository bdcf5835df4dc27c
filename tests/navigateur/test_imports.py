"""Imports dans un vrai navigateur : le référent dépose un CSV, lit l'essai à blanc, tranche un
doublon, confirme, voit l'import terminé et télécharge le rapport ; une colonne obligatoire
nommée autrement se rattache au dépôt. axe-core sur chaque page."""

import re

import pytest
from playwright.sync_api import expect

from imports.models import CorrespondanceColonne, Import
from logement.models import Structure

from .. import factories as f
from ..test_imports_moteur import csv_de, genre_essai  # noqa: F401


@pytest.fixture(autouse=True)
def _eager(taches_eager, genre_essai):  # noqa: F811
    pass


def deposer(page, contenu: bytes, nom="personnes.csv"):
    page.get_by_role("combobox", name="Que contient le fichier ?").select_option(
        label="Personnes fictives"
    )
    page.get_by_role("combobox", name="Structure").select_option(label="CHRS Un")
    page.get_by_label("Fichier XLSX ou CSV").set_input_files(
        {"name": nom, "mimeType": "text/csv", "buffer": contenu}
    )
    page.get_by_role("button", name="Lire le fichier (essai à blanc)").click()


def ouvrir_depot(page, menu, verifier_accessibilite):
    menu("Imports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports de fichiers")
    verifier_accessibilite(page)
    page.get_by_role("link", name="Importer un fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer un fichier")
    verifier_accessibilite(page)


def test_depot_apercu_doublon_confirmation(comptes, connecter, menu, verifier_accessibilite):
    m = comptes
    existant = f.StructureFactory(nom="MARTIN Léa", territoire=m.d1, commune="Avant")
    avant = Structure.objects.count()
    page = connecter(m.referent)
    ouvrir_depot(page, menu, verifier_accessibilite)
    deposer(
        page,
        csv_de(
            "MARTIN;Léa;12/03/1985;;Après",
            "DUPONT;Jean;01/02/1980;1 200,50;Ici",
            "DURAND;Paul;05/05/1990;;Là",
        ),
    )

    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    imp = Import.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Import n° {imp.pk} — Personnes fictives vers CHRS Un"
    )
    expect(page.get_by_role("status").first).to_contain_text("voici l'essai à blanc")
    confirmer = page.get_by_role("button", name="Confirmer l'import")
    expect(confirmer).to_be_disabled()
    expect(page.locator("#bloquants")).to_contain_text("1 doublon à trancher")
    lignes = page.get_by_role("table", name=re.compile(r"^Lignes du fichier"))
    expect(lignes.get_by_role("row")).to_have_count(4)
    expect(lignes.get_by_role("row", name=re.compile(r"^3 Création DUPONT Jean"))).to_be_visible()
    verifier_accessibilite(page)
    assert Structure.objects.count() == avant  # essai à blanc : rien d'écrit

    page.get_by_role("combobox", name="Décision pour la ligne 2").select_option(
        label="Mettre à jour l'existant"
    )
    page.get_by_role("button", name="Enregistrer les décisions").click()
    expect(page.get_by_role("status").first).to_contain_text("tous les doublons sont tranchés")
    expect(confirmer).to_be_enabled()
    verifier_accessibilite(page)

    confirmer.click()
    etat = page.locator("#etat-import")
    expect(etat.get_by_role("heading", level=2)).to_have_text("État : Terminé")
    expect(etat).to_contain_text("2 créations, 1 mise à jour, 0 ligne ignorée")
    verifier_accessibilite(page)
    assert Structure.objects.count() == avant + 2
    existant.refresh_from_db()
    assert existant.commune == "Après"

    with page.expect_download() as attente:
        page.get_by_role("link", name=re.compile(r"^Télécharger le rapport CSV")).click()
    with open(attente.value.path(), encoding="utf-8-sig") as rapport:
        contenu = rapport.read().splitlines()
    assert contenu[1] == "2;Doublon : mettre à jour l'existant;MARTIN Léa;MARTIN Léa;"

    menu("Imports")
    ligne = page.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile("N°")))
    expect(ligne).to_contain_text("Terminé")
    expect(ligne).to_contain_text("2 créés, 1 mis à jour")
    verifier_accessibilite(page)


def test_colonne_nommee_autrement_rattachee_au_depot(
    comptes, connecter, menu, verifier_accessibilite
):
    m = comptes
    contenu = csv_de("DUPONT;Jean;01/02/1980", entetes="Nom;Prénom;Naissance")
    page = connecter(m.referent)
    ouvrir_depot(page, menu, verifier_accessibilite)
    deposer(page, contenu)

    expect(page.get_by_text("Colonne obligatoire absente : « Date de naissance ».")).to_be_visible()
    expect(page.get_by_label("Fichier XLSX ou CSV")).to_have_attribute("aria-invalid", "true")
    verifier_accessibilite(page)
    assert not Import.objects.exists()

    page.get_by_role("combobox", name="Colonne C du fichier : « Naissance »").select_option(
        label="Date de naissance (obligatoire)"
    )
    deposer(page, contenu)
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.get_by_role("button", name="Confirmer l'import")).to_be_enabled()
    verifier_accessibilite(page)
    assert CorrespondanceColonne.objects.get(entete="naissance").colonne == "date_naissance"
