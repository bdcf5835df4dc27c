"""Lectures des attributions : listes préchargées, pipeline par étape, objectifs de l'année."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum

from logement.models import Role, Territoire
from logement.text import identifiant, normaliser, sans_caractere_nul
from menages.models import Menage, Personne

from .models import Logement, ObjectifAttribution, Proposition

NB_RESULTATS_RECHERCHE = 20
ROLES_LECTEURS = (Role.REFERENT, Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)
ROLES_REDACTEURS = (Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)


def epci_visibles(user):
    """EPCI sur lesquels l'utilisateur voit les données nominatives (choix des formulaires)."""
    epci = Territoire.objects.filter(niveau=Territoire.Niveau.EPCI).order_by("nom")
    if user.perimetre.tout:
        return epci
    return epci.filter(id__in=user.perimetre.epci_ids)


def logements(user):
    return (
        Logement.objects.visible_to(user)
        .select_related("territoire", "bailleur", "contingent")
        .avec_disponibilite()
        .avec_derniere_etape()
        .annotate(loyer_cc=F("loyer") + F("charges"))
    )


def propositions(user):
    return pour_affichage(Proposition.objects.visible_to(user))


def pour_affichage(propositions_qs):
    """Tout ce qu'une ligne de proposition affiche, en un nombre fixe de requêtes."""
    return (
        propositions_qs.select_related("logement__territoire", "menage", "contingent", "decision")
        .prefetch_related(_demandeur("menage__"))
        .avec_etape()
    )


def peut_ecrire(user) -> bool:
    """Saisir logements et propositions : coordinateurs et agents départementaux (et admin)."""
    return user.perimetre.a_role(*ROLES_REDACTEURS)


def alerte_caleol(logement: Logement) -> str:
    """Rappel de la règle des trois candidats, vide quand elle est tenue ou qu'un DALO l'écarte."""
    candidats = logement.propositions.en_cours().aggregate(
        n=Count("id"), dalo=Count("id", filter=Q(menage__dalo=Menage.Dalo.PRIORITAIRE))
    )
    if candidats["dalo"] or candidats["n"] >= Logement.CANDIDATS_MINIMUM_CALEOL:
        return ""
    return (
        f"{candidats['n']} candidat(s) présenté(s) pour ce logement : la CALEOL en examine au "
        f"moins {Logement.CANDIDATS_MINIMUM_CALEOL}, sauf désignation d'un ménage DALO."
    )


def menages_candidats(user, logement: Logement, *, recherche: str = "", choisis=()):
    """Ménages à présenter : ceux déjà cochés, puis ceux que la recherche trouve (bornés)."""
    visibles = (
        Menage.objects.visible_to(user)
        .actifs()
        .prefetch_related(_demandeur())
        .select_related("territoire")
        .annotate(
            deja_candidat=Exists(
                logement.propositions.en_cours().filter(menage=OuterRef("pk")).values("pk")
            )
        )
        .order_by("reference")
    )
    ids_choisis = [i for i in map(identifiant, choisis) if i is not None]
    selection = list(visibles.filter(pk__in=ids_choisis)) if ids_choisis else []
    trouves = []
    recherche = sans_caractere_nul(recherche).strip()
    if recherche:
        nom = normaliser(recherche)
        personnes = Personne.objects.filter(menage=OuterRef("pk"), nom_normalise__contains=nom)
        trouves = list(
            visibles.filter(Q(reference__iexact=recherche) | Exists(personnes)).exclude(
                pk__in=[m.pk for m in selection]
            )[:NB_RESULTATS_RECHERCHE]
        )
    return selection, trouves


def tableau_attributions(user, propositions_filtrees, *, annee: int, epci=None) -> dict:
    """Chiffres de l'année : baux signés (seule mesure d'une attribution) face à l'objectif."""
    baux = propositions_filtrees.filter(date_signature_bail__year=annee).count()
    objectif = objectif_annuel(user, annee=annee, epci=epci)
    taux = None
    if objectif:
        taux = (Decimal(baux) * 100 / objectif).quantize(Decimal("0.1"))
    return {"annee": annee, "baux": baux, "objectif": objectif, "taux": taux}


def objectif_annuel(user, *, annee: int, epci=None) -> int | None:
    """Objectif du territoire suivi : celui de l'EPCI choisi, sinon celui de chaque Département
    vu en entier, complété par ceux des EPCI vus hors de ces Départements (jamais les deux,
    qui se recouvrent)."""
    objectifs = ObjectifAttribution.objects.filter(annee=annee)
    if epci is not None:
        territoires = Q(territoire=epci)
    else:
        vus = epci_visibles(user).values_list("id", flat=True)
        departements = (
            Territoire.objects.filter(niveau=Territoire.Niveau.EPCI)
            .values("parent_id")
            .annotate(total=Count("id"), vus=Count("id", filter=Q(id__in=vus)))
            .filter(total=F("vus"))
            .values("parent_id")
        )
        territoires = Q(territoire_id__in=departements) | (
            Q(territoire_id__in=vus) & ~Q(territoire__parent_id__in=departements)
        )
    return objectifs.filter(territoires).aggregate(total=Sum("objectif"))["total"]


def _demandeur(chemin_menage=""):
    # Seul le demandeur principal est affiché : inutile de charger toute la composition.
    return Prefetch(
        f"{chemin_menage}personnes",
        queryset=Personne.objects.filter(role=Personne.Role.DEMANDEUR),
    )
