"""Points d'accès des conventions de financement des mesures.

Mêmes rôles que les pages des conventions (accompagnement/vues_conventions.py) : lecture pour
le référent (conventions de sa structure), le coordinateur et l'agent départemental (celles de
leur ressort) ; saisie pour l'agent départemental et l'administrateur ; co-pilote : 403."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets

from accompagnement.forms_conventions import ConventionForm
from accompagnement.models import Convention, Financeur, TypeMesure
from accompagnement.vues_conventions import ROLES_LECTURE, ROLES_SAISIE
from logement.models import Structure, Territoire

from .accompagnement_commun import (
    FiltreEntier,
    IdLie,
    ModeleParFormulaire,
    VueAccompagnement,
    code_lie,
    filtre_date,
    filtre_id,
    filtre_territoire,
)
from .base import filtre_modifie_depuis


class DroitsConventions(permissions.BasePermission):
    """Lecture : ROLES_LECTURE ; écriture : ROLES_SAISIE (l'administrateur a tous les rôles)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            self.message = "Votre habilitation ne donne pas accès aux conventions."
            return user.perimetre.a_role(*ROLES_LECTURE)
        self.message = (
            "Seuls un agent départemental ou un administrateur saisissent les conventions."
        )
        return user.perimetre.a_role(*ROLES_SAISIE)


class ConventionSerializer(ModeleParFormulaire):
    """Convention de financement : un nombre de mesures d'un type, pour une structure et
    une année."""

    structure = IdLie(Structure, help_text="Structure financée.")
    structure_nom = serializers.CharField(
        source="structure.nom", read_only=True, help_text="Nom de la structure."
    )
    type_mesure = code_lie(TypeMesure, help_text="Code du type de mesure financé (ex. asrl).")
    territoire = IdLie(Territoire, help_text="Territoire de la convention.")

    champs_formulaire = tuple(ConventionForm.Meta.fields)

    class Meta:
        model = Convention
        fields = [
            "id",
            "reference",
            "financeur",
            "structure",
            "structure_nom",
            "type_mesure",
            "territoire",
            "annee",
            "nombre_mesures",
            "budget",
            "date_signature",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = ["cree_le", "modifie_le"]

    def formulaire(self, donnees, hors):
        return ConventionForm(donnees, instance=self.instance, user=self.user)


class FiltresConventions(filters.FilterSet):
    territoire = filtre_territoire("territoire")
    structure = filtre_id("structure_id", "Structure", "Identifiant de la structure financée.")
    type = filters.CharFilter(
        field_name="type_mesure__code",
        label="Type de mesure",
        help_text="Code du type de mesure financé (ex. asrl).",
    )
    financeur = filters.ChoiceFilter(
        choices=Financeur.choices, label="Financeur", help_text="Financeur de la convention."
    )
    annee = FiltreEntier(
        field_name="annee", label="Année", help_text="Année financée (ex. 2025).", max_value=32767
    )
    annee_apres = FiltreEntier(
        field_name="annee",
        lookup_expr="gte",
        max_value=32767,
        label="Année à partir de",
        help_text="Années financées à partir de celle-ci (incluse).",
    )
    annee_avant = FiltreEntier(
        field_name="annee",
        lookup_expr="lte",
        max_value=32767,
        label="Année jusqu'à",
        help_text="Années financées jusqu'à celle-ci (incluse).",
    )
    date_signature_apres = filtre_date("date_signature", "Signée", "apres")
    date_signature_avant = filtre_date("date_signature", "Signée", "avant")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Convention
        fields = []


@extend_schema(tags=["Conventions"])
@extend_schema_view(
    list=extend_schema(
        summary="Lister les conventions de financement",
        description="Conventions que vous voyez dans l'interface : celles de votre structure "
        "(référent) ou de votre ressort (coordinateur, agent départemental). Par défaut, "
        "l'année la plus récente d'abord.",
    ),
    retrieve=extend_schema(summary="Lire une convention"),
    create=extend_schema(
        summary="Enregistrer une convention",
        description="Pour l'agent départemental et l'administrateur. Structure et territoire "
        "sont pris dans votre périmètre.",
    ),
    update=extend_schema(
        summary="Remplacer une convention",
        description="Tous les champs. Une fois des mesures rattachées, la structure, le type "
        "de mesure et l'année ne changent plus.",
    ),
    partial_update=extend_schema(
        summary="Modifier une convention",
        description="Les champs envoyés. Une fois des mesures rattachées, la structure, le "
        "type de mesure et l'année ne changent plus.",
    ),
)
class ConventionViewSet(
    VueAccompagnement,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    modele = Convention
    serializer_class = ConventionSerializer
    permission_classes = [DroitsConventions]
    filterset_class = FiltresConventions
    ordering_fields = ["annee", "budget", "nombre_mesures", "date_signature", "modifie_le", "id"]
    ordering = ["-annee", "structure_id", "pk"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def optimiser(self, qs):
        return qs.select_related("structure", "type_mesure")

    def create(self, request, *args, **kwargs):
        entree = self.get_serializer(data=request.data)
        entree.is_valid(raise_exception=True)
        return self.reponse(entree.form.save(), statut=201)

    def update(self, request, *args, **kwargs):
        convention = self.get_object()
        entree = self.get_serializer(convention, data=request.data, partial=kwargs.get("partial"))
        entree.is_valid(raise_exception=True)
        return self.reponse(entree.form.save())
