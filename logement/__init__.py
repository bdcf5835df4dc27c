"""Projet Django de la plateforme Logement d'abord : réglages, URLs, Celery et socle commun."""

from .celery import app as celery_app

__all__ = ("celery_app",)
