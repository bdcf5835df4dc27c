"""Double authentification obligatoire pour les comptes qui la doivent ; session expirée signalée."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .services import double_authentification_active, double_authentification_requise

SESSION_EXPIREE = "comptes_session_expiree"
# Posé à la connexion : l'utilisateur a activé la double authentification (même facultative).
SESSION_DOUBLE_AUTHENTIFICATION = "comptes_double_authentification_active"
SESSION_DERNIERE_ACTIVITE = "comptes_derniere_activite"
# La session est prolongée au plus une fois par minute : une écriture par minute et par
# utilisateur actif plutôt qu'une à chaque requête (SESSION_SAVE_EVERY_REQUEST).
PROLONGATION_SECONDES = 60
# Pages ouvertes à un compte connecté mais pas encore vérifié : de quoi se vérifier ou partir.
# Le schéma et la documentation de l'API sont publics : ils ne montrent aucune donnée.
VUES_LIBRES = {
    "login",
    "logout",
    "sante",
    "comptes:enrolement",
    "comptes:verification",
    "api:schema",
    "api:docs",
}


class DoubleAuthentificationMiddleware:
    """À placer après OTPMiddleware : tant qu'un compte tenu à la double authentification (par
    son rôle, ou parce qu'il l'a activée) n'a pas saisi de code dans cette session, toute page
    le renvoie vers l'enrôlement (premier passage) ou la vérification."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self._noter_session_expiree(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match and match.view_name in VUES_LIBRES:
            return None
        # Le rôle est relu à chaque requête (périmètre déjà calculé pour le menu) : un compte
        # promu en cours de session y est tenu aussitôt.
        if not (
            request.session.get(SESSION_DOUBLE_AUTHENTIFICATION)
            or double_authentification_requise(user)
        ):
            return None
        if request.path_info.startswith("/api/"):
            # Un outil qui appelle l'API ne suit pas une redirection vers un formulaire : erreur
            # JSON, de la forme des autres erreurs de l'API.
            return JsonResponse(
                {
                    "detail": "Double authentification requise : validez-la dans l'application "
                    "pour cette session, ou utilisez un jeton d'API.",
                    "code": "double_authentification_requise",
                },
                status=403,
            )
        cible = (
            "comptes:verification" if double_authentification_active(user) else "comptes:enrolement"
        )
        url = f"{reverse(cible)}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)

    @staticmethod
    def _noter_session_expiree(request):
        """Un cookie de session que la base ne connaît plus : session expirée (ou close
        ailleurs). La page de connexion le dira."""
        if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            return
        if request.user.is_authenticated:
            return
        if request.session.session_key is None:
            request.session[SESSION_EXPIREE] = True


class ActiviteSessionMiddleware:
    """Expiration après inactivité : chaque requête d'un utilisateur connecté repousse
    l'expiration de la session de SESSION_COOKIE_AGE (par pas d'une minute)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME) and SESSION_KEY in request.session:
            maintenant = int(time.time())
            derniere = request.session.get(SESSION_DERNIERE_ACTIVITE, 0)
            if maintenant - derniere >= PROLONGATION_SECONDES:
                # Session modifiée : SessionMiddleware l'enregistre avec une nouvelle échéance.
                request.session[SESSION_DERNIERE_ACTIVITE] = maintenant
        return self.get_response(request)


def noter_connexion(sender, request, user, **kwargs):
    """À la connexion : l'utilisateur a-t-il un appareil ? (une requête par connexion plutôt
    qu'à chaque page) ; la session vient d'être créée, donc prolongée."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_DOUBLE_AUTHENTIFICATION] = double_authentification_active(user)
        request.session[SESSION_DERNIERE_ACTIVITE] = int(time.time())
