"""Colonnes de l'export des ménages : une seule définition, que l'import à venir relira."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Colonne:
    cle: str  # nom stable, indépendant du libellé : l'import s'y fiera
    entete: str
    lire: Callable


def _demandeur(menage):
    # `demandeurs` : préchargement de selectors.avec_colonnes (aucune requête par ligne).
    return menage.demandeurs[0] if menage.demandeurs else None


def _du_demandeur(attribut):
    def lire(menage):
        demandeur = _demandeur(menage)
        return getattr(demandeur, attribut) if demandeur else None

    return lire


COLONNES_MENAGES = (
    Colonne("reference", "Référence", lambda m: m.reference),
    Colonne("nom", "Nom", _du_demandeur("nom")),
    Colonne("prenom", "Prénom", _du_demandeur("prenom")),
    Colonne("date_naissance", "Date de naissance", _du_demandeur("date_naissance")),
    Colonne("composition", "Composition (personnes)", lambda m: m.nb_personnes or 0),
    Colonne("epci", "EPCI", lambda m: m.territoire.nom),
    Colonne("statut", "Statut", lambda m: m.get_statut_display()),
    Colonne("situation", "Situation actuelle", lambda m: m.situation_actuelle or ""),
    Colonne("nur", "NUR", lambda m: m.nur or ""),
    Colonne("nur_date_depot", "Date de dépôt NUR", lambda m: m.nur_date_depot),
    Colonne("nur_date_renouvellement", "Échéance NUR", lambda m: m.nur_date_renouvellement),
    Colonne("siao_id", "Identifiant SI-SIAO", lambda m: m.siao_id or ""),
    Colonne("dalo", "DALO", lambda m: m.get_dalo_display()),
    Colonne("syplo", "SYPLO", lambda m: m.syplo),
    Colonne(
        "publics",
        "Publics prioritaires",
        lambda m: ", ".join(p.libelle for p in m.publics_prioritaires.all()),
    ),
    Colonne(
        "mesures_ouvertes",
        "Mesures ouvertes",
        lambda m: ", ".join(mesure.type.code.upper() for mesure in m.mesures_ouvertes),
    ),
    Colonne("dernier_contact", "Dernier contact", lambda m: m.date_dernier_contact),
)

ENTETES_MENAGES = [c.entete for c in COLONNES_MENAGES]


def lignes_menages(menages) -> Iterator[list]:
    """Une ligne par ménage ; lecture par lots pour ne pas charger tout le périmètre en mémoire."""
    for menage in menages.iterator(chunk_size=2000):
        yield [colonne.lire(menage) for colonne in COLONNES_MENAGES]
