"""Rendus des bilans (PDF, XLSX, CSV) relus : chiffres, formats français, secret, période vide."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import openpyxl
import pytest

from bilans.rendu import date_longue, evolution, nombre_fr, produire, valeur_fr
from bilans.rendu.graphiques import barres
from bilans.rendu.xlsx import nom_de_feuille
from bilans.secret import masquer
from tests.bilans_instantane import instantane, instantane_vide

FINE = "\u202f"


@pytest.fixture(scope="module")
def donnees_epci():
    return masquer(instantane(), 5)


@pytest.fixture(scope="module")
def texte_pdf(donnees_epci):
    return _texte_pdf(produire(donnees_epci, "pdf"))


def _texte_pdf(contenu: bytes) -> str:
    assert contenu.startswith(b"%PDF-")
    assert shutil.which("pdftotext"), "pdftotext (paquet poppler-utils) est nécessaire aux tests"
    sortie = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=contenu,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode("utf-8")
    # Espaces fines et insécables : ramenées à une espace simple pour comparer.
    return sortie.replace(FINE, " ").replace("\u00a0", " ")


def _pages(texte: str) -> list[str]:
    return texte.split("\f")


# -- formats français ------------------------------------------------------------------------------


def test_formats_francais():
    assert nombre_fr(1234567) == f"1{FINE}234{FINE}567"
    assert valeur_fr(12.5, "pourcentage") == f"12,5{FINE}%"
    assert valeur_fr(2345.5, "euros") == f"2{FINE}345,50{FINE}€"
    assert valeur_fr(45.5, "jours") == f"45,5{FINE}jours"
    assert valeur_fr(30.0, "jours", avec_unite=False) == "30"
    assert valeur_fr(None, "menages") == "—"
    assert valeur_fr("s", "menages") == "s"
    assert date_longue("2026-01-15T03:00:00+01:00") == "15 janvier 2026"
    assert date_longue("2025-03-01") == "1er mars 2025"


def test_evolution_relative_ou_en_points():
    assert evolution(1234, 1098, "menages")[1] == f"+12,4{FINE}%"
    assert evolution(12.5, 38.9, "pourcentage")[1] == f"−26,4{FINE}pt"
    assert evolution("s", 7, "menages") == (None, "—")
    assert evolution(3, 0, "menages") == (None, "—")


def test_format_inconnu_refuse_en_francais():
    with pytest.raises(ValueError, match="Format de bilan inconnu : « odt »"):
        produire(instantane(), "odt")


# -- PDF -------------------------------------------------------------------------------------------


def test_pdf_couverture(texte_pdf):
    couverture = _pages(texte_pdf)[0]
    assert "Bilan annuel 2025 — EPCI Valmont" in couverture
    assert "Valmont Agglo (EPCI, 200000001)" in couverture
    assert "État (préfecture, DDETS, DIHAL)" in couverture
    assert "année 2025, du 01/01/2025 au 31/12/2025" in couverture
    assert "15 janvier 2026" in couverture


def test_pdf_numeros_de_page(texte_pdf):
    pages = [p for p in _pages(texte_pdf) if p.strip()]
    assert "page 1 / " in pages[0]
    assert f"page {len(pages)} / {len(pages)}" in pages[-1]


def test_pdf_synthese_n_et_n1_avec_evolution(texte_pdf):
    synthese = _pages(texte_pdf)[1]
    assert "Synthèse" in synthese
    ligne = next(li for li in synthese.splitlines() if "Ménages accompagnés" in li)
    assert ligne.split()[-3:] == ["098", "+12,4", "%"]
    assert "1 234" in ligne and "1 098" in ligne
    assert "2 345,50 €" in synthese
    assert "12,5 %" in synthese
    assert "s : secret statistique (effectif inférieur à 5)" in synthese


def test_pdf_tableaux_chiffres_et_secret(texte_pdf):
    lignes = texte_pdf.splitlines()
    asrl = next(li for li in lignes if li.strip().startswith("ASRL") and "310" in li)
    assert asrl.split()[1:] == ["1", "000", "900", "310"]
    aml = next(li for li in lignes if li.strip().startswith("AML") and " 0" in li)
    assert aml.split()[1:] == ["s", "0", "0"]
    social = next(li for li in lignes if li.strip().startswith("Logement social"))
    assert social.split()[2:] == ["20", "s", "15,0", "%", "s"]
    assert "1 999,99 €" in texte_pdf
    assert "en jours" in texte_pdf


def test_pdf_graphique_svg_et_chapitres(texte_pdf):
    assert "1. File active" in texte_pdf
    assert "3. Conventions" in texte_pdf
    # Légende du graphique en barres (N et N-1), dessinée en SVG.
    assert "Accompagnés — année 2025" in texte_pdf
    assert "Accompagnés — année 2024" in texte_pdf


def test_pdf_annexe_des_definitions_en_derniere_page(texte_pdf):
    annexe = [p for p in _pages(texte_pdf) if p.strip()][-1]
    assert "Annexe : définitions des indicateurs" in annexe
    assert "Taux d'accès au logement (%)" in annexe
    assert "Numérateur : ménages entrés dans un logement pérenne" in annexe


def test_pdf_sans_secret_tous_les_chiffres_sans_legende():
    texte = _texte_pdf(produire(instantane(), "pdf"))
    assert "secret statistique" not in texte
    acces = next(li for li in texte.splitlines() if li.strip().startswith("Accès au logement p"))
    assert acces.split()[-4:] == ["4", "7", "−42,9", "%"]


def test_pdf_periode_vide_le_dit():
    texte = _texte_pdf(produire(instantane_vide(), "pdf"))
    assert "Aucune donnée pour cette période" in texte
    assert "1er trimestre 2025" in texte
    assert "page 1 / " in texte


def test_pdf_sans_ressource_externe(donnees_epci):
    from django.template.loader import render_to_string

    from bilans.rendu.pdf import GABARIT, contexte

    html = render_to_string(GABARIT, contexte(donnees_epci))
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_graphique_svg_echappe_et_sans_barre_pour_le_secret():
    donnees = instantane()
    tableau = donnees["blocs"][0]["tableaux"][0]
    tableau["lignes"][0]["libelle"] = "<script>alert(1)</script>"
    tableau["lignes"][1]["valeurs"][0] = "s"
    svg = barres(donnees, tableau)
    assert svg.startswith("<svg") and "<script>" not in svg
    assert "&lt;script&gt;" in svg
    # 2 pastilles de légende ; 8 cellules, sans barre pour « s » ni pour 0 (AML en N-1).
    assert svg.count("<rect") == 2 + 6


# -- XLSX ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def classeur(donnees_epci):
    return openpyxl.load_workbook(io.BytesIO(produire(donnees_epci, "xlsx")))


def _ligne_de(feuille, libelle):
    for ligne in feuille.iter_rows():
        if ligne[0].value == libelle:
            return ligne
    raise AssertionError(f"{libelle} absent de {feuille.title}")


def test_xlsx_feuilles(classeur):
    assert classeur.sheetnames == [
        "Synthèse",
        "File active",
        "Accès au logement pérenne",
        "Conventions",
        "Définitions",
    ]
    for feuille in classeur:
        assert feuille.freeze_panes is not None, feuille.title


def test_xlsx_vrais_nombres_et_formats(classeur):
    feuille = classeur["File active"]
    asrl = _ligne_de(feuille, "ASRL")
    assert [c.value for c in asrl[:4]] == ["ASRL", 1000, 900, 310]
    assert all(type(c.value) in (int, float) for c in asrl[1:4])
    assert asrl[1].number_format == "#,##0"
    # En-têtes figés juste sous la ligne d'en-tête du tableau, libellés figés à gauche.
    entete = _ligne_de(feuille, "Type de mesure")
    assert feuille.freeze_panes == f"B{entete[0].row + 1}"
    assert entete[1].value == "Accompagnés\nannée 2025"

    acces = classeur["Accès au logement pérenne"]
    social = _ligne_de(acces, "Logement social")
    assert social[3].value == pytest.approx(0.15)
    assert social[3].number_format == "0.0%"
    pension = _ligne_de(acces, "Pension de famille")
    assert [c.value for c in pension[1:5]] == [0, 0, "—", "—"]

    conventions = classeur["Conventions"]
    horizon = _ligne_de(conventions, "Association Horizon")
    assert horizon[3].value == 2345.5
    assert horizon[3].number_format == '#,##0.00" €"'


def test_xlsx_secret_en_texte_avec_note(classeur):
    feuille = classeur["File active"]
    aml = _ligne_de(feuille, "AML")
    assert aml[1].value == "s"
    assert aml[1].comment is not None
    assert "inférieur à 5" in aml[1].comment.text
    assert any(
        c.value == "s : secret statistique (effectif inférieur à 5)"
        for c in feuille["A"]
        if c.value
    )


def test_xlsx_synthese_et_definitions(classeur):
    synthese = classeur["Synthèse"]
    menages = _ligne_de(synthese, "Ménages accompagnés")
    assert [c.value for c in menages[1:3]] == [1234, 1098]
    assert menages[3].value == pytest.approx((1234 - 1098) / 1098)
    definitions = classeur["Définitions"]
    taux = _ligne_de(definitions, "Taux d'accès au logement")
    assert taux[1].value.startswith("Numérateur")


def test_xlsx_noms_de_feuilles_admis():
    pris = {"synthèse", "définitions"}
    assert nom_de_feuille("Attributions : objectifs [2025] / réalisés ?", pris) == (
        "Attributions objectifs 2025"
    )
    long = nom_de_feuille("Délais médians d'accès au logement pérenne par origine", pris)
    assert len(long) <= 31
    assert nom_de_feuille("Maintien dans le logement et expulsions évitées", pris) == (
        "Maintien dans le logement"
    )
    assert nom_de_feuille("Synthèse", pris) == "Synthèse (2)"
    donnees = instantane()
    donnees["blocs"][1]["titre"] = donnees["blocs"][0]["titre"]
    classeur = openpyxl.load_workbook(io.BytesIO(produire(donnees, "xlsx")))
    assert classeur.sheetnames[1:3] == ["File active", "File active (2)"]


def test_xlsx_formule_neutralisee():
    donnees = instantane()
    donnees["blocs"][0]["tableaux"][0]["lignes"][0]["libelle"] = '=HYPERLINK("x")'
    classeur = openpyxl.load_workbook(io.BytesIO(produire(donnees, "xlsx")))
    assert _ligne_de(classeur["File active"], '\'=HYPERLINK("x")')[1].value == 1000


def test_xlsx_periode_vide():
    classeur = openpyxl.load_workbook(io.BytesIO(produire(instantane_vide(), "xlsx")))
    assert classeur.sheetnames == ["Synthèse", "Définitions"]
    valeurs = [c.value for c in classeur["Synthèse"]["A"]]
    assert "Aucune donnée pour cette période." in valeurs


# -- CSV -------------------------------------------------------------------------------------------


def _csv(contenu: bytes) -> list[dict]:
    assert contenu.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(contenu.decode("utf-8-sig")), delimiter=";"))


def test_csv_bom_point_virgule_format_long(donnees_epci):
    contenu = produire(donnees_epci, "csv")
    premiere = contenu.decode("utf-8-sig").splitlines()[0]
    assert premiere == (
        "territoire;bloc;tableau;dimension;ligne;indicateur;colonne;période;du;au;valeur;unité"
    )
    lignes = _csv(contenu)
    asrl = [r for r in lignes if r["ligne"] == "ASRL" and r["indicateur"] == "menages_accompagnes"]
    assert [(r["période"], r["du"], r["valeur"]) for r in asrl] == [
        ("année 2025", "01/01/2025", "1000"),
        ("année 2024", "01/01/2024", "900"),
    ]
    taux = next(r for r in lignes if r["ligne"] == "Parc privé" and r["colonne"] == "Taux d'accès")
    assert (taux["valeur"], taux["unité"]) == ("8,3", "%")
    cout = next(
        r
        for r in lignes
        if r["ligne"] == "CCAS de Valmont"
        and r["au"] == "31/12/2025"
        and r["colonne"] == "Coût par ménage"
    )
    assert cout["valeur"] == "1999,99"
    secret = next(r for r in lignes if r["ligne"] == "AML" and r["période"] == "année 2025")
    assert secret["valeur"] == "s"
    sans_objet = next(
        r for r in lignes if r["ligne"] == "Pension de famille" and r["colonne"] == "Délai médian"
    )
    assert sans_objet["valeur"] == ""
    assert lignes[-1]["ligne"] == "s : secret statistique (effectif inférieur à 5)"


def test_csv_synthese_en_tete(donnees_epci):
    lignes = _csv(produire(donnees_epci, "csv"))
    assert lignes[0]["bloc"] == "Synthèse"
    assert (lignes[0]["ligne"], lignes[0]["valeur"]) == ("Ménages accompagnés", "1234")


def test_csv_periode_vide():
    lignes = _csv(produire(instantane_vide(), "csv"))
    assert lignes[0]["ligne"] == "Aucune donnée pour cette période"


def test_graphique_limite_aux_plus_fortes_lignes():
    from bilans.rendu.graphiques import MAX_LIGNES, lignes_representees
    from bilans.rendu.pdf import contexte

    donnees = instantane()
    tableau = donnees["blocs"][0]["tableaux"][0]
    tableau["lignes"] = [
        {"libelle": f"Structure {i}", "valeurs": [i, i, i]} for i in range(MAX_LIGNES + 5)
    ]
    tableau["lignes"][0]["valeurs"][0] = "s"
    gardees = lignes_representees(tableau)
    assert [ligne["libelle"] for ligne in gardees] == [f"Structure {i}" for i in range(5, 20)]
    rendu = contexte(donnees)["blocs"][0]["tableaux"][0]
    assert len(rendu["lignes"]) == MAX_LIGNES + 5
    assert rendu["legende_graphique"].endswith(
        f"(les {MAX_LIGNES} lignes aux plus fortes valeurs, sur 20)"
    )
