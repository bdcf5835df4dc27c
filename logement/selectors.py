"""Tableau de bord de l'accueil : chiffres clés et alertes du ressort de l'utilisateur, selon son
rôle. Tout est agrégé en base, en un nombre de requêtes indépendant du volume de données.

Comme les bilans, il lit toutes les apps métier : il se place au-dessus d'elles, et aucune ne
l'importe.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Case, Count, Exists, F, FloatField, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    Convention,
    Mesure,
    ObjectifProjet,
    Orientation,
    TypeMesure,
)
from accompagnement.selectors import demandeurs
from attributions.models import ObjectifAttribution, Proposition
from menages.models import EtapeProcedure, Menage, ProcedureExpulsion

from .models import Habilitation, Role, Territoire

# Chaque liste d'alerte montre ses premières lignes et le nombre total.
LIGNES_PAR_ALERTE = 10

# Une proposition à l'une de ces étapes est une solution de logement pour le ménage :
# attribution par la CALEOL non refusée, acceptation, bail, entrée dans les lieux.
ETAPES_SOLUTION_LOGEMENT = (
    Proposition.Etape.DECISION_CALEOL,
    Proposition.Etape.REPONSE,
    Proposition.Etape.BAIL,
    Proposition.Etape.ENTREE,
)

ROLES_TERRITORIAUX = (Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)


def seuils() -> dict:
    reglages = settings.LOGEMENT
    return {
        "fin_mesure": reglages["ALERTE_FIN_MESURE_JOURS"],
        "sans_contact": reglages["ALERTE_SANS_CONTACT_JOURS"],
        "nur": reglages["ALERTE_NUR_JOURS"],
        "etape_expulsion": reglages["ALERTE_ETAPE_EXPULSION_JOURS"],
        "secret": reglages["SEUIL_SECRET_STATISTIQUE"],
    }


def tableau_de_bord(user, aujourdhui: dt.date | None = None) -> dict:
    """Une section par rôle exercé : territoriale (coordinateur, agent départemental,
    administrateur), référent, co-pilote (agrégats seuls)."""
    aujourdhui = aujourdhui or timezone.localdate()
    perimetre = user.perimetre
    habilitations = list(
        Habilitation.objects.actives().filter(user=user).select_related("structure", "territoire")
    )
    tableau = {
        "habilitations": habilitations,
        "aujourdhui": aujourdhui,
        "annee": aujourdhui.year,
        "seuils": seuils(),
    }
    if perimetre.a_role(*ROLES_TERRITORIAUX):
        tableau["territorial"] = _territorial(user, habilitations, aujourdhui)
    if Role.REFERENT in perimetre.roles:
        tableau["referent"] = _referent(user, aujourdhui)
    if Role.COPILOTE in perimetre.roles:
        tableau["copilote"] = _copilote(user, habilitations, aujourdhui)
    return tableau


# --- Sections -----------------------------------------------------------------------------------


def _territorial(user, habilitations, aujourdhui) -> dict:
    annee = aujourdhui.year
    menages = Menage.objects.visible_to(user)
    mesures = Mesure.objects.visible_to(user)
    orientations = Orientation.objects.visible_to(user).en_attente()
    baux = _baux_de_l_annee(Proposition.objects.visible_to(user), annee)
    return {
        "menages_suivis": menages.actifs().count(),
        "orientations": _alerte(
            orientations.select_related("menage", "plateforme")
            .prefetch_related(demandeurs("menage__personnes"))
            .order_by("date_orientation", "pk")
        ),
        "mesures_par_type": _mesures_par_type(
            mesures.ouvertes(), Convention.objects.visible_to(user).filter(annee=annee)
        ),
        "attributions": _attributions(
            baux, _objectif(user, habilitations, annee, roles=ROLES_TERRITORIAUX)
        ),
        "fins_de_mesure": _mesures_fin_proche(mesures, aujourdhui),
        "sans_contact": _menages_sans_contact(menages, Mesure.objects.ouvertes(), aujourdhui),
        "nur": _nur_a_renouveler(menages, aujourdhui),
        "expulsions": _procedures_recentes(menages),
    }


def _referent(user, aujourdhui) -> dict:
    mesures = Mesure.objects.visible_to(user).filter(referent=user).ouvertes()
    actions = (
        ActionProjet.objects.filter(
            objectif__projet__mesure__in=mesures,
            realisee_le__isnull=True,
            echeance__lt=aujourdhui,
        )
        .exclude(
            objectif__statut__in=[ObjectifProjet.Statut.ATTEINT, ObjectifProjet.Statut.ABANDONNE]
        )
        .select_related("objectif__projet__mesure__menage")
        .order_by("echeance", "pk")
    )
    return {
        "mesures_ouvertes": mesures.count(),
        "sans_contact": _menages_sans_contact(
            Menage.objects.visible_to(user),
            Mesure.objects.ouvertes().filter(referent=user),
            aujourdhui,
        ),
        "actions_en_retard": _alerte(actions),
    }


def _copilote(user, habilitations, aujourdhui) -> dict:
    """Agrégats des EPCI co-pilotés, sans aucune donnée nominative ; petits effectifs masqués.

    Les querysets `visible_to` ne rendent rien à un co-pilote (pas de données personnelles) :
    on part ici des EPCI de son périmètre d'agrégats.
    """
    epci = user.perimetre.agregats_epci_ids
    annee = aujourdhui.year
    baux = _baux_de_l_annee(Proposition.objects.filter(menage__territoire_id__in=epci), annee)
    attributions = _attributions(
        baux, _objectif(user, habilitations, annee, roles=(Role.COPILOTE,))
    )
    masque = attributions["baux"] < seuils()["secret"]
    return {
        "territoires": list(Territoire.objects.filter(id__in=epci).order_by("nom")),
        "menages_suivis": secret_statistique(
            Menage.objects.filter(territoire_id__in=epci).actifs().count()
        ),
        "mesures_par_type": [
            {"libelle": ligne.libelle, "ouvertes": secret_statistique(ligne.ouvertes)}
            for ligne in _mesures_par_type(Mesure.objects.filter(territoire_id__in=epci).ouvertes())
        ],
        "attributions": {
            "baux": secret_statistique(attributions["baux"]),
            "objectif": attributions["objectif"],
            "taux": None if masque else attributions["taux"],
            "masque": masque,
        },
    }


def secret_statistique(effectif: int) -> int | str:
    """L'effectif, ou « < seuil » quand il est trop petit pour être diffusé sans risque."""
    seuil = settings.LOGEMENT["SEUIL_SECRET_STATISTIQUE"]
    return effectif if effectif >= seuil else f"< {seuil}"


