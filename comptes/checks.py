"""Contrôle de déploiement : la double authentification ne se désactive qu'en démonstration."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def double_authentification_exigee(app_configs, **kwargs):
    if settings.DOUBLE_AUTHENTIFICATION_OBLIGATOIRE:
        return []
    return [
        Warning(
            "La double authentification n'est pas exigée des agents départementaux et des "
            "administrateurs (DOUBLE_AUTHENTIFICATION_OBLIGATOIRE=0).",
            hint="Réservez ce réglage à la démonstration locale.",
            id="comptes.W001",
        )
    ]
