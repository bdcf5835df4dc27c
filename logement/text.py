"""Normalisation de texte pour la recherche et la détection de doublons."""

import unicodedata

# Au-delà, un identifiant ne tient plus dans un entier de 64 bits (OverflowError sous SQLite).
CHIFFRES_MAX_IDENTIFIANT = 18


def identifiant(valeur) -> int | None:
    """Un identifiant de base reçu d'une URL ou d'un formulaire, ou None s'il n'en est pas un
    (« ² » passe `str.isdigit` mais pas `int`, 2**63 déborde)."""
    texte = str(valeur).strip()
    if texte.isascii() and texte.isdigit() and len(texte) <= CHIFFRES_MAX_IDENTIFIANT:
        return int(texte)
    return None


def sans_caractere_nul(texte: str) -> str:
    """PostgreSQL refuse le caractère nul dans un texte ou un JSON."""
    return (texte or "").replace("\x00", "")


def normaliser(texte: str) -> str:
    """« Élodie  Lefèvre » → « elodie lefevre » : sans accents, minuscules, espaces simples."""
    decompose = unicodedata.normalize("NFKD", sans_caractere_nul(texte))
    sans_accents = "".join(c for c in decompose if not unicodedata.combining(c))
    return " ".join(sans_accents.casefold().replace("œ", "oe").replace("æ", "ae").split())
