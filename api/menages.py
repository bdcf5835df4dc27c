"""Points d'accès des ménages : ménages, membres, situations résidentielles, ressources.

Mêmes droits que les pages (menages/views.py) : qui voit le ménage peut y écrire (référent
d'une structure qui l'accompagne, coordinateur, agent départemental, administrateur) ; seuls
coordinateur et agent départemental créent un ménage ; jamais un co-pilote. Un ménage anonymisé
se lit mais ne s'écrit plus. Les membres se saisissent avec le ménage (composition), comme dans
l'interface ; les situations s'ajoutent par changement de situation ; les procédures
d'expulsion ne sont pas exposées.
"""

from __future__ import annotations

from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from journal.services import Action, tracer
from logement.models import Role
from menages import selectors
from menages.models import Menage, Personne, Ressource, SituationResidentielle

from .base import Conflit, PerimetreMixin, TriStable
from .menages_filtres import MenageFiltres, PersonneFiltres, RessourceFiltres, SituationFiltres
from .menages_serializers import (
    ANONYMISE,
    MenageCreationSerializer,
    MenageDetailSerializer,
    MenageListeSerializer,
    MenageModificationSerializer,
    PersonneSerializer,
    RessourceSerializer,
    SituationSerializer,
    menages_visibles,
    personnes_visibles,
    prechargements_detail,
    prendre_la_main_ou_409,
)
from .schema import ErreurSerializer

TAGS = ["Ménages"]


def _id(quoi: str) -> list[OpenApiParameter]:
    return [OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=quoi)]


CONFLIT_VERSION = OpenApiResponse(
    response=ErreurSerializer,
    description="Le ménage a été enregistré depuis la version envoyée, ou il est anonymisé : "
    "rien n'est écrit.",
)


# --- Ménages ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Lister les ménages",
        description="Ménages de votre périmètre, en champs légers (demandeur principal, nombre "
        "de membres, situation actuelle, publics prioritaires, mesures ouvertes). Tri par "
        "défaut : les plus récemment créés d'abord.",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        parameters=_id("Identifiant du ménage."),
        summary="Lire la fiche d'un ménage",
        description="Fiche complète : membres et historique de leurs situations résidentielles, "
        "ressources, publics prioritaires, information et adhésion. La consultation est "
        "tracée dans le journal d'audit. Pour un ménage anonymisé, les données personnelles "
        "sont effacées.",
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Créer un ménage avec sa composition",
        description="Réservé aux coordinateurs, agents départementaux et administrateurs, dans "
        "un EPCI de leur ressort. Les membres (un et un seul demandeur principal) et la "
        "situation de départ sont créés avec le ménage.",
        tags=TAGS,
        request=MenageCreationSerializer,
        responses={201: MenageDetailSerializer},
    ),
    update=extend_schema(
        parameters=_id("Identifiant du ménage."),
        summary="Remplacer les informations d'un ménage",
        description="Tous les champs modifiables, avec la `version` lue : une version périmée "
        "donne 409 sans rien écrire. Un ménage anonymisé ne se modifie plus (409).",
        tags=TAGS,
        request=MenageModificationSerializer,
        responses={200: MenageDetailSerializer, 409: CONFLIT_VERSION},
    ),
    partial_update=extend_schema(
        parameters=_id("Identifiant du ménage."),
        summary="Modifier des informations d'un ménage",
        description="Seuls les champs envoyés changent ; avec `version`, une version périmée "
        "donne 409 sans rien écrire. Un ménage anonymisé ne se modifie plus (409).",
        tags=TAGS,
        request=MenageModificationSerializer,
        responses={200: MenageDetailSerializer, 409: CONFLIT_VERSION},
    ),
)
class MenageViewSet(
    PerimetreMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    modele = Menage
    queryset = Menage.objects.none()  # le modèle, pour le schéma ; get_queryset borne
    filterset_class = MenageFiltres
    filter_backends = [DjangoFilterBackend, TriStable]
    ordering_fields = ["reference", "demandeur", "date_dernier_contact", "cree_le", "modifie_le"]
    tri_alias = {"demandeur": "tri_demandeur"}
    ordering = ["-cree_le"]

    def optimiser(self, qs):
        if self.action == "list":
            return selectors.avec_colonnes(qs)
        return qs.select_related("territoire").prefetch_related(*prechargements_detail())

    def get_serializer_class(self):
        return {
            "list": MenageListeSerializer,
            "create": MenageCreationSerializer,
            "update": MenageModificationSerializer,
            "partial_update": MenageModificationSerializer,
        }.get(self.action, MenageDetailSerializer)

    def retrieve(self, request, *args, **kwargs):
        menage = self.get_object()
        # Comme la fiche de l'interface : toute consultation nominative est tracée.
        tracer(Action.CONSULTATION, objet=menage)
        return Response(self.get_serializer(menage).data)

    def create(self, request, *args, **kwargs):
        if not request.user.perimetre.a_role(Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL):
            raise PermissionDenied(
                "Seuls les coordinateurs, agents départementaux et administrateurs créent un "
                "ménage."
            )
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        if self.get_object().statut == Menage.Statut.ANONYMISE:
            raise Conflit(ANONYMISE)
        return super().update(request, *args, **kwargs)


# --- Membres ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Lister les membres des ménages",
        description="Personnes des ménages de votre périmètre. Les membres se déclarent à la "
        "création du ménage (`POST /menages/`).",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        parameters=_id("Identifiant de la personne."),
        summary="Lire un membre d'un ménage",
        tags=TAGS,
    ),
)
class PersonneViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Personne.objects.none()  # le modèle, pour le schéma ; get_queryset borne
    serializer_class = PersonneSerializer
    filterset_class = PersonneFiltres
    filter_backends = [DjangoFilterBackend, TriStable]
    ordering_fields = ["id", "nom", "date_naissance", "modifie_le"]
    ordering = ["menage_id", "role", "date_naissance"]

    def get_queryset(self):
        return personnes_visibles(self.request.user)


