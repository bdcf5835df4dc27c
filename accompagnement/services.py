"""Écritures de l'accompagnement : décider des orientations, ouvrir, renouveler et terminer une
mesure, tenir le projet d'accompagnement, noter une rencontre."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from menages.models import Menage, TypeSituation
from menages.services import changer_situation

from .models import (
    ActionProjet,
    Convention,
    Mesure,
    MotifFin,
    ObjectifProjet,
    Orientation,
    ProjetAccompagnement,
    Rencontre,
    Renouvellement,
    RevisionProjet,
)
from .selectors import convention_pour

# Situation résidentielle ouverte pour les membres du ménage à l'entrée dans le logement.
SITUATION_PAR_DESTINATION = {
    Mesure.Destination.LOGEMENT_SOCIAL: "logement_social",
    Mesure.Destination.PARC_PRIVE: "logement_prive",
    Mesure.Destination.IML_BAIL_GLISSANT: "bail_glissant",
    Mesure.Destination.PENSION_FAMILLE: "pension_famille",
    Mesure.Destination.AUTRE: "logement_prive",
}


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


# --- Décisions sur les orientations -------------------------------------------------------------


def _decider(orientation: Orientation, *, statut: str, par, date_decision: dt.date, **champs):
    """Verrouille l'orientation : deux décideurs simultanés ne peuvent décider deux fois."""
    orientation = Orientation.objects.select_for_update().get(pk=orientation.pk)
    if orientation.statut != Orientation.Statut.EN_ATTENTE:
        raise ValidationError(
            f"Cette orientation a déjà été décidée ({orientation.get_statut_display().lower()}) : "
            "sa décision ne peut pas être reprise."
        )
    orientation.statut = statut
    orientation.date_decision = date_decision
    orientation.decision_par = par
    for nom, valeur in champs.items():
        setattr(orientation, nom, valeur)
    orientation.full_clean()
    orientation.save()
    return orientation


@transaction.atomic
def accepter_orientation(
    orientation: Orientation,
    *,
    par,
    date_decision: dt.date,
    type_mesure,
    structure,
    referent=None,
    date_debut: dt.date | None = None,
) -> Mesure:
    """Accepte l'orientation et ouvre la mesure qui en découle (proposée, ou démarrée)."""
    orientation = _decider(
        orientation, statut=Orientation.Statut.ACCEPTEE, par=par, date_decision=date_decision
    )
    return ouvrir_mesure(
        menage=orientation.menage,
        type_mesure=type_mesure,
        structure=structure,
        referent=referent,
        date_proposition=date_decision,
        date_debut=date_debut,
        orientation=orientation,
    )


@transaction.atomic
def refuser_orientation(
    orientation: Orientation, *, par, date_decision: dt.date, motif: str
) -> Orientation:
    return _decider(
        orientation,
        statut=Orientation.Statut.REFUSEE,
        par=par,
        date_decision=date_decision,
        motif_decision=motif,
    )


@transaction.atomic
def rediriger_orientation(
    orientation: Orientation, *, par, date_decision: dt.date, motif: str, redirigee_vers: str
) -> Orientation:
    return _decider(
        orientation,
        statut=Orientation.Statut.REDIRIGEE,
        par=par,
        date_decision=date_decision,
        motif_decision=motif,
        redirigee_vers=redirigee_vers,
    )


# --- Projet d'accompagnement : chaque changement laisse une révision ------------------------------


def _reviser(projet: ProjetAccompagnement, par, resume: str) -> RevisionProjet:
    return RevisionProjet.objects.create(
        projet=projet, date=timezone.localdate(), auteur=par, resume=resume[:1000]
    )


def _valeur_lisible(champ, valeur) -> str:
    if valeur in (None, ""):
        return "—"
    if champ.choices:
        return str(dict(champ.flatchoices).get(valeur, valeur))
    if isinstance(valeur, dt.date):
        return f"{valeur:%d/%m/%Y}"
    return f"« {valeur} »"


