"""Pages du socle : tableau de bord d'accueil selon le rôle, sonde de santé."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from .selectors import tableau_de_bord


@login_required
def accueil(request):
    return render(request, "accueil.html", {"tableau": tableau_de_bord(request.user)})


def sante(request):
    """Sonde pour l'orchestrateur : la base répond-elle ?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 — toute panne de base doit donner 503, pas 500
        return JsonResponse({"base": "indisponible"}, status=503)
    return JsonResponse({"base": "ok"})
