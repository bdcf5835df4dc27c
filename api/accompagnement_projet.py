"""Points d'accès du projet d'accompagnement co-construit : le projet d'une mesure, ses
objectifs et leurs actions.

Comme la page du projet : qui voit la mesure lit son projet ; seul le référent de la structure
qui porte la mesure (ou l'administrateur) l'écrit. Chaque écriture passe par le service de
l'app, qui en garde la trace dans l'historique des révisions ; une modification porte la
version lue et répond 409 si l'élément a changé depuis."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from accompagnement import selectors, services
from accompagnement.forms import (
    ActionEditionForm,
    ActionForm,
    ObjectifEditionForm,
    ObjectifForm,
    ProjetForm,
)
from accompagnement.models import (
    ActionProjet,
    DomaineAccompagnement,
    Mesure,
    ObjectifProjet,
    ProjetAccompagnement,
)
from logement.models import User

from .accompagnement_commun import (
    VERSION_AIDE,
    IdLie,
    ModeleParFormulaire,
    VueAccompagnement,
    appliquer,
    code_lie,
    exiger,
    filtre_date,
    filtre_id,
    mesures_visibles,
    modifier_versionne,
)
from .base import filtre_modifie_depuis
from .schema import ErreurSerializer

TAGS = ["Projet d'accompagnement"]
SUIVI = "Seul un référent de la structure qui porte la mesure peut agir."
SANS_PROJET = "Créez d'abord le projet d'accompagnement de cette mesure."
CONFLIT = OpenApiResponse(
    response=ErreurSerializer,
    description="La version envoyée est périmée : l'élément a été modifié entre-temps, rien "
    "n'a été écrit. Relisez-le puis reportez vos modifications.",
)


def suivie_ou_403(user, mesure) -> None:
    exiger(selectors.suit_la_mesure(user, mesure), SUIVI)


def peut_ecrire_un_projet(user) -> bool:
    """Sans structure suivie (ni tout le périmètre), aucun projet n'est à sa portée."""
    return user.perimetre.tout or bool(user.perimetre.structure_ids)


def _mesure_suivie(user, pk) -> Mesure:
    mesure = mesures_visibles(user).select_related("projet").filter(pk=pk).first()
    if mesure is None:
        raise ValidationError("Mesure introuvable.")
    suivie_ou_403(user, mesure)
    return mesure


def _projet_de(mesure):
    try:
        return mesure.projet
    except ProjetAccompagnement.DoesNotExist:
        return None


class Versionne(ModeleParFormulaire):
    version = serializers.IntegerField(min_value=0, required=False, help_text=VERSION_AIDE)
    modifie_par = IdLie(
        User, read_only=True, allow_null=True, help_text="Dernier compte à l'avoir modifié."
    )
    versionne = True


# --- Projets ------------------------------------------------------------------------------------


