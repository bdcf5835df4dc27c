"""Tableau de bord de l'accueil : chiffres clés et alertes du ressort de l'utilisateur, selon son
rôle. Tout est agrégé en base, en un nombre de requêtes indépendant du volume de données.

Comme les bilans, il lit toutes les apps métier : il se place au-dessus d'elles, et aucune ne
l'importe. Ses chiffres clés sont des indicateurs du registre des bilans (`bilans.indicateurs`),
calculés sur les EPCI du ressort de l'utilisateur, avec la définition qu'affichent les bilans ; le
secret statistique du co-pilote est celui des bilans (`bilans.secret.masquer`). Les alertes sont
des listes nominatives, pas des indicateurs : elles restent ici.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
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
from attributions.models import Proposition
from bilans import indicateurs as registre
from bilans.secret import masquer
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

# Indicateurs du registre montrés par le tableau de bord (leur définition est affichée avec eux).
CHIFFRES_CLES = (
    "menages_accompagnes",
    "baux_sans_domicile",
    "objectif_attribution",
    "taux_objectif",
    "mesures_en_cours",
)


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
        "definitions": {code: registre.INDICATEURS[code] for code in CHIFFRES_CLES},
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
    chiffres = _chiffres_cles(_ressort(user, habilitations, ROLES_TERRITORIAUX), aujourdhui)
    capacites = _capacites_par_type(Convention.objects.visible_to(user).filter(annee=annee))
    return {
        "menages_accompagnes": chiffres["menages_accompagnes"],
        "orientations": _alerte(
            orientations.select_related("menage", "plateforme")
            .prefetch_related(demandeurs("menage__personnes"))
            .order_by("date_orientation", "pk")
        ),
        "mesures_par_type": _par_type(chiffres["mesures_par_type"], capacites),
        "attributions": chiffres["attributions"],
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
    """Agrégats des EPCI co-pilotés, sans aucune donnée nominative ; le secret statistique des
    bilans (même fonction, même seuil, même règle pour les taux) s'y applique.

    Les querysets `visible_to` ne rendent rien à un co-pilote (pas de données personnelles) : les
    indicateurs partent des EPCI de ses habilitations de co-pilote.
    """
    ressort = _ressort(user, habilitations, (Role.COPILOTE,))
    chiffres = _chiffres_cles(ressort, aujourdhui)
    attributions = chiffres["attributions"]
    seuil = seuils()["secret"]
    # Mêmes structures que l'instantané d'un bilan, pour passer par le même masquage.
    synthese = [
        _synthese("menages_accompagnes", chiffres["menages_accompagnes"]),
        *(
            _synthese(code, valeur, effectif=attributions["baux_sans_domicile"])
            for code, valeur in attributions.items()
        ),
    ]
    lignes = _par_type(chiffres["mesures_par_type"])
    tableau = {
        "colonnes": [{"indicateur": "mesures_en_cours", "unite": "mesures", "effectif": None}],
        "lignes": [
            {"libelle": ligne["libelle"], "valeurs": [ligne["mesures_en_cours"]]}
            for ligne in lignes
        ],
        "total": None,
        "additif": False,
    }
    masque = masquer({"synthese": synthese, "blocs": [{"tableaux": [tableau]}]}, seuil)
    publie = {chiffre["code"]: chiffre["n"] for chiffre in masque["synthese"]}
    return {
        "territoires": list(Territoire.objects.filter(id__in=_epci(ressort)).order_by("nom")),
        "menages_accompagnes": publie.pop("menages_accompagnes"),
        "mesures_par_type": [
            {"libelle": ligne["libelle"], "mesures_en_cours": ligne["valeurs"][0]}
            for ligne in masque["blocs"][0]["tableaux"][0]["lignes"]
        ],
        "attributions": publie,
    }


def _synthese(code, valeur, *, effectif=None) -> dict:
    indicateur = registre.INDICATEURS[code]
    return {
        "code": code,
        "unite": indicateur.unite,
        "n": valeur,
        "effectif_n": effectif if indicateur.effectif else None,
    }


# --- Chiffres clés (registre des indicateurs) ----------------------------------------------------


def _ressort(user, habilitations, roles) -> dict[int, frozenset[int]]:
    """EPCI couverts par chaque territoire du ressort : ceux des habilitations aux rôles donnés
    (tous les Départements pour l'administrateur), sans ceux qu'un autre contient déjà (une
    plateforme dans son Département) : les niveaux ne s'additionnent pas."""
    if user.perimetre.tout and Role.COPILOTE not in roles:
        territoires = list(Territoire.objects.filter(niveau=Territoire.Niveau.DEPARTEMENT))
    else:
        territoires = {h.territoire for h in habilitations if h.role in roles and h.territoire}
    portees = registre.portees(territoires)
    ordre = {Territoire.Niveau.DEPARTEMENT: 0, Territoire.Niveau.PLATEFORME: 1}
    retenus: dict[int, frozenset[int]] = {}
    for territoire in sorted(territoires, key=lambda t: (ordre.get(t.niveau, 2), t.pk)):
        if not any(portees[territoire.pk] <= autre for autre in retenus.values()):
            retenus[territoire.pk] = portees[territoire.pk]
    return retenus


def _epci(ressort) -> frozenset[int]:
    return frozenset().union(*ressort.values())


def _chiffres_cles(ressort, aujourdhui) -> dict:
    """Indicateurs du registre sur les EPCI du ressort : file active à aujourd'hui (ménages
    accompagnés, mesures en cours par type) ; attributions de l'année jusqu'à aujourd'hui,
    rapportées à l'objectif de l'année (celui de chaque territoire, à défaut la somme de ceux de ses
    EPCI : la règle des bilans), additionné entre territoires du ressort."""
    epci = _epci(ressort)
    # Le territoire du cadre ne sert qu'aux indicateurs propres à un territoire (objectif,
    # conventions) : l'objectif se calcule ci-dessous, territoire par territoire.
    territoire_id = next(iter(ressort)) if len(ressort) == 1 else None
    jour = registre.Cadre(territoire_id, epci, aujourdhui, aujourdhui)
    annee = registre.Cadre(territoire_id, epci, dt.date(aujourdhui.year, 1, 1), aujourdhui)
    objectifs = registre.objectifs_attribution(ressort, aujourdhui.year).values()
    fixes = [o.objectif for o in objectifs if o.objectif is not None]
    attributions = {
        "baux_sans_domicile": registre.calculer(["baux_sans_domicile"], annee)[
            "baux_sans_domicile"
        ],
        "objectif_attribution": sum(fixes) if fixes else None,
    }
    attributions["taux_objectif"] = registre.deduire("taux_objectif", attributions)
    return {
        "menages_accompagnes": registre.calculer(["menages_accompagnes"], jour)[
            "menages_accompagnes"
        ],
        "mesures_par_type": registre.calculer(["mesures_en_cours"], jour, dimension="type")[
            "mesures_en_cours"
        ],
        "attributions": attributions,
    }


def _par_type(mesures_en_cours: dict, capacites: dict | None = None) -> list[dict]:
    """Lignes par type de mesure, dans l'ordre du référentiel (une requête).

    Co-pilote : les types actifs et ceux qui ont des mesures en cours. Tableau territorial (avec
    `capacites`) : les types qui ont des mesures en cours ou une capacité financée, et le taux
    mesures en cours ÷ capacité financée."""
    en_cours = {pk: n for pk, n in mesures_en_cours.items() if n}
    if capacites is None:
        types = TypeMesure.objects.filter(Q(actif=True) | Q(pk__in=list(en_cours)))
    else:
        types = TypeMesure.objects.filter(pk__in={*en_cours, *capacites})
    lignes = []
    for t in types:
        ligne = {"code": t.code, "libelle": t.libelle, "mesures_en_cours": en_cours.get(t.pk, 0)}
        if capacites is not None:
            capacite = capacites.get(t.pk, 0)
            ligne["capacite"] = capacite
            ligne["taux"] = 100 * ligne["mesures_en_cours"] / capacite if capacite else None
        lignes.append(ligne)
    return lignes


def _capacites_par_type(conventions) -> dict[int, int]:
    """Mesures financées par les conventions données, par type de mesure (une requête)."""
    return {
        type_id: total
        for type_id, total in conventions.order_by()
        .values("type_mesure_id")
        .annotate(total=Coalesce(Sum("nombre_mesures"), 0))
        .values_list("type_mesure_id", "total")
        if total
    }


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
