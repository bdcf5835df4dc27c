"""Lectures de l'accompagnement : boîte des orientations, file active d'un référent, bloc de la
fiche ménage, projet d'accompagnement ; chacune en un nombre de requêtes fixe."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from logement.models import Habilitation, Role, Structure, Territoire, User
from menages.models import Menage, Personne

from .models import (
    ActionProjet,
    Convention,
    Mesure,
    ObjectifProjet,
    Orientation,
    ProjetAccompagnement,
    Rencontre,
)

RENCONTRES_SUR_LA_FICHE = 20
REVISIONS_AFFICHEES = 30


def demandeurs(chemin: str = "personnes") -> Prefetch:
    """Précharge le seul demandeur principal (lu par `Menage.demandeur_principal`)."""
    return Prefetch(chemin, queryset=Personne.objects.filter(role=Personne.Role.DEMANDEUR))


# --- Orientations -------------------------------------------------------------------------------


def delai_alerte_orientation() -> int:
    """Âge (jours) au-delà duquel une orientation sans décision est signalée ; réglable."""
    return getattr(settings, "ORIENTATION_DELAI_ALERTE_JOURS", 15)


def plateformes_visibles(user):
    return Territoire.objects.visible_to(user).filter(niveau=Territoire.Niveau.PLATEFORME)


def orientations(user, *, decidees: bool = False, plateforme: Territoire | None = None):
    """En attente : les plus anciennes d'abord ; décidées : les plus récentes décisions d'abord."""
    qs = Orientation.objects.visible_to(user)
    if decidees:
        qs = qs.decidees().order_by("-date_decision", "-id")
    else:
        qs = qs.en_attente().order_by("date_orientation", "id")
    if plateforme is not None:
        qs = qs.filter(plateforme=plateforme)
    return qs.select_related(
        "menage",
        "plateforme",
        "origine",
        "structure_prescriptrice",
        "type_mesure_preconisee",
        "decision_par",
    ).prefetch_related(demandeurs("menage__personnes"))


# --- Mesures : conventions, référents -----------------------------------------------------------


def convention_pour(*, structure, type_mesure, jour: dt.date) -> Convention | None:
    """La convention de l'année qui finance ce type de mesure dans cette structure."""
    return (
        Convention.objects.filter(structure=structure, type_mesure=type_mesure, annee=jour.year)
        .order_by("financeur")
        .first()
    )


def convention_saturee(*, structure, type_mesure, jour: dt.date) -> Convention | None:
    """La convention qui financerait la mesure si toutes ses mesures sont déjà prises."""
    convention = convention_pour(structure=structure, type_mesure=type_mesure, jour=jour)
    if convention is None:
        return None
    occupees = convention.mesures.ouvertes().count()
    if occupees < convention.nombre_mesures:
        return None
    convention.mesures_ouvertes = occupees
    return convention


def structures_de_mesure(user):
    return Structure.objects.visible_to(user).filter(actif=True).order_by("nom")


def referents_habilites(structures):
    """Comptes ayant une habilitation de référent active dans l'une de ces structures."""
    habilitations = Habilitation.objects.actives().filter(
        role=Role.REFERENT, structure__in=structures
    )
    return (
        User.objects.filter(Exists(habilitations.filter(user=OuterRef("pk"))))
        .order_by("last_name", "first_name", "username")
        .prefetch_related(
            Prefetch(
                "habilitations",
                queryset=habilitations.select_related("structure").order_by("structure__nom"),
                to_attr="habilitations_referent",
            )
        )
    )


def est_referent_habilite(user, structure) -> bool:
    return (
        Habilitation.objects.actives()
        .filter(user=user, role=Role.REFERENT, structure=structure)
        .exists()
    )


def suit_la_mesure(user, mesure) -> bool:
    """Le référent fait vivre (renouvelle, termine, tient le projet) les mesures de ses
    structures ; l'administrateur toutes."""
    perimetre = user.perimetre
    return perimetre.tout or mesure.structure_id in perimetre.structure_ids


def decide_des_orientations(user) -> bool:
    return user.perimetre.a_role(Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)


# --- Rencontres ---------------------------------------------------------------------------------


def structures_pour_rencontre(user, menage):
    """Structures au nom desquelles l'utilisateur écrit : celles où il est référent et qui portent
    une mesure du ménage. Vide pour un coordinateur ou un agent sans habilitation de structure."""
    return (
        Structure.objects.filter(id__in=user.perimetre.structure_ids)
        .filter(Exists(Mesure.objects.filter(menage=menage, structure=OuterRef("pk"))))
        .order_by("nom")
    )


def rencontres_recentes(user, menage) -> tuple[list[Rencontre], int]:
    """Les dernières rencontres et leur nombre total ; chacune porte `note_lisible`, la
    lisibilité de sa note pour `user` (un gabarit ne peut pas appeler `note_visible_par`)."""
    qs = menage.rencontres.all()
    rencontres = list(
        qs.select_related("auteur", "structure", "mesure__type")[:RENCONTRES_SUR_LA_FICHE]
    )
    for rencontre in rencontres:
        rencontre.note_lisible = rencontre.note_visible_par(user)
    return rencontres, qs.count()


# --- Fiche ménage -------------------------------------------------------------------------------


