"""Rendu CSV d'un bilan, au format « long » : une ligne par chiffre, lisible par un tableur français.

Colonnes : territoire ; bloc ; tableau ; dimension ; ligne ; indicateur ; colonne ; période ; du ;
au ; valeur ; unité. Les chiffres clés de la synthèse viennent d'abord (bloc « Synthèse »).
UTF-8 avec BOM, séparateur « ; », virgule décimale, pas de séparateur de milliers (le tableur lit
un nombre), dates jj/mm/aaaa. Un taux s'écrit 12,5 avec l'unité « % ». « s » : secret statistique ;
valeur vide : sans objet ou pas de donnée.
"""

from __future__ import annotations

import csv
import io

from bilans.rendu import LIBELLES_UNITES, date_courte, est_nombre, legende_secret
from logement.exports import neutraliser

ENTETES = (
    "territoire",
    "bloc",
    "tableau",
    "dimension",
    "ligne",
    "indicateur",
    "colonne",
    "période",
    "du",
    "au",
    "valeur",
    "unité",
)


def valeur_csv(valeur) -> str:
    if valeur is None:
        return ""
    if est_nombre(valeur):
        if isinstance(valeur, float) and valeur.is_integer():
            valeur = int(valeur)
        return str(valeur).replace(".", ",")
    return str(neutraliser(valeur))


def _lignes(donnees: dict):
    territoire = (donnees.get("territoire") or {}).get("nom", "")
    periodes = {}
    for code, cle in (("N", "periode"), ("N-1", "periode_precedente")):
        periode = donnees.get(cle) or {}
        periodes[code] = (
            periode.get("libelle", code),
            date_courte(periode.get("debut")),
            date_courte(periode.get("fin")),
        )

    synthese = donnees.get("synthese") or []
    if donnees.get("vide"):
        yield (
            territoire,
            "Synthèse",
            "",
            "",
            "Aucune donnée pour cette période",
            "",
            "",
            *periodes["N"],
            "",
            "",
        )
    for chiffre in synthese:
        unite = LIBELLES_UNITES.get(chiffre.get("unite"), chiffre.get("unite", ""))
        for code, cle in (("N", "n"), ("N-1", "n1")):
            yield (
                territoire,
                "Synthèse",
                "Chiffres clés",
                "",
                chiffre.get("libelle", ""),
                chiffre.get("code", ""),
                chiffre.get("libelle", ""),
                *periodes[code],
                valeur_csv(chiffre.get(cle)),
                unite,
            )

    for bloc in donnees.get("blocs") or []:
        for tableau in bloc.get("tableaux") or []:
            colonnes = tableau.get("colonnes") or []
            rangees = list(tableau.get("lignes") or [])
            if tableau.get("total"):
                rangees.append(tableau["total"])
            for rangee in rangees:
                for valeur, colonne in zip(rangee.get("valeurs") or [], colonnes, strict=False):
                    unite = colonne.get("unite", "")
                    yield (
                        territoire,
                        bloc.get("titre", ""),
                        tableau.get("titre", ""),
                        tableau.get("dimension", ""),
                        rangee.get("libelle", ""),
                        colonne.get("indicateur", ""),
                        colonne.get("libelle", ""),
                        *periodes.get(colonne.get("periode", "N"), periodes["N"]),
                        valeur_csv(valeur),
                        LIBELLES_UNITES.get(unite, unite),
                    )

    legende = legende_secret(donnees)
    if legende:
        yield (territoire, "Notes", "", "", legende, "", "", "", "", "", "", "")


def produire_csv(donnees: dict) -> bytes:
    tampon = io.StringIO()
    tampon.write("\ufeff")
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow(ENTETES)
    for ligne in _lignes(donnees):
        # Les libellés sont désamorcés ; la valeur l'est déjà (un nombre négatif reste un nombre).
        *textes, valeur, unite = ligne
        ecrivain.writerow([*(neutraliser(t) for t in textes), valeur, neutraliser(unite)])
    return tampon.getvalue().encode("utf-8")
