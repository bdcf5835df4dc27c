"""Limitation de débit de l'API : un compteur par jeton, par utilisateur (session) ou par adresse.

Les taux se règlent par `API_DEBIT_JETON`, `API_DEBIT_SESSION` et `API_DEBIT_ANONYME`
(« 120/min », « 5000/jour »… ; vide : aucune limite). Les compteurs sont dans le cache
`default` : Redis en production (CACHE_URL), pour que tous les processus les partagent.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import SimpleRateThrottle

from .models import JetonAPI

# Unités admises par DRF (première lettre) : s, m, h, d ; « jour » commence par j.
UNITES = {"j": "d"}


class Debit(SimpleRateThrottle):
    """Clé : le jeton (deux jetons d'un même compte ont chacun leur débit), sinon l'utilisateur
    de la session, sinon l'adresse IP."""

    cache_format = "api_debit:%(scope)s:%(ident)s"

    def allow_request(self, request, view):
        # Le taux dépend de la requête (jeton, session…) : relu à chaque fois, ce qui suit aussi
        # un réglage modifié pendant les tests.
        self.scope = self._portee(request)
        self.rate = self._taux(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return None  # fixé dans allow_request, selon la requête

    def parse_rate(self, rate):
        if rate is None:
            return None, None
        try:
            nombre, periode = rate.split("/")
            return super().parse_rate(f"{nombre}/{UNITES.get(periode[:1], periode)}")
        except (ValueError, KeyError, IndexError) as exc:
            raise ImproperlyConfigured(
                f"Débit de l'API mal écrit : « {rate} » (attendu par exemple « 120/min »)."
            ) from exc

    @staticmethod
    def _portee(request) -> str:
        if isinstance(request.auth, JetonAPI):
            return "jeton"
        if request.user and request.user.is_authenticated:
            return "session"
        return "anonyme"

    @staticmethod
    def _taux(portee: str) -> str | None:
        return {
            "jeton": settings.API_DEBIT_JETON,
            "session": settings.API_DEBIT_SESSION,
            "anonyme": settings.API_DEBIT_ANONYME,
        }[portee]

    def get_cache_key(self, request, view):
        # L'identifiant seul ne suffit pas : un identifiant réattribué (base SQLite recréée, ligne
        # annulée) hériterait du compteur d'un autre. L'horodatage de création le rend unique.
        if self.scope == "jeton":
            ident = f"{request.auth.pk}-{request.auth.cree_le.timestamp()}"
        elif self.scope == "session":
            ident = f"{request.user.pk}-{request.user.date_joined.timestamp()}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
