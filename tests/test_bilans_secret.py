"""Secret statistique des bilans EPCI : petits effectifs, différences, grandeurs dérivées."""

from __future__ import annotations

import copy
import random

from bilans.secret import SECRET, UNITES_EFFECTIF, masquer
from tests.bilans_instantane import instantane

SEUIL = 5


def _tableau(donnees, code):
    for bloc in donnees["blocs"]:
        for tableau in bloc["tableaux"]:
            if tableau["code"] == code:
                return tableau
    raise KeyError(code)


def _colonne(tableau, i):
    return [ligne["valeurs"][i] for ligne in tableau["lignes"]]


def _tableau_simple(lignes, total, unite="menages", additif=True):
    return {
        "code": "t",
        "titre": "T",
        "dimension": "D",
        "colonnes": [
            {
                "code": "c",
                "libelle": "C",
                "indicateur": "x",
                "periode": "N",
                "unite": unite,
                "effectif": None,
            }
        ],
        "lignes": [{"libelle": f"L{k}", "valeurs": [v]} for k, v in enumerate(lignes)],
        "total": None if total is None else {"libelle": "Total", "valeurs": [total]},
        "additif": additif,
        "graphique": None,
        "note": None,
    }


def _masquer_tableau(tableau, seuil=SEUIL):
    donnees = {"synthese": [], "blocs": [{"code": "b", "titre": "B", "tableaux": [tableau]}]}
    return masquer(donnees, seuil)["blocs"][0]["tableaux"][0]


def _cellules_deductibles(avant, apres):
    """Cellules masquées qu'un lecteur retrouve : total − somme des autres lignes publiées, ou total
    = somme des lignes quand seul le total est masqué."""
    trouvees = []
    if not (apres["additif"] and apres["total"]):
        return trouvees
    for i, colonne in enumerate(apres["colonnes"]):
        if colonne["unite"] not in UNITES_EFFECTIF:
            continue
        cellules = _colonne(apres, i) + [apres["total"]["valeurs"][i]]
        masquees = [k for k, v in enumerate(cellules) if v == SECRET]
        if len(masquees) == 1:
            k = masquees[0]
            vraies = _colonne(avant, i) + [avant["total"]["valeurs"][i]]
            publiees = [v or 0 for j, v in enumerate(cellules) if j != k]
            deduite = sum(publiees) if k == len(cellules) - 1 else publiees[-1] - sum(publiees[:-1])
            if deduite == vraies[k]:
                trouvees.append((apres["code"], i, k, deduite))
    return trouvees


def test_masquer_ne_modifie_pas_l_entree_et_renseigne_le_seuil():
    donnees = instantane()
    intact = copy.deepcopy(donnees)
    resultat = masquer(donnees, SEUIL)
    assert donnees == intact
    assert resultat["seuil_secret"] == SEUIL
    assert resultat is not donnees


def test_petits_effectifs_masques_zero_et_null_conserves():
    tableau = _masquer_tableau(_tableau_simple([0, 3, None, 40], None, additif=False))
    assert _colonne(tableau, 0) == [0, SECRET, None, 40]


def test_seuil_exclu_effectif_egal_au_seuil_publie():
    tableau = _masquer_tableau(_tableau_simple([4, 5], None, additif=False))
    assert _colonne(tableau, 0) == [SECRET, 5]


def test_grandeurs_derivees_non_masquees_par_le_primaire():
    tableau = _masquer_tableau(_tableau_simple([2, 3.5], None, unite="jours", additif=False))
    assert _colonne(tableau, 0) == [2, 3.5]


def test_synthese_effectifs_et_derivees():
    resultat = masquer(instantane(), SEUIL)
    par_code = {c["code"]: c for c in resultat["synthese"]}
    assert par_code["menages_accompagnes"]["n"] == 1234
    assert par_code["acces_logement_perenne"]["n"] == SECRET  # 4 < 5
    assert par_code["acces_logement_perenne"]["n1"] == 7
    # Taux sur 32 ménages publié ; le même en N-1 sur 3 ménages masqué.
    assert par_code["taux_acces_logement"]["n"] == 12.5
    assert par_code["taux_acces_logement"]["n1"] == SECRET
    assert par_code["cout_par_menage"]["n1"] is None


def test_secondaire_masque_la_plus_petite_autre_cellule():
    avant = _tableau_simple([1000, 200, 30, 4], 1234)
    apres = _masquer_tableau(copy.deepcopy(avant))
    assert _colonne(apres, 0) == [1000, 200, SECRET, SECRET]
    assert apres["total"]["valeurs"] == [1234]
    assert _cellules_deductibles(avant, apres) == []


