"""Lecture des fichiers déposés : CSV (séparateurs, encodages, guillemets), XLSX (dates,
nombres, formules, en-têtes fusionnés sur une ou deux lignes), nettoyage, mauvaises entrées
(chacune refusée par un message français), correspondance des en-têtes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import xlsxwriter

from imports.correspondance import (
    cle_entete,
    colonnes_ignorees,
    colonnes_manquantes,
    extraire,
    lettre_de_colonne,
    message_manquantes,
    rapprocher,
)
from imports.lecture import FichierRefuse, decoder, lire, separateur, texte_de_cellule

from .test_imports_moteur import GenreEssai


def classeur(ecrire) -> bytes:
    """Un XLSX écrit par xlsxwriter (comme un vrai tableur : valeurs des formules en cache)."""
    tampon = io.BytesIO()
    livre = xlsxwriter.Workbook(tampon, {"in_memory": True})
    feuille = livre.add_worksheet("Données")
    ecrire(livre, feuille)
    livre.close()
    return tampon.getvalue()


# --- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("octets", "encodage"),
    [
        ("\ufeffNom;Prénom\r\nLefèvre;Élodie\r\n".encode(), "UTF-8 (avec BOM)"),
        ("Nom;Prénom\nLefèvre;Élodie\n".encode(), "UTF-8"),
        ("Nom;Prénom\r\nLefèvre;Élodie\r\n".encode("cp1252"), "Windows-1252"),
    ],
)
def test_csv_encodages(octets, encodage):
    tableau = lire(octets, "fichier.csv")
    assert tableau.entetes == ["Nom", "Prénom"]
    assert tableau.lignes == [(2, ["Lefèvre", "Élodie"])]
    assert tableau.details["encodage"] == encodage


def test_csv_windows_1252_avec_caracteres_propres_a_windows():
    # « œ » et « € » n'existent pas en ISO-8859-1 : c'est bien Windows-1252 qui est lu.
    tableau = lire("Nom;Montant\nSœur;12 €\n".encode("cp1252"), "f.csv")
    assert tableau.lignes == [(2, ["Sœur", "12 €"])]


@pytest.mark.parametrize(
    ("texte", "attendu", "nom"),
    [
        ("Nom;Commune\nDUPONT;Ici\n", ";", "point-virgule"),
        ("Nom,Commune\nDUPONT,Ici\n", ",", "virgule"),
        ("Nom\tCommune\nDUPONT\tIci\n", "\t", "tabulation"),
        # Une virgule décimale ne trompe pas la détection quand le séparateur est « ; ».
        ("Nom;Montant;Commune\nDUPONT;12,50;Ici\n", ";", "point-virgule"),
        # Un « ; » entre guillemets non plus.
        ('Nom,"Adresse; bâtiment",Commune\nDUPONT,"1 rue; B",Ici\n', ",", "virgule"),
    ],
)
def test_csv_separateur_detecte(texte, attendu, nom):
    assert separateur(texte) == attendu
    tableau = lire(texte.encode(), "f.csv")
    assert tableau.details["separateur"] == nom
    assert len(tableau.entetes) == len(tableau.lignes[0][1])


def test_csv_guillemets_retours_a_la_ligne_espaces_et_lignes_vides():
    texte = (
        "Nom ; Prénom ;Adresse\r\n"
        '"DUPONT";" Jean ";"1 rue des Lilas\r\nBâtiment B"\r\n'
        "\r\n"
        " ; ; \r\n"
        'MARTIN;Léa;"dit ""la Belle"""\r\n'
    )
    tableau = lire(texte.encode(), "f.csv")
    assert tableau.entetes == ["Nom", "Prénom", "Adresse"]
    # Numéros de ligne du tableur (un enregistrement = une ligne) ; lignes vides sautées.
    assert tableau.lignes == [
        (2, ["DUPONT", "Jean", "1 rue des Lilas\r\nBâtiment B"]),
        (5, ["MARTIN", "Léa", 'dit "la Belle"']),
    ]
    assert tableau.lignes_vides == 2


