"""Lecture des valeurs d'un tableur français (imports/valeurs.py) : dates, décimaux, oui/non,
choix par code ou libellé ; chaque refus dit pourquoi, en français."""

import datetime as dt
from decimal import Decimal

import pytest

from imports import valeurs
from imports.valeurs import ValeurInvalide
from menages.models import Personne


def refus(lecteur, *args, **kwargs) -> str:
    with pytest.raises(ValeurInvalide) as erreur:
        lecteur(*args, **kwargs)
    return erreur.value.message


@pytest.mark.parametrize(
    "texte, attendu",
    [
        ("12/03/2024", dt.date(2024, 3, 12)),
        ("1/2/2024", dt.date(2024, 2, 1)),
        ("01.02.2024", dt.date(2024, 2, 1)),
        ("01-02-2024", dt.date(2024, 2, 1)),
        ("2024-03-12", dt.date(2024, 3, 12)),
        (" 29/02/2024 ", dt.date(2024, 2, 29)),
        ("12/03/2024 00:00:00", dt.date(2024, 3, 12)),
        ("2024-03-12T00:00:00", dt.date(2024, 3, 12)),
    ],
)
def test_dates_francaises_et_iso(texte, attendu):
    assert valeurs.date(texte) == attendu


def test_date_impossible_dit_pourquoi():
    assert refus(valeurs.date, "31/02/2024") == "Date impossible : le 31/02/2024 n'existe pas."
    assert refus(valeurs.date, "29/02/2023") == "Date impossible : le 29/02/2023 n'existe pas."
    assert "n'existe pas" in refus(valeurs.date, "2024-13-01")


def test_date_illisible_ambigue_ou_invraisemblable():
    assert refus(valeurs.date, "hier") == "Date illisible : « hier » (format attendu : jj/mm/aaaa)."
    assert "quatre chiffres" in refus(valeurs.date, "12/03/24")
    assert "illisible" in refus(valeurs.date, "2024-03-12 en retard")
    assert refus(valeurs.date, "01/01/1850") == "Date invraisemblable : « 01/01/1850 »."


@pytest.mark.parametrize(
    "texte, attendu",
    [
        ("1 234,50", Decimal("1234.50")),
        ("1\u00a0234,5", Decimal("1234.50")),  # espace insécable
        ("1\u202f234,50", Decimal("1234.50")),  # espace fine insécable
        ("1.234,50", Decimal("1234.50")),
        ("1,234.50", Decimal("1234.50")),
        ("380.5", Decimal("380.50")),
        ("12 €", Decimal("12.00")),
        ("0", Decimal("0.00")),
    ],
)
def test_decimaux_a_la_francaise(texte, attendu):
    assert valeurs.decimal(texte) == attendu


def test_montant_negatif_refuse_sauf_si_permis():
    assert refus(valeurs.decimal, "-12,50") == "Le montant ne peut pas être négatif : « -12,50 »."
    assert "négatif" in refus(valeurs.decimal, "(3,00)")
    assert valeurs.decimal("-12,50", negatif=True) == Decimal("-12.50")


def test_decimaux_refuses():
    assert refus(valeurs.decimal, "douze") == "Nombre illisible : « douze »."
    assert refus(valeurs.decimal, "1,005") == "2 décimale(s) au plus : « 1,005 »."
    assert refus(valeurs.decimal, "45,55", decimales=1) == "1 décimale(s) au plus : « 45,55 »."
    assert refus(valeurs.decimal, "123456789", chiffres=8) == "Nombre trop grand : « 123456789 »."


@pytest.mark.parametrize("texte", ["oui", "OUI", "o", "Vrai", "1", "x", "yes"])
def test_oui(texte):
    assert valeurs.booleen(texte) is True


@pytest.mark.parametrize("texte", ["non", "Non", "n", "faux", "0", "no"])
def test_non(texte):
    assert valeurs.booleen(texte) is False


def test_ni_oui_ni_non():
    assert (
        refus(valeurs.booleen, "peut-être") == "Réponse attendue : oui ou non (reçu « peut-être »)."
    )


def test_texte_sans_neutralisation_ni_caractere_nul():
    # L'export préfixe d'une apostrophe ce qui ressemble à une formule : l'import la retire.
    assert valeurs.texte("'=HYPERLINK(1)") == "=HYPERLINK(1)"
    assert valeurs.texte("'-12") == "-12"
    assert valeurs.texte("l'Hôtel") == "l'Hôtel"
    assert valeurs.texte("a\x00b ") == "ab"
    assert refus(valeurs.texte, "abcdef", 5) == "Texte trop long : 5 caractères au plus (6)."


def test_choix_par_code_ou_libelle_sans_accents_ni_casse():
    sexes = valeurs.Choix.depuis_choices(Personne.Sexe, inconnu="Sexe inconnu")
    assert sexes.lire("F") == "F"
    assert sexes.lire("femme") == "F"
    assert sexes.lire("AUTRE / NON PRECISE") == "X"
    assert refus(sexes.lire, "Z") == (
        "Sexe inconnu : « Z » (valeurs permises : Femme, Homme, Autre / non précisé)."
    )


def test_choix_alias_et_ambiguite():
    choix = valeurs.Choix(
        [(1, ["AVDL_DALO", "AVDL DALO"]), (2, ["Asrl"]), (3, ["double"]), (4, ["Double"])],
        inconnu="Type inconnu",
        connus="types connus",
        montrer=str,
    )
    assert choix.lire("avdl-dalo") == 1
    assert choix.lire("ASRL") == 2
    assert "plusieurs" in refus(choix.lire, "DOUBLE")


def test_liste_de_choix_recolle_les_libelles_a_virgule():
    choix = valeurs.Choix(
        [
            ("refugie", ["Réfugié, bénéficiaire d'une protection internationale"]),
            ("jeune", ["Jeune"]),
        ],
        inconnu="Public inconnu",
    )
    texte = "Jeune, Réfugié, bénéficiaire d'une protection internationale"
    assert valeurs.liste_de_choix(texte, choix) == ["jeune", "refugie"]
    assert valeurs.liste_de_choix("jeune ; jeune", choix) == ["jeune"]
    assert "Public inconnu : « Senior »" in refus(valeurs.liste_de_choix, "Jeune ; Senior", choix)
