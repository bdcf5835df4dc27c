"""Sérialiseurs des bilans : bilan et ses fichiers, état de production, demande d'un bilan.

La demande passe par le formulaire de l'interface (`DemandeBilanForm`) : mêmes droits
(`DroitsBilans`), mêmes périodes, mêmes messages d'erreur, rattachés aux mêmes champs."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bilans.forms import DemandeBilanForm
from bilans.models import Bilan, FichierBilan

from .attributions_serializers import ChampsDuModele, enumeration

# Une valeur publiée : un nombre, « s » (secret statistique) ou null (sans objet).
SCHEMA_VALEUR = {
    "oneOf": [
        {"type": "number", "nullable": True},
        {"type": "string", "enum": ["s"], "description": "Secret statistique."},
    ],
    "description": "Un nombre ; « s » quand le secret statistique masque la valeur ; null quand "
    "elle est sans objet.",
}


@extend_schema_field(SCHEMA_VALEUR)
class ValeurField(serializers.Field):
    def to_representation(self, value):
        return value


def _url(serializer, nom: str, *args) -> str:
    return serializer.context["request"].build_absolute_uri(reverse(f"api:{nom}", args=args))


class FichierBilanSerializer(ChampsDuModele, serializers.ModelSerializer):
    format_libelle = serializers.CharField(
        source="get_format_display", read_only=True, help_text="Libellé du format."
    )
    url = serializers.SerializerMethodField(help_text="URL de téléchargement du fichier.")

    class Meta:
        model = FichierBilan
        fields = ["format", "format_libelle", "taille", "empreinte", "url"]
        read_only_fields = fields

    def get_url(self, fichier) -> str:
        return _url(self, "bilan-fichier", fichier.bilan_id, fichier.format)


class _FichiersMixin(serializers.Serializer):
    statut = enumeration(
        "StatutBilanEnum",
        Bilan.Statut.choices,
        read_only=True,
        help_text="État de production du bilan.",
    )
    url = serializers.SerializerMethodField(help_text="URL du bilan dans l'API.")
    url_statut = serializers.SerializerMethodField(
        help_text="URL de l'état de production, à interroger jusqu'à ce que le bilan soit prêt "
        "ou en échec."
    )
    statut_libelle = serializers.CharField(
        source="get_statut_display", read_only=True, help_text="Libellé de l'état."
    )
    fichiers = serializers.SerializerMethodField(
        help_text="Fichiers téléchargeables (PDF, XLSX, CSV) : vide tant que le bilan n'est pas "
        "prêt."
    )

    def get_url(self, bilan) -> str:
        return _url(self, "bilan-detail", bilan.pk)

    def get_url_statut(self, bilan) -> str:
        return _url(self, "bilan-statut", bilan.pk)

    @extend_schema_field(FichierBilanSerializer(many=True))
    def get_fichiers(self, bilan):
        if bilan.statut != Bilan.Statut.PRET:
            return []
        # `fichiers` est préchargé par la vue : pas de requête par bilan.
        return FichierBilanSerializer(bilan.fichiers.all(), many=True, context=self.context).data


class BilanSerializer(ChampsDuModele, _FichiersMixin, serializers.ModelSerializer):
    intitule = serializers.CharField(read_only=True, help_text="Intitulé du bilan.")
    territoire_nom = serializers.CharField(
        source="territoire.nom", read_only=True, help_text="Nom du territoire."
    )
    audience_libelle = serializers.CharField(
        source="get_audience_display", read_only=True, help_text="Destinataire du bilan."
    )
    periode_libelle = serializers.CharField(
        read_only=True, help_text="Période en clair (« année 2024 », « 2e trimestre 2025 »…)."
    )
    demande_par = serializers.StringRelatedField(
        read_only=True,
        allow_null=True,
        help_text="Nom de qui a demandé le bilan ; null pour un bilan planifié.",
    )
    planifie = serializers.SerializerMethodField(
        help_text="Vrai pour un bilan produit automatiquement (annuel, trimestriel)."
    )

    class Meta:
        model = Bilan
        fields = [
            "id",
            "url",
            "url_statut",
            "intitule",
            "territoire",
            "territoire_nom",
            "audience",
            "audience_libelle",
            "periodicite",
            "date_debut",
            "date_fin",
            "periode_libelle",
            "version",
            "statut",
            "statut_libelle",
            "progression",
            "etape",
            "erreur",
            "demande_par",
            "planifie",
            "cree_le",
            "modifie_le",
            "commence_le",
            "termine_le",
            "fichiers",
        ]
        read_only_fields = fields

    def get_planifie(self, bilan) -> bool:
        return bilan.demande_par_id is None


class ChiffreSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code de l'indicateur (registre des indicateurs).")
    libelle = serializers.CharField(help_text="Libellé de l'indicateur.")
    unite = serializers.CharField(help_text="Unité (menages, mesures, jours, pourcentage…).")
    n = ValeurField(help_text="Valeur sur la période.")
    n1 = ValeurField(help_text="Valeur sur la même période un an plus tôt (N-1).")


class BilanDetailSerializer(BilanSerializer):
    synthese = serializers.SerializerMethodField(
        help_text="Chiffres clés du bilan prêt, tels que figés à sa production (secret "
        "statistique appliqué pour un bilan EPCI) ; vide sinon."
    )

    class Meta(BilanSerializer.Meta):
        fields = [*BilanSerializer.Meta.fields, "synthese"]
        read_only_fields = fields

    @extend_schema_field(ChiffreSerializer(many=True))
    def get_synthese(self, bilan):
        lignes = (bilan.donnees or {}).get("synthese") or []
        return [
            {cle: ligne.get(cle) for cle in ("code", "libelle", "unite", "n", "n1")}
            for ligne in lignes
        ]


class StatutBilanSerializer(ChampsDuModele, _FichiersMixin, serializers.ModelSerializer):
    class Meta:
        model = Bilan
        fields = [
            "id",
            "url",
            "url_statut",
            "statut",
            "statut_libelle",
            "progression",
            "etape",
            "erreur",
            "tentatives",
            "commence_le",
            "termine_le",
            "fichiers",
        ]
        read_only_fields = fields


class DemandeAccepteeSerializer(StatutBilanSerializer):
    message = serializers.SerializerMethodField(
        help_text="Ce que devient la demande : en production, ou enregistrée en attendant le "
        "retour de la file de production (elle démarrera alors ; vous pouvez aussi la relancer)."
    )

    class Meta(StatutBilanSerializer.Meta):
        fields = [*StatutBilanSerializer.Meta.fields, "message"]
        read_only_fields = fields

    def get_message(self, bilan) -> str:
        return self.context["message"]


class DemandeBilanSerializer(serializers.Serializer):
    """Les champs du formulaire de demande de l'interface, validés par lui."""

    territoire = serializers.IntegerField(
        help_text="Identifiant du territoire (Département, EPCI ou plateforme) de votre ressort."
    )
    audience = serializers.ChoiceField(
        choices=Bilan.Audience.choices,
        help_text="Destinataire : etat (Département, EPCI ou plateforme), epci (un EPCI), "
        "departement (un Département, rapport annuel).",
    )
    type_periode = serializers.ChoiceField(
        choices=[
            (DemandeBilanForm.TypePeriode.ANNEE, "Une année civile"),
            (DemandeBilanForm.TypePeriode.TRIMESTRE, "Un trimestre"),
            (DemandeBilanForm.TypePeriode.LIBRE, "Des dates libres"),
        ],
        default=DemandeBilanForm.TypePeriode.ANNEE,
        help_text="Période : une année, un trimestre de l'année, ou des dates libres.",
    )
    annee = serializers.IntegerField(
        required=False, allow_null=True, help_text="Année (pour une année ou un trimestre)."
    )
    trimestre = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=4,
        help_text="Trimestre, de 1 à 4 (pour un trimestre).",
    )
    date_debut = serializers.DateField(
        required=False, allow_null=True, help_text="Premier jour (pour des dates libres)."
    )
    date_fin = serializers.DateField(
        required=False, allow_null=True, help_text="Dernier jour (pour des dates libres)."
    )

    def validate(self, attrs):
        donnees = {
            champ: (valeur.isoformat() if hasattr(valeur, "isoformat") else str(valeur))
            for champ, valeur in attrs.items()
            if valeur is not None
        }
        form = DemandeBilanForm(data=donnees, user=self.context["request"].user)
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if champ == "__all__" else champ): list(messages)
                    for champ, messages in form.errors.items()
                }
            )
        debut, fin, periodicite = form.periode
        return {
            "territoire": form.cleaned_data["territoire"],
            "audience": form.cleaned_data["audience"],
            "debut": debut,
            "fin": fin,
            "periodicite": periodicite,
        }
