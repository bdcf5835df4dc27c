"""Filtres et tri des points d'accès des attributions (et des bilans) : territoire, dates, état."""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend

from api.base import TriStable, filtre_modifie_depuis
from attributions.models import DecisionCaleol, Logement, ObjectifAttribution, Proposition
from logement.models import Territoire, epci_couverts

AIDE_TERRITOIRE = (
    "Identifiant d'un territoire : un EPCI, une plateforme (les EPCI de son périmètre) ou un "
    "Département (tous ses EPCI)."
)
AIDE_MODIFIE_DEPUIS = (
    "Date et heure ISO 8601 (ex. 2025-03-01T08:00:00+01:00) : seulement ce qui a été créé ou "
    "modifié depuis."
)


# Filtres de chaque liste : django-filter, puis le tri.
FILTRES = [DjangoFilterBackend, TriStable]


def epci_du_territoire(territoire: Territoire) -> set[int]:
    """EPCI couverts par un territoire (même règle que les habilitations)."""
    return epci_couverts([territoire])[territoire.pk]


def territoire_et_contenus(territoire: Territoire) -> set[int]:
    """Le territoire, les EPCI qu'il couvre et, pour un Département, ses plateformes."""
    ids = {territoire.pk, *epci_du_territoire(territoire)}
    if territoire.niveau == Territoire.Niveau.DEPARTEMENT:
        ids |= set(territoire.enfants.values_list("id", flat=True))
    return ids


def filtre_territoire(chemin: str) -> django_filters.ModelChoiceFilter:
    """Filtre `territoire` : les objets rattachés (par le chemin de leur EPCI) aux EPCI du
    territoire donné."""

    def filtrer(queryset, name, territoire):
        return queryset.filter(**{f"{chemin}_id__in": epci_du_territoire(territoire)})

    return django_filters.ModelChoiceFilter(
        queryset=Territoire.objects.all(),
        field_name=chemin,
        method=filtrer,
        label="Territoire",
        help_text=AIDE_TERRITOIRE,
    )


def dates(champ: str, libelle: str) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """Les filtres `<champ>_apres` et `<champ>_avant`, bornes incluses."""
    return (
        django_filters.DateFilter(
            field_name=champ,
            lookup_expr="gte",
            label=f"{libelle} : à partir du",
            help_text=f"{libelle} à partir de cette date (incluse), AAAA-MM-JJ.",
        ),
        django_filters.DateFilter(
            field_name=champ,
            lookup_expr="lte",
            label=f"{libelle} : jusqu'au",
            help_text=f"{libelle} jusqu'à cette date (incluse), AAAA-MM-JJ.",
        ),
    )


class FiltreLogements(django_filters.FilterSet):
    class Statut:
        DISPONIBLE, INDISPONIBLE = "disponible", "indisponible"

    territoire = filtre_territoire("territoire")
    statut = django_filters.ChoiceFilter(
        choices=[
            (Statut.DISPONIBLE, "Disponible (ni retiré, ni attribué par un bail)"),
            (Statut.INDISPONIBLE, "Indisponible (retiré, ou bail signé)"),
        ],
        method="filtrer_statut",
        label="Disponibilité",
        help_text="Disponibilité du logement.",
    )
    typologie = django_filters.ChoiceFilter(
        choices=Logement.Typologie.choices, label="Typologie", help_text="Typologie du logement."
    )
    captation = django_filters.ChoiceFilter(
        choices=Logement.Captation.choices,
        label="Mode de captation",
        help_text="Mode de captation du logement.",
    )
    type_bailleur = django_filters.ChoiceFilter(
        choices=Logement.TypeBailleur.choices, label="Bailleur", help_text="Type de bailleur."
    )
    qpv = django_filters.BooleanFilter(
        label="En QPV", help_text="true : en quartier prioritaire de la ville ; false : hors QPV."
    )
    date_disponibilite_apres, date_disponibilite_avant = dates(
        "date_disponibilite", "Disponibilité"
    )
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Logement
        fields = []

    def filtrer_statut(self, queryset, name, valeur):
        if valeur == self.Statut.DISPONIBLE:
            return queryset.disponibles()
        return queryset.indisponibles()


class FiltrePropositions(django_filters.FilterSet):
    territoire = filtre_territoire("logement__territoire")
    etape = django_filters.ChoiceFilter(
        choices=Proposition.Etape.choices,
        field_name="etape_calculee",
        label="Étape",
        help_text="Étape atteinte par la proposition.",
    )
    decision = django_filters.ModelChoiceFilter(
        queryset=DecisionCaleol.objects.all(),
        to_field_name="code",
        label="Décision de la CALEOL",
        help_text="Code de la décision de la CALEOL (ex. rang_1, non_attribution).",
    )
    reponse = django_filters.ChoiceFilter(
        choices=Proposition.Reponse.choices,
        label="Réponse du ménage",
        help_text="Réponse du ménage.",
    )
    menage = django_filters.NumberFilter(
        field_name="menage_id", label="Ménage", help_text="Identifiant du ménage."
    )
    logement = django_filters.NumberFilter(
        field_name="logement_id", label="Logement", help_text="Identifiant du logement."
    )
    date_proposition_apres, date_proposition_avant = dates("date_proposition", "Proposition")
    date_caleol_apres, date_caleol_avant = dates("date_caleol", "Passage en CALEOL")
    date_signature_bail_apres, date_signature_bail_avant = dates(
        "date_signature_bail", "Signature du bail"
    )
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = Proposition
        fields = []


class FiltreObjectifs(django_filters.FilterSet):
    territoire = django_filters.ModelChoiceFilter(
        queryset=Territoire.objects.all(),
        method="filtrer_territoire",
        label="Territoire",
        help_text="Identifiant d'un territoire : ses objectifs et ceux des territoires qu'il "
        "contient (EPCI, plateformes d'un Département).",
    )
    annee = django_filters.NumberFilter(label="Année", help_text="Année de l'objectif.")
    modifie_depuis = filtre_modifie_depuis()

    class Meta:
        model = ObjectifAttribution
        fields = []

    def filtrer_territoire(self, queryset, name, territoire):
        return queryset.filter(territoire_id__in=territoire_et_contenus(territoire))
