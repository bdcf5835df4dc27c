"""Schéma OpenAPI : réponses d'erreur communes à chaque opération, authentifications décrites.

Les points d'accès ne décrivent que leurs réponses propres (200, 201, 202, 409…) ; `AutoSchema`
ajoute à chacun les erreurs que le socle peut renvoyer (voir api/exceptions.py), avec le
composant `Erreur` (ou `ErreurValidation` pour les 400).
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .models import PREFIXE

METHODES_D_ECRITURE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Paramètres de requête qui ne provoquent jamais de 400 (une page inexistante est un 404, une
# taille invalide donne la taille par défaut) ; un tri inconnu, lui, est refusé (api.base).
PARAMETRES_SANS_400 = frozenset({"page", "taille"})


class ErreurSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Message en français, à montrer tel quel.")
    code = serializers.CharField(
        help_text="Code stable, pour un traitement automatique : « non_authentifie », "
        "« authentification_refusee », « permission_refusee », « introuvable », "
        "« trop_de_requetes », « donnees_invalides »…"
    )


class ErreurValidationSerializer(ErreurSerializer):
    erreurs = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages par champ (paramètre de requête ou champ du corps). « non_field_errors » "
        "regroupe ce qui concerne l'ensemble ; un champ imbriqué se note « personnes.0.nom ».",
    )


def _reponse(serializer, description):
    return OpenApiResponse(response=serializer, description=description)


ERREURS = {
    "400": _reponse(
        ErreurValidationSerializer,
        "Requête refusée : paramètre de filtre ou données invalides, JSON mal formé. Rien n'a été "
        "écrit ; le détail par champ est dans `erreurs`.",
    ),
    "401": _reponse(
        ErreurSerializer,
        "Authentification absente ou refusée : jeton inconnu, expiré ou révoqué, compte désactivé.",
    ),
    "403": _reponse(
        ErreurSerializer,
        "Action non permise : votre habilitation ne le permet pas (un co-pilote n'atteint que les "
        "agrégats), double authentification à faire (session), ou jeton CSRF absent (écriture par "
        "session).",
    ),
    "404": _reponse(
        ErreurSerializer,
        "Objet introuvable ou hors de votre périmètre, ou page de résultats inexistante.",
    ),
    "415": _reponse(
        ErreurSerializer,
        "Type de contenu non pris en charge : envoyez du JSON (Content-Type: application/json).",
    ),
    "429": _reponse(
        ErreurSerializer,
        "Trop de requêtes : attendez le nombre de secondes donné par l'en-tête Retry-After.",
    ),
}

ENTETES = {
    "401": {
        "WWW-Authenticate": {
            "description": "Schéma d'authentification attendu (Bearer).",
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Nombre de secondes à attendre avant de réessayer.",
            "schema": {"type": "integer"},
        }
    },
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        reponses = operation.setdefault("responses", {})
        for code in self._erreurs_possibles(operation):
            if code in reponses:
                continue  # le point d'accès décrit lui-même cette réponse
            reponse = self._get_response_for_code(ERREURS[code], code)
            if code in ENTETES:
                reponse["headers"] = {**ENTETES[code], **reponse.get("headers", {})}
            reponses[code] = reponse
        operation["responses"] = dict(sorted(reponses.items()))
        return operation

    def _erreurs_possibles(self, operation) -> list[str]:
        parametres = operation.get("parameters", [])
        dans = {p.get("in") for p in parametres}
        filtres = {p["name"] for p in parametres if p.get("in") == "query"} - PARAMETRES_SANS_400
        codes = ["401", "403", "429"]
        if self.method in METHODES_D_ECRITURE or filtres:
            codes.append("400")
        if "path" in dans or (self._is_list_view() and self._get_paginator() is not None):
            codes.append("404")
        if "requestBody" in operation:
            codes.append("415")
        return codes


# --- Authentifications --------------------------------------------------------------------------


class JetonScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.JetonAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": f"{PREFIXE}…",
            "description": "Jeton d'API personnel, créé dans l'application (menu du compte, "
            "« Jetons d'API ») et montré une seule fois : `Authorization: Bearer "
            f"{PREFIXE}…`. Il agit avec les habilitations du moment de son titulaire.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "session"
    priority = 1  # remplace la description anglaise de drf-spectacular

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "Session de l'application (navigateur connecté, double "
            "authentification faite si le compte y est tenu). Les écritures exigent en plus "
            "l'en-tête X-CSRFToken.",
        }
