"""Points d'accès des bilans : liste et fiche, demande (202 puis état de production),
relance, téléchargement des fichiers prêts ; et les indicateurs agrégés (bilans_indicateurs).

Tout part de `Bilan.objects.visible_to(user)` : hors périmètre, 404. Lire : agent
départemental, coordinateur, co-pilote (les bilans qu'il voit dans l'interface) ; demander ou
relancer : agent départemental et coordinateur, sur leur ressort (`DroitsBilans`)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from bilans import services
from bilans.models import Bilan, FichierBilan
from bilans.views import ROLES_DEMANDE, ROLES_LECTURE, TYPES_CONTENU
from journal.services import Action, tracer
from logement.models import Territoire

from . import bilans_indicateurs
from .attributions_filtres import FILTRES, dates, territoire_et_contenus
from .base import Agregats, Conflit, PerimetreMixin, erreurs_drf, filtre_modifie_depuis
from .bilans_serializers import (
    BilanDetailSerializer,
    BilanSerializer,
    DemandeAccepteeSerializer,
    DemandeBilanSerializer,
    StatutBilanSerializer,
)
from .schema import ErreurSerializer

TAG_BILANS = "Bilans"
EN_PRODUCTION = "Votre demande est enregistrée : le bilan est en production."


class RolesBilans(permissions.BasePermission):
    """Comme les pages des bilans : lecture pour agent départemental, coordinateur et
    co-pilote ; demande et relance pour les deux premiers (l'administrateur passe toujours)."""

    def has_permission(self, request, view):
        perimetre = request.user.perimetre
        if request.method in permissions.SAFE_METHODS:
            self.message = "Votre habilitation ne donne pas accès aux bilans."
            return perimetre.a_role(*ROLES_LECTURE)
        self.message = "Votre habilitation ne permet pas de demander ni de relancer un bilan."
        return perimetre.a_role(*ROLES_DEMANDE)


class SansNegociation(BaseContentNegotiation):
    """Téléchargement : le fichier est servi tel quel quel que soit l'en-tête Accept ; une
    erreur reste en JSON (premier rendu de la vue)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FiltreBilans(django_filters.FilterSet):
    territoire = django_filters.ModelChoiceFilter(
        queryset=Territoire.objects.all(),
        method="filtrer_territoire",
        label="Territoire",
        help_text="Identifiant d'un territoire : ses bilans et ceux des territoires qu'il "
        "contient (EPCI, plateformes d'un Département).",
    )
    audience = django_filters.ChoiceFilter(
        choices=Bilan.Audience.choices, label="Destinataire", help_text="Destinataire du bilan."
    )
    statut = django_filters.ChoiceFilter(
        choices=Bilan.Statut.choices, label="État", help_text="État de production du bilan."
    )
    periodicite = django_filters.ChoiceFilter(
        choices=Bilan.Periodicite.choices, label="Périodicité", help_text="Périodicité du bilan."
    )
    date_debut_apres, date_debut_avant = dates("date_debut", "Début de la période")
    date_fin_apres, date_fin_avant = dates("date_fin", "Fin de la période")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Bilan
        fields = []

    def filtrer_territoire(self, queryset, name, territoire):
        return queryset.filter(territoire_id__in=territoire_et_contenus(territoire))


REPONSE_202 = OpenApiResponse(
    response=DemandeAccepteeSerializer,
    description="Demande acceptée : le bilan est produit en arrière-plan. L'en-tête `Location` "
    "et le champ `url_statut` donnent l'URL de son état, à interroger jusqu'à « pret » ou "
    "« echec ». Si la file de production est momentanément indisponible, la demande est "
    "enregistrée quand même (voir `message`).",
)
EN_TETE_LOCATION = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    response=[202],
    description="URL de l'état de production du bilan.",
)
BINAIRE = OpenApiResponse(
    response=OpenApiTypes.BINARY, description="Le fichier du bilan, en pièce jointe."
)


@extend_schema_view(
    list=extend_schema(
        summary="Lister les bilans",
        description="Bilans que vous pouvez lire (ceux de votre ressort et des destinataires "
        "de votre habilitation), du plus récent au plus ancien. Filtres par territoire, "
        "destinataire, état, périodicité, dates ; tri par `tri`.",
    ),
    retrieve=extend_schema(
        summary="Lire un bilan",
        description="Le bilan, ses fichiers quand il est prêt et ses chiffres clés ; hors "
        "périmètre : 404.",
    ),
    create=extend_schema(
        summary="Demander un bilan",
        description="Agents départementaux et coordinateurs, pour un territoire et un "
        "destinataire de leur ressort (mêmes règles que le formulaire de l'interface). La "
        "production est asynchrone : la réponse 202 donne l'URL de l'état à suivre. Une "
        "nouvelle demande pour le même territoire, destinataire et période crée une nouvelle "
        "version.",
        request=DemandeBilanSerializer,
        responses={202: REPONSE_202},
        parameters=[EN_TETE_LOCATION],
    ),
    statut=extend_schema(
        summary="Suivre la production d'un bilan",
        description="État (en_attente, en_cours, pret, echec), progression, étape en cours, "
        "motif d'un échec, et les fichiers téléchargeables une fois le bilan prêt.",
        responses={200: StatutBilanSerializer},
    ),
    relancer=extend_schema(
        summary="Relancer un bilan",
        description="Un bilan en échec, ou resté en attente, repart de zéro. Un bilan prêt ne "
        "se relance pas (demandez-en une nouvelle version) : 409.",
        request=None,
        responses={
            202: REPONSE_202,
            409: OpenApiResponse(
                response=ErreurSerializer,
                description="Seul un bilan en échec ou en attente se relance.",
            ),
        },
        parameters=[EN_TETE_LOCATION],
    ),
    fichier=extend_schema(
        summary="Télécharger un fichier du bilan",
        description="Le fichier PDF, XLSX ou CSV d'un bilan prêt (téléchargement tracé au "
        "journal). Bilan hors périmètre ou format inconnu : 404 ; bilan pas encore prêt : 409.",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.PATH,
                enum=FichierBilan.Format.values,
                description="Format du fichier : pdf, xlsx ou csv.",
            ),
            OpenApiParameter(
                "Content-Disposition",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description="attachment ; nom du fichier.",
            ),
        ],
        responses={
            (200, TYPES_CONTENU[FichierBilan.Format.PDF]): BINAIRE,
            (200, TYPES_CONTENU[FichierBilan.Format.XLSX]): BINAIRE,
            (200, TYPES_CONTENU[FichierBilan.Format.CSV]): BINAIRE,
            409: OpenApiResponse(
                response=ErreurSerializer,
                description="Le bilan n'est pas prêt : suivez son état, puis téléchargez.",
            ),
        },
    ),
)
@extend_schema(tags=[TAG_BILANS])
class BilanViewSet(
    PerimetreMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    modele = Bilan
    queryset = Bilan.objects.none()  # le modèle, pour le schéma ; lecture : get_queryset()
    serializer_class = BilanSerializer
    permission_classes = [Agregats, RolesBilans]
    filter_backends = FILTRES
    filterset_class = FiltreBilans
    ordering_fields = ["cree_le", "date_debut", "date_fin", "version", "modifie_le"]
    ordering = ["-cree_le", "-id"]
    http_method_names = ["get", "post", "head", "options"]

    # Hors de la transaction de requête du journal, comme la page de demande : l'envoi à la
    # file (on_commit) a lieu avant la réponse, qui peut donc dire si la file est indisponible.
    @transaction.non_atomic_requests
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def optimiser(self, qs):
        qs = qs.select_related("territoire", "demande_par").prefetch_related("fichiers")
        # Les chiffres figés ne servent qu'à la fiche.
        return qs if self.action == "retrieve" else qs.defer("donnees")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BilanDetailSerializer
        if self.action == "statut":
            return StatutBilanSerializer
        return BilanSerializer

    def _accepte(self, request, bilan: Bilan, texte: str) -> Response:
        """202 : l'état du bilan, l'URL à suivre et ce que devient la demande."""
        message = services.FILE_INDISPONIBLE if bilan.expedie is False else texte
        relu = self.get_queryset().get(pk=bilan.pk)
        contexte = {**self.get_serializer_context(), "message": message}
        corps = DemandeAccepteeSerializer(relu, context=contexte).data
        return Response(
            corps, status=status.HTTP_202_ACCEPTED, headers={"Location": corps["url_statut"]}
        )

    def create(self, request, *args, **kwargs):
        saisie = DemandeBilanSerializer(data=request.data, context=self.get_serializer_context())
        saisie.is_valid(raise_exception=True)
        demande = saisie.validated_data
        try:
            bilan = services.demander_bilan(par=request.user, **demande)
        except DjangoValidationError as erreur:
            raise erreurs_drf(erreur) from erreur
        except DjangoPermissionDenied as refus:
            raise PermissionDenied(str(refus)) from refus
        return self._accepte(request, bilan, EN_PRODUCTION)

    @action(detail=True, methods=["get"])
    def statut(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @action(detail=True, methods=["post"])
    def relancer(self, request, pk=None):
        bilan = self.get_object()
        try:
            bilan = services.relancer(bilan, par=request.user)
        except DjangoPermissionDenied as refus:
            raise PermissionDenied(str(refus)) from refus
        except DjangoValidationError as erreur:
            raise Conflit(" ".join(erreur.messages)) from erreur
        return self._accepte(request, bilan, "Le bilan est relancé.")

    @action(
        detail=True,
        methods=["get"],
        url_path=r"fichiers/(?P<format>[^/.]+)",
        url_name="fichier",
        content_negotiation_class=SansNegociation,
    )
    def fichier(self, request, pk=None, format=None):
        bilan = self.get_object()
        if format not in FichierBilan.Format.values:
            raise NotFound("Format inconnu : les fichiers d'un bilan sont en pdf, xlsx ou csv.")
        if bilan.statut != Bilan.Statut.PRET:
            url_statut = request.build_absolute_uri(reverse("api:bilan-statut", args=[bilan.pk]))
            raise Conflit(
                f"Le bilan n'est pas prêt (état : {bilan.get_statut_display()}) : suivez sa "
                f"production à {url_statut}, puis téléchargez."
            )
        fichier = next((f for f in bilan.fichiers.all() if f.format == format), None)
        if fichier is None:
            raise NotFound("Ce bilan n'a pas de fichier dans ce format.")
        try:
            contenu = fichier.fichier.open("rb")
        except FileNotFoundError as erreur:
            raise NotFound("Le fichier de ce bilan est introuvable.") from erreur
        # La même trace que le téléchargement depuis la fiche du bilan.
        tracer(
            Action.TELECHARGEMENT,
            objet=bilan,
            details={"format": fichier.format, "version": bilan.version},
        )
        reponse = FileResponse(
            contenu,
            as_attachment=True,
            filename=services.nom_fichier(bilan, fichier.format),
            content_type=TYPES_CONTENU[fichier.format],
        )
        reponse["Cache-Control"] = "private, no-store"
        return reponse


def enregistrer(router):
    """Enregistre les ensembles de vues de ce domaine dans le routeur de l'API."""
    router.register("bilans", BilanViewSet, basename="bilan")
    router.register("indicateurs", bilans_indicateurs.IndicateursViewSet, basename="indicateur")