# --- Chiffres clés ------------------------------------------------------------------------------


def _baux_de_l_annee(propositions, annee):
    return propositions.attributions_entre(dt.date(annee, 1, 1), dt.date(annee, 12, 31))


def _objectif(user, habilitations, annee, *, roles) -> int | None:
    """Objectif d'attribution de l'année des territoires sur lesquels l'utilisateur est habilité
    (tous les Départements pour l'administrateur) ; les niveaux ne s'additionnent pas entre eux."""
    objectifs = ObjectifAttribution.objects.visible_to(user).filter(annee=annee)
    if user.perimetre.tout:
        objectifs = objectifs.filter(territoire__niveau=Territoire.Niveau.DEPARTEMENT)
    else:
        objectifs = objectifs.filter(
            territoire_id__in={h.territoire_id for h in habilitations if h.role in roles}
        )
    total = objectifs.aggregate(total=Sum("objectif"))["total"]
    if total is None and not user.perimetre.tout:
        # Une plateforme a rarement un objectif propre : on prend celui de ses EPCI.
        total = ObjectifAttribution.objects.filter(
            annee=annee, territoire_id__in=user.perimetre.agregats_epci_ids
        ).aggregate(total=Sum("objectif"))["total"]
    return total


def _attributions(baux, objectif) -> dict:
    nombre = baux.count()
    return {
        "baux": nombre,
        "objectif": objectif,
        "taux": round(100 * nombre / objectif) if objectif else None,
    }


