"""Registre des indicateurs (`bilans.indicateurs`) : définitions complètes, chaque indicateur
calculé sur le jeu de tests/bilans_jeu.py, ventilations, médiane en base, portées, objectifs."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from accompagnement.models import Mesure
from bilans import indicateurs as reg
from bilans.indicateurs import INDICATEURS, SOURCES, Cadre

from .bilans_jeu import construire_jeu

D = dt.date


@pytest.fixture
def jeu(db):
    return construire_jeu()


def cadre(jeu, territoire, annee=2025) -> Cadre:
    return reg.cadre_pour(territoire, D(annee, 1, 1), D(annee, 12, 31))


# --- Le registre lui-même -----------------------------------------------------------------------


@pytest.mark.parametrize("code", list(INDICATEURS))
def test_chaque_indicateur_est_defini_completement(code):
    indicateur = INDICATEURS[code]
    assert indicateur.code == code
    assert indicateur.libelle and indicateur.libelle[0].isupper()
    assert len(indicateur.definition) >= 40
    assert indicateur.unite in reg.UNITES
    calculs = [indicateur.agregat, indicateur.mediane, indicateur.calcul, indicateur.ratio]
    assert sum(c is not None for c in calculs) == 1, "une seule façon de le calculer"
    if indicateur.agregat or indicateur.mediane:
        assert indicateur.source in SOURCES
    if indicateur.effectif:
        assert INDICATEURS[indicateur.effectif].unite in reg.UNITES_EFFECTIF
    if indicateur.mediane or indicateur.ratio or indicateur.unite in ("jours", "euros"):
        assert indicateur.effectif, "une grandeur dérivée dit sur quel effectif elle repose"


def test_definitions_dans_l_ordre_sans_doublon():
    codes = [
        d["code"]
        for d in reg.definitions(["duree_mediane", "menages_accompagnes", "duree_mediane"])
    ]
    assert codes == ["duree_mediane", "menages_accompagnes"]


# --- Chaque indicateur sur le jeu (Département, 2025) -------------------------------------------

# Chiffres attendus, recalculés à la main à partir de tests/bilans_jeu.py (voir aussi
# tests/test_bilans_calcul.py pour le détail de chaque calcul).
ATTENDUS_2025 = {
    "menages_accompagnes": 4,  # M1, M2, M4, M8
    "menages_nouveaux": 3,  # M1 (M1b), M2, M8
    "menages_en_cours": 3,  # M1, M2, M8
    "menages_sortis": 1,  # M4
    "mesures_en_cours": 3,  # M1b, M2b, M8a
    "referents": 2,  # R2 (M2b, M8a), R3 (M1b)
    "charge_moyenne": 1.5,  # 3 ÷ 2
    "charge_maximale": 2,  # R2
    "menages_acces_logement": 1,  # M1 (M1a, entrée le 15/06/2025)
    "entrees_avec_orientation": 1,
    "delai_orientation_entree": 287,  # 01/09/2024 → 15/06/2025
    "mesures_commencees_orientees": 2,  # M1b, M2a
    "delai_orientation_debut": 35,  # médiane de 30 et 40
    "mesures_terminees": 3,  # M1a, M2a, M4a
    "duree_moyenne": (364 + 119 + 119) / 3,
    "duree_mediane": 119,
    "mesures_rupture": 0,
    "mesures_maintien": 1,  # M4a
    "procedures_closes": 3,  # M3, M4, M5
    "expulsions_evitees": 2,  # M3 maintien, M4 plan d'apurement
    "expulsions_realisees": 1,  # M5
    "baux_sans_domicile": 1,  # M1 (M7 chez un tiers, M2 signé en 2026, M6 ailleurs)
    "objectif_attribution": 15,  # A 10 + B 5
    "taux_objectif": 100 / 15,
    "attributions_totales": None,  # inconnu pour B
    "part_attributions": None,
    "mesures_financees": 14,  # C1 10 + C2 4
    "mesures_utilisees": 3,  # M1a, M8a (C1), M1b (C2)
    "menages_convention": 2,  # M1, M8
    "taux_occupation": 100 * (273 + 61 + 200) / (14 * 365),
    "cout_par_menage": 62000 / 2,
}


def test_les_attendus_couvrent_tout_le_registre():
    assert set(ATTENDUS_2025) == set(INDICATEURS)


@pytest.mark.parametrize("code", list(ATTENDUS_2025))
def test_chaque_indicateur_sur_le_jeu(jeu, code):
    valeur = reg.calculer([code], cadre(jeu, jeu.d))[code]
    attendu = ATTENDUS_2025[code]
    if attendu is None:
        assert valeur is None
    else:
        assert float(valeur) == pytest.approx(attendu)


def test_valeur_arrondie(jeu):
    assert reg.valeur("duree_moyenne", cadre(jeu, jeu.d)) == 200.7
    assert reg.valeur("cout_par_menage", cadre(jeu, jeu.d)) == 31000.0
    assert reg.valeur("menages_accompagnes", cadre(jeu, jeu.d)) == 4


def test_indicateurs_d_une_meme_source_en_une_requete(jeu):
    codes = ["menages_accompagnes", "menages_nouveaux", "menages_en_cours", "menages_sortis"]
    departement = cadre(jeu, jeu.d)
    with CaptureQueriesContext(connection) as requetes:
        reg.calculer(codes, departement)
    assert len(requetes) == 1
    with CaptureQueriesContext(connection) as requetes:
        reg.calculer(codes, departement, "type")
    assert len(requetes) == 1


def test_portee_du_calcul(jeu):
    # EPCI A seul : M1, M2 (M2a), M8 ; plateforme P1 = A ; P2 = A et B = Département.
    assert reg.valeur("menages_accompagnes", cadre(jeu, jeu.a)) == 3
    assert reg.valeur("menages_accompagnes", cadre(jeu, jeu.p1)) == 3
    assert reg.valeur("menages_accompagnes", cadre(jeu, jeu.p2)) == 4
    # L'autre Département : M6 seul.
    assert reg.valeur("menages_accompagnes", cadre(jeu, jeu.d2)) == 1
    assert reg.valeur("baux_sans_domicile", cadre(jeu, jeu.c)) == 1


# --- Ventilations -------------------------------------------------------------------------------

VENTILATIONS = [
    (code_source, dimension)
    for code_source, source in SOURCES.items()
    for dimension in source.dimensions
]


@pytest.mark.parametrize(("code_source", "dimension"), VENTILATIONS)
def test_chaque_ventilation_se_calcule(jeu, code_source, dimension):
    """Chaque dimension de chaque source groupe en base sans erreur (SQLite et PostgreSQL) et
    chaque modalité a un libellé."""
    indicateur = next(i for i in INDICATEURS.values() if i.source == code_source and i.agregat)
    valeurs = reg.calculer([indicateur.code], cadre(jeu, jeu.d), dimension)[indicateur.code]
    assert all(v >= 0 for v in valeurs.values())
    total = reg.calculer([indicateur.code], cadre(jeu, jeu.d))[indicateur.code]
    assert sum(valeurs.values()) >= total  # une ligne par modalité : au moins le total


def test_ventilation_par_type_et_situation(jeu):
    par_type = reg.calculer(["menages_accompagnes"], cadre(jeu, jeu.d), "type")
    types = {m.type_id: m.type.code for m in Mesure.objects.select_related("type")}
    assert {types[k]: v for k, v in par_type["menages_accompagnes"].items()} == {
        "asrl": 2,  # M1, M8
        "asll": 2,  # M1, M4
        "avdl": 1,  # M2
    }
    par_situation = reg.calculer(["menages_acces_logement"], cadre(jeu, jeu.d), "situation_entree")
    assert par_situation["menages_acces_logement"] == {"rue": 1}


def test_ventilation_par_plateforme_sans_double_compte(jeu):
    # P2 couvre A et B : M2 (mesure dans A puis dans B) n'y compte qu'une fois.
    par = reg.calculer(["menages_accompagnes"], cadre(jeu, jeu.d), "plateforme")
    assert par["menages_accompagnes"] == {jeu.p1.pk: 3, jeu.p2.pk: 4}


def test_mediane_ventilee(jeu):
    par = reg.calculer(["delai_orientation_debut"], cadre(jeu, jeu.d), "type")
    types = {m.type_id: m.type.code for m in Mesure.objects.select_related("type")}
    assert {types[k]: v for k, v in par["delai_orientation_debut"].items()} == {
        "asll": 40,  # M1b
        "avdl": 30,  # M2a
    }


def test_ratio_ventile(jeu):
    # Le dénominateur manque par modalité (objectif non ventilé) : le taux est sans objet.
    with pytest.raises(ValueError):
        reg.calculer(["taux_objectif"], cadre(jeu, jeu.d), "epci")


# --- Médiane ------------------------------------------------------------------------------------


def test_mediane_nombre_impair_pair_et_vide(jeu):
    mesures = Mesure.objects.filter(territoire__in=[jeu.a, jeu.b], date_fin__isnull=False)
    duree = reg.JoursEntre(F("date_fin"), F("date_debut"))
    # Terminées : M1a 364, M2a 119, M3a 305, M4a 119 → médiane de 119, 119, 305, 364 = 212.
    assert reg.mediane(mesures, duree) == (119 + 305) / 2
    # Sans M3a : 119, 119, 364 → 119.
    assert reg.mediane(mesures.exclude(pk=jeu.m3a.pk), duree) == 119
    assert reg.mediane(mesures.none(), duree) is None
    assert reg.mediane(Mesure.objects.filter(pk=-1), duree) is None


def test_mediane_en_une_requete(jeu):
    with CaptureQueriesContext(connection) as requetes:
        reg.mediane(Mesure.objects.all(), reg.JoursEntre(F("date_fin_prevue"), F("date_debut")))
    assert len(requetes) == 1


# --- Portées, objectifs, périodes ---------------------------------------------------------------


def test_portees(jeu):
    portees = reg.portees([jeu.d, jeu.a, jeu.p1, jeu.p2])
    assert portees == {
        jeu.d.pk: {jeu.a.pk, jeu.b.pk},
        jeu.a.pk: {jeu.a.pk},
        jeu.p1.pk: {jeu.a.pk},
        jeu.p2.pk: {jeu.a.pk, jeu.b.pk},
    }


def test_objectifs_propres_ou_somme_des_epci(jeu):
    portees = reg.portees([jeu.d, jeu.a, jeu.b, jeu.p1, jeu.p2])
    objectifs = reg.objectifs_attribution(portees, 2025)
    assert objectifs[jeu.a.pk] == reg.Objectif(10, 200)
    assert objectifs[jeu.b.pk] == reg.Objectif(5, None)
    assert objectifs[jeu.p1.pk] == reg.Objectif(10, 200)
    assert objectifs[jeu.p2.pk] == reg.Objectif(15, None)  # total de B inconnu
    assert objectifs[jeu.d.pk] == reg.Objectif(15, None)
    # 2024 : objectif propre du Département (12), aucun pour les EPCI.
    en_2024 = reg.objectifs_attribution(portees, 2024)
    assert en_2024[jeu.d.pk] == reg.Objectif(12, None)
    assert en_2024[jeu.a.pk] == reg.Objectif(None, None)


def test_periode_precedente():
    c = Cadre(1, frozenset({2}), D(2024, 2, 29), D(2024, 12, 31))
    assert c.precedent() == Cadre(1, frozenset({2}), D(2023, 2, 28), D(2023, 12, 31))
