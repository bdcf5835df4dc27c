"""Normalisation de texte pour la recherche et la détection de doublons."""

import unicodedata


def normaliser(texte: str) -> str:
    """« Élodie  Lefèvre » → « elodie lefevre » : sans accents, minuscules, espaces simples."""
    decompose = unicodedata.normalize("NFKD", texte or "")
    sans_accents = "".join(c for c in decompose if not unicodedata.combining(c))
    return " ".join(sans_accents.casefold().replace("œ", "oe").replace("æ", "ae").split())
