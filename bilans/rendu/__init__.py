"""Rendu d'un instantané de bilan en PDF, XLSX ou CSV, et formats français partagés par ces rendus."""

from __future__ import annotations

import datetime as dt

from bilans.secret import SECRET, UNITES_EFFECTIF

FORMATS = ("pdf", "xlsx", "csv")

ESPACE_FINE = "\u202f"  # espace fine insécable : séparateur des milliers, avant « % » et « € »
TIRET = "—"  # sans objet / pas de donnée

MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

# Libellé court de chaque unité, tel qu'affiché à côté d'un chiffre ou dans un en-tête.
LIBELLES_UNITES = {
    "menages": "ménages",
    "mesures": "mesures",
    "logements": "logements",
    "procedures": "procédures",
    "nombre": "nombre",
    "jours": "jours",
    "mois": "mois",
    "pourcentage": "%",
    "euros": "€",
}


def produire(donnees: dict, format: str) -> bytes:
    """Fichier du bilan dans le format demandé (« pdf », « xlsx » ou « csv »)."""
    if format == "pdf":
        from bilans.rendu.pdf import produire_pdf

        return produire_pdf(donnees)
    if format == "xlsx":
        from bilans.rendu.xlsx import produire_xlsx

        return produire_xlsx(donnees)
    if format == "csv":
        from bilans.rendu.csv import produire_csv

        return produire_csv(donnees)
    raise ValueError(
        f"Format de bilan inconnu : « {format} ». Formats possibles : {', '.join(FORMATS)}."
    )


def est_nombre(valeur) -> bool:
    return isinstance(valeur, int | float) and not isinstance(valeur, bool)


def nombre_fr(valeur: float, decimales: int = 0) -> str:
    """1234.5 → « 1 234,5 » (espace fine insécable pour les milliers, virgule décimale)."""
    texte = f"{valeur:,.{decimales}f}"
    return texte.replace(",", ESPACE_FINE).replace(".", ",").replace("-", "−")


def decimales(valeur, unite: str) -> int:
    if unite == "euros":
        return 2
    if unite == "pourcentage":
        return 1
    if unite in UNITES_EFFECTIF:
        return 0 if float(valeur).is_integer() else 1
    # Jours, mois : un entier s'écrit sans décimale, sinon une décimale (déjà arrondi en amont).
    return 0 if float(valeur).is_integer() else 1


def valeur_fr(valeur, unite: str, *, avec_unite: bool = True) -> str:
    """Texte d'une cellule : nombre au format français, « s » pour le secret, « — » sans donnée."""
    if valeur is None:
        return TIRET
    if valeur == SECRET:
        return SECRET
    if not est_nombre(valeur):
        return str(valeur)
    texte = nombre_fr(valeur, decimales(valeur, unite))
    if avec_unite and unite == "pourcentage":
        return f"{texte}{ESPACE_FINE}%"
    if avec_unite and unite == "euros":
        return f"{texte}{ESPACE_FINE}€"
    if avec_unite and unite in ("jours", "mois"):
        return f"{texte}{ESPACE_FINE}{LIBELLES_UNITES[unite]}"
    return texte


def evolution(n, n1, unite: str) -> tuple[float | None, str]:
    """Évolution de N-1 à N : variation relative (fraction) ou, pour un taux, écart en points.

    Rend (valeur numérique, texte français) ; (None, « — ») quand elle n'a pas de sens.
    """
    if not (est_nombre(n) and est_nombre(n1)):
        return None, TIRET
    if unite == "pourcentage":
        ecart = round(n - n1, 1)
        signe = "+" if ecart > 0 else ""
        return ecart, f"{signe}{nombre_fr(ecart, 1)}{ESPACE_FINE}pt"
    if n1 == 0:
        return None, TIRET
    variation = (n - n1) / n1
    signe = "+" if variation > 0 else ""
    return variation, f"{signe}{nombre_fr(variation * 100, 1)}{ESPACE_FINE}%"


def date_depuis_iso(texte: str | None) -> dt.date | None:
    if not texte:
        return None
    if "T" in texte:
        return dt.datetime.fromisoformat(texte).date()
    return dt.date.fromisoformat(texte)


def date_courte(texte: str | None) -> str:
    """« 2025-01-01 » → « 01/01/2025 »."""
    date = date_depuis_iso(texte)
    return date.strftime("%d/%m/%Y") if date else ""


def date_longue(texte: str | None) -> str:
    """« 2026-01-15T03:00:00+01:00 » → « 15 janvier 2026 » (« 1er » pour le premier du mois)."""
    date = date_depuis_iso(texte)
    if not date:
        return ""
    jour = "1er" if date.day == 1 else str(date.day)
    return f"{jour} {MOIS[date.month - 1]} {date.year}"


def libelle_periode(donnees: dict, periode: str) -> str:
    """Libellé de la période d'une colonne : « N » → période du bilan, « N-1 » → précédente."""
    cle = "periode_precedente" if periode == "N-1" else "periode"
    return (donnees.get(cle) or {}).get("libelle") or periode


def legende_secret(donnees: dict) -> str | None:
    seuil = donnees.get("seuil_secret")
    if seuil is None:
        return None
    return f"s : secret statistique (effectif inférieur à {seuil})"
