"""Écritures de l'accompagnement : ouvrir, renouveler et terminer une mesure, noter une rencontre."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from menages.models import Menage, TypeSituation
from menages.services import changer_situation

from .models import Convention, Mesure, MotifFin, Orientation, Rencontre, Renouvellement

# Situation résidentielle ouverte pour les membres du ménage à l'entrée dans le logement.
SITUATION_PAR_DESTINATION = {
    Mesure.Destination.LOGEMENT_SOCIAL: "logement_social",
    Mesure.Destination.PARC_PRIVE: "logement_prive",
    Mesure.Destination.IML_BAIL_GLISSANT: "bail_glissant",
    Mesure.Destination.PENSION_FAMILLE: "pension_famille",
    Mesure.Destination.AUTRE: "logement_prive",
}


def convention_pour(*, structure, type_mesure, jour: dt.date) -> Convention | None:
    """La convention de l'année qui finance ce type de mesure dans cette structure."""
    return (
        Convention.objects.filter(structure=structure, type_mesure=type_mesure, annee=jour.year)
        .order_by("financeur")
        .first()
    )


@transaction.atomic
def ouvrir_mesure(
    *,
    menage: Menage,
    type_mesure,
    structure,
    referent=None,
    date_proposition: dt.date,
    date_debut: dt.date | None = None,
    orientation: Orientation | None = None,
    convention: Convention | None = None,
) -> Mesure:
    """Propose la mesure, ou la démarre directement si `date_debut` est donnée."""
    Menage.objects.select_for_update().filter(pk=menage.pk).first()  # sérialise les ouvertures
    mesure = Mesure(
        menage=menage,
        type=type_mesure,
        territoire_id=menage.territoire_id,
        structure=structure,
        referent=referent,
        orientation=orientation,
        date_proposition=date_proposition,
        date_debut=date_debut,
        statut=Mesure.Statut.EN_COURS if date_debut else Mesure.Statut.PROPOSEE,
    )
    if date_debut:
        mesure.date_fin_prevue = date_debut + relativedelta(months=type_mesure.duree_defaut_mois)
        mesure.convention = convention or convention_pour(
            structure=structure, type_mesure=type_mesure, jour=date_debut
        )
    mesure.full_clean()
    mesure.save()
    return mesure


@transaction.atomic
def demarrer_mesure(mesure: Mesure, *, date_debut: dt.date) -> Mesure:
    if mesure.statut != Mesure.Statut.PROPOSEE:
        raise ValidationError("Seule une mesure proposée peut démarrer.")
    mesure.date_debut = date_debut
    mesure.date_fin_prevue = date_debut + relativedelta(months=mesure.type.duree_defaut_mois)
    mesure.statut = Mesure.Statut.EN_COURS
    mesure.convention = mesure.convention or convention_pour(
        structure=mesure.structure, type_mesure=mesure.type, jour=date_debut
    )
    mesure.full_clean()
    mesure.save()
    return mesure


@transaction.atomic
def renouveler_mesure(
    mesure: Mesure,
    *,
    nouvelle_fin_prevue: dt.date,
    date_decision: dt.date,
    motif: str = "",
    par=None,
) -> Renouvellement:
    if mesure.statut not in (Mesure.Statut.EN_COURS, Mesure.Statut.SUSPENDUE):
        raise ValidationError("Seule une mesure en cours peut être renouvelée.")
    renouvellement = Renouvellement(
        mesure=mesure,
        date_decision=date_decision,
        ancienne_fin_prevue=mesure.date_fin_prevue,
        nouvelle_fin_prevue=nouvelle_fin_prevue,
        motif=motif,
        decide_par=par,
    )
    renouvellement.full_clean()
    renouvellement.save()
    mesure.date_fin_prevue = nouvelle_fin_prevue
    mesure.save(update_fields=["date_fin_prevue", "modifie_le"])
    return renouvellement


@transaction.atomic
def terminer_mesure(
    mesure: Mesure,
    *,
    motif: MotifFin,
    date_fin: dt.date,
    destination: str = "",
    logement=None,
    date_entree_logement: dt.date | None = None,
) -> Mesure:
    """Clôt la mesure ; un accès au logement inscrit aussi l'entrée dans le parcours du ménage."""
    if not mesure.est_ouverte:
        raise ValidationError("Cette mesure est déjà terminée.")
    mesure.statut = Mesure.Statut.TERMINEE
    mesure.date_fin = date_fin
    mesure.motif_fin = motif
    if motif.acces_logement:
        mesure.destination = destination
        mesure.logement = logement
        mesure.date_entree_logement = date_entree_logement
    mesure.full_clean()
    mesure.save()
    if motif.acces_logement:
        _inscrire_entree_logement(mesure)
    return mesure


def _inscrire_entree_logement(mesure: Mesure):
    code = SITUATION_PAR_DESTINATION[mesure.destination]
    situation = TypeSituation.objects.get(code=code)
    changer_situation(
        list(mesure.menage.personnes.all()),
        type=situation,
        date=mesure.date_entree_logement,
        commune=mesure.logement.commune if mesure.logement else "",
    )


@transaction.atomic
def enregistrer_rencontre(
    *,
    menage: Menage,
    auteur,
    structure,
    date: dt.date,
    type: str,
    duree_minutes: int,
    note: str = "",
    mesure: Mesure | None = None,
) -> Rencontre:
    rencontre = Rencontre(
        menage=menage,
        mesure=mesure,
        auteur=auteur,
        structure=structure,
        date=date,
        type=type,
        duree_minutes=duree_minutes,
        note=note,
    )
    rencontre.full_clean()
    rencontre.save()
    # Le dernier contact ne recule jamais : une rencontre saisie en retard ne l'écrase pas.
    Menage.objects.filter(pk=menage.pk).filter(
        Q(date_dernier_contact__isnull=True) | Q(date_dernier_contact__lt=date)
    ).update(date_dernier_contact=date)
    return rencontre
