"""Points d'accès des orientations et des mesures d'accompagnement.

Mêmes droits que l'interface (accompagnement/views.py) : tout utilisateur qui voit le ménage
lit ses orientations et ses mesures ; coordinateur et agent départemental enregistrent et
décident les orientations et ouvrent les mesures ; le référent de la structure qui porte la
mesure la démarre, la renouvelle et la termine (le décideur peut aussi la démarrer)."""

from __future__ import annotations

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accompagnement import selectors, services
from accompagnement.forms import (
    DemarrageForm,
    FinMesureForm,
    OrientationForm,
    OuvertureMesureForm,
    RedirectionForm,
    RefusForm,
    RenouvellementForm,
)
from accompagnement.models import (
    Convention,
    Mesure,
    MotifFin,
    Orientation,
    OrigineOrientation,
    Renouvellement,
    TypeMesure,
)
from attributions.models import Logement
from logement.models import Structure, Territoire, User
from menages.models import Menage

from .accompagnement_commun import (
    IdLie,
    ModeleParFormulaire,
    SaisieParFormulaire,
    VueAccompagnement,
    appliquer,
    code_lie,
    exiger,
    filtre_date,
    filtre_id,
    filtre_territoire,
)
from .base import Conflit, filtre_modifie_depuis
from .schema import ErreurSerializer

DECIDEURS = (
    "Seuls un coordinateur de plateforme, un agent départemental ou un administrateur "
    "enregistrent et décident les orientations et ouvrent les mesures."
)
SUIVI = "Seul un référent de la structure qui porte la mesure peut agir."
MENAGE_INTROUVABLE = "Ménage introuvable."


def menage_visible(user, pk: int) -> Menage:
    """Le ménage du périmètre ; sinon une erreur sur le champ, sans dire s'il existe."""
    menage = Menage.objects.visible_to(user).filter(pk=pk).first()
    if menage is None:
        raise ValidationError(MENAGE_INTROUVABLE)
    return menage


# --- Mesures ------------------------------------------------------------------------------------


class RenouvellementSerializer(serializers.ModelSerializer):
    """Renouvellement d'une mesure : la fin prévue repoussée."""

    decide_par = IdLie(
        User, read_only=True, allow_null=True, help_text="Compte qui a renouvelé la mesure."
    )

    class Meta:
        model = Renouvellement
        fields = [
            "id",
            "date_decision",
            "ancienne_fin_prevue",
            "nouvelle_fin_prevue",
            "motif",
            "decide_par",
        ]
        read_only_fields = fields


