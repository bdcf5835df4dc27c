"""Sérialiseurs des attributions : logements captés, propositions et leurs étapes, objectifs.

Les choix offerts (EPCI, bailleurs, contingents, ménages) sont ceux des formulaires de
l'interface, limités au périmètre : un identifiant hors périmètre est une erreur de validation,
jamais une écriture. Les règles du modèle passent par `valider()` (full_clean)."""

from __future__ import annotations

from django.utils.text import capfirst
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attributions.forms import LogementForm
from attributions.models import (
    Contingent,
    DecisionCaleol,
    Logement,
    ObjectifAttribution,
    Proposition,
)
from logement.models import Structure, Territoire
from menages.models import Menage

from .base import valider

INTROUVABLE = "Objet introuvable ou hors de votre périmètre."
ERREURS_CLE = {"does_not_exist": INTROUVABLE, "incorrect_type": "Identifiant invalide."}
ERREURS_CODE = {
    "does_not_exist": "Code inconnu ou inactif : {value}.",
    "invalid": "Code invalide.",
}


def _utilisateur(serializer):
    """L'utilisateur de la requête ; None hors requête authentifiée (génération du schéma)."""
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def enumeration(nom: str, choices, **kwargs) -> serializers.ChoiceField:
    """Un ChoiceField décrit par le composant d'énumération `nom` du schéma : un nom stable,
    partagé par les champs au même jeu de choix, distinct des autres « statut » de l'API."""
    if nom not in _ENUMERATIONS:  # une classe par composant : le schéma les identifie ainsi
        schema = {
            "type": "string",
            "enum": [valeur for valeur, _ in choices],
            "description": "\n".join(f"* `{valeur}` - {libelle}" for valeur, libelle in choices),
        }
        classe = type(nom, (serializers.ChoiceField,), {})
        _ENUMERATIONS[nom] = extend_schema_field(schema, component_name=nom)(classe)
    return _ENUMERATIONS[nom](choices=choices, **kwargs)


_ENUMERATIONS: dict[str, type] = {}


def _description(model_field) -> str:
    if model_field.primary_key:
        return "Identifiant."
    return f"{capfirst(model_field.verbose_name)}."


class ChampsDuModele:
    """Champs d'un sérialiseur de modèle :
    - décrits dans le schéma par le nom français du champ quand le modèle n'a pas d'aide ;
    - bornes (MinValueValidator…) laissées aux validateurs du modèle, que `valider()` lance :
      leurs messages disent la règle (« Un logement fait au moins 9 m². »)."""

    def build_standard_field(self, field_name, model_field):
        classe, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("min_value", None)
        kwargs.pop("max_value", None)
        kwargs.setdefault("help_text", _description(model_field))
        return classe, kwargs

    def build_relational_field(self, field_name, relation_info):
        classe, kwargs = super().build_relational_field(field_name, relation_info)
        kwargs.setdefault("help_text", f"Identifiant : {relation_info.model_field.verbose_name}.")
        return classe, kwargs


# --- Logements ----------------------------------------------------------------------------------


