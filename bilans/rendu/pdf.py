"""Rendu PDF d'un bilan (WeasyPrint) : couverture, synthèse, un chapitre par bloc, annexe."""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from bilans.rendu import (
    LIBELLES_UNITES,
    date_courte,
    date_longue,
    evolution,
    legende_secret,
    libelle_periode,
    valeur_fr,
)
from bilans.rendu.graphiques import MAX_LIGNES, barres
from bilans.secret import SECRET

GABARIT = "bilans/pdf/bilan.html"

# WeasyPrint journalise chaque étape de mise en page au niveau INFO : trop bavard pour un worker.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _cellule(valeur, unite: str) -> dict:
    texte = valeur_fr(valeur, unite, avec_unite=unite in ("pourcentage", "euros"))
    classe = "secret" if valeur == SECRET else ("vide" if valeur is None else "")
    return {"texte": texte, "classe": classe}


def _entete(donnees: dict, colonne: dict) -> dict:
    unite = colonne.get("unite", "")
    precision = f"en {LIBELLES_UNITES[unite]}" if unite in ("jours", "mois") else ""
    return {
        "libelle": colonne.get("libelle", ""),
        "periode": libelle_periode(donnees, colonne.get("periode", "N")),
        "precision": precision,
    }


def _rangee(donnees: dict, tableau: dict, rangee: dict) -> dict:
    return {
        "libelle": rangee.get("libelle", ""),
        "cellules": [
            _cellule(valeur, colonne.get("unite", ""))
            for valeur, colonne in zip(rangee["valeurs"], tableau["colonnes"], strict=False)
        ],
    }


def _tableau(donnees: dict, tableau: dict) -> dict:
    graphique = tableau.get("graphique")
    svg = barres(donnees, tableau) if graphique and graphique.get("type") == "barres" else None
    nb_lignes = len(tableau.get("lignes") or [])
    legende = tableau.get("titre", "")
    if svg and nb_lignes > MAX_LIGNES:
        legende += f" (les {MAX_LIGNES} lignes aux plus fortes valeurs, sur {nb_lignes})"
    colonnes = tableau.get("colonnes") or []
    return {
        "titre": tableau.get("titre", ""),
        "dimension": tableau.get("dimension", ""),
        "entetes": [_entete(donnees, c) for c in colonnes],
        # Beaucoup de colonnes numériques : caractères plus petits pour tenir dans la largeur.
        "serre": len(colonnes) > 5,
        "legende_graphique": legende,
        "lignes": [_rangee(donnees, tableau, ligne) for ligne in tableau.get("lignes") or []],
        "total": _rangee(donnees, tableau, tableau["total"]) if tableau.get("total") else None,
        "note": tableau.get("note") or "",
        # SVG produit par notre code, textes échappés : sûr à inclure tel quel.
        "svg": mark_safe(svg) if svg else None,
    }


def _synthese(donnees: dict) -> list[dict]:
    chiffres = []
    for chiffre in donnees.get("synthese") or []:
        unite = chiffre.get("unite", "")
        _, texte_evolution = evolution(chiffre.get("n"), chiffre.get("n1"), unite)
        chiffres.append(
            {
                "libelle": chiffre.get("libelle", ""),
                "n": valeur_fr(chiffre.get("n"), unite),
                "n1": valeur_fr(chiffre.get("n1"), unite),
                "evolution": texte_evolution,
            }
        )
    return chiffres


def contexte(donnees: dict) -> dict:
    periode = donnees.get("periode") or {}
    precedente = donnees.get("periode_precedente") or {}
    territoire = donnees.get("territoire") or {}
    return {
        "titre": donnees.get("titre") or "Bilan",
        "territoire": territoire,
        "audience_libelle": donnees.get("audience_libelle") or donnees.get("audience", ""),
        "periode": {
            "libelle": periode.get("libelle", ""),
            "debut": date_courte(periode.get("debut")),
            "fin": date_courte(periode.get("fin")),
        },
        "periode_precedente": {
            "libelle": precedente.get("libelle", ""),
            "debut": date_courte(precedente.get("debut")),
            "fin": date_courte(precedente.get("fin")),
        },
        "genere_le": date_longue(donnees.get("genere_le")),
        "vide": bool(donnees.get("vide")),
        "legende_secret": legende_secret(donnees),
        "synthese": _synthese(donnees),
        "blocs": [
            {
                "ancre": f"bloc-{k}",
                "titre": bloc.get("titre", ""),
                "texte": bloc.get("texte") or "",
                "tableaux": [_tableau(donnees, t) for t in bloc.get("tableaux") or []],
            }
            for k, bloc in enumerate(donnees.get("blocs") or [], start=1)
        ],
        "definitions": [
            {**d, "unite_libelle": LIBELLES_UNITES.get(d.get("unite"), d.get("unite") or "")}
            for d in donnees.get("definitions") or []
        ],
    }


def produire_pdf(donnees: dict) -> bytes:
    # Import tardif : WeasyPrint charge pango au premier import, inutile pour les autres formats.
    from weasyprint import HTML

    html = render_to_string(GABARIT, contexte(donnees))
    # Base locale : aucune ressource n'est cherchée sur le réseau.
    base = str(settings.BASE_DIR / "templates" / "bilans" / "pdf")
    return HTML(string=html, base_url=base).write_pdf()