class MesureSerializer(ModeleParFormulaire):
    """Mesure d'accompagnement d'un ménage. À la création (ouverture), seuls `menage`, `type`,
    `structure`, `referent` et `date_debut` sont lus ; le reste suit les actions de la mesure."""

    menage = IdLie(Menage, help_text="Identifiant du ménage accompagné.")
    type = code_lie(TypeMesure, help_text="Code du type de mesure (ex. asrl, aml, avdl).")
    type_libelle = serializers.CharField(
        source="type.libelle", read_only=True, help_text="Libellé du type de mesure."
    )
    territoire = IdLie(Territoire, read_only=True, help_text="EPCI où la mesure est exercée.")
    structure = IdLie(Structure, help_text="Structure qui porte la mesure.")
    structure_nom = serializers.CharField(
        source="structure.nom", read_only=True, help_text="Nom de la structure."
    )
    referent = IdLie(
        User,
        required=False,
        allow_null=True,
        help_text="Référent habilité dans la structure ; peut rester vide.",
    )
    date_debut = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Début de la mesure. À l'ouverture : vide, la mesure est seulement proposée.",
    )
    motif_fin = code_lie(
        MotifFin, read_only=True, allow_null=True, help_text="Code du motif de fin."
    )
    convention = IdLie(
        Convention,
        read_only=True,
        allow_null=True,
        help_text="Convention qui finance la mesure.",
    )
    orientation = IdLie(
        Orientation, read_only=True, allow_null=True, help_text="Orientation d'origine."
    )
    logement = IdLie(Logement, read_only=True, allow_null=True, help_text="Logement capté obtenu.")
    # Déclaré : en lecture seule, DRF ne dirait plus que la valeur vide est permise.
    destination = serializers.ChoiceField(
        choices=Mesure.Destination.choices,
        allow_blank=True,
        read_only=True,
        help_text="Logement obtenu, quand la mesure s'est terminée par un accès au logement ; "
        "vide sinon.",
    )
    renouvellements = RenouvellementSerializer(
        many=True, read_only=True, help_text="Renouvellements, du plus ancien au plus récent."
    )

    renvois = {"type_mesure": "type"}
    hors_formulaire = ("menage",)

    class Meta:
        model = Mesure
        fields = [
            "id",
            "menage",
            "type",
            "type_libelle",
            "territoire",
            "structure",
            "structure_nom",
            "referent",
            "convention",
            "orientation",
            "statut",
            "date_proposition",
            "date_debut",
            "date_fin_prevue",
            "date_fin",
            "motif_fin",
            "destination",
            "logement",
            "date_entree_logement",
            "renouvellements",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = [
            "statut",
            "date_proposition",
            "date_fin_prevue",
            "date_fin",
            "date_entree_logement",
            "cree_le",
            "modifie_le",
        ]

    def validate_menage(self, valeur):
        return menage_visible(self.user, valeur)

    def formulaire(self, donnees, hors):
        return OuvertureMesureForm(donnees, user=self.user)


class DemarrageSerializer(SaisieParFormulaire):
    """Démarrage d'une mesure proposée."""

    date_debut = serializers.DateField(
        required=False, help_text="Début de la mesure ; par défaut, aujourd'hui."
    )

    def formulaire(self, donnees, hors):
        return DemarrageForm(donnees)


class DemandeRenouvellementSerializer(SaisieParFormulaire):
    """Renouvellement demandé pour une mesure en cours."""

    nouvelle_fin_prevue = serializers.DateField(help_text="Nouvelle fin prévue.")
    date_decision = serializers.DateField(
        required=False, help_text="Date de la décision ; par défaut, aujourd'hui."
    )
    motif = serializers.CharField(
        required=False, allow_blank=True, help_text="Motif du renouvellement."
    )

    def formulaire(self, donnees, hors):
        return RenouvellementForm(donnees)


class TerminaisonSerializer(SaisieParFormulaire):
    """Fin d'une mesure : motif, date, et en cas d'accès au logement, le logement obtenu."""

    motif_fin = code_lie(MotifFin, help_text="Code du motif de fin (ex. acces_logement).")
    date_fin = serializers.DateField(
        required=False, help_text="Fin de la mesure ; par défaut, aujourd'hui."
    )
    destination = serializers.ChoiceField(
        choices=Mesure.Destination.choices,
        required=False,
        allow_blank=True,
        help_text="Logement obtenu, exigé quand le motif est un accès au logement.",
    )
    date_entree_logement = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Entrée dans le logement, exigée quand le motif est un accès au logement.",
    )
    logement = IdLie(
        Logement,
        required=False,
        allow_null=True,
        help_text="Logement capté par la plateforme, s'il s'agit de l'un d'eux.",
    )

    renvois = {"motif": "motif_fin"}

    def formulaire(self, donnees, hors):
        return FinMesureForm(donnees, user=self.user)


class FiltresMesures(filters.FilterSet):
    territoire = filtre_territoire("territoire")
    statut = filters.ChoiceFilter(
        choices=Mesure.Statut.choices, label="Statut", help_text="Statut de la mesure."
    )
    type = filters.CharFilter(
        field_name="type__code",
        label="Type de mesure",
        help_text="Code du type de mesure (ex. asrl, aml).",
    )
    structure = filtre_id("structure_id", "Structure", "Identifiant de la structure.")
    referent = filtre_id("referent_id", "Référent", "Identifiant du compte du référent.")
    menage = filtre_id("menage_id", "Ménage", "Identifiant du ménage.")
    date_proposition_apres = filtre_date("date_proposition", "Proposée", "apres")
    date_proposition_avant = filtre_date("date_proposition", "Proposée", "avant")
    date_debut_apres = filtre_date("date_debut", "Commencée", "apres")
    date_debut_avant = filtre_date("date_debut", "Commencée", "avant")
    date_fin_prevue_apres = filtre_date("date_fin_prevue", "Fin prévue", "apres")
    date_fin_prevue_avant = filtre_date("date_fin_prevue", "Fin prévue", "avant")
    date_fin_apres = filtre_date("date_fin", "Terminée", "apres")
    date_fin_avant = filtre_date("date_fin", "Terminée", "avant")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Mesure
        fields = []


def mesures_lues(user):
    """Les mesures visibles, avec ce que leur représentation lit (requêtes en nombre fixe)."""
    return (
        Mesure.objects.visible_to(user)
        .select_related("type", "structure", "motif_fin")
        .prefetch_related("renouvellements")
    )


