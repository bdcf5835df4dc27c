"""Instantanés de bilan écrits à la main, conformes au contrat de `Bilan.donnees` (schéma 1).

Chiffres fictifs mais cohérents : les tableaux additifs ont des totaux égaux à la somme des lignes.
Chaque appel rend une copie neuve, que les tests peuvent modifier.
"""

from __future__ import annotations


def _col(code, libelle, indicateur, periode, unite, effectif=None):
    return {
        "code": code,
        "libelle": libelle,
        "indicateur": indicateur,
        "periode": periode,
        "unite": unite,
        "effectif": effectif,
    }


def _definitions() -> list[dict]:
    return [
        {
            "code": "menages_accompagnes",
            "libelle": "Ménages accompagnés",
            "definition": "Nombre de ménages distincts ayant au moins une mesure active un jour de "
            "la période (date de début ≤ fin de période et date de fin vide ou ≥ début de période).",
            "unite": "menages",
        },
        {
            "code": "menages_nouveaux",
            "libelle": "Nouveaux ménages",
            "definition": "Ménages dont la première mesure commence pendant la période.",
            "unite": "menages",
        },
        {
            "code": "acces_logement_perenne",
            "libelle": "Accès au logement pérenne",
            "definition": "Ménages dont une mesure s'est terminée pendant la période avec une entrée "
            "dans un logement pérenne (logement social, parc privé, pension de famille).",
            "unite": "menages",
        },
        {
            "code": "taux_acces_logement",
            "libelle": "Taux d'accès au logement",
            "definition": "Numérateur : ménages entrés dans un logement pérenne ; dénominateur : "
            "ménages dont une mesure s'est terminée pendant la période.",
            "unite": "pourcentage",
        },
        {
            "code": "delai_orientation_debut",
            "libelle": "Délai médian orientation → début de mesure",
            "definition": "Médiane, en jours, de l'écart entre la date d'orientation et la date de "
            "début de la mesure, pour les mesures commencées pendant la période.",
            "unite": "jours",
        },
        {
            "code": "cout_par_menage",
            "libelle": "Coût par ménage accompagné",
            "definition": "Montant de la convention divisé par le nombre de ménages accompagnés "
            "au titre de cette convention pendant la période.",
            "unite": "euros",
        },
    ]


