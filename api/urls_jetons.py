"""Jetons d'API personnels, sous /compte/jetons/."""

from django.urls import path

from . import vues_jetons

app_name = "jetons"
urlpatterns = [
    path("", vues_jetons.liste, name="liste"),
    path("nouveau/", vues_jetons.creer, name="creer"),
    path("<int:pk>/revoquer/", vues_jetons.revoquer, name="revoquer"),
]
