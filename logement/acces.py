"""Contrôles d'accès des vues : rôle exigé, objet pris dans le périmètre ou 404."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404


def role_requis(*roles):
    """Réserve une vue aux rôles donnés (l'administrateur passe toujours) ; sinon 403."""

    def decorateur(vue):
        @login_required
        @wraps(vue)
        def enveloppe(request, *args, **kwargs):
            if not request.user.perimetre.a_role(*roles):
                raise PermissionDenied("Votre habilitation ne donne pas accès à cette page.")
            return vue(request, *args, **kwargs)

        return enveloppe

    return decorateur


def donnees_personnelles_requises(vue):
    """Pages nominatives : jamais pour un co-pilote ni un compte sans habilitation."""

    @login_required
    @wraps(vue)
    def enveloppe(request, *args, **kwargs):
        if not request.user.perimetre.voit_donnees_personnelles:
            raise PermissionDenied("Votre habilitation ne donne accès qu'à des chiffres agrégés.")
        return vue(request, *args, **kwargs)

    return enveloppe


def visible_ou_404(modele, user, **filtres):
    """L'objet s'il est dans le périmètre de l'utilisateur ; hors périmètre, 404 (pas 403)."""
    return get_object_or_404(modele.objects.visible_to(user), **filtres)