class LogementSerializer(ChampsDuModele, serializers.ModelSerializer):
    territoire = serializers.PrimaryKeyRelatedField(
        queryset=Territoire.objects.none(),
        error_messages=ERREURS_CLE,
        help_text="Identifiant de l'EPCI où se trouve le logement (dans votre périmètre).",
    )
    bailleur = serializers.PrimaryKeyRelatedField(
        queryset=Structure.objects.none(),
        allow_null=True,
        default=None,
        error_messages=ERREURS_CLE,
        help_text="Identifiant de la structure bailleur social (parc social seulement).",
    )
    contingent = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Contingent.objects.none(),
        allow_null=True,
        default=None,
        error_messages=ERREURS_CODE,
        help_text="Code du contingent de réservation (ex. prefectoral).",
    )
    loyer_charges_comprises = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        read_only=True,
        help_text="Loyer + charges, en euros.",
    )
    disponible = serializers.BooleanField(
        read_only=True,
        help_text="Vrai si le logement n'est ni retiré ni attribué (aucun bail signé).",
    )
    derniere_etape = enumeration(
        "EtapePropositionEnum",
        Proposition.Etape.choices,
        read_only=True,
        allow_null=True,
        help_text="Étape de la dernière proposition faite pour ce logement (vide sans "
        "proposition).",
    )

    class Meta:
        model = Logement
        fields = [
            "id",
            *LogementForm.Meta.fields,
            "loyer_charges_comprises",
            "disponible",
            "derniere_etape",
            "cree_le",
            "modifie_le",
        ]
        extra_kwargs = {
            # L'unicité de la référence est vérifiée par full_clean (message du modèle).
            "reference": {"validators": []},
            # Un PUT remplace tout, comme le formulaire : un champ facultatif absent est vidé.
            "date_retrait": {"default": None},
            "charges": {"default": 0},
            "qpv": {"default": False},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if user := _utilisateur(self):
            # Les mêmes choix que le formulaire de l'interface, limités au périmètre.
            choix = LogementForm(user=user).fields
            for nom in ("territoire", "bailleur", "contingent"):
                self.fields[nom].queryset = choix[nom].queryset

    def create(self, validated_data):
        logement = Logement(**validated_data)
        valider(logement)
        logement.save()
        return logement

    def update(self, instance, validated_data):
        for champ, valeur in validated_data.items():
            setattr(instance, champ, valeur)
        valider(instance)
        instance.save()
        return instance


# --- Propositions -------------------------------------------------------------------------------


class PropositionSerializer(ChampsDuModele, serializers.ModelSerializer):
    logement_reference = serializers.CharField(
        source="logement.reference", read_only=True, help_text="Référence du logement."
    )
    territoire = serializers.IntegerField(
        source="logement.territoire_id",
        read_only=True,
        help_text="Identifiant de l'EPCI du logement.",
    )
    menage_reference = serializers.CharField(
        source="menage.reference", read_only=True, help_text="Référence du ménage."
    )
    contingent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Code du contingent."
    )
    decision = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="Code de la décision de la CALEOL (vide avant la commission).",
    )
    decision_attribution = serializers.BooleanField(
        source="decision.attribution",
        read_only=True,
        allow_null=True,
        help_text="Vrai si la décision vaut attribution (le ménage peut signer un bail).",
    )
    etape = enumeration(
        "EtapePropositionEnum",
        Proposition.Etape.choices,
        source="etape_calculee",
        read_only=True,
        help_text="Étape atteinte : proposée, décision CALEOL, réponse du ménage, bail signé, "
        "entrée dans les lieux, ou sans suite.",
    )
    date_limite_reponse = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Fin du délai de réponse du ménage après une attribution par la CALEOL.",
    )
    delai_reponse_depasse = serializers.BooleanField(
        read_only=True,
        help_text="Vrai si le délai de réponse du ménage est dépassé sans réponse.",
    )

    class Meta:
        model = Proposition
        fields = [
            "id",
            "logement",
            "logement_reference",
            "territoire",
            "menage",
            "menage_reference",
            "contingent",
            "date_proposition",
            "etape",
            "date_caleol",
            "decision",
            "decision_attribution",
            "motif_decision",
            "date_limite_reponse",
            "delai_reponse_depasse",
            "reponse",
            "date_reponse",
            "motif_refus",
            "date_signature_bail",
            "date_entree",
            "date_classement",
            "motif_classement",
            "cree_le",
            "modifie_le",
        ]
        read_only_fields = fields