def test_secondaire_ignore_les_zeros():
    apres = _masquer_tableau(_tableau_simple([0, 3, 0, 50, 20], 73))
    assert _colonne(apres, 0) == [0, SECRET, 0, 50, SECRET]


def test_secondaire_masque_le_total_sans_autre_cellule_non_nulle():
    # Une seule ligne non nulle égale au total : les deux sont petites, donc masquées.
    apres = _masquer_tableau(_tableau_simple([0, 3], 3))
    assert _colonne(apres, 0) == [0, SECRET]
    assert apres["total"]["valeurs"] == [SECRET]
    # Les autres lignes sans objet : seul le total reste à masquer.
    apres = _masquer_tableau(_tableau_simple([2, None], 7))
    assert apres["total"]["valeurs"] == [SECRET]


def test_total_sous_le_seuil_masque_tout():
    apres = _masquer_tableau(_tableau_simple([1, 2, 1], 4))
    assert _colonne(apres, 0) == [SECRET, SECRET, SECRET]
    assert apres["total"]["valeurs"] == [SECRET]


def test_ligne_unique_egale_au_total():
    apres = _masquer_tableau(_tableau_simple([12], 12))
    assert _colonne(apres, 0) == [12]
    apres = _masquer_tableau(_tableau_simple([2], 2))
    assert _colonne(apres, 0) == [SECRET] and apres["total"]["valeurs"] == [SECRET]


def test_tableau_non_additif_sans_secret_secondaire():
    apres = _masquer_tableau(_tableau_simple([3, 20, 30], 45, additif=False))
    assert _colonne(apres, 0) == [SECRET, 20, 30]
    assert apres["total"]["valeurs"] == [45]


def test_derivee_masquee_quand_effectif_masque_par_secondaire():
    donnees = instantane()
    resultat = masquer(donnees, SEUIL)
    acces = _tableau(resultat, "acces_par_destination")
    # Sorties 20/12/0 (total 32) ; accès 3/1/0 (total 4) : tout masqué dans la colonne accès.
    assert _colonne(acces, 0) == [20, 12, 0]
    assert _colonne(acces, 1) == [SECRET, SECRET, 0]
    assert acces["total"]["valeurs"][1] == SECRET
    # Taux repose sur les sorties (publiées) ; délai sur les accès (masqués) sauf le null.
    assert _colonne(acces, 2) == [15.0, 8.3, None]
    assert _colonne(acces, 3) == [SECRET, SECRET, None]
    assert acces["total"]["valeurs"][2:] == [12.5, SECRET]


def test_instantane_d_exemple_rien_de_deductible_par_difference():
    donnees = instantane()
    resultat = masquer(donnees, SEUIL)
    file_active = _tableau(resultat, "file_active_par_type")
    assert _colonne(file_active, 0) == [1000, 200, SECRET, SECRET]
    assert _colonne(file_active, 2) == [310, SECRET, SECRET, 0]
    for bloc_avant, bloc_apres in zip(donnees["blocs"], resultat["blocs"], strict=True):
        for avant, apres in zip(bloc_avant["tableaux"], bloc_apres["tableaux"], strict=True):
            assert _cellules_deductibles(avant, apres) == []


def test_masquer_est_idempotent():
    une_fois = masquer(instantane(), SEUIL)
    assert masquer(une_fois, SEUIL) == une_fois


def test_aleatoire_aucune_cellule_masquee_retrouvable_par_difference():
    hasard = random.Random(20250115)
    for _ in range(500):
        lignes = [
            hasard.choice([0, 0, None, 1, 2, 3, 4, 5, 6, 9, 15, 40])
            for _ in range(hasard.randint(1, 6))
        ]
        total = sum(v or 0 for v in lignes)
        avant = _tableau_simple(lignes, total)
        apres = _masquer_tableau(copy.deepcopy(avant))
        assert _cellules_deductibles(avant, apres) == [], (lignes, apres)
        publiees = _colonne(apres, 0) + apres["total"]["valeurs"]
        # Aucun petit effectif ne reste publié, aucune valeur n'est modifiée autrement qu'en « s ».
        assert not [v for v in publiees if isinstance(v, int) and 0 < v < SEUIL]
        originales = lignes + [total]
        assert all(a in (b, SECRET) for a, b in zip(publiees, originales, strict=True))
