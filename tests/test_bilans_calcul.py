"""Instantané des bilans (`bilans.calcul.calculer_donnees`) sur le jeu construit à la main de
tests/bilans_jeu.py : chaque chiffre attendu est recalculé dans le test, à partir des dates du
jeu (lire la docstring de bilans_jeu.py à côté)."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accompagnement.models import TypeMesure
from bilans.calcul import calculer_donnees, libelle_periode

from .bilans_jeu import (
    ajouter_volume,
    cellule,
    chiffre,
    colonne,
    construire_jeu,
    tableau,
)
from .factories import reference

D = dt.date
ANNEE_2025 = (D(2025, 1, 1), D(2025, 12, 31))
SECRET_DISPONIBLE = (Path(__file__).parents[1] / "bilans" / "secret.py").exists()


def jours(fin, debut) -> int:
    return (fin - debut).days


def libelle_type(code: str) -> str:
    return reference(TypeMesure, code).libelle


@pytest.fixture
def jeu(db):
    return construire_jeu()


@pytest.fixture
def departement(jeu):
    return calculer_donnees(jeu.d, "departement", *ANNEE_2025)


# --- File active --------------------------------------------------------------------------------


def test_file_active_du_departement(departement):
    # Mesures actives en 2025 dans A et B : M1a (01/10/2024 → 30/09/2025), M1b (depuis 15/06),
    # M2a (févr.-mai), M2b (depuis juin), M4a (→ 28/02/2025), M8a (depuis 01/11). M3a s'est
    # terminée le 31/12/2024 ; M6a est dans un autre Département.
    # Ménages distincts : M1, M2, M4, M8 = 4.
    assert chiffre(departement, "menages_accompagnes")["n"] == 4
    # Nouveaux (une mesure commencée en 2025) : M1 (M1b), M2 (M2a, M2b), M8 = 3.
    assert chiffre(departement, "menages_nouveaux")["n"] == 3
    # En cours au 31/12/2025 : M1 (M1b), M2 (M2b), M8 = 3 ; sortis : M4 = 1.
    assert chiffre(departement, "menages_en_cours")["n"] == 3
    assert chiffre(departement, "menages_sortis")["n"] == 1
    # 2024 : M1a (depuis 01/10), M3a (mars-déc.), M4a (depuis 01/11) → 3 ménages, tous nouveaux ;
    # en cours au 31/12/2024 : M1a et M4a (M3a se termine ce jour-là) → 2 ; sorti : M3.
    premier = chiffre(departement, "menages_accompagnes")
    assert (premier["n1"], premier["effectif_n"]) == (3, None)
    assert chiffre(departement, "menages_nouveaux")["n1"] == 3
    assert chiffre(departement, "menages_en_cours")["n1"] == 2
    assert chiffre(departement, "menages_sortis")["n1"] == 1


def test_un_menage_a_deux_mesures_compte_une_fois_au_total(departement):
    # M1 a une ASRL (M1a) et une ASLL (M1b) en 2025 : une fois dans chaque ligne, une fois au
    # total. ASRL : M1, M8 = 2 ; ASLL : M1, M4 = 2 ; AVDL : M2 (deux mesures AVDL) = 1.
    accompagnes = colonne(departement, "file_active_par_type", "menages_accompagnes_n")
    assert accompagnes[libelle_type("asrl")] == 2
    assert accompagnes[libelle_type("asll")] == 2
    assert accompagnes[libelle_type("avdl")] == 1
    assert accompagnes[libelle_type("aml")] == 0
    assert accompagnes[None] == 4  # et non 2 + 2 + 1 = 5
    assert tableau(departement, "file_active_par_type")["additif"] is False
    # Sortis d'une ligne : plus aucune mesure de ce type en cours au 31/12 (accompagnés = en
    # cours + sortis dans chaque ligne). ASLL : M4 (M4a terminée) ; M1 a encore M1b.
    sortis = colonne(departement, "file_active_par_type", "menages_sortis_n")
    assert sortis[libelle_type("asll")] == 1
    # ASRL : M1 (M1a terminée le 30/09) est sorti de l'ASRL, mais pas du total (M1b en cours).
    assert sortis[libelle_type("asrl")] == 1
    assert sortis[None] == 1  # M4 seul


def test_mesure_a_cheval_sur_deux_annees_et_renouvelee(departement):
    # M1a (01/10/2024 → 30/09/2025, renouvelée une fois) compte en ASRL en 2024 et en 2025,
    # comme nouvelle seulement en 2024 (le renouvellement ne crée pas de mesure).
    asrl = libelle_type("asrl")
    assert cellule(departement, "file_active_par_type", asrl, "menages_accompagnes_n1") == 2
    assert cellule(departement, "file_active_par_type", asrl, "menages_nouveaux_n1") == 2
    # En 2025, le seul nouveau ménage en ASRL est M8 (M1a a commencé en 2024).
    assert cellule(departement, "file_active_par_type", asrl, "menages_nouveaux_n") == 1
    # Sa durée court du début d'origine à la fin réelle, renouvellement compris.
    assert cellule(departement, "durees_par_type", asrl, "duree_moyenne_n") == jours(
        D(2025, 9, 30), D(2024, 10, 1)
    )


def test_file_active_par_situation_a_l_entree_et_par_public(departement):
    # Situation du demandeur au début de chaque mesure : M1 rue (M1a, M1b), M8 rue, M2 CHRS
    # (hébergement), M4 menacé d'expulsion. Chaque ménage n'a qu'une catégorie : additif.
    situation = colonne(departement, "file_active_par_situation", "menages_accompagnes_n")
    assert situation["Rue, abri de fortune"] == 2
    assert situation["Hébergement"] == 1
    assert situation["Logement, menacé d'expulsion"] == 1
    assert situation[None] == 4
    assert tableau(departement, "file_active_par_situation")["additif"] is True
    # 2024 : M3 (chez un tiers) est sorti.
    assert cellule(departement, "file_active_par_situation", "Chez un tiers", "menages_sortis_n1")
    # Publics : M1 et M4 monoparentales, M4 aussi victime de violences ; M2 et M8 sans public.
    public = colonne(departement, "file_active_par_public", "menages_accompagnes_n")
    assert public["Famille monoparentale"] == 2
    assert public["Victime de violences conjugales"] == 1
    assert public["Aucun public prioritaire"] == 2
    assert public[None] == 4


def test_menage_qui_change_d_epci(jeu):
    # M2 : M2a (AVDL) dans l'EPCI A de février à mai, M2b dans l'EPCI B depuis juin.
    a = calculer_donnees(jeu.a, "etat", *ANNEE_2025)
    b = calculer_donnees(jeu.b, "etat", *ANNEE_2025)
    # A : M1 (M1a, M1b), M2 (M2a), M8 → 3 accompagnés, tous nouveaux (M1b, M2a, M8a) ;
    # en cours au 31/12 : M1, M8 ; M2 est sorti de A.
    assert [chiffre(a, c)["n"] for c in ("menages_accompagnes", "menages_nouveaux")] == [3, 3]
    assert [chiffre(a, c)["n"] for c in ("menages_en_cours", "menages_sortis")] == [2, 1]
    # B : M2 (M2b) et M4 (M4a) ; nouveau : M2 ; en cours : M2 ; sorti : M4.
    assert [chiffre(b, c)["n"] for c in ("menages_accompagnes", "menages_nouveaux")] == [2, 1]
    assert [chiffre(b, c)["n"] for c in ("menages_en_cours", "menages_sortis")] == [1, 1]
    # Au Département, M2 compte une fois, en cours (3 + 2 = 5 ≠ 4).
    d = calculer_donnees(jeu.d, "departement", *ANNEE_2025)
    par_territoire = colonne(d, "par_territoire", "menages_accompagnes_n")
    assert par_territoire["EPCI A"] == 3
    assert par_territoire["EPCI B"] == 2
    assert par_territoire["Plateforme P1 (plateforme)"] == 3  # A seul
    assert par_territoire["Plateforme P2 (plateforme)"] == 4  # A et B : M2 une fois
    assert par_territoire[None] == 4


# --- Accès au logement --------------------------------------------------------------------------


def test_acces_au_logement_et_delais(departement):
    # Seule M1a a une entrée dans le logement en 2025 (15/06/2025) : M1, venu de la rue,
    # en logement social.
    assert chiffre(departement, "menages_acces_logement")["n"] == 1
    assert chiffre(departement, "menages_acces_logement")["n1"] == 0
    origine = colonne(departement, "acces_logement_par_origine", "menages_acces_logement_n")
    assert origine["Rue, abri de fortune"] == 1 and origine[None] == 1
    destination = colonne(departement, "acces_logement_par_destination", "menages_acces_logement_n")
    assert destination["Logement social"] == 1 and destination["Parc privé"] == 0
    # Orientation → entrée : du 01/09/2024 au 15/06/2025, une seule mesure.
    entree = chiffre(departement, "delai_orientation_entree")
    assert entree["n"] == jours(D(2025, 6, 15), D(2024, 9, 1)) == 287
    assert (entree["effectif_n"], entree["n1"], entree["effectif_n1"]) == (1, None, 0)
    # Orientation → début, mesures commencées en 2025 avec orientation : M2a (02/01 → 01/02,
    # 30 jours) et M1b (06/05 → 15/06, 40 jours) ; médiane d'un nombre pair = moyenne des deux.
    debut = chiffre(departement, "delai_orientation_debut")
    assert jours(D(2025, 2, 1), D(2025, 1, 2)) == 30
    assert jours(D(2025, 6, 15), D(2025, 5, 6)) == 40
    assert (debut["n"], debut["effectif_n"]) == (35.0, 2)
    # 2024 : M1a seule (01/09 → 01/10/2024, 30 jours) ; M3a et M4a n'ont pas d'orientation.
    assert (debut["n1"], debut["effectif_n1"]) == (30.0, 1)
    delais = tableau(departement, "delais_par_type")
    assert {ligne["libelle"] for ligne in delais["lignes"]} == {
        libelle_type("asrl"),
        libelle_type("asll"),
        libelle_type("avdl"),
    }
    assert (
        cellule(departement, "delais_par_type", libelle_type("asll"), "delai_orientation_debut_n")
        == 40.0
    )


# --- Maintien et expulsions ---------------------------------------------------------------------


def test_maintien_et_expulsions(departement):
    # M4a s'est terminée le 28/02/2025 avec le motif « maintien ».
    assert chiffre(departement, "mesures_maintien")["n"] == 1
    assert (
        cellule(departement, "maintien_par_type", libelle_type("asll"), "mesures_maintien_n") == 1
    )
    # Procédures closes en 2025 : M4 plan d'apurement, M3 maintien (évitées), M5 expulsion.
    assert chiffre(departement, "expulsions_evitees")["n"] == 2
    assert chiffre(departement, "expulsions_realisees")["n"] == 1
    issues = colonne(departement, "expulsions_par_issue", "procedures_closes_n")
    assert issues["Expulsion réalisée"] == 1 and issues[None] == 3
    # 2024 : M5, maintien le 01/05/2024.
    assert chiffre(departement, "expulsions_evitees")["n1"] == 1
    assert chiffre(departement, "expulsions_realisees")["n1"] == 0


# --- Attributions -------------------------------------------------------------------------------


def test_attributions_du_departement_contre_objectif(departement):
    # Baux signés en 2025 dans A et B : M1 (rue à la proposition, compte), M7 (chez un tiers :
    # ne compte pas). Le bail de M2 est signé en 2026 ; celui de M6 est dans le Département voisin.
    assert chiffre(departement, "baux_sans_domicile")["n"] == 1
    # Pas d'objectif propre au Département en 2025 : A (10) + B (5) = 15 ; en 2024 : 12 (propre).
    objectif = chiffre(departement, "objectif_attribution")
    assert (objectif["n"], objectif["n1"]) == (15, 12)
    taux = chiffre(departement, "taux_objectif")
    assert taux["n"] == round(100 * 1 / 15, 1) == 6.7
    assert (taux["effectif_n"], taux["n1"]) == (1, 0.0)
    # Attributions totales : connues pour A seulement → inconnues pour le Département.
    assert (
        cellule(departement, "attributions_objectif", "Département du Jeu", "part_attributions_n")
        is None
    )
    assert (
        cellule(
            departement,
            "attributions_par_contingent",
            "Contingent préfectoral",
            "baux_sans_domicile_n",
        )
        == 1
    )
    assert (
        cellule(departement, "attributions_par_bailleur", "Bailleur social", "baux_sans_domicile_n")
        == 1
    )
    assert colonne(departement, "attributions_par_qpv", "baux_sans_domicile_n") == {
        "En QPV": 0,
        "Hors QPV": 1,
        None: 1,
    }
    assert colonne(departement, "attributions_par_epci", "baux_sans_domicile_n") == {
        "EPCI A": 1,
        "EPCI B": 0,
        None: 1,
    }


def test_part_des_attributions_quand_le_total_est_connu(jeu):
    a = calculer_donnees(jeu.a, "etat", *ANNEE_2025)
    # EPCI A : 1 bail ; objectif 10 → 10 % ; 200 attributions totales → 0,5 %.
    assert cellule(a, "attributions_objectif", "EPCI A", "taux_objectif_n") == 10.0
    assert cellule(a, "attributions_objectif", "EPCI A", "attributions_totales_n") == 200
    assert cellule(a, "attributions_objectif", "EPCI A", "part_attributions_n") == 0.5
    # Plateforme P2 (A et B), sans objectif propre : 10 + 5.
    p2 = calculer_donnees(jeu.p2, "etat", *ANNEE_2025)
    assert chiffre(p2, "objectif_attribution")["n"] == 15


def test_bail_signe_l_annee_suivante_compte_l_annee_de_la_signature(jeu):
    # Le bail de M2 (proposé le 15/11/2025, CHRS) est signé le 10/01/2026 : il compte en 2026.
    bilan_2026 = calculer_donnees(jeu.d, "etat", D(2026, 1, 1), D(2026, 12, 31))
    baux = chiffre(bilan_2026, "baux_sans_domicile")
    assert (baux["n"], baux["n1"]) == (1, 1)  # 2026 : M2 ; 2025 : M1
    assert (
        cellule(
            bilan_2026, "attributions_par_contingent", "Action Logement", "baux_sans_domicile_n"
        )
        == 1
    )
    assert cellule(bilan_2026, "attributions_par_qpv", "En QPV", "baux_sans_domicile_n") == 1


# --- Durées et fins -----------------------------------------------------------------------------


def test_durees_et_motifs_de_fin(departement):
    # Terminées en 2025 : M1a (364 jours), M2a (119), M4a (119).
    durees = [
        jours(D(2025, 9, 30), D(2024, 10, 1)),
        jours(D(2025, 5, 31), D(2025, 2, 1)),
        jours(D(2025, 2, 28), D(2024, 11, 1)),
    ]
    assert durees == [364, 119, 119]
    moyenne = chiffre(departement, "duree_moyenne")
    assert moyenne["n"] == round(sum(durees) / 3, 1) == 200.7
    assert moyenne["effectif_n"] == 3
    assert chiffre(departement, "duree_mediane")["n"] == 119.0
    # 2024 : M3a seule, 01/03 → 31/12/2024.
    assert chiffre(departement, "duree_mediane")["n1"] == jours(D(2024, 12, 31), D(2024, 3, 1))
    motifs = colonne(departement, "motifs_fin", "mesures_terminees_n")
    assert motifs["Accès au logement"] == 1
    assert motifs["Maintien dans le logement assuré"] == 1
    assert motifs["Déménagement hors du territoire"] == 1
    assert motifs[None] == 3
    assert tableau(departement, "motifs_fin")["additif"] is True
    # Ruptures : aucune en 2025, M3a (non-adhésion) en 2024.
    rupture = chiffre(departement, "mesures_rupture")
    assert (rupture["n"], rupture["n1"]) == (0, 1)
    assert colonne(departement, "fins_par_categorie", "mesures_terminees_n") == {
        "Sortie positive": 2,
        "Rupture": 0,
        "Autre fin": 1,
        None: 3,
    }


# --- Département : structures, conventions ------------------------------------------------------


def test_structures_et_charge_des_referents(departement):
    # En cours au 31/12/2025 : M1b (R3, AML du Jeu), M2b et M8a (R2, CHRS du Jeu).
    assert cellule(departement, "par_structure", "CHRS du Jeu", "mesures_en_cours_n") == 2
    assert cellule(departement, "par_structure", "CHRS du Jeu", "referents_n") == 1
    assert cellule(departement, "par_structure", "CHRS du Jeu", "charge_moyenne_n") == 2.0
    # CHRS du Jeu, ménages accompagnés : M1 (M1a), M2 (M2a, M2b), M8 = 3.
    assert cellule(departement, "par_structure", "CHRS du Jeu", "menages_accompagnes_n") == 3
    assert cellule(departement, "par_structure", "AML du Jeu", "menages_accompagnes_n") == 2
    # Ensemble : 3 mesures pour 2 référents.
    assert chiffre(departement, "charge_moyenne")["n"] == 1.5
    assert chiffre(departement, "charge_maximale")["n"] == 2


def test_conventions(departement):
    asrl = "ASRL — CHRS du Jeu (État (DIHAL, DDETS))"
    asll = "ASLL — AML du Jeu (Département (FSL))"
    # C1 (ASRL, 10 mesures, 50 000 €) : M1a active du 01/01 au 30/09/2025 et M8a du 01/11 au
    # 31/12 ; C0, son homologue de 2024 (8 mesures), n'a aucune mesure.
    jours_c1 = jours(D(2025, 9, 30), D(2025, 1, 1)) + 1 + jours(D(2025, 12, 31), D(2025, 11, 1)) + 1
    assert jours_c1 == 273 + 61
    assert cellule(departement, "conventions", asrl, "mesures_financees_n") == 10
    assert cellule(departement, "conventions", asrl, "mesures_financees_n1") == 8
    assert cellule(departement, "conventions", asrl, "mesures_utilisees_n") == 2
    assert cellule(departement, "conventions", asrl, "taux_occupation_n") == round(
        100 * jours_c1 / (10 * 365), 1
    )
    assert cellule(departement, "conventions", asrl, "cout_par_menage_n") == 25000.0
    assert cellule(departement, "conventions", asrl, "cout_par_menage_n1") is None
    # C2 (ASLL, 4 mesures, 12 000 €) : M1b du 15/06 au 31/12/2025.
    jours_c2 = jours(D(2025, 12, 31), D(2025, 6, 15)) + 1
    assert cellule(departement, "conventions", asll, "taux_occupation_n") == round(
        100 * jours_c2 / (4 * 365), 1
    )
    # Ensemble : 62 000 € pour 2 ménages distincts (M1 sur les deux conventions, M8).
    assert cellule(departement, "conventions", None, "cout_par_menage_n") == 31000.0
    assert cellule(departement, "conventions", None, "taux_occupation_n") == round(
        100 * (jours_c1 + jours_c2) / (14 * 365), 1
    )
    assert chiffre(departement, "taux_occupation")["n"] == round(
        100 * (jours_c1 + jours_c2) / (14 * 365), 1
    )


# --- Audiences, forme de l'instantané -----------------------------------------------------------


def test_forme_de_l_instantane(departement, jeu):
    assert departement["schema"] == 1
    assert departement["titre"] == "Bilan année 2025 — Département du Jeu"
    assert departement["periode"] == {
        "debut": "2025-01-01",
        "fin": "2025-12-31",
        "libelle": "année 2025",
    }
    assert departement["periode_precedente"]["libelle"] == "année 2024"
    assert departement["territoire"]["id"] == jeu.d.pk
    assert departement["vide"] is False
    assert departement["seuil_secret"] is None
    # Toutes les colonnes d'une ligne sont là ; une colonne dérivée pointe vers son effectif.
    for bloc in departement["blocs"]:
        for t in bloc["tableaux"]:
            for ligne in [*t["lignes"], *([t["total"]] if t["total"] else [])]:
                assert len(ligne["valeurs"]) == len(t["colonnes"])
            for c in t["colonnes"]:
                if (
                    c["unite"] in ("jours", "pourcentage", "euros")
                    or c["indicateur"] == "charge_moyenne"
                ):
                    assert c["effectif"] is not None, (t["code"], c["code"])
                    assert t["colonnes"][c["effectif"]]["periode"] == c["periode"]
    # Les définitions : chaque indicateur utilisé, une fois.
    codes = [d["code"] for d in departement["definitions"]]
    assert len(codes) == len(set(codes))
    assert {"menages_accompagnes", "taux_occupation", "cout_par_menage"} <= set(codes)
    assert json.loads(json.dumps(departement)) == departement


def test_blocs_selon_l_audience(jeu):
    etat = calculer_donnees(jeu.d, "etat", *ANNEE_2025)
    dep = calculer_donnees(jeu.d, "departement", *ANNEE_2025)
    commun = ["file_active", "acces_logement", "maintien_expulsions", "attributions", "durees_fins"]
    assert [b["code"] for b in etat["blocs"]] == commun
    assert [b["code"] for b in dep["blocs"]] == [
        *commun,
        "territoires",
        "structures",
        "conventions",
    ]


def test_aucune_donnee_personnelle(jeu):
    for territoire, audience in (
        (jeu.d, "departement"),
        (jeu.d, "etat"),
        (jeu.a, "etat"),
    ):
        texte = json.dumps(calculer_donnees(territoire, audience, *ANNEE_2025), ensure_ascii=False)
        for interdit in (
            "Fictif-Secret",
            "Dominique",
            "12 rue du Secret",
            "1977-03-14",
            "Agent",
            "r1",
        ):
            assert interdit not in texte


def test_periode_sans_donnees(jeu):
    donnees = calculer_donnees(jeu.d, "departement", D(2010, 1, 1), D(2010, 12, 31))
    assert donnees["vide"] is True
    assert chiffre(donnees, "menages_accompagnes") == {
        "code": "menages_accompagnes",
        "libelle": "Ménages accompagnés",
        "unite": "menages",
        "n": 0,
        "n1": 0,
        "effectif_n": None,
        "effectif_n1": None,
    }
    assert chiffre(donnees, "duree_mediane")["n"] is None
    assert chiffre(donnees, "taux_objectif")["n"] is None
    assert all(
        v == 0 for v in colonne(donnees, "file_active_par_type", "menages_accompagnes_n").values()
    )
    assert tableau(donnees, "conventions")["lignes"] == []


@pytest.mark.skipif(not SECRET_DISPONIBLE, reason="bilans/secret.py pas encore écrit")
def test_audience_epci_masque_les_petits_effectifs(jeu, settings):
    settings.LOGEMENT = {**settings.LOGEMENT, "SEUIL_SECRET_STATISTIQUE": 5}
    donnees = calculer_donnees(jeu.a, "epci", *ANNEE_2025)
    assert donnees["seuil_secret"] == 5
    # EPCI A : 3 ménages accompagnés (< 5) → masqué ; 0 reste publié.
    assert chiffre(donnees, "menages_accompagnes")["n"] == "s"
    assert chiffre(donnees, "mesures_rupture")["n"] == 0
    # Taux d'atteinte : 1 bail (< 5) → le taux dérivé est masqué aussi.
    assert chiffre(donnees, "taux_objectif")["n"] == "s"
    assert cellule(donnees, "file_active_par_type", None, "menages_accompagnes_n") == "s"
    # Pas de tableau par structure ni de convention pour un co-pilote.
    assert {b["code"] for b in donnees["blocs"]}.isdisjoint({"structures", "conventions"})
    # Avec un seuil de 1, rien n'est masqué.
    settings.LOGEMENT = {**settings.LOGEMENT, "SEUIL_SECRET_STATISTIQUE": 1}
    clair = calculer_donnees(jeu.a, "epci", *ANNEE_2025)
    assert chiffre(clair, "menages_accompagnes")["n"] == 3


def test_audience_et_niveau_incompatibles(jeu):
    with pytest.raises(ValueError):
        calculer_donnees(jeu.a, "departement", *ANNEE_2025)
    with pytest.raises(ValueError):
        calculer_donnees(jeu.p1, "epci", *ANNEE_2025)


def test_progression(jeu):
    etapes = []
    calculer_donnees(
        jeu.d, "departement", *ANNEE_2025, progression=lambda p, e: etapes.append((p, e))
    )
    pourcents = [p for p, _ in etapes]
    assert pourcents == sorted(pourcents) and pourcents[-1] == 100
    assert all(isinstance(e, str) and e for _, e in etapes)


def test_libelle_de_periode():
    assert libelle_periode(D(2025, 1, 1), D(2025, 12, 31)) == "année 2025"
    assert libelle_periode(D(2025, 1, 1), D(2025, 3, 31)) == "1er trimestre 2025"
    assert libelle_periode(D(2025, 10, 1), D(2025, 12, 31)) == "4e trimestre 2025"
    assert libelle_periode(D(2025, 2, 1), D(2025, 4, 30)) == "du 01/02/2025 au 30/04/2025"


# --- Nombre de requêtes -------------------------------------------------------------------------


def _requetes(territoire, audience) -> int:
    with CaptureQueriesContext(connection) as requetes:
        calculer_donnees(territoire, audience, *ANNEE_2025)
    return len(requetes)


@pytest.mark.django_db
def test_nombre_de_requetes_independant_du_volume(django_assert_max_num_queries):
    jeu = construire_jeu()
    petit = {audience: _requetes(jeu.d, audience) for audience in ("etat", "departement")}
    petit["epci"] = _requetes(jeu.a, "epci")
    ajouter_volume(jeu, 24)
    for audience, nombre in petit.items():
        territoire = jeu.a if audience == "epci" else jeu.d
        with django_assert_max_num_queries(nombre):
            calculer_donnees(territoire, audience, *ANNEE_2025)
    # Repère pour le rapport : le bilan du Département tient en une centaine de requêtes.
    assert petit["departement"] <= 120