class NouvellePropositionSerializer(serializers.Serializer):
    """Présenter un ménage pour un logement disponible (service `proposer_logement`)."""

    logement = serializers.PrimaryKeyRelatedField(
        queryset=Logement.objects.none(),
        error_messages=ERREURS_CLE,
        help_text="Identifiant du logement proposé (disponible, dans votre périmètre).",
    )
    menage = serializers.PrimaryKeyRelatedField(
        queryset=Menage.objects.none(),
        error_messages={
            **ERREURS_CLE,
            "does_not_exist": "Ce ménage n'est pas dans votre périmètre ou n'est plus suivi.",
        },
        help_text="Identifiant du ménage présenté (suivi, dans votre périmètre).",
    )
    contingent = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Contingent.objects.filter(actif=True),
        error_messages=ERREURS_CODE,
        help_text="Code du contingent de réservation (ex. prefectoral).",
    )
    date_proposition = serializers.DateField(help_text="Date de la proposition (AAAA-MM-JJ).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if user := _utilisateur(self):
            self.fields["logement"].queryset = Logement.objects.visible_to(user)
            # Comme le formulaire : les ménages suivis du périmètre.
            self.fields["menage"].queryset = Menage.objects.visible_to(user).actifs()


class DecisionCaleolSerializer(serializers.Serializer):
    date_caleol = serializers.DateField(help_text="Date de la CALEOL (AAAA-MM-JJ).")
    decision = serializers.SlugRelatedField(
        slug_field="code",
        queryset=DecisionCaleol.objects.filter(actif=True),
        error_messages=ERREURS_CODE,
        help_text="Code de la décision (rang_1, rang_2, rang_3, sous_condition, "
        "non_attribution, irrecevable).",
    )
    motif_decision = serializers.CharField(
        max_length=250,
        required=False,
        allow_blank=True,
        default="",
        help_text="Obligatoire pour une non-attribution ou une irrecevabilité ; condition "
        "suspensive le cas échéant.",
    )


class ReponseMenageSerializer(serializers.Serializer):
    reponse = serializers.ChoiceField(
        choices=[
            (Proposition.Reponse.ACCEPTATION, "Acceptation"),
            (Proposition.Reponse.REFUS, "Refus"),
        ],
        help_text="Réponse du ménage à l'attribution.",
    )
    date_reponse = serializers.DateField(help_text="Date de la réponse (AAAA-MM-JJ).")
    motif_refus = serializers.CharField(
        max_length=250,
        required=False,
        allow_blank=True,
        default="",
        help_text="Obligatoire en cas de refus.",
    )


class BailSerializer(serializers.Serializer):
    date_signature_bail = serializers.DateField(
        help_text="Date de signature du bail (AAAA-MM-JJ). Les autres candidats encore en "
        "course pour ce logement sont classés sans suite."
    )


class EntreeSerializer(serializers.Serializer):
    date_entree = serializers.DateField(help_text="Date d'entrée dans les lieux (AAAA-MM-JJ).")
    changer_situation = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Mettre à jour la situation résidentielle de chaque membre du ménage "
        "(vrai par défaut, comme dans l'interface).",
    )


# --- Objectifs d'attribution --------------------------------------------------------------------


class ObjectifAttributionSerializer(ChampsDuModele, serializers.ModelSerializer):
    territoire = serializers.PrimaryKeyRelatedField(
        queryset=Territoire.objects.none(),
        error_messages=ERREURS_CLE,
        help_text="Identifiant du territoire (Département, EPCI ou plateforme) de votre ressort.",
    )
    territoire_nom = serializers.CharField(
        source="territoire.nom", read_only=True, help_text="Nom du territoire."
    )

    class Meta:
        model = ObjectifAttribution
        fields = [
            "id",
            "territoire",
            "territoire_nom",
            "annee",
            "objectif",
            "attributions_totales",
            "cree_le",
            "modifie_le",
        ]
        # Unicité (territoire, année) : vérifiée par full_clean, avec le message du modèle.
        validators = []
        extra_kwargs = {"attributions_totales": {"default": None}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if user := _utilisateur(self):
            perimetre = user.perimetre
            territoires = Territoire.objects.all()
            if not perimetre.tout:
                territoires = territoires.filter(id__in=perimetre.territoire_ids)
            self.fields["territoire"].queryset = territoires

    def create(self, validated_data):
        objectif = ObjectifAttribution(**validated_data)
        valider(objectif)
        objectif.save()
        return objectif

    def update(self, instance, validated_data):
        for champ, valeur in validated_data.items():
            setattr(instance, champ, valeur)
        valider(instance)
        instance.save()
        return instance