def _mesures_par_type(mesures_ouvertes, conventions=None) -> list:
    """Types de mesure avec leurs mesures ouvertes et, si des conventions sont données, la
    capacité qu'elles financent ; en une requête (sous-requêtes par type)."""
    types = TypeMesure.objects.annotate(ouvertes=_par_type(mesures_ouvertes, "type", Count("pk")))
    if conventions is None:
        return list(types.filter(Q(actif=True) | Q(ouvertes__gt=0)))
    return list(
        types.annotate(capacite=_par_type(conventions, "type_mesure", Sum("nombre_mesures")))
        .filter(Q(ouvertes__gt=0) | Q(capacite__gt=0))
        .annotate(
            taux=Case(
                When(capacite__gt=0, then=Cast("ouvertes", FloatField()) * 100 / F("capacite")),
                output_field=FloatField(),
            )
        )
    )


def _par_type(queryset, champ_type, agregat):
    """Sous-requête : `agregat` des lignes de `queryset` du type de mesure courant (0 sans ligne)."""
    lignes = queryset.filter(**{champ_type: OuterRef("pk")}).order_by().values(champ_type)
    return Coalesce(Subquery(lignes.annotate(n=agregat).values("n")), 0)


# --- Alertes ------------------------------------------------------------------------------------


def _alerte(queryset) -> dict:
    return {"total": queryset.count(), "lignes": list(queryset[:LIGNES_PAR_ALERTE])}


def _mesures_fin_proche(mesures, aujourdhui) -> dict:
    """Mesures ouvertes dont la fin prévue tombe dans le délai d'alerte (ou est dépassée) et dont
    le ménage n'a encore aucune solution de logement."""
    limite = aujourdhui + dt.timedelta(days=seuils()["fin_mesure"])
    solution = Proposition.objects.a_l_etape(*ETAPES_SOLUTION_LOGEMENT).filter(
        menage_id=OuterRef("menage_id")
    )
    return _alerte(
        mesures.ouvertes()
        .filter(date_fin_prevue__lte=limite)
        .filter(~Exists(solution))
        .select_related("menage", "type", "structure")
        .prefetch_related(demandeurs("menage__personnes"))
        .order_by("date_fin_prevue", "pk")
    )


def _menages_sans_contact(menages, mesures_ouvertes, aujourdhui) -> dict:
    """Ménages suivis (une mesure ouverte) sans rencontre depuis plus que le délai d'alerte,
    ou jamais rencontrés."""
    limite = aujourdhui - dt.timedelta(days=seuils()["sans_contact"])
    return _alerte(
        menages.actifs()
        .filter(Exists(mesures_ouvertes.filter(menage_id=OuterRef("pk"))))
        .filter(Q(date_dernier_contact__isnull=True) | Q(date_dernier_contact__lt=limite))
        .prefetch_related(demandeurs())
        .order_by(F("date_dernier_contact").asc(nulls_first=True), "pk")
    )


def _nur_a_renouveler(menages, aujourdhui) -> dict:
    """Demandes de logement social dont l'échéance approche ou est passée."""
    limite = aujourdhui + dt.timedelta(days=seuils()["nur"])
    return _alerte(
        menages.actifs()
        .filter(nur_date_renouvellement__lte=limite)
        .prefetch_related(demandeurs())
        .order_by("nur_date_renouvellement", "pk")
    )


def _procedures_recentes(menages) -> dict:
    """Procédures d'expulsion en cours dont une étape a été enregistrée récemment."""
    depuis = timezone.now() - dt.timedelta(days=seuils()["etape_expulsion"])
    etapes = EtapeProcedure.objects.filter(procedure_id=OuterRef("pk"))
    derniere = etapes.order_by("-etape")
    alerte = _alerte(
        ProcedureExpulsion.objects.filter(
            menage__in=menages, issue=ProcedureExpulsion.Issue.EN_COURS
        )
        .filter(Exists(etapes.filter(cree_le__gte=depuis)))
        .annotate(
            derniere_etape=Subquery(derniere.values("etape")[:1]),
            date_derniere_etape=Subquery(derniere.values("date")[:1]),
        )
        .select_related("menage")
        .prefetch_related(demandeurs("menage__personnes"))
        .order_by("-date_derniere_etape", "pk")
    )
    for procedure in alerte["lignes"]:
        procedure.derniere_etape_libelle = EtapeProcedure.Etape(procedure.derniere_etape).label
    return alerte