def _modifier(objet, *, projet, par, sujet: str, champs: dict):
    """Applique les champs changés, valide, enregistre et résume le changement en une révision."""
    changements = []
    for nom, valeur in champs.items():
        avant = getattr(objet, nom)
        if avant == valeur:
            continue
        setattr(objet, nom, valeur)
        champ = objet._meta.get_field(nom)
        if isinstance(champ, models.TextField):  # un long texte : on dit qu'il a changé, sans plus
            changements.append(f"{champ.verbose_name} modifié")
        else:
            changements.append(
                f"{champ.verbose_name} : {_valeur_lisible(champ, avant)} → "
                f"{_valeur_lisible(champ, valeur)}"
            )
    if not changements:
        return objet
    objet.full_clean()
    objet.save()
    _reviser(projet, par, f"{sujet} : {' ; '.join(changements)}.")
    return objet


@transaction.atomic
def creer_projet(
    mesure: Mesure,
    *,
    par,
    date_elaboration: dt.date,
    diagnostic: str = "",
    date_signature: dt.date | None = None,
) -> ProjetAccompagnement:
    projet = ProjetAccompagnement(
        mesure=mesure,
        date_elaboration=date_elaboration,
        diagnostic=diagnostic,
        date_signature=date_signature,
    )
    projet.full_clean()
    projet.save()
    _reviser(projet, par, f"Projet élaboré le {date_elaboration:%d/%m/%Y}.")
    return projet


@transaction.atomic
def modifier_projet(projet: ProjetAccompagnement, *, par, **champs) -> ProjetAccompagnement:
    return _modifier(projet, projet=projet, par=par, sujet="Projet", champs=champs)


@transaction.atomic
def ajouter_objectif(
    projet: ProjetAccompagnement,
    *,
    par,
    domaine,
    intitule: str,
    statut: str = ObjectifProjet.Statut.A_ENGAGER,
    echeance: dt.date | None = None,
) -> ObjectifProjet:
    objectif = ObjectifProjet(
        projet=projet, domaine=domaine, intitule=intitule, statut=statut, echeance=echeance
    )
    if statut == ObjectifProjet.Statut.ATTEINT:
        objectif.date_atteinte = timezone.localdate()
    objectif.full_clean()
    objectif.save()
    _reviser(projet, par, f"Objectif ajouté ({domaine}) : « {intitule} ».")
    return objectif


@transaction.atomic
def modifier_objectif(objectif: ObjectifProjet, *, par, **champs) -> ObjectifProjet:
    # La date d'atteinte suit le statut : posée quand l'objectif devient atteint, ôtée sinon.
    statut = champs.get("statut", objectif.statut)
    if statut == ObjectifProjet.Statut.ATTEINT and not objectif.date_atteinte:
        champs["date_atteinte"] = timezone.localdate()
    elif statut != ObjectifProjet.Statut.ATTEINT:
        champs["date_atteinte"] = None
    return _modifier(
        objectif,
        projet=objectif.projet,
        par=par,
        sujet=f"Objectif « {objectif.intitule} »",
        champs=champs,
    )


@transaction.atomic
def ajouter_action(
    objectif: ObjectifProjet,
    *,
    par,
    intitule: str,
    porteur: str = ActionProjet.Porteur.MENAGE,
    echeance: dt.date | None = None,
) -> ActionProjet:
    action = ActionProjet(objectif=objectif, intitule=intitule, porteur=porteur, echeance=echeance)
    action.full_clean()
    action.save()
    _reviser(
        objectif.projet,
        par,
        f"Action ajoutée à l'objectif « {objectif.intitule} » : « {intitule} ».",
    )
    return action


@transaction.atomic
def modifier_action(action: ActionProjet, *, par, **champs) -> ActionProjet:
    return _modifier(
        action,
        projet=action.objectif.projet,
        par=par,
        sujet=f"Action « {action.intitule} »",
        champs=champs,
    )
