"""Pose la requête en cours dans le contexte du journal (auteur, adresse IP) et fait de chaque
requête d'écriture une transaction : l'écriture métier et sa trace sont validées ou annulées
ensemble."""

from django.db import DEFAULT_DB_ALIAS, transaction
from django.urls import Resolver404, resolve

from .contexte import dans_la_requete

METHODES_SURES = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _vue_non_atomique(request) -> bool:
    """Une vue marquée `@transaction.non_atomic_requests` gère elle-même ses transactions."""
    try:
        vue = resolve(request.path_info, getattr(request, "urlconf", None)).func
    except Resolver404:
        return False
    return DEFAULT_DB_ALIAS in getattr(vue, "_non_atomic_requests", set())


class JournalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with dans_la_requete(request):
            if request.method in METHODES_SURES or _vue_non_atomique(request):
                return self.get_response(request)
            with transaction.atomic():
                request._journal_transaction = True
                reponse = self.get_response(request)
                # Annulée seulement ici : la page d'erreur (404, 403) se rend encore dans la
                # transaction et peut lire la base.
                if getattr(request, "_journal_exception", False):
                    transaction.set_rollback(True)
                return reponse

    def process_exception(self, request, exception):
        # Comme ATOMIC_REQUESTS : une vue qui lève n'a rien écrit, pas même sa trace.
        if getattr(request, "_journal_transaction", False):
            request._journal_exception = True