def bloc_fiche(user, menage) -> dict:
    """Orientations et mesures du ménage (renouvellements, résumé du projet, droits d'écriture)."""
    orientations_menage = list(
        menage.orientations.select_related(
            "plateforme", "origine", "structure_prescriptrice", "type_mesure_preconisee"
        ).order_by("-date_orientation", "-id")
    )
    mesures = list(
        menage.mesures.select_related(
            "type", "structure", "referent", "motif_fin", "logement", "orientation", "projet"
        )
        .prefetch_related("renouvellements")
        .annotate(
            nb_objectifs=Count("projet__objectifs", distinct=True),
            nb_objectifs_atteints=Count(
                "projet__objectifs",
                filter=Q(projet__objectifs__statut=ObjectifProjet.Statut.ATTEINT),
                distinct=True,
            ),
            nb_actions_a_faire=Count(
                "projet__objectifs__actions",
                filter=Q(projet__objectifs__actions__realisee_le__isnull=True),
                distinct=True,
            ),
        )
        .order_by("-date_proposition", "-id")
    )
    for mesure in mesures:
        mesure.suivie = suit_la_mesure(user, mesure)
        mesure.a_un_projet = _a_un_projet(mesure)
    return {
        "orientations": orientations_menage,
        "mesures": mesures,
        "peut_decider": decide_des_orientations(user),
    }


def _a_un_projet(mesure) -> bool:
    try:
        mesure.projet  # noqa: B018 — déjà chargé par select_related
    except ProjetAccompagnement.DoesNotExist:
        return False
    return True


# --- Projet d'accompagnement --------------------------------------------------------------------


def detail_projet(projet: ProjetAccompagnement) -> dict:
    objectifs = list(
        projet.objectifs.select_related("domaine")
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=ActionProjet.objects.order_by(
                    F("realisee_le").asc(nulls_first=True), F("echeance").asc(nulls_last=True), "id"
                ),
            )
        )
        .order_by("domaine__ordre", "domaine__libelle", F("echeance").asc(nulls_last=True), "id")
    )
    revisions = list(
        projet.revisions.select_related("auteur").order_by("-date", "-id")[:REVISIONS_AFFICHEES]
    )
    return {"objectifs": objectifs, "revisions": revisions}


# --- File active d'un référent ------------------------------------------------------------------


def file_active(user, *, sans_referent: bool = False):
    """Ménages dont une mesure ouverte est suivie par `user` (ou, avec `sans_referent`, sans
    référent dans l'une de ses structures), classés par urgence, tout calculé en base :
    actions en retard d'abord, puis le plus long silence, puis la fin prévue la plus proche."""
    if sans_referent:
        cible = {"referent__isnull": True, "structure_id__in": user.perimetre.structure_ids}
    else:
        cible = {"referent": user}
    ouvertes = {"statut__in": Mesure.STATUTS_OUVERTS, **cible}
    mesures = Mesure.objects.filter(menage=OuterRef("pk"), **ouvertes)
    sur_projet = {f"projet__mesure__{k}": v for k, v in ouvertes.items()}
    objectifs = ObjectifProjet.objects.filter(
        projet__mesure__menage=OuterRef("pk"),
        statut__in=(ObjectifProjet.Statut.A_ENGAGER, ObjectifProjet.Statut.EN_COURS),
        echeance__isnull=False,
        **sur_projet,
    ).order_by("echeance", "id")
    actions = ActionProjet.objects.filter(
        objectif__projet__mesure__menage=OuterRef("pk"),
        realisee_le__isnull=True,
        echeance__isnull=False,
        **{f"objectif__{k}": v for k, v in sur_projet.items()},
    ).order_by("echeance", "id")
    action_d_abord = Q(objectif_echeance__isnull=True) | Q(
        action_echeance__isnull=False, action_echeance__lte=F("objectif_echeance")
    )
    return (
        Menage.objects.visible_to(user)
        .filter(Exists(mesures))
        .annotate(
            fin_prevue=Subquery(
                mesures.filter(date_fin_prevue__isnull=False)
                .order_by("date_fin_prevue")
                .values("date_fin_prevue")[:1]
            ),
            action_echeance=Subquery(actions.values("echeance")[:1]),
            action_intitule=Subquery(actions.values("intitule")[:1]),
            objectif_echeance=Subquery(objectifs.values("echeance")[:1]),
            objectif_intitule=Subquery(objectifs.values("intitule")[:1]),
        )
        .annotate(
            prochaine_echeance=Case(
                When(action_d_abord, then=F("action_echeance")),
                default=F("objectif_echeance"),
                output_field=DateField(),
            ),
            prochaine_etape=Case(
                When(action_d_abord, then=F("action_intitule")),
                default=F("objectif_intitule"),
                output_field=CharField(),
            ),
        )
        .annotate(
            en_retard=Case(
                When(prochaine_echeance__lt=timezone.localdate(), then=Value(0)),
                default=Value(1),
            )
        )
        .order_by(
            "en_retard",
            F("date_dernier_contact").asc(nulls_first=True),
            F("fin_prevue").asc(nulls_last=True),
            "id",
        )
        .prefetch_related(
            demandeurs(),
            Prefetch(
                "mesures",
                queryset=Mesure.objects.filter(**ouvertes).select_related("type", "structure"),
                to_attr="mesures_suivies",
            ),
        )
    )
