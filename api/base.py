"""Briques communes des points d'accès : périmètre, permissions, validation par le modèle.

Chaque ensemble de vues de l'API lit ses objets par `Modele.objects.visible_to(user)` (comme les
pages) ; un objet hors périmètre répond 404, jamais 403. Les règles métier restent dans les
modèles et les services : `valider()` fait passer `full_clean()` et traduit ses erreurs en
erreurs DRF rattachées aux champs.
"""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.fields import IsoDateTimeField
from rest_framework import permissions, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter


class DonneesPersonnelles(permissions.BasePermission):
    """Points d'accès nominatifs : jamais pour un co-pilote ni un compte sans habilitation."""

    message = "Votre habilitation ne donne accès qu'à des chiffres agrégés."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.perimetre.voit_donnees_personnelles)


class Agregats(permissions.BasePermission):
    """Points d'accès agrégés : tout utilisateur habilité sur un territoire (co-pilote compris)."""

    message = "Votre habilitation ne donne accès à aucun territoire."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        perimetre = user.perimetre
        return bool(perimetre.tout or perimetre.territoire_ids or perimetre.structure_ids)


class PerimetreMixin:
    """`get_queryset()` = les objets du modèle visibles par l'utilisateur, puis `optimiser()`."""

    modele = None

    def get_queryset(self):
        qs = self.modele.objects.visible_to(self.request.user)
        return self.optimiser(qs)

    def optimiser(self, qs):
        """select_related / prefetch_related : un nombre de requêtes indépendant de la page."""
        return qs


def erreurs_drf(exc: DjangoValidationError) -> ValidationError:
    """Erreur de validation Django → erreur DRF, par champ (`non_field_errors` sinon)."""
    if hasattr(exc, "error_dict"):
        detail = {
            ("non_field_errors" if champ == NON_FIELD_ERRORS else champ): [
                str(m) for e in erreurs for m in e.messages
            ]
            for champ, erreurs in exc.error_dict.items()
        }
    else:
        detail = {"non_field_errors": [str(m) for m in exc.messages]}
    return ValidationError(detail)


def valider(instance, exclude=None):
    """`full_clean()` du modèle ; ses erreurs deviennent des erreurs 400 par champ."""
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise erreurs_drf(exc) from exc


class Conflit(APIException):
    """409 : l'opération est impossible dans l'état actuel de la ressource (version périmée,
    étape déjà franchie, ménage anonymisé…) ; rien n'a été enregistré."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Opération impossible dans l'état actuel de la ressource."
    default_code = "conflit"


# --- Filtres et tri communs -------------------------------------------------------------------


class ChampInstant(IsoDateTimeField):
    """Un instant ISO 8601 ramené en UTC : PostgreSQL refuse un décalage horaire au-delà de
    ±15:59, valide en ISO ; un instant hors des dates représentables est une erreur 400."""

    def to_python(self, value):
        instant = super().to_python(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(dt.UTC)
        except (OverflowError, ValueError) as erreur:
            raise forms.ValidationError(
                "Date et heure hors du calendrier admis.", code="invalid"
            ) from erreur


class FiltreInstant(django_filters.IsoDateTimeFilter):
    field_class = ChampInstant


def filtre_modifie_depuis() -> FiltreInstant:
    """`modifie_depuis` : ne relire que ce qui a changé depuis le dernier passage."""
    return FiltreInstant(
        field_name="modifie_le",
        lookup_expr="gte",
        label="Modifié depuis",
        help_text="Date et heure ISO 8601 (ex. 2025-01-31T08:00:00+01:00) : seulement ce qui a "
        "été créé ou modifié à cet instant ou après.",
    )


class TriStable(OrderingFilter):
    """Paramètre `tri` : noms publics (`view.ordering_fields`), traduits par `view.tri_alias`
    vers les champs du modèle. Un champ inconnu est une erreur 400 plutôt qu'un tri ignoré en
    silence ; l'identifiant départage toujours les égalités, pour une pagination stable."""

    ordering_description = (
        "Tri des résultats : un ou plusieurs champs séparés par des virgules, précédés de « - » "
        "pour un ordre décroissant."
    )

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            demandes = [p.strip() for p in params.split(",") if p.strip()]
            valides = self.remove_invalid_fields(queryset, demandes, view, request)
            if len(valides) != len(demandes):
                permis = ", ".join(champ for champ, _ in self.get_valid_fields(queryset, view))
                raise ValidationError(
                    {self.ordering_param: [f"Tri inconnu. Champs de tri possibles : {permis}."]}
                )
            ordre = valides
        else:
            ordre = list(self.get_default_ordering(view) or [])
        alias = getattr(view, "tri_alias", {})
        ordre = [
            ("-" if t.startswith("-") else "") + alias.get(t.lstrip("-"), t.lstrip("-"))
            for t in ordre
        ]
        if not {t.lstrip("-") for t in ordre} & {"pk", "id"}:
            ordre.append("-pk" if ordre and ordre[0].startswith("-") else "pk")
        return ordre

    def get_schema_operation_parameters(self, view):
        parametres = super().get_schema_operation_parameters(view)
        champs = ", ".join(f"`{c}`" for c in getattr(view, "ordering_fields", ()) or ())
        for parametre in parametres:
            parametre["description"] = f"{self.ordering_description} Champs : {champs}."
        return parametres
