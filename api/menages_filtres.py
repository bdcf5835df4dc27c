"""Filtres et tri des points d'accès des ménages.

Les filtres des ménages reprennent ceux de la liste de l'interface (menages.selectors) ; les
choix proposés (territoires, structures, référents, ménages) sont bornés au périmètre, si bien
qu'une valeur hors périmètre est une erreur 400 sur son paramètre, jamais une fuite.
"""

from __future__ import annotations

import django_filters as filtres
from django.db.models import Q
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accompagnement.models import TypeMesure
from logement.models import Territoire, epci_couverts
from menages import selectors
from menages.models import (
    Menage,
    Personne,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

from .base import filtre_modifie_depuis
from .menages_serializers import menages_visibles, personnes_visibles


def _territoires(request):
    """Territoires du ressort, plus les EPCI des ménages suivis (référent), comme l'interface."""
    user = request.user
    if user.perimetre.tout:
        return Territoire.objects.all()
    return Territoire.objects.filter(
        Q(id__in=user.perimetre.territoire_ids)
        | Q(id__in=menages_visibles(user).values("territoire_id"))
    )


def _menages(request):
    return menages_visibles(request.user)


def _personnes(request):
    return personnes_visibles(request.user)


def _type(type_openapi, filtre):
    """Type du paramètre dans le schéma, pour un filtre par méthode (le modèle ne le dit pas)."""
    schema = {**build_basic_type(type_openapi), "description": filtre.extra["help_text"]}
    return extend_schema_field(schema)(filtre)


def _date(champ, lookup, aide):
    return filtres.DateFilter(field_name=champ, lookup_expr=lookup, help_text=aide)


class MenageFiltres(filtres.FilterSet):
    q = filtres.CharFilter(
        method="selon_selecteur",
        max_length=100,
        label="Recherche",
        help_text="Nom ou prénom d'un membre (sans accents ni casse, chaque mot), référence, "
        "NUR ou identifiant SI-SIAO.",
    )
    territoire = filtres.ModelChoiceFilter(
        queryset=_territoires,
        method="selon_territoire",
        label="Territoire",
        help_text="Identifiant d'un EPCI, d'une plateforme (ses EPCI) ou d'un Département (ses "
        "EPCI) de votre périmètre.",
    )
    statut = filtres.ChoiceFilter(
        choices=Menage.Statut.choices, label="Statut", help_text="Statut du dossier."
    )
    structure = _type(
        OpenApiTypes.INT,
        filtres.ModelChoiceFilter(
            queryset=lambda request: selectors.structures_visibles(request.user),
            method="selon_selecteur",
            label="Structure",
            help_text="Identifiant d'une structure qui a une mesure ouverte (proposée, en cours ou "
            "suspendue) pour le ménage.",
        ),
    )
    referent = _type(
        OpenApiTypes.INT,
        filtres.ModelChoiceFilter(
            queryset=lambda request: selectors.referents_visibles(request.user),
            method="selon_selecteur",
            label="Référent",
            help_text="Identifiant du compte référent d'une mesure ouverte du ménage.",
        ),
    )
    type_mesure = _type(
        OpenApiTypes.STR,
        filtres.ModelChoiceFilter(
            queryset=TypeMesure.objects.filter(actif=True),
            to_field_name="code",
            method="selon_selecteur",
            label="Type de mesure",
            help_text="Code du type d'une mesure ouverte du ménage (ex. asrl, avdl).",
        ),
    )
    public = _type(
        OpenApiTypes.STR,
        filtres.ModelChoiceFilter(
            queryset=PublicPrioritaire.objects.all(),
            to_field_name="code",
            method="selon_selecteur",
            label="Public prioritaire",
            help_text="Code d'un public prioritaire du ménage.",
        ),
    )
    situation = _type(
        OpenApiTypes.STR,
        filtres.ModelChoiceFilter(
            queryset=TypeSituation.objects.all(),
            to_field_name="code",
            method="selon_selecteur",
            label="Situation actuelle",
            help_text="Code de la situation résidentielle en cours du demandeur principal.",
        ),
    )
    modifie_depuis = filtre_modifie_depuis()
    dernier_contact_apres = _date(
        "date_dernier_contact", "gte", "Dernier contact à partir de cette date (incluse)."
    )
    dernier_contact_avant = _date(
        "date_dernier_contact", "lte", "Dernier contact jusqu'à cette date (incluse)."
    )
    cree_apres = _date("cree_le__date", "gte", "Créé à partir de cette date (incluse).")
    cree_avant = _date("cree_le__date", "lte", "Créé jusqu'à cette date (incluse).")

    class Meta:
        model = Menage
        fields = []

    def selon_selecteur(self, queryset, name, value):
        # Les mêmes conditions que la liste de l'interface (Exists, sans doublon).
        return selectors.menages_filtres(queryset, {name: value})

    def selon_territoire(self, queryset, name, value):
        return queryset.filter(territoire_id__in=epci_couverts([value])[value.id])


class PersonneFiltres(filtres.FilterSet):
    menage = filtres.ModelChoiceFilter(
        queryset=_menages, label="Ménage", help_text="Identifiant du ménage."
    )
    role = filtres.ChoiceFilter(
        choices=Personne.Role.choices, label="Rôle", help_text="Rôle dans le ménage."
    )
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Personne
        fields = []


class SituationFiltres(filtres.FilterSet):
    menage = filtres.ModelChoiceFilter(
        queryset=_menages,
        field_name="personne__menage",
        label="Ménage",
        help_text="Identifiant du ménage.",
    )
    personne = filtres.ModelChoiceFilter(
        queryset=_personnes, label="Personne", help_text="Identifiant de la personne."
    )
    type = filtres.ModelChoiceFilter(
        queryset=TypeSituation.objects.all(),
        to_field_name="code",
        label="Type",
        help_text="Code de la situation résidentielle.",
    )
    en_cours = filtres.BooleanFilter(
        field_name="date_fin",
        lookup_expr="isnull",
        label="En cours",
        help_text="`true` : situations sans fin ; `false` : situations terminées.",
    )
    date_debut_apres = _date("date_debut", "gte", "Commencée à partir de cette date (incluse).")
    date_debut_avant = _date("date_debut", "lte", "Commencée jusqu'à cette date (incluse).")
    date_fin_apres = _date("date_fin", "gte", "Terminée à partir de cette date (incluse).")
    date_fin_avant = _date("date_fin", "lte", "Terminée jusqu'à cette date (incluse).")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = SituationResidentielle
        fields = []


class RessourceFiltres(filtres.FilterSet):
    menage = filtres.ModelChoiceFilter(
        queryset=_menages, label="Ménage", help_text="Identifiant du ménage."
    )
    personne = filtres.ModelChoiceFilter(
        queryset=_personnes, label="Bénéficiaire", help_text="Identifiant de la personne."
    )
    type = filtres.ModelChoiceFilter(
        queryset=TypeRessource.objects.all(),
        to_field_name="code",
        label="Type",
        help_text="Code du type de ressource.",
    )
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Ressource
        fields = []
