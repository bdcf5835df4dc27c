"""Pages du socle : accueil selon le périmètre de l'utilisateur, sonde de santé."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from .selectors import resume_perimetre


@login_required
def accueil(request):
    return render(request, "accueil.html", {"resume": resume_perimetre(request.user)})


def sante(request):
    """Sonde pour l'orchestrateur : la base répond-elle ?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 — toute panne de base doit donner 503, pas 500
        return JsonResponse({"base": "indisponible"}, status=503)
    return JsonResponse({"base": "ok"})