def test_csv_colonnes_en_trop_et_lignes_courtes():
    tableau = lire(b"Nom;Commune\nDUPONT;Ici;en trop\nMARTIN\n", "f.csv")
    assert tableau.entetes == ["Nom", "Commune", ""]
    assert tableau.lignes == [(2, ["DUPONT", "Ici", "en trop"]), (3, ["MARTIN", "", ""])]


def test_csv_caractere_nul_retire():
    tableau = lire(b"Nom;Commune\nDU\x00PONT;Ici\n", "f.csv")
    assert tableau.lignes == [(2, ["DUPONT", "Ici"])]


def test_csv_ligne_de_titre_sautee():
    tableau = lire(b"Export SI-SIAO du 01/01/2025\nNom;Commune\nDUPONT;Ici\n", "f.csv")
    assert tableau.entetes == ["Nom", "Commune"]
    assert tableau.ligne_entetes == 2
    assert tableau.lignes == [(3, ["DUPONT", "Ici"])]


def test_csv_texte_unicode_d_excel_en_utf16():
    tableau = lire("Nom\tPrénom\r\nLefèvre\tÉlodie\r\n".encode("utf-16"), "export.csv")
    assert tableau.lignes == [(2, ["Lefèvre", "Élodie"])]
    assert tableau.details == {"encodage": "UTF-16", "separateur": "tabulation"}


def test_decoder_octets_indefinis_en_windows_1252():
    texte, encodage = decoder(b"Nom\n\x81\xe9\n")
    assert encodage == "ISO-8859-1" and texte.endswith("é\n")


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_dates_nombres_formules_booleens_et_espaces():
    def ecrire(livre, feuille):
        date = livre.add_format({"num_format": "dd/mm/yyyy"})
        feuille.write_row(
            0, 0, ["Nom", "Date de naissance", "Montant", "Enfants", "Total", "Actif"]
        )
        feuille.write_string(1, 0, "  DUPONT  ")
        feuille.write_datetime(1, 1, dt.datetime(1985, 3, 12), date)
        feuille.write_number(1, 2, 1234.5)
        feuille.write_number(1, 3, 2.0)
        # Une formule : on lit sa valeur (celle que le tableur a calculée et enregistrée).
        feuille.write_formula(1, 4, "=C2*2", None, 2469)
        feuille.write_boolean(1, 5, True)
        feuille.write_number(3, 2, 0.1)  # ligne 3 vide, ligne 4 : seulement un montant

    tableau = lire(classeur(ecrire), "Mon fichier.XLSX")
    assert tableau.format == "xlsx"
    assert tableau.lignes == [
        (2, ["DUPONT", "12/03/1985", "1234,5", "2", "2469", "oui"]),
        (4, ["", "", "0,1", "", "", ""]),
    ]
    assert tableau.lignes_vides == 1


def test_xlsx_entete_fusionne_sur_deux_lignes():
    def ecrire(livre, feuille):
        feuille.merge_range(0, 0, 1, 0, "Référence")  # fusion verticale
        feuille.merge_range(0, 1, 0, 3, "Demandeur")  # au-dessus de trois colonnes
        feuille.write_row(1, 1, ["Nom", "Prénom", "Date de naissance"])
        feuille.write_string(0, 4, "Commune")
        feuille.write_row(2, 0, ["M001", "DUPONT", "Jean", "01/02/1980", "Ici"])

    tableau = lire(classeur(ecrire), "f.xlsx")
    assert tableau.entetes == [
        "Référence",
        "Demandeur / Nom",
        "Demandeur / Prénom",
        "Demandeur / Date de naissance",
        "Commune",
    ]
    assert tableau.ligne_entetes == 2
    assert tableau.lignes == [(3, ["M001", "DUPONT", "Jean", "01/02/1980", "Ici"])]
    # La correspondance essaie « Demandeur Nom », puis « Nom » : les colonnes sont reconnues.
    rapprochements = rapprocher(tableau, GenreEssai())
    assert [r.colonne for r in rapprochements] == [
        "",
        "nom",
        "prenom",
        "date_naissance",
        "commune",
    ]


