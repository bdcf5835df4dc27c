"""Briques des points d'accès de l'accompagnement : saisie validée par les formulaires de
l'interface, identifiants liés, filtres de territoire, tri stable, conflit de version.

Les formulaires de l'interface bornent déjà chaque liste de choix (structure, référent,
logement, plateforme…) au périmètre de l'utilisateur : l'API leur passe les valeurs reçues
plutôt que de réécrire ces bornes. Un identifiant hors périmètre y est un choix invalide, par
champ, et rien n'est écrit."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied as Interdit
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accompagnement.models import Mesure
from logement.models import Territoire
from menages.concurrence import EditionConcurrente, prendre_la_main

from .base import Conflit, PerimetreMixin, TriStable, erreurs_drf

# --- Erreurs ------------------------------------------------------------------------------------


def exiger(condition: bool, message: str) -> None:
    """403 avec le message de l'interface quand le rôle ne permet pas l'écriture."""
    if not condition:
        raise Interdit(message)


def erreurs_api(exc: DjangoValidationError, renvois: dict | None = None) -> ValidationError:
    """Erreur d'un modèle ou d'un service → 400 par champ, aux noms de l'API."""
    erreur = erreurs_drf(exc)
    if not renvois:
        return erreur
    detail: dict[str, list] = {}
    for champ, messages in erreur.detail.items():
        detail.setdefault(renvois.get(champ, champ), []).extend(messages)
    return ValidationError(detail)


def appliquer(service, *args, renvois: dict | None = None, **kwargs):
    """Appelle un service de l'app ; son refus (ValidationError) devient une erreur 400."""
    try:
        return service(*args, **kwargs)
    except DjangoValidationError as exc:
        raise erreurs_api(exc, renvois) from exc


def modifier_versionne(objet, modifier, *, version: int, par, renvois=None, **champs):
    """Écrit `champs` par le service `modifier` si `objet` est encore à la `version` lue
    (menages/concurrence.py) ; sinon 409, et rien n'est écrit."""
    try:
        with transaction.atomic():
            prendre_la_main(objet, version_lue=version, par=par)
            modifier(objet, par=par, **champs)
    except EditionConcurrente as conflit:
        raise Conflit(conflit.message) from conflit
    except DjangoValidationError as exc:
        raise erreurs_api(exc, renvois) from exc


# --- Champs -------------------------------------------------------------------------------------


class IdLie(serializers.PrimaryKeyRelatedField):
    """Lu : l'identifiant de l'objet lié. Écrit : un entier, que le formulaire de l'interface
    cherche parmi les objets du périmètre ; le champ ne consulte pas la base lui-même, pour ne
    pas dire si un identifiant étranger existe."""

    def __init__(self, modele, **kwargs):
        if not kwargs.get("read_only"):
            kwargs["queryset"] = modele.objects.none()
        super().__init__(**kwargs)
        self.modele = modele

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "hors_bornes": "Identifiant invalide.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            valeur = int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < valeur < 2**63:
            self.fail("hors_bornes")
        return valeur


def code_lie(modele, **kwargs) -> serializers.SlugRelatedField:
    """Un référentiel (type de mesure, motif, domaine…) désigné par son code."""
    if not kwargs.get("read_only"):
        kwargs.setdefault("queryset", modele.objects.all())
    return serializers.SlugRelatedField(slug_field="code", **kwargs)


VERSION_AIDE = (
    "Version de l'élément, qui augmente à chaque modification. Pour modifier, renvoyez la "
    "version lue : si quelqu'un a modifié l'élément entre-temps, la réponse est 409 et rien "
    "n'est écrit."
)
VERSION_MANQUANTE = (
    "Indiquez la version lue (champ « version ») : elle évite d'écraser une modification "
    "concurrente."
)


# --- Saisie par le formulaire de l'interface ----------------------------------------------------


class ValidationParFormulaire:
    """`validate()` passe les valeurs reçues au formulaire de l'interface ; `validated_data`
    est alors son `cleaned_data` (noms du formulaire).

    - `renvois` : nom du champ du formulaire → nom du champ de l'API (erreurs) ;
    - `hors_formulaire` : champs résolus par le sérialiseur (ex. le ménage), ajoutés tels quels ;
    - `champs_figes` : champs fixés à la création, refusés s'ils changent ensuite ;
    - à la création, un champ omis prend la valeur que l'interface préremplit (ex. aujourd'hui) ;
    - en PATCH, un champ omis garde sa valeur actuelle (`champs_formulaire` de l'objet).
    """

    renvois: dict[str, str] = {}
    hors_formulaire: tuple[str, ...] = ()
    champs_figes: tuple[str, ...] = ()
    champs_formulaire: tuple[str, ...] = ()
    versionne = False

    def formulaire(self, donnees: dict, hors: dict):
        raise NotImplementedError

    @property
    def user(self):
        return self.context["request"].user

    def validate(self, attrs):
        _verifier_dates(attrs)
        objet = getattr(self, "instance", None)
        if self.versionne and objet is not None and attrs.get("version") is None:
            raise ValidationError({"version": [VERSION_MANQUANTE]})
        if objet is not None:
            self._verifier_figes(objet, attrs)
        hors = {champ: attrs.pop(champ) for champ in self.hors_formulaire if champ in attrs}
        inverse = {api: nom for nom, api in self.renvois.items()}
        donnees = {inverse.get(champ, champ): _valeur(v) for champ, v in attrs.items()}
        if objet is not None and self.partial:
            donnees = {**model_to_dict(objet, fields=self.champs_formulaire), **donnees}
        form = self.formulaire(donnees, hors)
        if objet is None:
            for nom, champ in form.fields.items():
                initial = form.get_initial_for_field(champ, nom)
                if nom not in donnees and initial not in (None, ""):
                    donnees[nom] = _valeur(initial)  # même dictionnaire que form.data
        if not form.is_valid():
            raise ValidationError(self._erreurs(form))
        self.form = form
        return {**form.cleaned_data, **hors}

    def _erreurs(self, form) -> dict:
        detail: dict[str, list] = {}
        for champ, erreurs in form.errors.items():
            nom = "non_field_errors" if champ == "__all__" else self.renvois.get(champ, champ)
            detail.setdefault(nom, []).extend(erreurs)
        return detail

    def _verifier_figes(self, objet, attrs):
        erreurs = {}
        for champ in self.champs_figes:
            if champ in attrs and _valeur(attrs[champ]) != _valeur(getattr(objet, champ)):
                erreurs[champ] = ["Ce champ est fixé à la création et ne peut pas changer."]
        if erreurs:
            raise ValidationError(erreurs)


