"""Colonnes de l'export des logements captés : une seule définition, que l'import des
logements relit (imports/genres/logements.py) pour qu'un export se ré-importe sans rien
changer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Colonne:
    cle: str  # nom stable, indépendant du libellé : l'import s'y fie
    entete: str
    lire: Callable  # logement → valeur
    # False : colonne calculée (disponibilité), que l'import reconnaît et ignore.
    importee: bool = True


COLONNES_LOGEMENTS = (
    Colonne("reference", "Référence", lambda lg: lg.reference),
    Colonne("adresse", "Adresse", lambda lg: lg.adresse),
    Colonne("code_postal", "Code postal", lambda lg: lg.code_postal),
    Colonne("commune", "Commune", lambda lg: lg.commune),
    Colonne("epci", "EPCI", lambda lg: lg.territoire.nom),
    Colonne("typologie", "Typologie", lambda lg: lg.get_typologie_display()),
    Colonne("surface", "Surface (m²)", lambda lg: lg.surface),
    Colonne("loyer", "Loyer (€)", lambda lg: lg.loyer),
    Colonne("charges", "Charges (€)", lambda lg: lg.charges),
    Colonne("type_bailleur", "Type de bailleur", lambda lg: lg.get_type_bailleur_display()),
    Colonne("bailleur", "Bailleur social", lambda lg: lg.bailleur.nom if lg.bailleur else ""),
    Colonne("qpv", "En QPV", lambda lg: lg.qpv),
    Colonne("contingent", "Contingent", lambda lg: lg.contingent.libelle if lg.contingent else ""),
    Colonne("captation", "Mode de captation", lambda lg: lg.get_captation_display()),
    Colonne("date_disponibilite", "Disponible le", lambda lg: lg.date_disponibilite),
    Colonne("date_retrait", "Retiré le", lambda lg: lg.date_retrait),
    Colonne(
        "disponible",
        "Disponible",
        lambda lg: getattr(lg, "disponible", None),
        importee=False,
    ),
)

ENTETES_LOGEMENTS = [c.entete for c in COLONNES_LOGEMENTS]


def lignes_logements(logements) -> Iterator[list]:
    """`logements` : préchargés par `selectors.logements` (territoire, bailleur, contingent,
    disponibilité)."""
    for logement in logements.iterator(chunk_size=2000):
        yield [colonne.lire(logement) for colonne in COLONNES_LOGEMENTS]