def test_xlsx_valeur_fusionnee_couvre_ses_colonnes():
    def ecrire(livre, feuille):
        feuille.write_row(0, 0, ["Ménage", "Nom", "Prénom"])
        feuille.merge_range(1, 0, 2, 0, "M001")  # la référence du ménage sur ses deux membres
        feuille.write_row(1, 1, ["DUPONT", "Jean"])
        feuille.write_row(2, 1, ["DUPONT", "Léa"])

    tableau = lire(classeur(ecrire), "f.xlsx")
    assert tableau.entetes == ["Ménage", "Nom", "Prénom"]
    assert tableau.lignes == [(2, ["M001", "DUPONT", "Jean"]), (3, ["M001", "DUPONT", "Léa"])]


def test_xlsx_titre_fusionne_au_dessus_des_entetes():
    def ecrire(livre, feuille):
        feuille.merge_range(0, 0, 0, 2, "Export de décembre")
        feuille.write_row(1, 0, ["Nom", "Prénom", "Date de naissance"])
        feuille.write_row(2, 0, ["DUPONT", "Jean", "01/02/1980"])

    tableau = lire(classeur(ecrire), "f.xlsx")
    assert [r.colonne for r in rapprocher(tableau, GenreEssai())] == [
        "nom",
        "prenom",
        "date_naissance",
    ]


def test_xlsx_premiere_feuille_lue():
    def ecrire(livre, feuille):
        feuille.write_row(0, 0, ["Nom", "Commune"])
        feuille.write_row(1, 0, ["DUPONT", "Ici"])
        autre = livre.add_worksheet("Explications")
        autre.write_row(0, 0, ["Colonne", "Aide"])
        autre.activate()

    assert lire(classeur(ecrire), "f.xlsx").lignes == [(2, ["DUPONT", "Ici"])]


def test_texte_de_cellule():
    assert texte_de_cellule(dt.datetime(2024, 2, 29, 0, 0)) == "29/02/2024"
    assert texte_de_cellule(dt.datetime(2024, 2, 29, 14, 5)) == "29/02/2024 14:05"
    assert texte_de_cellule(dt.date(2024, 2, 29)) == "29/02/2024"
    assert texte_de_cellule(dt.time(9, 30)) == "09:30"
    assert texte_de_cellule(612345678.0) == "612345678"
    assert texte_de_cellule(-12.75) == "-12,75"
    assert texte_de_cellule(1e-7) == "0,0000001"
    assert texte_de_cellule(None) == ""
    assert texte_de_cellule(False) == "non"


# --- Mauvaises entrées --------------------------------------------------------------------------


def _zip_quelconque() -> bytes:
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w") as archive:
        archive.writestr("document.txt", "ceci n'est pas un classeur")
    return tampon.getvalue()


XLSX_VALIDE = classeur(lambda livre, feuille: feuille.write_row(0, 0, ["Nom"]))


@pytest.mark.parametrize(
    ("octets", "nom", "message"),
    [
        (b"%PDF-1.7 ...", "rapport.pdf", "Type de fichier non reconnu (« .pdf ») : déposez un "),
        (b"Nom;Commune\n", "sans-extension", "Type de fichier non reconnu (sans extension)"),
        (b"Nom;Commune\nA;B\n", "menages.xlsx", "Fichier XLSX corrompu : son contenu n'est pas"),
        (XLSX_VALIDE[:200], "menages.xlsx", "Fichier XLSX corrompu : l'archive est incomplète"),
        (_zip_quelconque(), "menages.xlsx", "Fichier XLSX corrompu : ce n'est pas un classeur"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 50, "m.xlsx", "protégé par un mot de"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 50, "m.xls", "Le format XLS (Excel"),
        (b"PK", "m.ods", "Le format ODS (LibreOffice) n'est pas pris en charge"),
        (XLSX_VALIDE, "menages.csv", "porte l'extension .csv mais son contenu n'est pas du texte"),
        (b"", "menages.csv", "Le fichier est vide."),
        (b"\r\n\r\n ; ;\r\n", "menages.csv", "Le fichier est vide : aucune ligne ni en-tête."),
        (b"Nom;Commune\r\n\r\n", "menages.csv", "aucune ligne de données : seulement la ligne"),
        (XLSX_VALIDE, "menages.xlsx", "aucune ligne de données : seulement la ligne"),
        (b'Nom;Commune\n"DUPONT;Ici\n', "m.csv", None),  # guillemet ouvert : lu jusqu'au bout
    ],
)
def test_mauvaises_entrees_refusees_en_francais(octets, nom, message):
    if message is None:
        assert lire(octets, nom).lignes == [(2, ["DUPONT;Ici", ""])]
        return
    with pytest.raises(FichierRefuse) as erreur:
        lire(octets, nom)
    assert message in str(erreur.value)


