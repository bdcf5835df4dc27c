"""Colonnes de l'export des mesures : une seule définition, que l'import des mesures relit
(imports/genres/mesures.py) pour qu'un export se ré-importe sans rien changer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch

from menages.models import Personne


@dataclass(frozen=True)
class Colonne:
    cle: str  # nom stable, indépendant du libellé : l'import s'y fie
    entete: str
    lire: Callable  # mesure → valeur
    # False : colonne de lecture (demandeur, EPCI), que l'import reconnaît et ignore.
    importee: bool = True


def _demandeur(mesure) -> str:
    demandeur = mesure.menage.demandeur_principal
    return demandeur.nom_complet if demandeur else ""


COLONNES_MESURES = (
    Colonne("menage", "Référence du ménage", lambda m: m.menage.reference),
    Colonne("nur", "NUR", lambda m: m.menage.nur or ""),
    Colonne("siao_id", "Identifiant SI-SIAO", lambda m: m.menage.siao_id or ""),
    Colonne("demandeur", "Demandeur", _demandeur, importee=False),
    Colonne("epci", "EPCI", lambda m: m.territoire.nom, importee=False),
    Colonne("type", "Type de mesure", lambda m: m.type.code.upper()),
    Colonne("structure", "Structure", lambda m: m.structure.nom),
    Colonne("referent", "Référent", lambda m: str(m.referent) if m.referent else ""),
    Colonne("statut", "Statut", lambda m: m.get_statut_display()),
    Colonne("date_proposition", "Proposée le", lambda m: m.date_proposition),
    Colonne("date_debut", "Début", lambda m: m.date_debut),
    Colonne("date_fin_prevue", "Fin prévue", lambda m: m.date_fin_prevue),
    Colonne("date_fin", "Fin réelle", lambda m: m.date_fin),
    Colonne("motif_fin", "Motif de fin", lambda m: m.motif_fin.libelle if m.motif_fin else ""),
    Colonne("destination", "Logement obtenu", lambda m: m.get_destination_display()),
    Colonne("date_entree_logement", "Entrée dans le logement", lambda m: m.date_entree_logement),
)

ENTETES_MESURES = [c.entete for c in COLONNES_MESURES]


def pour_export(mesures):
    """Tout ce qu'une ligne lit, en un nombre fixe de requêtes par lot."""
    return mesures.select_related(
        "menage", "type", "structure", "referent", "motif_fin", "territoire"
    ).prefetch_related(
        Prefetch(
            "menage__personnes",
            queryset=Personne.objects.filter(role=Personne.Role.DEMANDEUR),
        )
    )


def lignes_mesures(mesures) -> Iterator[list]:
    for mesure in pour_export(mesures).iterator(chunk_size=2000):
        yield [colonne.lire(mesure) for colonne in COLONNES_MESURES]
