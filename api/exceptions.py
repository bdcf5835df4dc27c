"""Erreurs de l'API : toujours du JSON en français, de la même forme.

    {"detail": "message", "code": "code_stable"}
    {"detail": "message", "code": "donnees_invalides", "erreurs": {"champ": ["message", …]}}

`erreurs` n'accompagne que les 400. Les erreurs Django levées plus bas (ValidationError d'un
`clean()`, PermissionDenied, Http404) prennent la même forme. Une réponse d'erreur annule la
transaction de la requête (JournalMiddleware) : rien n'est écrit, pas même une trace.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from .base import erreurs_drf

PREFIXE_API = "/api/"

OBJET_INTROUVABLE = "Objet introuvable (ou hors de votre périmètre)."
DONNEES_INVALIDES = "Les données envoyées ne sont pas valides : voir le détail par champ."


def _non_authentifie(exc, request):
    return (
        "Authentification requise : envoyez l'en-tête « Authorization: Bearer <jeton> » "
        "(jeton personnel créé dans l'application) ou connectez-vous."
    )


def _methode(exc, request):
    return f"La méthode {request.method} n'est pas permise sur cette adresse."


def _type_de_contenu(exc, request):
    recu = request.content_type or "aucun"
    return (
        f"Type de contenu « {recu} » non pris en charge : envoyez du JSON "
        "(Content-Type: application/json)."
    )


def _trop_de_requetes(exc, request):
    if exc.wait is None:
        return "Trop de requêtes : réessayez plus tard."
    secondes = max(1, int(exc.wait))  # DRF l'arrondit déjà à la seconde supérieure
    return f"Trop de requêtes : réessayez dans {secondes} seconde{'s' if secondes > 1 else ''}."


# Classe d'exception DRF → (code, message français ; None : garder celui de l'exception).
# Les messages par défaut de DRF sont traduits mais vagues (« Pas trouvé. ») ou mêlés d'anglais
# (erreur d'analyse JSON) : ceux-ci disent quoi faire.
FORMES = [
    (exceptions.ValidationError, "donnees_invalides", None),
    (
        exceptions.ParseError,
        "requete_mal_formee",
        "Le corps de la requête n'est pas du JSON valide.",
    ),
    (exceptions.NotAuthenticated, "non_authentifie", _non_authentifie),
    (exceptions.AuthenticationFailed, "authentification_refusee", None),
    (exceptions.PermissionDenied, "permission_refusee", None),
    (exceptions.NotFound, "introuvable", None),
    (exceptions.MethodNotAllowed, "methode_non_permise", _methode),
    (
        exceptions.NotAcceptable,
        "format_non_disponible",
        "Cette API ne répond qu'en JSON (Accept: application/json).",
    ),
    (exceptions.UnsupportedMediaType, "type_de_contenu_non_pris_en_charge", _type_de_contenu),
    (exceptions.Throttled, "trop_de_requetes", _trop_de_requetes),
]


def gestionnaire_exceptions(exc, context):
    """EXCEPTION_HANDLER de DRF."""
    request = context.get("request")
    exc = _exception_drf(exc)
    reponse = exception_handler(exc, context)
    if reponse is None:
        return None  # erreur imprévue : 500, journalisée par Django (handler500 ci-dessous)
    reponse.data = corps_erreur(exc, request, reponse.status_code)
    _en_json(request)
    _annuler_la_transaction(request)
    return reponse


def _exception_drf(exc):
    if isinstance(exc, DjangoValidationError):
        return erreurs_drf(exc)
    if isinstance(exc, Http404):
        # Le message de get_object_or_404 est en anglais et nomme le modèle : on ne le garde pas.
        return exceptions.NotFound(OBJET_INTROUVABLE)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, exceptions.NotFound) and str(exc.detail) == str(
        exceptions.NotFound.default_detail
    ):
        return exceptions.NotFound(OBJET_INTROUVABLE)
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # SessionAuthentication : une écriture par session sans jeton CSRF.
        return exceptions.PermissionDenied(
            "Jeton CSRF absent ou invalide : une écriture par session exige l'en-tête "
            "X-CSRFToken (ou utilisez un jeton d'API)."
        )
    return exc


def corps_erreur(exc, request, statut: int) -> dict:
    code, message = _forme(exc, request)
    if isinstance(exc, exceptions.ValidationError):
        erreurs = aplatir(exc.detail)
        generales = erreurs.get(api_settings.NON_FIELD_ERRORS_KEY)
        # Une erreur d'ensemble seule (« ce ménage est clos ») se lit mieux dans `detail`.
        message = (
            " ".join(generales)
            if set(erreurs) == {api_settings.NON_FIELD_ERRORS_KEY}
            else DONNEES_INVALIDES
        )
        return {"detail": message, "code": code, "erreurs": erreurs}
    if message is None:
        message = " ".join(m for messages in aplatir(exc.detail).values() for m in messages)
    corps = {"detail": message, "code": code}
    if statut == status.HTTP_400_BAD_REQUEST:
        corps["erreurs"] = (
            aplatir(exc.detail)
            if isinstance(exc.detail, dict)
            else {api_settings.NON_FIELD_ERRORS_KEY: [message]}
        )
    return corps


def _forme(exc, request) -> tuple[str, str | None]:
    for classe, code, message in FORMES:
        if isinstance(exc, classe):
            return code, message(exc, request) if callable(message) else message
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    return (codes if isinstance(codes, str) else getattr(exc, "default_code", "erreur")), None


def aplatir(detail, chemin: str = "") -> dict[str, list[str]]:
    """Erreurs DRF (dictionnaires et listes imbriqués) → {"champ" ou "liste.0.champ": [messages]}."""
    resultat: dict[str, list[str]] = {}

    def ajouter(cle, message):
        resultat.setdefault(cle or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(message))

    if isinstance(detail, dict):
        for cle, valeur in detail.items():
            for sous_cle, messages in aplatir(
                valeur, f"{chemin}.{cle}" if chemin else str(cle)
            ).items():
                resultat.setdefault(sous_cle, []).extend(messages)
    elif isinstance(detail, list | tuple):
        for rang, valeur in enumerate(detail):
            if isinstance(valeur, dict | list | tuple):
                sous_chemin = f"{chemin}.{rang}" if chemin else str(rang)
                for sous_cle, messages in aplatir(valeur, sous_chemin).items():
                    resultat.setdefault(sous_cle, []).extend(messages)
            else:
                ajouter(chemin, valeur)
    else:
        ajouter(chemin, detail)
    return resultat


def _en_json(request):
    """Une erreur se lit en JSON même là où la vue rend autre chose (schéma YAML, page de
    documentation) ou quand le format demandé n'existe pas (406)."""
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def _annuler_la_transaction(request):
    """JournalMiddleware ouvre une transaction par requête d'écriture mais n'annule que sur
    exception ; une erreur rendue ici n'en est plus une pour lui."""
    if request is not None and getattr(request, "_journal_transaction", False):
        transaction.set_rollback(True)


# --- Hors DRF : route inconnue, erreur serveur sous /api/ ---------------------------------------


def est_api(request) -> bool:
    return request.path_info.startswith(PREFIXE_API)


def page_introuvable(request, exception=None):
    """handler404 : JSON sous /api/ (route inconnue), page HTML habituelle ailleurs."""
    if est_api(request):
        return JsonResponse(
            {"detail": "Adresse inconnue de l'API.", "code": "introuvable"},
            status=status.HTTP_404_NOT_FOUND,
        )
    return defaults.page_not_found(request, exception)


def erreur_serveur(request):
    """handler500 : JSON sous /api/, page HTML habituelle ailleurs."""
    if est_api(request):
        return JsonResponse(
            {
                "detail": "Erreur interne du serveur : elle a été enregistrée. Réessayez plus "
                "tard ou signalez-la à l'équipe de la plateforme.",
                "code": "erreur_serveur",
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request)
