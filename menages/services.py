"""Écritures sur les ménages : création avec sa composition, changements de situation."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Menage, Personne, SituationResidentielle, TypeSituation


@transaction.atomic
def creer_menage(
    *,
    territoire,
    personnes: list[dict],
    par,
    situation: TypeSituation | None = None,
    date_situation: dt.date | None = None,
    publics=(),
    **champs,
) -> Menage:
    """Crée le ménage et ses membres d'un bloc ; la situation de départ s'applique à chacun."""
    if not any(p.get("role") == Personne.Role.DEMANDEUR for p in personnes):
        raise ValidationError("Le ménage doit compter un demandeur principal.")
    menage = Menage(territoire=territoire, cree_par=par, **champs)
    menage.full_clean(exclude=["reference"])
    menage.save()
    if publics:
        menage.publics_prioritaires.set(publics)
    for donnees in personnes:
        personne = Personne(menage=menage, **donnees)
        personne.full_clean()
        personne.save()
        if situation and date_situation:
            _ouvrir_situation(personne, situation, date_situation)
    return menage


@transaction.atomic
def changer_situation(
    personnes, *, type: TypeSituation, date: dt.date, commune: str = "", commentaire: str = ""
) -> list[SituationResidentielle]:
    """Clôt la situation en cours de chaque personne la veille de `date` et ouvre la nouvelle."""
    return [
        _ouvrir_situation(p, type, date, commune=commune, commentaire=commentaire)
        for p in personnes
    ]


def _ouvrir_situation(personne, type, date, **extra) -> SituationResidentielle:
    en_cours = (
        SituationResidentielle.objects.select_for_update()
        .filter(personne=personne, date_fin__isnull=True)
        .first()
    )
    if en_cours:
        if date <= en_cours.date_debut:
            raise ValidationError(
                {
                    "date": f"La nouvelle situation de {personne} doit commencer après le "
                    f"{en_cours.date_debut:%d/%m/%Y}, début de la situation en cours."
                }
            )
        en_cours.date_fin = date - dt.timedelta(days=1)
        en_cours.save(update_fields=["date_fin", "modifie_le"])
    situation = SituationResidentielle(personne=personne, type=type, date_debut=date, **extra)
    situation.full_clean()
    situation.save()
    return situation
