"""Points d'accès des rencontres avec les ménages (visites, entretiens, appels…).

Qui voit le ménage lit ses rencontres ; la note, elle, n'est lisible que par la structure qui
l'a écrite, selon `Rencontre.note_visible_par` — la règle de la fiche ménage — : pour tout autre
lecteur, `note` vaut null. Seul un référent d'une structure qui accompagne le ménage en note
une, au nom de cette structure."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from accompagnement import selectors, services
from accompagnement.forms import RencontreForm
from accompagnement.models import Mesure, Rencontre
from logement.models import Structure, User
from menages.models import Menage

from .accompagnement_commun import (
    IdLie,
    ModeleParFormulaire,
    VueAccompagnement,
    appliquer,
    exiger,
    filtre_date,
    filtre_id,
    filtre_territoire,
)
from .accompagnement_mesures import menage_visible
from .base import filtre_modifie_depuis

REFERENTS_SEULS = (
    "Seul un référent d'une structure qui accompagne ce ménage peut noter une rencontre."
)
NOTE_AIDE = (
    "Note de la rencontre. Lisible uniquement par la structure autrice : pour tout autre "
    "lecteur (autre structure, coordinateur, agent départemental, administrateur), elle vaut "
    "null."
)


class RencontreSerializer(ModeleParFormulaire):
    """Rencontre avec un ménage ; la note n'est donnée qu'à la structure autrice."""

    menage = IdLie(Menage, help_text="Identifiant du ménage rencontré.")
    mesure = IdLie(
        Mesure,
        required=False,
        allow_null=True,
        help_text="Mesure du ménage dans le cadre de laquelle a lieu la rencontre.",
    )
    structure = IdLie(
        Structure,
        required=False,
        help_text="Structure au nom de laquelle la rencontre est notée : l'une des vôtres qui "
        "accompagne le ménage. Facultative si vous n'en avez qu'une.",
    )
    date = serializers.DateField(
        required=False,
        help_text="Date de la rencontre (pas dans le futur) ; par défaut, aujourd'hui.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text=NOTE_AIDE
    )
    duree_minutes = serializers.IntegerField(
        min_value=1, max_value=1440, help_text="Durée de la rencontre en minutes (1 à 1440)."
    )
    auteur = IdLie(User, read_only=True, help_text="Compte qui a noté la rencontre.")

    hors_formulaire = ("menage",)

    class Meta:
        model = Rencontre
        fields = [
            "id",
            "menage",
            "mesure",
            "date",
            "type",
            "duree_minutes",
            "note",
            "auteur",
            "structure",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = ["cree_le", "modifie_le"]

    def to_representation(self, rencontre):
        donnees = super().to_representation(rencontre)
        if not rencontre.note_visible_par(self.context["request"].user):
            donnees["note"] = None
        return donnees

    def validate_menage(self, valeur):
        menage = menage_visible(self.user, valeur)
        self.structures = selectors.structures_pour_rencontre(self.user, menage)
        exiger(self.structures.exists(), REFERENTS_SEULS)
        return menage

    def formulaire(self, donnees, hors):
        return RencontreForm(donnees, menage=hors["menage"], structures=self.structures)


class FiltresRencontres(filters.FilterSet):
    territoire = filtre_territoire("menage__territoire")
    menage = filtre_id("menage_id", "Ménage", "Identifiant du ménage.")
    mesure = filtre_id("mesure_id", "Mesure", "Identifiant de la mesure.")
    structure = filtre_id(
        "structure_id",
        "Structure",
        "Identifiant de la structure au nom de laquelle elle a été notée.",
    )
    type = filters.ChoiceFilter(
        choices=Rencontre.Type.choices, label="Type", help_text="Type de rencontre."
    )
    date_apres = filtre_date("date", "Rencontre", "apres")
    date_avant = filtre_date("date", "Rencontre", "avant")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Rencontre
        fields = []


@extend_schema(tags=["Rencontres"])
@extend_schema_view(
    list=extend_schema(
        summary="Lister les rencontres",
        description="Rencontres des ménages de votre périmètre, les plus récentes d'abord. La "
        "note n'est donnée qu'à la structure qui l'a écrite (null sinon).",
    ),
    retrieve=extend_schema(
        summary="Lire une rencontre",
        description="La note n'est donnée qu'à la structure qui l'a écrite (null sinon).",
    ),
    create=extend_schema(
        summary="Noter une rencontre",
        description="Pour un référent d'une structure qui accompagne le ménage ; la date du "
        "dernier contact du ménage avance s'il y a lieu.",
    ),
)
class RencontreViewSet(
    VueAccompagnement,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    modele = Rencontre
    serializer_class = RencontreSerializer
    filterset_class = FiltresRencontres
    ordering_fields = ["date", "duree_minutes", "modifie_le", "id"]
    ordering = ["-date", "-pk"]
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        exiger(bool(request.user.perimetre.structure_ids), REFERENTS_SEULS)
        entree = self.get_serializer(data=request.data)
        entree.is_valid(raise_exception=True)
        d = entree.validated_data
        rencontre = appliquer(
            services.enregistrer_rencontre,
            menage=d["menage"],
            auteur=request.user,
            structure=d["structure"],
            date=d["date"],
            type=d["type"],
            duree_minutes=d["duree_minutes"],
            note=d["note"],
            mesure=d["mesure"],
        )
        return self.reponse(rencontre, statut=201)