def test_fichier_trop_gros(settings):
    settings.IMPORT_TAILLE_MAX = 1024 * 1024
    with pytest.raises(FichierRefuse) as erreur:
        lire(b"Nom\n" + b"DUPONT\n" * 200_000, "gros.csv")
    assert str(erreur.value) == (
        "Le fichier pèse 1,3 Mo : la taille maximale est de 1 Mo. Découpez-le en plusieurs "
        "fichiers."
    )


def test_trop_de_lignes(settings):
    settings.IMPORT_LIGNES_MAX = 3
    assert len(lire(b"Nom\nA\nB\nC\n", "f.csv").lignes) == 3
    with pytest.raises(FichierRefuse, match="plus de 3 lignes de données : c'est le maximum"):
        lire(b"Nom\nA\nB\nC\nD\n", "f.csv")
    with pytest.raises(FichierRefuse, match="plus de 3 lignes"):
        lire(
            classeur(
                lambda livre, feuille: [
                    feuille.write_string(i, 0, "Nom" if i == 0 else f"N{i}") for i in range(6)
                ]
            ),
            "f.xlsx",
        )


def test_bombe_zip_refusee(settings):
    settings.IMPORT_TAILLE_MAX = 20_000
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 1_000_000)
    octets = tampon.getvalue()
    assert len(octets) < 20_000
    with pytest.raises(FichierRefuse, match="trop volumineux une fois décompressé"):
        lire(octets, "bombe.xlsx")


# --- Correspondance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entete",
    ["Date de naissance", "DATE_DE_NAISSANCE", " date  de naissance. ", "Date-de-Naissance", "DDN"],
)
def test_entetes_reconnus_sans_accents_casse_espaces_ni_ponctuation(entete):
    tableau = lire(f"{entete};Nom\n01/02/1980;DUPONT\n".encode(), "f.csv")
    assert [r.colonne for r in rapprocher(tableau, GenreEssai())] == ["date_naissance", "nom"]


def test_entetes_inconnus_ignores_et_listes():
    tableau = lire("Nom;Âge;;Nom\nDUPONT;40;x;MARTIN\n".encode(), "f.csv")
    rapprochements = rapprocher(tableau, GenreEssai())
    # Le second « Nom » n'est pas pris : une colonne du genre ne reçoit qu'un en-tête.
    assert [r.colonne for r in rapprochements] == ["nom", "", "", ""]
    assert colonnes_ignorees(rapprochements) == [
        "Âge (colonne B)",
        "(sans en-tête) (colonne C)",
        "Nom (colonne D)",
    ]
    manquantes = colonnes_manquantes(GenreEssai(), rapprochements)
    assert message_manquantes(manquantes) == "Colonne obligatoire absente : « Date de naissance »."
    assert extraire(tableau, rapprochements) == [(2, {"nom": "DUPONT"})]


def test_cle_entete_et_lettres():
    assert cle_entete("Né(e) le") == cle_entete("NE E LE") == "neele"
    assert cle_entete("Œuvre") == "oeuvre"
    assert [lettre_de_colonne(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_message_plusieurs_colonnes_manquantes():
    genre = GenreEssai()
    tableau = lire(b"Commune\nIci\n", "f.csv")
    manquantes = colonnes_manquantes(genre, rapprocher(tableau, genre))
    assert message_manquantes(manquantes) == (
        "Colonnes obligatoires absentes : « Nom », « Date de naissance »."
    )