class ProjetSerializer(Versionne):
    """Projet d'accompagnement d'une mesure, co-construit avec le ménage."""

    mesure = IdLie(Mesure, help_text="Mesure dont c'est le projet (non modifiable).")
    date_elaboration = serializers.DateField(
        required=False, help_text="Date d'élaboration ; par défaut, aujourd'hui."
    )

    hors_formulaire = ("mesure",)
    champs_figes = ("mesure",)
    champs_formulaire = ("date_elaboration", "diagnostic", "date_signature")

    class Meta:
        model = ProjetAccompagnement
        fields = [
            "id",
            "mesure",
            "date_elaboration",
            "date_signature",
            "diagnostic",
            "version",
            "modifie_par",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = ["cree_le", "modifie_le"]

    def validate_mesure(self, valeur):
        if self.instance is not None:
            return valeur  # comparé par champs_figes
        mesure = _mesure_suivie(self.user, valeur)
        if _projet_de(mesure) is not None:
            raise ValidationError(
                "Cette mesure a déjà un projet d'accompagnement : modifiez-le plutôt."
            )
        return mesure

    def formulaire(self, donnees, hors):
        if self.instance is None:
            donnees.pop("version", None)
        return ProjetForm(donnees)


class FiltresProjets(filters.FilterSet):
    mesure = filtre_id("mesure_id", "Mesure", "Identifiant de la mesure.")
    menage = filtre_id("mesure__menage_id", "Ménage", "Identifiant du ménage.")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = ProjetAccompagnement
        fields = []


class VueProjet(VueAccompagnement):
    """Écritures versionnées du projet et de ses éléments : PATCH (ou PUT) avec la version."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    modifier = None  # service de l'app : modifier_projet, modifier_objectif…

    def mesure_de(self, objet) -> Mesure:
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        exiger(peut_ecrire_un_projet(request.user), SUIVI)
        entree = self.get_serializer(data=request.data)
        entree.is_valid(raise_exception=True)
        champs = dict(entree.validated_data)
        return self.reponse(self.creer(champs), statut=201)

    def update(self, request, *args, **kwargs):
        objet = self.get_object()
        suivie_ou_403(request.user, self.mesure_de(objet))
        entree = self.get_serializer(objet, data=request.data, partial=kwargs.get("partial"))
        entree.is_valid(raise_exception=True)
        champs = dict(entree.form.cleaned_data)  # les seuls champs du formulaire d'édition
        modifier_versionne(
            objet, type(self).modifier, version=champs.pop("version"), par=request.user, **champs
        )
        return self.reponse(objet)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(
        summary="Lister les projets d'accompagnement",
        description="Projets des mesures de votre périmètre (diagnostic partagé, dates).",
    ),
    retrieve=extend_schema(summary="Lire un projet d'accompagnement"),
    create=extend_schema(
        summary="Élaborer le projet d'une mesure",
        description="Un projet par mesure. Pour le référent de la structure qui porte la mesure.",
    ),
    update=extend_schema(
        summary="Remplacer un projet",
        description="Tous les champs ; `version` = la version lue.",
        responses={200: ProjetSerializer, 409: CONFLIT},
    ),
    partial_update=extend_schema(
        summary="Modifier un projet",
        description="Les champs envoyés ; `version` = la version lue (obligatoire).",
        responses={200: ProjetSerializer, 409: CONFLIT},
    ),
)
class ProjetViewSet(
    VueProjet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProjetSerializer
    filterset_class = FiltresProjets
    ordering_fields = ["date_elaboration", "date_signature", "modifie_le", "id"]
    ordering = ["-date_elaboration", "-pk"]
    modifier = services.modifier_projet

    modele = ProjetAccompagnement

    def visibles(self, user):
        return ProjetAccompagnement.objects.filter(mesure__in=mesures_visibles(user))

    def optimiser(self, qs):
        return qs.select_related("mesure")

    def mesure_de(self, projet):
        return projet.mesure

    def creer(self, d):
        d.pop("version", None)
        return appliquer(services.creer_projet, d.pop("mesure"), par=self.request.user, **d)


# --- Objectifs ----------------------------------------------------------------------------------


class ObjectifSerializer(Versionne):
    """Objectif du projet d'accompagnement d'une mesure."""

    mesure = IdLie(
        Mesure,
        source="projet.mesure_id",
        help_text="Mesure dont le projet porte l'objectif (non modifiable). Son projet doit "
        "exister.",
    )
    projet = IdLie(ProjetAccompagnement, read_only=True, help_text="Projet de la mesure.")
    domaine = code_lie(
        DomaineAccompagnement,
        help_text="Code du domaine (ex. logement, budget) ; fixé à la création.",
    )
    statut = serializers.ChoiceField(
        choices=ObjectifProjet.Statut.choices,
        required=False,
        help_text="Statut de l'objectif ; à la création, par défaut « à engager ».",
    )

    hors_formulaire = ("projet",)
    champs_figes = ("domaine",)
    champs_formulaire = ("intitule", "statut", "echeance")

    class Meta:
        model = ObjectifProjet
        fields = [
            "id",
            "mesure",
            "projet",
            "domaine",
            "intitule",
            "statut",
            "echeance",
            "date_atteinte",
            "version",
            "modifie_par",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = ["date_atteinte", "cree_le", "modifie_le"]

    def to_internal_value(self, data):
        valeurs = super().to_internal_value(data)
        # `source="projet.mesure_id"` range la mesure sous « projet » : on la remet à son nom.
        if "projet" in valeurs:
            valeurs["mesure"] = valeurs.pop("projet")["mesure_id"]
        return valeurs

    def validate(self, attrs):
        if self.instance is not None:
            mesure = attrs.pop("mesure", None)
            if mesure is not None and mesure != self.instance.projet.mesure_id:
                raise ValidationError(
                    {"mesure": ["Ce champ est fixé à la création et ne peut pas changer."]}
                )
        else:
            mesure = _mesure_suivie(self.user, attrs["mesure"])
            projet = _projet_de(mesure)
            if projet is None:
                raise ValidationError({"mesure": [SANS_PROJET]})
            del attrs["mesure"]
            attrs["projet"] = projet
        return super().validate(attrs)

    def formulaire(self, donnees, hors):
        if self.instance is None:
            return ObjectifForm(donnees)
        return ObjectifEditionForm(donnees)


class FiltresObjectifs(filters.FilterSet):
    mesure = filtre_id("projet__mesure_id", "Mesure", "Identifiant de la mesure.")
    projet = filtre_id("projet_id", "Projet", "Identifiant du projet d'accompagnement.")
    statut = filters.ChoiceFilter(
        choices=ObjectifProjet.Statut.choices, label="Statut", help_text="Statut de l'objectif."
    )
    domaine = filters.CharFilter(
        field_name="domaine__code", label="Domaine", help_text="Code du domaine (ex. budget)."
    )
    echeance_apres = filtre_date("echeance", "Échéance", "apres")
    echeance_avant = filtre_date("echeance", "Échéance", "avant")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = ObjectifProjet
        fields = []


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(
        summary="Lister les objectifs",
        description="Objectifs des projets d'accompagnement des mesures de votre périmètre ; "
        "filtrez par `mesure` pour le plan d'une mesure.",
    ),
    retrieve=extend_schema(summary="Lire un objectif"),
    create=extend_schema(
        summary="Ajouter un objectif",
        description="Au projet de la mesure donnée (le projet doit exister). Pour le référent "
        "de la structure qui porte la mesure.",
    ),
    update=extend_schema(
        summary="Remplacer un objectif",
        description="Intitulé, statut, échéance ; `version` = la version lue. Le domaine ne "
        "change pas. La date d'atteinte suit le statut.",
        responses={200: ObjectifSerializer, 409: CONFLIT},
    ),
    partial_update=extend_schema(
        summary="Modifier un objectif",
        description="Les champs envoyés ; `version` = la version lue (obligatoire). La date "
        "d'atteinte suit le statut.",
        responses={200: ObjectifSerializer, 409: CONFLIT},
    ),
)
class ObjectifViewSet(
    VueProjet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ObjectifSerializer
    filterset_class = FiltresObjectifs
    ordering_fields = ["echeance", "statut", "modifie_le", "id"]
    ordering = ["projet_id", "pk"]
    modifier = services.modifier_objectif

    modele = ObjectifProjet

    def visibles(self, user):
        return ObjectifProjet.objects.filter(projet__mesure__in=mesures_visibles(user))

    def optimiser(self, qs):
        return qs.select_related("projet__mesure", "domaine")

    def mesure_de(self, objectif):
        return objectif.projet.mesure

    def creer(self, d):
        d.pop("version", None)
        return appliquer(services.ajouter_objectif, d.pop("projet"), par=self.request.user, **d)


# --- Actions ------------------------------------------------------------------------------------


class ActionSerializer(Versionne):
    """Action au service d'un objectif du projet d'accompagnement."""

    objectif = IdLie(ObjectifProjet, help_text="Objectif que l'action sert (non modifiable).")
    mesure = serializers.IntegerField(
        source="objectif.projet.mesure_id", read_only=True, help_text="Mesure du projet."
    )

    champs_figes = ("objectif",)
    hors_formulaire = ("objectif",)
    champs_formulaire = ("intitule", "porteur", "echeance", "realisee_le")

    class Meta:
        model = ActionProjet
        fields = [
            "id",
            "objectif",
            "mesure",
            "intitule",
            "porteur",
            "echeance",
            "realisee_le",
            "version",
            "modifie_par",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = ["cree_le", "modifie_le"]
        extra_kwargs = {
            "porteur": {"required": True},
            "realisee_le": {
                "help_text": "Date de réalisation (pas dans le futur) ; se renseigne en "
                "modification."
            },
        }

    def validate_objectif(self, valeur):
        if self.instance is not None:
            return valeur  # comparé par champs_figes
        objectif = (
            ObjectifProjet.objects.filter(projet__mesure__in=mesures_visibles(self.user))
            .select_related("projet__mesure")
            .filter(pk=valeur)
            .first()
        )
        if objectif is None:
            raise ValidationError("Objectif introuvable.")
        suivie_ou_403(self.user, objectif.projet.mesure)
        return objectif

    def formulaire(self, donnees, hors):
        if self.instance is None:
            return ActionForm(donnees)
        return ActionEditionForm(donnees)


class FiltresActions(filters.FilterSet):
    mesure = filtre_id("objectif__projet__mesure_id", "Mesure", "Identifiant de la mesure.")
    objectif = filtre_id("objectif_id", "Objectif", "Identifiant de l'objectif.")
    porteur = filters.ChoiceFilter(
        choices=ActionProjet.Porteur.choices, label="Portée par", help_text="Qui porte l'action."
    )
    realisee = filters.BooleanFilter(
        field_name="realisee_le",
        lookup_expr="isnull",
        exclude=True,
        label="Réalisée",
        help_text="true : actions réalisées ; false : actions à faire.",
    )
    echeance_apres = filtre_date("echeance", "Échéance", "apres")
    echeance_avant = filtre_date("echeance", "Échéance", "avant")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = ActionProjet
        fields = []


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(
        summary="Lister les actions",
        description="Actions des objectifs des projets de votre périmètre ; filtrez par "
        "`mesure` ou `objectif`.",
    ),
    retrieve=extend_schema(summary="Lire une action"),
    create=extend_schema(
        summary="Ajouter une action à un objectif",
        description="Pour le référent de la structure qui porte la mesure.",
    ),
    update=extend_schema(
        summary="Remplacer une action",
        description="Tous les champs ; `version` = la version lue.",
        responses={200: ActionSerializer, 409: CONFLIT},
    ),
    partial_update=extend_schema(
        summary="Modifier une action",
        description="Les champs envoyés (ex. `realisee_le` pour la marquer réalisée) ; "
        "`version` = la version lue (obligatoire).",
        responses={200: ActionSerializer, 409: CONFLIT},
    ),
)
class ActionViewSet(
    VueProjet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActionSerializer
    filterset_class = FiltresActions
    ordering_fields = ["echeance", "realisee_le", "modifie_le", "id"]
    ordering = ["objectif_id", "pk"]
    modifier = services.modifier_action

    modele = ActionProjet

    def visibles(self, user):
        return ActionProjet.objects.filter(objectif__projet__mesure__in=mesures_visibles(user))

    def optimiser(self, qs):
        return qs.select_related("objectif__projet__mesure")

    def mesure_de(self, action):
        return action.objectif.projet.mesure

    def creer(self, d):
        d.pop("version", None)
        return appliquer(services.ajouter_action, d.pop("objectif"), par=self.request.user, **d)
