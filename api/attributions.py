"""Points d'accès des attributions : logements captés, propositions (de la proposition au bail
et à l'entrée dans les lieux) et objectifs annuels d'attribution.

Mêmes droits que les pages : lecture pour référents, coordinateurs et agents départementaux ;
saisie pour coordinateurs et agents départementaux ; objectifs lus par qui les voit (co-pilote
compris : ce sont des chiffres, pas des données nominatives) et saisis seulement par qui a
l'administration Django, seule interface qui les écrit. Les étapes d'une proposition passent
par les services de l'app (`attributions.services`) : une étape impossible dans l'état de la
proposition répond 409, une saisie invalide 400 par champ."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from attributions import selectors, services
from attributions.models import Logement, ObjectifAttribution, Proposition
from attributions.selectors import ROLES_LECTEURS, ROLES_REDACTEURS

from .attributions_filtres import FILTRES, FiltreLogements, FiltreObjectifs, FiltrePropositions
from .attributions_serializers import (
    BailSerializer,
    DecisionCaleolSerializer,
    EntreeSerializer,
    LogementSerializer,
    NouvellePropositionSerializer,
    ObjectifAttributionSerializer,
    PropositionSerializer,
    ReponseMenageSerializer,
)
from .base import Agregats, Conflit, DonneesPersonnelles, PerimetreMixin, erreurs_drf
from .schema import ErreurSerializer

TAG_LOGEMENTS = "Logements"
TAG_PROPOSITIONS = "Propositions"
TAG_OBJECTIFS = "Objectifs d'attribution"


def erreur_de_service(erreur: DjangoValidationError) -> APIException:
    """Erreur d'un service métier → 400 par champ, ou 409 quand elle porte sur l'état de l'objet
    (message sans champ : étape déjà franchie, proposition close, logement déjà attribué)."""
    if hasattr(erreur, "error_dict") and set(erreur.error_dict) != {NON_FIELD_ERRORS}:
        return erreurs_drf(erreur)
    return Conflit(" ".join(erreur.messages))


class RolesAttributions(permissions.BasePermission):
    """Lecture : référent, coordinateur, agent départemental ; saisie : les deux derniers
    (l'administrateur passe toujours), comme les pages des attributions."""

    def has_permission(self, request, view):
        perimetre = request.user.perimetre
        if request.method in permissions.SAFE_METHODS:
            self.message = "Votre habilitation ne donne pas accès aux attributions."
            return perimetre.a_role(*ROLES_LECTEURS)
        self.message = (
            "Votre habilitation ne permet pas de saisir des logements ni des propositions."
        )
        return perimetre.a_role(*ROLES_REDACTEURS)


class AdministrationDjango(permissions.DjangoModelPermissions):
    """Écriture réservée à qui peut faire la même chose dans l'administration Django : compte
    `is_staff` avec la permission du modèle (ajout, modification, suppression)."""

    message = (
        "Les objectifs d'attribution se saisissent dans l'administration : votre compte n'y a "
        "pas les droits nécessaires."
    )

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user.is_staff and super().has_permission(request, view))


class EnregistrerPuisRelire:
    """Après une écriture, la réponse relit l'objet par `get_queryset()` (annotations comprises)."""

    def relire(self, instance):
        return self.get_queryset().get(pk=instance.pk)

    def perform_create(self, serializer):
        serializer.instance = self.relire(serializer.save())

    def perform_update(self, serializer):
        serializer.instance = self.relire(serializer.save())


