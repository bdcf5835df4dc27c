"""Rendu PDF du droit d'accès (WeasyPrint) : une page de garde, puis une section par domaine."""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string

GABARIT = "rgpd/acces_pdf.html"

logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)


def dossier_pdf(donnees: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(GABARIT, donnees)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
