"""Qui agit, d'où : la requête en cours (posée par le middleware) ou l'origine hors requête."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar

_requete: ContextVar = ContextVar("journal_requete", default=None)
_origine: ContextVar = ContextVar("journal_origine", default=None)


def requete_courante():
    return _requete.get()


@contextmanager
def dans_la_requete(request):
    jeton = _requete.set(request)
    try:
        yield
    finally:
        _requete.reset(jeton)


@contextmanager
def origine(nom: str):
    """Nomme ce qui écrit hors requête (commande, script) : `with origine("commande X"):`."""
    jeton = _origine.set(nom)
    try:
        yield
    finally:
        _origine.reset(jeton)


def origine_hors_requete() -> str:
    nommee = _origine.get()
    if nommee:
        return nommee
    try:
        from celery import current_task

        if current_task and current_task.request.id is not None:
            return f"tâche planifiée {current_task.name}"
    except Exception:  # le journal ne dépend pas de l'état de Celery
        pass
    if len(sys.argv) > 1 and sys.argv[0].endswith("manage.py"):
        return f"commande {sys.argv[1]}"
    return "tâche planifiée"


def adresse_ip(request) -> str | None:
    """REMOTE_ADDR : derrière un mandataire, c'est lui qui doit la réécrire (ex. ProxyFix,
    `proxy_set_header`) ; on ne fait pas confiance à X-Forwarded-For envoyé par le client."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
