"""Fichiers modèles à télécharger, un par genre : en-têtes français (`Colonne.entete`), une
ligne d'exemple fictive et, dans le classeur, une feuille « Explications »."""

from __future__ import annotations

from django.conf import settings

from logement.exports import classeur_xlsx, reponse_csv, reponse_xlsx

from .lecture import nombre_lisible, taille_lisible

FORMATS = ("xlsx", "csv")
ENTETES_EXPLICATIONS = ["Colonne", "Obligatoire", "Exemple", "Format et valeurs permises"]


def regles_generales() -> list[str]:
    return [
        "Une ligne par élément à importer ; les en-têtes restent sur la première ligne.",
        "Dates au format jj/mm/aaaa (ou vraies dates du tableur) ; décimales avec une virgule.",
        "Les lignes vides sont ignorées ; les colonnes en trop aussi (elles sont listées dans "
        "l'aperçu).",
        "Les en-têtes peuvent être écrits autrement (accents, majuscules) : l'aperçu propose la "
        "correspondance des colonnes, que vous pouvez corriger ; elle est retenue pour la "
        "structure.",
        f"Au plus {taille_lisible(settings.IMPORT_TAILLE_MAX)} et "
        f"{nombre_lisible(settings.IMPORT_LIGNES_MAX)} lignes par fichier ; seule la première "
        "feuille du classeur est lue.",
        "Rien n'est écrit avant votre confirmation, après l'essai à blanc : une seule erreur et "
        "rien n'est importé.",
    ]


def explications(genre) -> list[list[str]]:
    lignes = [
        [c.entete, "oui" if c.obligatoire else "non", c.exemple, c.aide] for c in genre.colonnes
    ]
    lignes.append(["", "", "", ""])
    lignes += [["À savoir", "", "", regle] for regle in regles_generales()]
    return lignes


def nom_modele(genre) -> str:
    return f"modele-import-{genre.cle}"


def classeur(genre) -> bytes:
    return classeur_xlsx(_feuilles(genre))


def _feuilles(genre):
    entetes = [c.entete for c in genre.colonnes]
    return [
        (genre.libelle, entetes, [[c.exemple for c in genre.colonnes]]),
        ("Explications", ENTETES_EXPLICATIONS, explications(genre)),
    ]


def reponse(genre, format_: str):
    if format_ == "xlsx":
        return reponse_xlsx(nom_modele(genre), _feuilles(genre))
    return reponse_csv(
        nom_modele(genre), [c.entete for c in genre.colonnes], [[c.exemple for c in genre.colonnes]]
    )
