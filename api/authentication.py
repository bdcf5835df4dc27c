"""Authentification de l'API par jeton personnel : `Authorization: Bearer <jeton>`.

Le jeton ne porte aucun droit : il désigne son titulaire, dont les habilitations sont relues à
chaque requête (`user.perimetre`). Un jeton inconnu, expiré ou révoqué, un compte désactivé ou
sans habilitation en cours n'obtient rien.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import PREFIXE, JetonAPI, empreinte

MOTS_CLES = (b"bearer", b"token")
# Un jeton fait 47 caractères ; au-delà, inutile de hacher ce qu'on a reçu.
LONGUEUR_MAX = 200


class JetonAuthentication(BaseAuthentication):
    """`Authorization: Bearer lda_…` (ou `Token lda_…`). Sans cet en-tête, la main passe à
    l'authentification suivante (session)."""

    def authenticate(self, request):
        morceaux = get_authorization_header(request).split()
        if not morceaux or morceaux[0].lower() not in MOTS_CLES:
            return None
        if len(morceaux) != 2:
            raise exceptions.AuthenticationFailed(
                "En-tête Authorization invalide : attendu « Bearer <jeton> », sans espace dans "
                "le jeton."
            )
        try:
            secret = morceaux[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""
        return self.authentifier(secret)

    def authentifier(self, secret: str):
        if not secret.startswith(PREFIXE) or len(secret) > LONGUEUR_MAX:
            raise exceptions.AuthenticationFailed("Jeton d'API inconnu.")
        jeton = JetonAPI.objects.select_related("user").filter(empreinte=empreinte(secret)).first()
        if jeton is None:
            raise exceptions.AuthenticationFailed("Jeton d'API inconnu.")
        maintenant = timezone.now()
        if jeton.revoque_le is not None:
            raise exceptions.AuthenticationFailed(
                f"Ce jeton d'API a été révoqué le {_date(jeton.revoque_le)}."
            )
        if jeton.expire_le <= maintenant:
            raise exceptions.AuthenticationFailed(
                f"Ce jeton d'API a expiré le {_date(jeton.expire_le)} : créez-en un nouveau "
                "dans l'application."
            )
        user = jeton.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("Le compte titulaire de ce jeton est désactivé.")
        perimetre = user.perimetre
        if not (perimetre.tout or perimetre.roles):
            raise exceptions.PermissionDenied(
                "Le compte titulaire de ce jeton n'a aucune habilitation en cours."
            )
        jeton.noter_usage(maintenant)
        return user, jeton

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def _date(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y à H:i")