# --- Situations résidentielles ------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Lister les situations résidentielles",
        description="Historique des situations résidentielles des membres des ménages de votre "
        "périmètre, la plus récente en tête.",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        parameters=_id("Identifiant de la situation résidentielle."),
        summary="Lire une situation résidentielle",
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Enregistrer un changement de situation",
        description="Comme le changement de situation de la fiche : la situation en cours de la "
        "personne se clôt la veille de `date_debut`, la nouvelle s'ouvre à cette date (qui ne "
        "peut être ni future ni antérieure au début de la situation en cours).",
        tags=TAGS,
    ),
)
class SituationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = SituationResidentielle.objects.none()
    serializer_class = SituationSerializer
    filterset_class = SituationFiltres
    filter_backends = [DjangoFilterBackend, TriStable]
    ordering_fields = ["id", "date_debut", "date_fin", "modifie_le"]
    ordering = ["-date_debut"]

    def get_queryset(self):
        qs = SituationResidentielle.objects.select_related("type", "personne")
        if self.request.user.perimetre.tout:
            return qs
        return qs.filter(personne__menage__in=menages_visibles(self.request.user))


# --- Ressources ---------------------------------------------------------------------------------

VERSION_MENAGE = OpenApiParameter(
    "version_menage",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="Facultatif : version du ménage lue avant la suppression ; si le ménage a été "
    "enregistré depuis, la réponse est 409 et rien n'est supprimé.",
)


@extend_schema_view(
    list=extend_schema(summary="Lister les ressources des ménages", tags=TAGS),
    retrieve=extend_schema(
        parameters=_id("Identifiant de la ressource."), summary="Lire une ressource", tags=TAGS
    ),
    create=extend_schema(
        summary="Ajouter une ressource à un ménage",
        description="Le ménage passe à la version suivante ; avec `version_menage`, une version "
        "périmée donne 409.",
        tags=TAGS,
        responses={201: RessourceSerializer, 409: CONFLIT_VERSION},
    ),
    update=extend_schema(
        parameters=_id("Identifiant de la ressource."),
        summary="Remplacer une ressource",
        tags=TAGS,
        responses={200: RessourceSerializer, 409: CONFLIT_VERSION},
    ),
    partial_update=extend_schema(
        parameters=_id("Identifiant de la ressource."),
        summary="Modifier une ressource",
        tags=TAGS,
        responses={200: RessourceSerializer, 409: CONFLIT_VERSION},
    ),
    destroy=extend_schema(
        parameters=[*_id("Identifiant de la ressource."), VERSION_MENAGE],
        summary="Supprimer une ressource",
        description="Le ménage passe à la version suivante.",
        tags=TAGS,
        responses={204: OpenApiResponse(description="Ressource supprimée."), 409: CONFLIT_VERSION},
    ),
)
class RessourceViewSet(viewsets.ModelViewSet):
    queryset = Ressource.objects.none()
    serializer_class = RessourceSerializer
    filterset_class = RessourceFiltres
    filter_backends = [DjangoFilterBackend, TriStable]
    ordering_fields = ["id", "montant_mensuel", "date_debut", "modifie_le"]
    ordering = ["menage_id", "type__ordre"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = Ressource.objects.select_related("type")
        if self.action not in ("list", "retrieve"):
            qs = qs.select_related("menage")
        if self.request.user.perimetre.tout:
            return qs
        return qs.filter(menage__in=menages_visibles(self.request.user))

    def update(self, request, *args, **kwargs):
        if self.get_object().menage.statut == Menage.Statut.ANONYMISE:
            raise Conflit(ANONYMISE)
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        ressource = self.get_object()
        if ressource.menage.statut == Menage.Statut.ANONYMISE:
            raise Conflit(ANONYMISE)
        version = serializers.IntegerField(min_value=0, required=False)
        brute = request.query_params.get("version_menage")
        version_lue = ressource.menage.version
        if brute not in (None, ""):
            try:
                version_lue = version.run_validation(brute)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"version_menage": exc.detail}) from exc
        with transaction.atomic():
            prendre_la_main_ou_409(ressource.menage, version_lue=version_lue, par=request.user)
            ressource.delete()
        return Response(status=204)


def enregistrer(router):
    """Enregistre les ensembles de vues de ce domaine dans le routeur de l'API."""
    router.register("menages", MenageViewSet, basename="menage")
    router.register("personnes", PersonneViewSet, basename="personne")
    router.register("situations", SituationViewSet, basename="situation")
    router.register("ressources", RessourceViewSet, basename="ressource")
