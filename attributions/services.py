"""Écritures des attributions : propositions de logement et chaque étape jusqu'à l'entrée."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from menages.models import TypeSituation
from menages.services import changer_situation

from .models import Contingent, DecisionCaleol, Logement, Proposition

# Situation résidentielle ouverte à l'entrée dans les lieux, selon le bailleur.
SITUATION_A_L_ENTREE = {
    Logement.TypeBailleur.SOCIAL: "logement_social",
    Logement.TypeBailleur.PRIVE: "logement_prive",
}


@transaction.atomic
def proposer_logement(
    logement: Logement, *, menages, contingent: Contingent, date: dt.date
) -> list[Proposition]:
    """Présente un ou plusieurs ménages pour un logement encore disponible."""
    logement = Logement.objects.select_for_update().get(pk=logement.pk)
    if not Logement.objects.disponibles().filter(pk=logement.pk).exists():
        raise ValidationError("Ce logement n'est plus disponible : retiré ou déjà attribué.")
    deja = set(
        logement.propositions.en_cours()
        .filter(menage__in=menages)
        .values_list("menage__reference", flat=True)
    )
    if deja:
        raise ValidationError(
            {"menages": f"Déjà candidat pour ce logement : {', '.join(sorted(deja))}."}
        )
    propositions = []
    for menage in menages:
        proposition = Proposition(
            logement=logement, menage=menage, contingent=contingent, date_proposition=date
        )
        proposition.full_clean()
        proposition.save()
        propositions.append(proposition)
    return propositions


@transaction.atomic
def enregistrer_decision_caleol(
    proposition: Proposition, *, date: dt.date, decision: DecisionCaleol, motif: str = ""
) -> Proposition:
    proposition = _ouverte(proposition)
    if proposition.reponse != Proposition.Reponse.EN_ATTENTE:
        raise ValidationError("Le ménage a déjà répondu : la décision ne peut plus changer.")
    return _enregistrer(proposition, date_caleol=date, decision=decision, motif_decision=motif)


@transaction.atomic
def enregistrer_reponse(
    proposition: Proposition, *, reponse: str, date: dt.date, motif: str = ""
) -> Proposition:
    proposition = _ouverte(proposition)
    if proposition.reponse != Proposition.Reponse.EN_ATTENTE:
        raise ValidationError("La réponse du ménage est déjà enregistrée.")
    return _enregistrer(proposition, reponse=reponse, date_reponse=date, motif_refus=motif)


@transaction.atomic
def signer_bail(proposition: Proposition, *, date: dt.date) -> Proposition:
    """Le bail fait l'attribution ; les autres candidats du logement sortent sans suite."""
    # Un bail à la fois par logement : deux signatures simultanées ne se croisent pas.
    Logement.objects.select_for_update().get(pk=proposition.logement_id)
    proposition = _ouverte(proposition)
    _enregistrer(proposition, date_signature_bail=date)
    autres = (
        Proposition.objects.filter(logement_id=proposition.logement_id)
        .exclude(pk=proposition.pk)
        .en_cours()
    )
    Proposition.objects.filter(pk__in=list(autres.values_list("pk", flat=True))).update(
        date_classement=date, motif_classement=Proposition.MOTIF_ATTRIBUE_A_UN_AUTRE
    )
    return proposition


@transaction.atomic
def enregistrer_entree(
    proposition: Proposition, *, date: dt.date, changer_la_situation: bool = False
) -> Proposition:
    """Entrée dans les lieux ; au choix, la situation résidentielle de chaque membre suit."""
    proposition = _verrouiller(proposition)
    if proposition.date_entree:
        raise ValidationError("L'entrée dans les lieux est déjà enregistrée.")
    _enregistrer(proposition, date_entree=date)
    if changer_la_situation:
        logement = proposition.logement
        type_ = TypeSituation.objects.get(code=SITUATION_A_L_ENTREE[logement.type_bailleur])
        try:
            changer_situation(
                proposition.menage.personnes.all(),
                type=type_,
                date=date,
                commune=logement.commune,
                commentaire=f"Entrée dans le logement {logement.reference}.",
            )
        except ValidationError as erreur:
            # Le service des ménages parle de « date » : c'est ici la date d'entrée.
            raise ValidationError({"date_entree": erreur.messages}) from erreur
    return proposition


def _verrouiller(proposition: Proposition) -> Proposition:
    # Verrou sur la seule proposition : la décision, jointure facultative, ne se verrouille pas.
    return (
        Proposition.objects.select_for_update(of=("self",))
        .select_related("decision", "logement", "menage")
        .get(pk=proposition.pk)
    )


def _ouverte(proposition: Proposition) -> Proposition:
    proposition = _verrouiller(proposition)
    if proposition.etape == Proposition.Etape.CLOSE:
        raise ValidationError("Cette proposition est sans suite : aucune étape ne peut s'ajouter.")
    if proposition.date_signature_bail:
        raise ValidationError("Le bail est déjà signé pour cette proposition.")
    return proposition


def _enregistrer(proposition: Proposition, **champs) -> Proposition:
    for nom, valeur in champs.items():
        setattr(proposition, nom, valeur)
    proposition.full_clean()
    proposition.save()
    return proposition