@extend_schema(tags=["Mesures"])
@extend_schema_view(
    list=extend_schema(
        summary="Lister les mesures",
        description="Mesures d'accompagnement des ménages de votre périmètre, avec leurs "
        "renouvellements. Par défaut, les plus récemment proposées d'abord.",
    ),
    retrieve=extend_schema(
        summary="Lire une mesure", description="Une mesure et ses renouvellements."
    ),
    create=extend_schema(
        summary="Ouvrir une mesure",
        description="Propose une mesure à un ménage, ou la démarre si `date_debut` est donnée "
        "(fin prévue et convention sont alors calculées). Réservé au coordinateur de "
        "plateforme, à l'agent départemental et à l'administrateur.",
    ),
)
class MesureViewSet(
    VueAccompagnement,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    modele = Mesure
    serializer_class = MesureSerializer
    filterset_class = FiltresMesures
    ordering_fields = [
        "date_proposition",
        "date_debut",
        "date_fin_prevue",
        "date_fin",
        "statut",
        "modifie_le",
        "id",
    ]
    ordering = ["-date_proposition", "-pk"]
    http_method_names = ["get", "post", "head", "options"]

    def visibles(self, user):
        return mesures_lues(user)

    def create(self, request, *args, **kwargs):
        exiger(selectors.decide_des_orientations(request.user), DECIDEURS)
        entree = self.get_serializer(data=request.data)
        entree.is_valid(raise_exception=True)
        d = entree.validated_data
        mesure = appliquer(
            services.ouvrir_mesure,
            menage=d["menage"],
            type_mesure=d["type_mesure"],
            structure=d["structure"],
            referent=d["referent"],
            date_proposition=timezone.localdate(),
            date_debut=d["date_debut"],
        )
        return self.reponse(mesure, statut=201)

    def _suivie(self, *, pour_decideur=False) -> Mesure:
        """La mesure visible (sinon 404), si l'utilisateur la fait vivre (sinon 403)."""
        mesure = self.get_object()
        user = self.request.user
        exiger(
            selectors.suit_la_mesure(user, mesure)
            or (pour_decideur and selectors.decide_des_orientations(user)),
            SUIVI,
        )
        return mesure

    def _entree(self, classe):
        entree = classe(data=self.request.data, context=self.get_serializer_context())
        entree.is_valid(raise_exception=True)
        return entree.validated_data

    @extend_schema(
        summary="Démarrer une mesure proposée",
        description="Fixe le début ; la fin prévue suit la durée par défaut du type de mesure. "
        "Pour le référent de la structure, le décideur et l'administrateur.",
        request=DemarrageSerializer,
        responses={200: MesureSerializer},
    )
    @action(detail=True, methods=["post"])
    def demarrer(self, request, pk=None):
        mesure = self._suivie(pour_decideur=True)
        d = self._entree(DemarrageSerializer)
        appliquer(services.demarrer_mesure, mesure, date_debut=d["date_debut"])
        return self.reponse(mesure)

    @extend_schema(
        summary="Renouveler une mesure",
        description="Repousse la fin prévue, dans la limite de la durée maximale du type de "
        "mesure. Pour le référent de la structure qui porte la mesure.",
        request=DemandeRenouvellementSerializer,
        responses={200: MesureSerializer},
    )
    @action(detail=True, methods=["post"])
    def renouveler(self, request, pk=None):
        mesure = self._suivie()
        d = self._entree(DemandeRenouvellementSerializer)
        appliquer(
            services.renouveler_mesure,
            mesure,
            nouvelle_fin_prevue=d["nouvelle_fin_prevue"],
            date_decision=d["date_decision"],
            motif=d["motif"],
            par=request.user,
        )
        return self.reponse(mesure)

    @extend_schema(
        summary="Terminer une mesure",
        description="Clôt la mesure avec son motif ; un accès au logement exige le logement "
        "obtenu et la date d'entrée, et inscrit l'entrée dans le parcours du ménage. Pour le "
        "référent de la structure qui porte la mesure.",
        request=TerminaisonSerializer,
        responses={200: MesureSerializer},
    )
    @action(detail=True, methods=["post"])
    def terminer(self, request, pk=None):
        mesure = self._suivie()
        d = self._entree(TerminaisonSerializer)
        appliquer(
            services.terminer_mesure,
            mesure,
            motif=d["motif"],
            date_fin=d["date_fin"],
            destination=d["destination"],
            logement=d["logement"],
            date_entree_logement=d["date_entree_logement"],
            renvois={"date": "date_entree_logement"},
        )
        return self.reponse(mesure)


# --- Orientations -------------------------------------------------------------------------------


class OrientationSerializer(ModeleParFormulaire):
    """Orientation d'un ménage vers une plateforme, et sa décision (lue seulement : elle se
    prend par les actions accepter, refuser, réorienter)."""

    menage = IdLie(Menage, help_text="Identifiant du ménage orienté (non modifiable).")
    plateforme = IdLie(
        Territoire, help_text="Plateforme saisie : elle doit couvrir l'EPCI du ménage."
    )
    origine = code_lie(OrigineOrientation, help_text="Code de l'origine (ex. siao, ccas).")
    structure_prescriptrice = IdLie(
        Structure, required=False, allow_null=True, help_text="Structure prescriptrice."
    )
    type_mesure_preconisee = code_lie(
        TypeMesure,
        required=False,
        allow_null=True,
        help_text="Code du type de mesure préconisé (ex. asrl, avdl).",
    )
    decision_par = IdLie(User, read_only=True, allow_null=True, help_text="Compte qui a décidé.")

    hors_formulaire = ("menage",)

    class Meta:
        model = Orientation
        fields = [
            "id",
            "menage",
            "plateforme",
            "date_orientation",
            "origine",
            "structure_prescriptrice",
            "prescripteur",
            "motif",
            "type_mesure_preconisee",
            "statut",
            "date_decision",
            "decision_par",
            "motif_decision",
            "redirigee_vers",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = [
            "statut",
            "date_decision",
            "motif_decision",
            "redirigee_vers",
            "cree_le",
            "modifie_le",
        ]

    def validate_menage(self, valeur):
        return menage_visible(self.user, valeur)

    def formulaire(self, donnees, hors):
        return OrientationForm(donnees, user=self.user, menage=hors["menage"])


class DecisionOrientationSerializer(SaisieParFormulaire):
    """Accepter : la mesure ouverte à la suite de l'orientation."""

    type = code_lie(
        TypeMesure,
        required=False,
        help_text="Code du type de mesure ouvert ; par défaut, celui préconisé.",
    )
    structure = IdLie(Structure, help_text="Structure qui portera la mesure.")
    referent = IdLie(
        User,
        required=False,
        allow_null=True,
        help_text="Référent habilité dans cette structure ; peut rester vide.",
    )
    date_debut = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Début de la mesure ; vide, la mesure est seulement proposée.",
    )

    renvois = {"type_mesure": "type"}

    def formulaire(self, donnees, hors):
        orientation = self.context["orientation"]
        return OuvertureMesureForm(
            donnees, user=self.user, initial={"type_mesure": orientation.type_mesure_preconisee_id}
        )


class RefusSerializer(SaisieParFormulaire):
    """Refus d'une orientation."""

    motif = serializers.CharField(help_text="Motif du refus.")

    def formulaire(self, donnees, hors):
        return RefusForm(donnees)


class ReorientationSerializer(SaisieParFormulaire):
    """Réorientation du ménage vers un autre dispositif."""

    motif = serializers.CharField(help_text="Motif de la réorientation.")
    redirigee_vers = serializers.CharField(
        max_length=200, help_text="Dispositif ou structure vers lequel le ménage est réorienté."
    )

    def formulaire(self, donnees, hors):
        return RedirectionForm(donnees)


class FiltresOrientations(filters.FilterSet):
    territoire = filtre_territoire("menage__territoire")
    plateforme = filtre_id("plateforme_id", "Plateforme", "Identifiant de la plateforme saisie.")
    statut = filters.ChoiceFilter(
        choices=Orientation.Statut.choices, label="Statut", help_text="Statut de l'orientation."
    )
    type = filters.CharFilter(
        field_name="type_mesure_preconisee__code",
        label="Type de mesure préconisé",
        help_text="Code du type de mesure préconisé (ex. asrl).",
    )
    structure = filtre_id(
        "structure_prescriptrice_id",
        "Structure prescriptrice",
        "Identifiant de la structure prescriptrice.",
    )
    menage = filtre_id("menage_id", "Ménage", "Identifiant du ménage.")
    date_orientation_apres = filtre_date("date_orientation", "Reçue", "apres")
    date_orientation_avant = filtre_date("date_orientation", "Reçue", "avant")
    date_decision_apres = filtre_date("date_decision", "Décidée", "apres")
    date_decision_avant = filtre_date("date_decision", "Décidée", "avant")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Orientation
        fields = []


DEJA_DECIDEE = OpenApiResponse(
    response=ErreurSerializer,
    description="L'orientation a déjà été décidée : sa décision ne se reprend pas.",
)


@extend_schema(tags=["Orientations"])
@extend_schema_view(
    list=extend_schema(
        summary="Lister les orientations",
        description="Orientations des ménages de votre périmètre (saisines de la plateforme "
        "et leurs décisions). Par défaut, les plus récentes d'abord.",
    ),
    retrieve=extend_schema(summary="Lire une orientation"),
    create=extend_schema(
        summary="Enregistrer une orientation",
        description="Orienter un ménage vers une plateforme qui couvre son EPCI. Réservé au "
        "coordinateur de plateforme, à l'agent départemental et à l'administrateur.",
    ),
)
class OrientationViewSet(
    VueAccompagnement,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    modele = Orientation
    serializer_class = OrientationSerializer
    filterset_class = FiltresOrientations
    ordering_fields = ["date_orientation", "date_decision", "statut", "modifie_le", "id"]
    ordering = ["-date_orientation", "-pk"]
    http_method_names = ["get", "post", "head", "options"]

    def optimiser(self, qs):
        return qs.select_related("origine", "type_mesure_preconisee")

    def create(self, request, *args, **kwargs):
        exiger(selectors.decide_des_orientations(request.user), DECIDEURS)
        entree = self.get_serializer(data=request.data)
        entree.is_valid(raise_exception=True)
        return self.reponse(entree.form.save(), statut=201)

    def _a_decider(self) -> Orientation:
        exiger(selectors.decide_des_orientations(self.request.user), DECIDEURS)
        orientation = self.get_object()
        if orientation.statut != Orientation.Statut.EN_ATTENTE:
            raise Conflit(
                f"Cette orientation a déjà été décidée "
                f"({orientation.get_statut_display().lower()}) : sa décision ne peut pas être "
                "reprise."
            )
        return orientation

    def _entree(self, classe, **contexte):
        entree = classe(
            data=self.request.data, context={**self.get_serializer_context(), **contexte}
        )
        entree.is_valid(raise_exception=True)
        return entree.validated_data

    @extend_schema(
        summary="Accepter une orientation",
        description="Accepte l'orientation et ouvre la mesure qui en découle (proposée, ou "
        "démarrée si `date_debut` est donnée). Renvoie la mesure ouverte.",
        request=DecisionOrientationSerializer,
        responses={201: MesureSerializer, 409: DEJA_DECIDEE},
    )
    @action(detail=True, methods=["post"])
    def accepter(self, request, pk=None):
        orientation = self._a_decider()
        d = self._entree(DecisionOrientationSerializer, orientation=orientation)
        mesure = appliquer(
            services.accepter_orientation,
            orientation,
            par=request.user,
            date_decision=timezone.localdate(),
            type_mesure=d["type_mesure"],
            structure=d["structure"],
            referent=d["referent"],
            date_debut=d["date_debut"],
        )
        lue = mesures_lues(request.user).get(pk=mesure.pk)
        return Response(
            MesureSerializer(lue, context=self.get_serializer_context()).data, status=201
        )

    @extend_schema(
        summary="Refuser une orientation",
        description="Refuse l'orientation, avec son motif.",
        request=RefusSerializer,
        responses={200: OrientationSerializer, 409: DEJA_DECIDEE},
    )
    @action(detail=True, methods=["post"])
    def refuser(self, request, pk=None):
        orientation = self._a_decider()
        d = self._entree(RefusSerializer)
        appliquer(
            services.refuser_orientation,
            orientation,
            par=request.user,
            date_decision=timezone.localdate(),
            motif=d["motif"],
            renvois={"motif_decision": "motif"},
        )
        return self.reponse(orientation)

    @extend_schema(
        summary="Réorienter le ménage",
        description="Clôt l'orientation en réorientant le ménage vers un autre dispositif.",
        request=ReorientationSerializer,
        responses={200: OrientationSerializer, 409: DEJA_DECIDEE},
    )
    @action(detail=True, methods=["post"])
    def reorienter(self, request, pk=None):
        orientation = self._a_decider()
        d = self._entree(ReorientationSerializer)
        appliquer(
            services.rediriger_orientation,
            orientation,
            par=request.user,
            date_decision=timezone.localdate(),
            motif=d["motif"],
            redirigee_vers=d["redirigee_vers"],
            renvois={"motif_decision": "motif"},
        )
        return self.reponse(orientation)