# --- Logements ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Lister les logements captés",
        description="Logements du périmètre : ceux des EPCI où vous voyez les données "
        "nominatives ; pour un référent, ceux proposés aux ménages qu'il suit. Filtres par "
        "territoire, disponibilité, typologie, dates ; tri par le paramètre `tri`.",
    ),
    retrieve=extend_schema(
        summary="Lire un logement",
        description="Un logement du périmètre ; hors périmètre : 404.",
    ),
    create=extend_schema(
        summary="Enregistrer un logement capté",
        description="Coordinateurs et agents départementaux. L'EPCI doit être dans votre "
        "périmètre ; mêmes règles que le formulaire de l'interface.",
    ),
    update=extend_schema(
        summary="Modifier un logement",
        description="Remplace tous les champs saisissables (un champ facultatif absent est "
        "vidé) ; mêmes règles qu'à la création.",
    ),
    partial_update=extend_schema(
        summary="Modifier une partie d'un logement",
        description="Seuls les champs envoyés changent ; mêmes règles qu'à la création.",
    ),
)
@extend_schema(tags=[TAG_LOGEMENTS])
class LogementViewSet(
    EnregistrerPuisRelire,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Logement.objects.none()  # le modèle, pour le schéma ; lecture : get_queryset()
    serializer_class = LogementSerializer
    permission_classes = [DonneesPersonnelles, RolesAttributions]
    filter_backends = FILTRES
    filterset_class = FiltreLogements
    ordering_fields = [
        "reference",
        "commune",
        "date_disponibilite",
        "loyer",
        "surface",
        "modifie_le",
    ]
    ordering = ["-date_disponibilite", "-id"]
    # L'interface ne supprime pas de logement (on le retire du dispositif par sa date).
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        # Le sélecteur des pages : Logement.objects.visible_to(user), puis relations et
        # annotations (disponibilité, dernière étape) préchargées en un nombre fixe de requêtes.
        return selectors.logements(self.request.user)


# --- Propositions -------------------------------------------------------------------------------

REPONSE_409 = OpenApiResponse(
    response=ErreurSerializer,
    description="Étape impossible dans l'état de la proposition (déjà franchie, proposition "
    "sans suite, bail déjà signé…) : message en français, rien n'est écrit.",
)


def _etape(resume: str, description: str, requete):
    return extend_schema(
        summary=resume,
        description=description
        + " Coordinateurs et agents départementaux ; proposition hors périmètre : 404.",
        request=requete,
        responses={200: PropositionSerializer, 409: REPONSE_409},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Lister les propositions de logement",
        description="Propositions faites aux ménages du périmètre, avec leur étape (proposée, "
        "décision CALEOL, réponse du ménage, bail, entrée, sans suite). Filtres par territoire "
        "(EPCI du logement), étape, décision, ménage, dates ; tri par `tri`.",
    ),
    retrieve=extend_schema(
        summary="Lire une proposition",
        description="Une proposition d'un ménage du périmètre ; hors périmètre : 404.",
    ),
    create=extend_schema(
        summary="Proposer un logement à un ménage",
        description="Présente un ménage suivi du périmètre pour un logement encore disponible "
        "(ni retiré, ni attribué). Coordinateurs et agents départementaux. Un logement qui "
        "n'est plus disponible répond 409 ; un ménage déjà candidat, 400.",
        request=NouvellePropositionSerializer,
        responses={201: PropositionSerializer, 409: REPONSE_409},
        parameters=[
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description="URL de la proposition créée.",
            )
        ],
    ),
    decision_caleol=_etape(
        "Enregistrer la décision de la CALEOL",
        "Date de la commission et décision (attribution de rang 1 à 3, sous condition, "
        "non-attribution, irrecevabilité). Une non-attribution clôt la proposition.",
        DecisionCaleolSerializer,
    ),
    reponse=_etape(
        "Enregistrer la réponse du ménage",
        "Acceptation ou refus (avec son motif) d'une attribution décidée par la CALEOL. Un "
        "refus clôt la proposition.",
        ReponseMenageSerializer,
    ),
    bail=_etape(
        "Enregistrer la signature du bail",
        "Le bail fait l'attribution : les autres candidats encore en course pour ce logement "
        "sont classés sans suite.",
        BailSerializer,
    ),
    entree=_etape(
        "Enregistrer l'entrée dans les lieux",
        "Après la signature du bail ; au choix, la situation résidentielle de chaque membre du "
        "ménage est mise à jour.",
        EntreeSerializer,
    ),
)
@extend_schema(tags=[TAG_PROPOSITIONS])
class PropositionViewSet(
    PerimetreMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    modele = Proposition
    queryset = Proposition.objects.none()  # le modèle, pour le schéma ; lecture : get_queryset()
    serializer_class = PropositionSerializer
    permission_classes = [DonneesPersonnelles, RolesAttributions]
    filter_backends = FILTRES
    filterset_class = FiltrePropositions
    ordering_fields = [
        "date_proposition",
        "date_caleol",
        "date_reponse",
        "date_signature_bail",
        "date_entree",
        "modifie_le",
    ]
    ordering = ["-date_proposition", "-id"]
    # Pas de modification libre ni de suppression : l'interface ne fait qu'ajouter des étapes.
    http_method_names = ["get", "post", "head", "options"]

    def optimiser(self, qs):
        # Les relations d'une ligne et l'étape calculée en base, comme la liste des pages.
        return selectors.pour_affichage(qs)

    def create(self, request, *args, **kwargs):
        entree = NouvellePropositionSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        entree.is_valid(raise_exception=True)
        donnees = entree.validated_data
        try:
            (proposition,) = services.proposer_logement(
                donnees["logement"],
                menages=[donnees["menage"]],
                contingent=donnees["contingent"],
                date=donnees["date_proposition"],
            )
        except DjangoValidationError as erreur:
            if hasattr(erreur, "error_dict") and "menages" in erreur.error_dict:
                erreur = DjangoValidationError({"menage": erreur.error_dict["menages"]})
            raise erreur_de_service(erreur) from erreur
        sortie = self.get_serializer(self.get_queryset().get(pk=proposition.pk))
        en_tetes = {
            "Location": request.build_absolute_uri(
                reverse("api:proposition-detail", args=[proposition.pk])
            )
        }
        return Response(sortie.data, status=status.HTTP_201_CREATED, headers=en_tetes)

    def _franchir(self, request, serializer_class, appliquer):
        """Étape d'une proposition du périmètre : saisie validée, puis le service."""
        proposition = self.get_object()
        saisie = serializer_class(data=request.data, context=self.get_serializer_context())
        saisie.is_valid(raise_exception=True)
        try:
            appliquer(proposition, saisie.validated_data)
        except DjangoValidationError as erreur:
            raise erreur_de_service(erreur) from erreur
        return Response(self.get_serializer(self.get_queryset().get(pk=proposition.pk)).data)

    @action(detail=True, methods=["post"], url_path="decision-caleol")
    def decision_caleol(self, request, pk=None):
        return self._franchir(
            request,
            DecisionCaleolSerializer,
            lambda p, d: services.enregistrer_decision_caleol(
                p, date=d["date_caleol"], decision=d["decision"], motif=d["motif_decision"]
            ),
        )

    @action(detail=True, methods=["post"])
    def reponse(self, request, pk=None):
        return self._franchir(
            request,
            ReponseMenageSerializer,
            lambda p, d: services.enregistrer_reponse(
                p, reponse=d["reponse"], date=d["date_reponse"], motif=d["motif_refus"]
            ),
        )

    @action(detail=True, methods=["post"])
    def bail(self, request, pk=None):
        return self._franchir(
            request,
            BailSerializer,
            lambda p, d: services.signer_bail(p, date=d["date_signature_bail"]),
        )

    @action(detail=True, methods=["post"])
    def entree(self, request, pk=None):
        return self._franchir(
            request,
            EntreeSerializer,
            lambda p, d: services.enregistrer_entree(
                p, date=d["date_entree"], changer_la_situation=d["changer_situation"]
            ),
        )


# --- Objectifs d'attribution --------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Lister les objectifs annuels d'attribution",
        description="Objectifs d'attributions à des ménages sans domicile ou hébergés, par "
        "territoire et par année, pour les territoires de votre ressort (co-pilotes compris).",
    ),
    retrieve=extend_schema(
        summary="Lire un objectif d'attribution",
        description="Un objectif d'un territoire de votre ressort ; sinon 404.",
    ),
    create=extend_schema(
        summary="Fixer un objectif d'attribution",
        description="Réservé aux comptes de l'administration Django ayant le droit d'ajouter un "
        "objectif ; un seul objectif par territoire et par année.",
    ),
    update=extend_schema(
        summary="Modifier un objectif d'attribution",
        description="Réservé aux comptes de l'administration Django ayant le droit de le modifier.",
    ),
    partial_update=extend_schema(
        summary="Modifier une partie d'un objectif d'attribution",
        description="Réservé aux comptes de l'administration Django ayant le droit de le modifier.",
    ),
    destroy=extend_schema(
        summary="Supprimer un objectif d'attribution",
        description="Réservé aux comptes de l'administration Django ayant le droit de le "
        "supprimer.",
    ),
)
@extend_schema(tags=[TAG_OBJECTIFS])
class ObjectifAttributionViewSet(EnregistrerPuisRelire, PerimetreMixin, viewsets.ModelViewSet):
    modele = ObjectifAttribution
    queryset = ObjectifAttribution.objects.none()  # pour le schéma ; lecture : get_queryset()
    serializer_class = ObjectifAttributionSerializer
    permission_classes = [Agregats, AdministrationDjango]
    filter_backends = FILTRES
    filterset_class = FiltreObjectifs
    ordering_fields = ["annee", "territoire", "objectif", "modifie_le"]
    ordering = ["-annee", "territoire_id", "id"]

    def optimiser(self, qs):
        return qs.select_related("territoire")


def enregistrer(router):
    """Enregistre les ensembles de vues de ce domaine dans le routeur de l'API."""
    router.register("logements", LogementViewSet, basename="logement")
    router.register("propositions", PropositionViewSet, basename="proposition")
    router.register(
        "objectifs-attribution", ObjectifAttributionViewSet, basename="objectif-attribution"
    )