# Bornes de toute date reçue : au-delà, les calculs de durée (fin prévue = début + n mois)
# sortiraient du calendrier de Python. Aucune date du domaine n'en approche.
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _verifier_dates(attrs):
    erreurs = {
        champ: [
            f"Date invraisemblable : indiquez une date entre {DATE_MIN.year} et {DATE_MAX.year}."
        ]
        for champ, valeur in attrs.items()
        if isinstance(valeur, dt.date) and not DATE_MIN <= valeur <= DATE_MAX
    }
    if erreurs:
        raise ValidationError(erreurs)


def _valeur(valeur):
    """Ce que le formulaire attend : l'identifiant d'un objet, une chaîne vide pour rien."""
    if valeur is None:
        return ""
    return getattr(valeur, "pk", valeur)


class SaisieParFormulaire(ValidationParFormulaire, serializers.Serializer):
    """Corps d'une action (démarrer, renouveler, refuser…) validé par son formulaire."""


class ModeleParFormulaire(ValidationParFormulaire, serializers.ModelSerializer):
    """Représentation d'une ressource, dont la création et la modification passent par le
    formulaire de l'interface. Les validateurs automatiques de DRF (unicité) sont retirés : le
    formulaire et `full_clean()` les portent déjà, avec leurs messages."""

    def get_validators(self):
        return []


# --- Filtres ------------------------------------------------------------------------------------


class FiltreEntier(filters.NumberFilter):
    """Entier borné (identifiant, année) : rien d'autre n'arrive à la base. Un identifiant
    inconnu ou hors périmètre donne une liste vide, sans dire s'il existe."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


def filtre_id(champ: str, libelle: str, aide: str) -> FiltreEntier:
    # `value: int` : l'annotation donne au schéma OpenAPI le type du paramètre.
    def filtrer(queryset, name, value: int):
        return queryset.filter(**{champ: value})

    return FiltreEntier(method=filtrer, label=libelle, help_text=aide)


def filtre_territoire(chemin: str) -> FiltreEntier:
    """`territoire` : un EPCI ; un Département (tous ses EPCI) ; une plateforme (les EPCI
    qu'elle couvre). `chemin` mène au territoire de l'objet."""

    def filtrer(queryset, name, value: int):
        couverts = Territoire.perimetre.through.objects.filter(from_territoire_id=value)
        return queryset.filter(
            Q(**{f"{chemin}_id": value})
            | Q(**{f"{chemin}__parent_id": value})
            | Q(**{f"{chemin}_id__in": couverts.values("to_territoire_id")})
        )

    return FiltreEntier(
        method=filtrer,
        label="Territoire",
        help_text="Identifiant d'un territoire : un EPCI, un Département (tous ses EPCI) ou "
        "une plateforme (les EPCI qu'elle couvre).",
    )


def filtre_date(champ: str, libelle: str, sens: str) -> filters.DateFilter:
    """`<champ>_apres` / `<champ>_avant` : bornes incluses, au format AAAA-MM-JJ."""
    if sens == "apres":
        return filters.DateFilter(
            field_name=champ,
            lookup_expr="gte",
            label=f"{libelle} à partir du",
            help_text=f"{libelle} le jour donné ou après (AAAA-MM-JJ, borne incluse).",
        )
    return filters.DateFilter(
        field_name=champ,
        lookup_expr="lte",
        label=f"{libelle} jusqu'au",
        help_text=f"{libelle} le jour donné ou avant (AAAA-MM-JJ, borne incluse).",
    )


# --- Ensembles de vues --------------------------------------------------------------------------


class VueAccompagnement(PerimetreMixin):
    """Périmètre, filtres et tri communs ; `relire()` renvoie l'objet tel que la liste le
    sert (mêmes préchargements). `visibles(user)` part toujours d'un `visible_to(user)`."""

    filter_backends = [filters.DjangoFilterBackend, TriStable]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schéma OpenAPI : pas d'utilisateur
            return self.modele.objects.none()
        return self.optimiser(self.visibles(self.request.user))

    def visibles(self, user):
        return self.modele.objects.visible_to(user)

    def relire(self, objet):
        return self.get_queryset().get(pk=objet.pk)

    def reponse(self, objet, statut=200):
        return Response(self.get_serializer(self.relire(objet)).data, status=statut)


def mesures_visibles(user):
    """Point de départ des ressources rattachées à une mesure (projet, objectifs, actions)."""
    return Mesure.objects.visible_to(user)