def instantane() -> dict:
    """Bilan annuel 2025 d'un EPCI fictif, sans secret appliqué (seuil_secret nul)."""
    return {
        "schema": 1,
        "titre": "Bilan annuel 2025 — EPCI Valmont Agglo",
        "audience": "etat",
        "audience_libelle": "État (préfecture, DDETS, DIHAL)",
        "territoire": {
            "id": 3,
            "nom": "Valmont Agglo",
            "code": "200000001",
            "niveau": "epci",
            "niveau_libelle": "EPCI",
        },
        "periode": {"debut": "2025-01-01", "fin": "2025-12-31", "libelle": "année 2025"},
        "periode_precedente": {"debut": "2024-01-01", "fin": "2024-12-31", "libelle": "année 2024"},
        "genere_le": "2026-01-15T03:00:00+01:00",
        "seuil_secret": None,
        "vide": False,
        "synthese": [
            {
                "code": "menages_accompagnes",
                "libelle": "Ménages accompagnés",
                "unite": "menages",
                "n": 1234,
                "n1": 1098,
                "effectif_n": None,
                "effectif_n1": None,
            },
            {
                "code": "acces_logement_perenne",
                "libelle": "Accès au logement pérenne",
                "unite": "menages",
                "n": 4,
                "n1": 7,
                "effectif_n": None,
                "effectif_n1": None,
            },
            {
                "code": "taux_acces_logement",
                "libelle": "Taux d'accès au logement",
                "unite": "pourcentage",
                "n": 12.5,
                "n1": 38.9,
                "effectif_n": 32,
                "effectif_n1": 3,
            },
            {
                "code": "cout_par_menage",
                "libelle": "Coût par ménage accompagné",
                "unite": "euros",
                "n": 2345.5,
                "n1": None,
                "effectif_n": 1234,
                "effectif_n1": None,
            },
        ],
        "blocs": [
            {
                "code": "file_active",
                "titre": "File active",
                "texte": "Ménages ayant au moins une mesure d'accompagnement active pendant la période.",
                "tableaux": [
                    {
                        "code": "file_active_par_type",
                        "titre": "Ménages accompagnés par type de mesure",
                        "dimension": "Type de mesure",
                        "colonnes": [
                            _col(
                                "accompagnes_n",
                                "Accompagnés",
                                "menages_accompagnes",
                                "N",
                                "menages",
                            ),
                            _col(
                                "accompagnes_n1",
                                "Accompagnés",
                                "menages_accompagnes",
                                "N-1",
                                "menages",
                            ),
                            _col("nouveaux_n", "Nouveaux", "menages_nouveaux", "N", "menages"),
                        ],
                        "lignes": [
                            {"libelle": "ASRL", "valeurs": [1000, 900, 310]},
                            {"libelle": "AVDL", "valeurs": [200, 180, 3]},
                            {"libelle": "ASLL", "valeurs": [30, 18, 12]},
                            {"libelle": "AML", "valeurs": [4, 0, 0]},
                        ],
                        "total": {"libelle": "Total", "valeurs": [1234, 1098, 325]},
                        "additif": True,
                        "graphique": {"type": "barres", "colonnes": [0, 1]},
                        "note": "Chaque ménage est compté pour sa mesure principale.",
                    },
                ],
            },
            {
                "code": "acces_logement",
                "titre": "Accès au logement pérenne",
                "texte": "",
                "tableaux": [
                    {
                        "code": "acces_par_destination",
                        "titre": "Accès au logement par destination",
                        "dimension": "Destination",
                        "colonnes": [
                            _col("sorties_n", "Sorties", "menages_sortis", "N", "menages"),
                            _col(
                                "acces_n",
                                "Accès logement",
                                "acces_logement_perenne",
                                "N",
                                "menages",
                            ),
                            _col(
                                "taux_n",
                                "Taux d'accès",
                                "taux_acces_logement",
                                "N",
                                "pourcentage",
                                0,
                            ),
                            _col(
                                "delai_n",
                                "Délai médian",
                                "delai_orientation_debut",
                                "N",
                                "jours",
                                1,
                            ),
                        ],
                        "lignes": [
                            {"libelle": "Logement social", "valeurs": [20, 3, 15.0, 45.5]},
                            {"libelle": "Parc privé", "valeurs": [12, 1, 8.3, 30.0]},
                            {"libelle": "Pension de famille", "valeurs": [0, 0, None, None]},
                        ],
                        "total": {"libelle": "Total", "valeurs": [32, 4, 12.5, 42.0]},
                        "additif": True,
                        "graphique": None,
                        "note": None,
                    },
                ],
            },
            {
                "code": "conventions",
                "titre": "Conventions",
                "texte": "Mesures financées et utilisées.",
                "tableaux": [
                    {
                        "code": "conventions_occupation",
                        "titre": "Occupation des conventions",
                        "dimension": "Structure",
                        "colonnes": [
                            _col("financees_n", "Financées", "mesures_financees", "N", "mesures"),
                            _col(
                                "taux_occ_n", "Occupation", "taux_occupation", "N", "pourcentage", 0
                            ),
                            _col("cout_n", "Coût par ménage", "cout_par_menage", "N", "euros", 0),
                            _col("cout_n1", "Coût par ménage", "cout_par_menage", "N-1", "euros"),
                        ],
                        "lignes": [
                            {
                                "libelle": "Association Horizon",
                                "valeurs": [60, 91.7, 2345.5, 2210.0],
                            },
                            {"libelle": "CCAS de Valmont", "valeurs": [25, 100.0, 1999.99, None]},
                        ],
                        "total": None,
                        "additif": False,
                        "graphique": None,
                        "note": None,
                    },
                ],
            },
        ],
        "definitions": _definitions(),
    }


def instantane_vide() -> dict:
    """Une période sans aucune donnée : le rendu doit le dire, pas échouer."""
    donnees = instantane()
    donnees.update(
        {
            "titre": "Bilan trimestriel T1 2025 — EPCI Valmont Agglo",
            "periode": {
                "debut": "2025-01-01",
                "fin": "2025-03-31",
                "libelle": "1er trimestre 2025",
            },
            "periode_precedente": {
                "debut": "2024-01-01",
                "fin": "2024-03-31",
                "libelle": "1er trimestre 2024",
            },
            "vide": True,
            "synthese": [],
            "blocs": [],
            "definitions": [],
        }
    )
    return donnees
